"""The reports people hold in their hands: report.html for the county office, and a
整改清单 per township (checklists/<township>.xlsx to fill in and return, .html to print).

    write_reports(result, out, mask=True, max_cases_html=5000) -> [paths written]

report.html is self-contained: inline CSS, inline SVG charts drawn here, one small
inline script (the 问题明细 filter; without it the full list shows), and a
Content-Security-Policy that forbids any request (default-src 'none'; the script is
allowed by its hash only). Every template is rendered with autoescape on.

Townships: one checklist for every township that has cases or appears in the
monitoring figures (a township with nothing to fix gets a checklist saying so);
cases without a township go to 未知乡镇. File names come from
`reports.privacy.checklist_names` and are checked to stay inside out/checklists/.
Each file is written through `vocab.files.atomic_path` (temporary name, rename).
Checklists of earlier runs for townships absent from this run are left as they are.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import ExitStack, nullcontext
from multiprocessing import get_context
from pathlib import Path

import polars as pl
from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup

from loan_audit.pipeline.rulesdoc import PERIOD_HEADERS, period_rows
from loan_audit.pipeline.vocab.divisions import county_full_label, county_labels, county_name
from loan_audit.pipeline.vocab.files import atomic_path
from loan_audit.pipeline.vocab.labels import STATUS_LABELS, STATUSES
from loan_audit.reports import charts
from loan_audit.reports.checklist import CHECKLIST_COLUMNS, NOTE, PAPER_COLUMNS, headers, write_checklist_xlsx
from loan_audit.reports.model import (
    SEVERITIES,
    SEVERITY_LABELS,
    UNKNOWN_TOWNSHIP,
    VERIFY_RULES,
    Township,
    case_rows,
    due_by_month,
    inputs_view,
    kind_of,
    matrix,
    monitoring_view,
    quarantine_rows,
    rule_docs,
    rules_by_id,
    severity_by_township,
    township_order,
    verify_groups,
)
from loan_audit.reports.monthly import monthly_view, status_label, subsidy_view
from loan_audit.reports.privacy import checklist_names, inside

TEMPLATES = Path(__file__).resolve().parent / "templates"


# --- Jinja -----------------------------------------------------------------------------
def _yuan(value) -> str:
    if value is None or value == "":
        return "—"
    return f"{float(value):,.2f}"


def _yuans(values) -> str:
    return "、".join(_yuan(v) for v in values or [])


def _pct(value) -> str:
    return "—" if value is None else f"{float(value) * 100:.2f}%"


def _num(value) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.2f}"
    return f"{int(value):,}"


def _fig(value, key: str) -> str:
    """A monitoring figure, formatted by its kind (rate, money, count)."""
    if isinstance(value, bool):
        return "是" if value else "否"
    if not isinstance(value, (int, float)):
        return "—" if value is None else str(value)
    return {"rate": _pct, "money": _yuan}.get(kind_of(key), _num)(value)


def _param(value) -> str:
    if isinstance(value, dict):  # a period key: {period start: value}
        return "；".join(f"{start}起 {_param(v)}" for start, v in value.items())
    if isinstance(value, list):
        if value and isinstance(value[0], dict):
            return "；".join("，".join(f"{k} {v}" for k, v in item.items()) for item in value)
        return "、".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def environment() -> Environment:
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=True,  # every template, whatever its name
        undefined=StrictUndefined,
        trim_blocks=False,
        lstrip_blocks=False,
    )
    env.filters.update(yuan=_yuan, yuans=_yuans, pct=_pct, num=_num, fig=_fig, param=_param)
    return env


def _script() -> tuple[Markup, str]:
    """The filter script (our own file, trusted) and its CSP hash."""
    js = (TEMPLATES / "filter.js").read_text(encoding="utf-8")
    if "</" in js:
        raise ValueError("filter.js must not contain '</'")
    digest = base64.b64encode(hashlib.sha256(js.encode("utf-8")).digest()).decode()
    return Markup(js), f"sha256-{digest}"


def _generated(summary: dict) -> str:
    stamp = (summary.get("run") or {}).get("generated_at")
    try:
        when = dt.datetime.fromisoformat(stamp) if stamp else dt.datetime.now(dt.timezone.utc)
    except ValueError:
        when = dt.datetime.now(dt.timezone.utc)
    return when.astimezone().strftime("%Y-%m-%d %H:%M")


# --- report.html -------------------------------------------------------------------------
def report_context(result, cases: pl.DataFrame, mask: bool, max_cases_html: int, generated: str) -> dict:
    summary = result.summary
    known = rules_by_id()
    by_sev = {s: cases.filter(pl.col("severity") == s).height for s in SEVERITIES}
    verify_all = cases.filter(pl.col("rule").is_in(VERIFY_RULES))
    detail_all = cases.filter(~pl.col("rule").is_in(VERIFY_RULES))
    details = detail_all.head(max_cases_html)
    has_status = "status" in details.columns  # the run was recorded in the monthly store
    if has_status:
        details = details.with_columns(status_label())
    verify = verify_all.head(max_cases_html)
    towns = severity_by_township(cases)
    parts = [(s, SEVERITY_LABELS[s], f"fill-{s}") for s in SEVERITIES]
    mon = monitoring_view(summary)
    county = next((r for r in mon["rows"] if r["county"]), None)
    bucket_items = []
    if county:
        for label, cell in zip(mon["buckets"], county["buckets"], strict=True):
            bucket_items.append({"label": label, "balance": cell.get("balance") or 0,
                                 "text": _yuan(cell.get("balance")), "sub": f"{_num(cell.get('loans'))} 笔",
                                 "css": "bar-alert"})
    due = due_by_month(result)
    due_items = [
        {"label": m["label"].split("（")[0].replace("年", "-").replace("月", ""), "balance": c["balance"],
         "text": _yuan(c["balance"]), "sub": f"{_num(c['loans'])} 笔"}
        for m, c in zip(due["months"], due["county"]["cells"], strict=True)
    ]
    quarantine, quarantine_total = quarantine_rows(result, mask, max_cases_html)
    present_rules = set(detail_all.get_column("rule").unique().to_list())
    order = list(known)
    script, script_hash = _script()
    return {
        "as_of": result.as_of.isoformat(),
        "generated": generated,
        "masked": mask,
        "totals": {"total": cases.height, **by_sev},
        "inputs": inputs_view(summary),
        "quarantine_reasons": [
            {**q, "table_label": next((t["label"] for t in inputs_view(summary) if t["table"] == q.get("table")), q.get("table"))}
            for q in summary.get("quarantine_reasons") or []
        ],
        "skipped": [
            {"id": rid, "title": known[rid].title if rid in known else rid, "reason": reason}
            for rid, reason in (summary.get("rules_skipped") or {}).items()
        ],
        "matrices": {} if result.context.multi_county else matrix(cases, "township_label", known),
        **county_views(result, cases, known),
        "severities": [(s, SEVERITY_LABELS[s]) for s in SEVERITIES],
        "town_chart": charts.stacked_rows(towns, "township", parts),
        "monitoring": mon,
        "bucket_chart": charts.columns(bucket_items, value_key="balance"),
        "due": due,
        "due_chart": charts.columns(due_items, value_key="balance"),
        "details": details.to_dicts(),
        "details_total": detail_all.height,
        "details_more": detail_all.height - details.height,
        "filter_townships": [UNKNOWN_TOWNSHIP if t is None else t
                             for t in township_order(detail_all.get_column("township").unique().to_list())],
        "filter_rules": [(rid, known[rid].title) for rid in order if rid in present_rules]
        + sorted((rid, rid) for rid in present_rules if rid not in known),
        "filter_severities": [(s, SEVERITY_LABELS[s]) for s in SEVERITIES if by_sev[s]],
        "has_status": has_status,
        "filter_statuses": [(s, STATUS_LABELS[s]) for s in STATUSES[:3]
                            if has_status and details.get_column("status").eq(s).any()],
        "monthly": monthly_view(result, mask, max_cases_html),
        "subsidy": subsidy_view(result),
        "verify": verify_groups(verify, mask),
        "verify_total": verify_all.height,
        "verify_more": verify_all.height - verify.height,
        "quarantine": quarantine,
        "quarantine_total": quarantine_total,
        "quarantine_more": quarantine_total - len(quarantine),
        "rules": rule_docs(result),
        "periods": period_rows(result.policy),
        "period_headers": PERIOD_HEADERS,
        "script": script,
        "script_hash": script_hash,
    }


def county_views(result, cases: pl.DataFrame, known: dict) -> dict:
    """Several counties: the county table (cases by severity, 发放率, balance, 逾期率 and its
    alert, one row a county) and one section per county with its rule × township tables,
    so that no table is wider than a county's townships."""
    ctx = result.context
    if not ctx.multi_county:
        return {"county_table": [], "county_sections": []}
    labels = county_labels(ctx.counties)
    found = result.summary["cases"].get("by_county") or {}
    figures = (result.summary.get("monitoring") or {}).get("counties") or {}
    table, sections = [], []
    for code in _with_unknown(ctx.counties, cases.get_column("county")):
        name = county_name(code, labels)
        counts = found.get(name) or {}
        fig = figures.get(name) or {}
        table.append({"name": name, "counts": [counts.get(s, 0) for s in SEVERITIES], "total": counts.get("total", 0),
                      "issuance_rate": fig.get("issuance_rate"), "balance": fig.get("balance"),
                      "overdue_rate": fig.get("overdue_rate"), "alert": fig.get("alert", False)})
        own = cases.filter(pl.col("county").eq_missing(code)).with_columns(
            pl.col("township").fill_null(UNKNOWN_TOWNSHIP).alias("township_label"))
        sections.append({"name": name, "full_name": county_full_label(code) if code else name,
                         "matrices": matrix(own, "township_label", known)})
    return {"county_table": table, "county_sections": sections}


# --- checklists ---------------------------------------------------------------------------
def townships(result, cases: pl.DataFrame) -> list[Township]:
    """Every township with cases or monitoring figures; unknown (None) only with cases.
    Several counties: every (county, township) of the cases and the roster, in a folder
    per county."""
    if result.context.multi_county:
        return _county_townships(result.context, cases)
    with_cases = cases.get_column("township").unique().to_list()
    monitored = [t for t in ((result.summary.get("monitoring") or {}).get("townships") or {}) if t != UNKNOWN_TOWNSHIP]
    names = township_order(set(with_cases) | set(monitored))
    stems = checklist_names(names)
    parts = {
        key[0]: frame
        for key, frame in cases.partition_by("township", as_dict=True, maintain_order=True).items()
    } if cases.height else {}
    return [Township(t, stems[t], parts.get(t, cases.clear())) for t in names]


def _county_townships(ctx, cases: pl.DataFrame) -> list[Township]:
    labels = county_labels(ctx.counties)
    places = pl.concat([
        cases.select("county", "township"),
        ctx.roster.select("county", "township").filter(pl.col("township").is_not_null()),
    ]).unique()
    parts = cases.partition_by("county", "township", as_dict=True) if cases.height else {}
    counties = _with_unknown(ctx.counties, places.get_column("county"))
    folders = checklist_names([county_name(c, labels) for c in counties])
    out = []
    for county in counties:
        name = county_name(county, labels)
        towns = township_order(places.filter(pl.col("county").eq_missing(county)).get_column("township").to_list())
        stems = checklist_names(towns)
        for town in towns:
            place = f"{name}/{town if town is not None else UNKNOWN_TOWNSHIP}"
            out.append(Township(town, stems[town], parts.get((county, town), cases.clear()), folders[name], place))
    return out


def _with_unknown(counties: tuple[str, ...], column: pl.Series) -> list[str | None]:
    """The input's counties, and None (no county known) where the column has rows without one."""
    return [*counties, *([None] if column.has_nulls() else [])]


# The HTML checklist on paper (A4 landscape, 277 mm between the margins, 8 pt text): each
# printed column's width in mm. The short columns get what their content needs on one or
# two lines (a loan number, at 7 pt, on one), the two long texts the rest, so that a case
# takes about five lines and a page holds about nine (the xlsx's widths, tuned for 10 pt,
# would give the long texts less).
PAPER_MM = {"seq": 6, "title": 14, "village": 12, "name": 10, "id_number": 20, "loans_text": 26, "amounts": 14,
            "message": 66, "fix": 55, "fix_measure": 18, "fix_owner": 9, "fix_deadline": 12, "fix_status": 15}
assert list(PAPER_MM) == [field for _, field, _, _ in CHECKLIST_COLUMNS[:PAPER_COLUMNS]]


def checklist_context(town: Township, result, mask: bool, generated: str) -> dict:
    known = rules_by_id()
    tables = matrix(town.cases, "village_label", known)
    villages = sorted({c for t in tables.values() for c in t["columns"]}, key=lambda v: (v.startswith("（"), v))
    rows = []
    for table in tables.values():
        for r in table["rows"]:
            cells = dict(zip(table["columns"], r["cells"], strict=True))
            rows.append({"title": r["title"], "label": table["label"], "cells": [cells.get(v, 0) for v in villages],
                         "total": r["total"]})
    # the xlsx's columns: on screen all but the hidden case_id, at the xlsx's widths in
    # proportion; on paper the PAPER_COLUMNS the printed workbook has, at PAPER_MM
    shown = [{"header": h, "field": field, "kind": kind, "width": width, "paper": field in PAPER_MM}
             for h, (_, field, width, kind) in zip(headers(mask), CHECKLIST_COLUMNS, strict=True) if kind != "hidden"]
    total, paper = sum(c["width"] for c in shown), sum(PAPER_MM.values())
    visible = [{**c, "pct": round(100 * c["width"] / total, 2),
                "paper_pct": round(100 * PAPER_MM.get(c["field"], 0) / paper, 2)} for c in shown]
    return {
        "township": town.label,
        "as_of": result.as_of.isoformat(),
        "generated": generated,
        "cases": town.cases.to_dicts(),
        "severities": list(SEVERITY_LABELS.items()),
        "by_severity": {s: town.cases.filter(pl.col("severity") == s).height for s in SEVERITIES},
        "matrix_columns": villages,
        "matrix_rows": rows,
        "columns": visible,
        "note": NOTE,
    }


# --- the entry point -------------------------------------------------------------------------
def _write_text(path: Path, text: str) -> Path:
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")
    return path


def _done(fn, *args) -> Future:
    """`fn(*args)` run here and now, as a finished future (the in-process `submit`)."""
    future = Future()
    future.set_result(fn(*args))
    return future


# The workbooks are written by xlsxwriter, cell by cell in Python: a province's cases
# keep one process busy for long. From this many cases on they are written by worker
# processes, one township each (starting one costs about a second: not worth it for a
# county; bench/scale.py --reports measures both).
WORKBOOK_PROCESSES = 2
PROCESSES_FROM_CASES = 20_000


def write_reports(result, out: Path, mask: bool = True, max_cases_html: int = 5000,
                  processes_from: int = PROCESSES_FROM_CASES) -> list[Path]:
    """report.html and checklists/<township>.xlsx + .html into `out`; the paths written.
    `processes_from`: the number of cases from which worker processes write the workbooks."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    env = environment()
    generated = _generated(result.summary)
    cases = case_rows(result, mask)
    written = [
        _write_text(out / "report.html",
                    env.get_template("report.html").render(report_context(result, cases, mask, max_cases_html, generated)))
    ]
    folder = out / "checklists"
    folder.mkdir(parents=True, exist_ok=True)
    monitoring = (result.summary.get("monitoring") or {}).get("townships") or {}
    page = env.get_template("checklist.html")
    towns = townships(result, cases)
    places = {town.folder: inside(folder, town.folder) if town.folder else folder for town in towns}
    for place in places.values():
        place.mkdir(exist_ok=True)
    books = [inside(places[town.folder], f"{town.stem}.xlsx") for town in towns]
    workers = WORKBOOK_PROCESSES if cases.height >= processes_from else 0
    with ExitStack() as stack:  # the workbooks renamed into place when all are written, removed when one fails
        tmps = [stack.enter_context(atomic_path(book)) for book in books]
        # the pool is left (every worker done) before the temporary files are renamed or removed
        with ProcessPoolExecutor(workers, mp_context=get_context("spawn")) if workers else nullcontext() as pool:
            submit = pool.submit if pool else _done
            jobs = [submit(write_checklist_xlsx, tmp, town.label, town.cases, result.as_of, mask,
                           monitoring.get(town.label), generated) for tmp, town in zip(tmps, towns, strict=True)]
            # the HTML checklists here, while worker processes write the workbooks
            pages = [_write_text(inside(places[town.folder], f"{town.stem}.html"),
                                 page.render(checklist_context(town, result, mask, generated))) for town in towns]
            for job in jobs:
                job.result()
    for book, html in zip(books, pages, strict=True):
        written += [book, html]
    return written
