"""The reports' data: the audit result shaped for the templates, masked where asked.

Everything data-sized is done here in polars; the templates and the xlsx writer only
walk the finished rows. Money is Float64 yuan as the context has it, formatted at the
edge (the `yuan` filter, the xlsx number format).
"""

from __future__ import annotations

import calendar
import datetime as dt
import json
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from loan_audit.pipeline.vocab.columns import TABLE_LABELS
from loan_audit.pipeline.vocab.divisions import county_labels, place_label
from loan_audit.pipeline.vocab.labels import MONITORING_LABELS, SEVERITIES, SEVERITY_LABELS, UNKNOWN_TOWNSHIP
from loan_audit.reports.privacy import mask_id, masked_id, masked_text
from loan_audit.rules import DOC_SECTIONS, REGISTRY, Rule
from loan_audit.rules._identity.names import place_key

NO_VILLAGE = "（未填村）"
VERIFY_RULES = ("duplicate_name",)  # shown apart as 待核实: verification, not accusation

# Monitoring figures in the order the report shows them; any other key the
# monitoring dict carries is shown after these, under its own name.
MONITORING_ORDER = (
    "registered_households",
    "borrowed_households",
    "issuance_rate",
    "outstanding_households",
    "outstanding_loans",
    "balance",
    "overdue_loans",
    "overdue_balance",
    "overdue_rate",
)


def rules_by_id() -> dict[str, Rule]:
    return {r.id: r for r in REGISTRY}


# --- cases -------------------------------------------------------------------------
def township_label(ctx) -> pl.Expr:
    """A case's township as reports name it: its name, `县/乡镇` when there are several counties."""
    if ctx.multi_county:
        return place_label(pl.col("county"), pl.col("township"), county_labels(ctx.counties), UNKNOWN_TOWNSHIP)
    return pl.col("township").fill_null(UNKNOWN_TOWNSHIP)


def case_rows(result, mask: bool) -> pl.DataFrame:
    """One row per case, display-ready, errors first (then the detect stage's order).

    Columns: case_id, rule, severity, severity_label, title, township (null: unknown),
    township_label, village, village_label, household_id, id_number (masked when asked), name,
    loan_ids, loans_text, amounts (list of the loans' amounts), message (IDs in it
    masked when asked), fix (整改要求), evidence (the rule's JSON as it is: never shown
    whole; `verify_groups` masks what it takes from it).
    """
    cases = result.cases
    loans = result.context.loans.select("loan_id", pl.col("amount").cast(pl.Float64))
    amounts = (  # each case's loan amounts, in the order of its loan_ids
        cases.select("case_id", "loan_ids")
        .explode("loan_ids")
        .with_row_index("_at")
        .join(loans, left_on="loan_ids", right_on="loan_id", how="left")
        .sort("_at")
        .group_by("case_id", maintain_order=True)
        .agg(pl.col("amount").drop_nulls().alias("amounts"))
    )
    known = rules_by_id()
    fixes = pl.DataFrame(
        {"rule": list(known), "fix": [fix_short(r) for r in known.values()]}, schema={"rule": pl.Utf8, "fix": pl.Utf8}
    )
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    private = [
        masked_id(pl.col("id_number")).alias("id_number"),
        masked_text(pl.col("message")).alias("message"),
    ]
    out = (
        _roster_spelling(cases, result.context)
        .with_row_index("_order")
        .join(amounts, on="case_id", how="left")
        .join(fixes, on="rule", how="left")
        .with_columns(
            pl.col("severity").replace_strict(SEVERITY_LABELS, default=pl.col("severity")).alias("severity_label"),
            pl.col("severity").replace_strict(rank, default=len(rank), return_dtype=pl.Int32).alias("_rank"),
            township_label(result.context).alias("township_label"),
            pl.col("loan_ids").list.join("、").alias("loans_text"),
            pl.col("amounts").fill_null(pl.lit([], dtype=pl.List(pl.Float64))),
            pl.col("fix").fill_null(""),
            pl.coalesce("_roster_village", "village", pl.lit(NO_VILLAGE)).alias("village_label"),
            *(private if mask else []),
        )
        .sort("_rank", "_order")
        .drop("_rank", "_order", "_roster_village")
    )
    return out


def _roster_spelling(cases: pl.DataFrame, ctx) -> pl.DataFrame:
    """The cases with `_roster_village`: the roster's spelling of each case's village (the
    bank's 迭撒村 is the roster's 迭撒村委会, village_key), so that a township's summary
    shows one village once; null where the roster has no such village."""
    keys = [place_key(pl.col("township"), pl.col("village"), pl.col("county")).alias("_place")]
    spellings = (
        ctx.roster.select("county", "township", "village")
        .drop_nulls(["township", "village"])
        .unique()
        .sort("village")
        .select(*keys, pl.col("village").alias("_roster_village"))
        .unique("_place", keep="first", maintain_order=True)
    )
    return (
        cases.with_columns(*keys)
        .join(spellings, on="_place", how="left", maintain_order="left")
        .drop("_place")
    )


def township_order(names) -> list[str | None]:
    """Townships by name, the unknown one (None) last."""
    present = {n for n in names}
    return sorted(n for n in present if n is not None) + ([None] if None in present else [])


# --- 问题汇总: cases by rule × township, one table per severity ---------------------
def matrix(cases: pl.DataFrame, across: str, known: dict[str, Rule]) -> dict[str, dict]:
    """severity → {"columns": [...], "rows": [{"rule", "title", "cells", "total"}], "totals"}.

    `across`: the column spread over the table's columns (township_label, village_label).
    Only severities with cases; rules in registry order.
    """
    order = {rid: i for i, rid in enumerate(known)}
    counts = cases.group_by("severity", "rule", "title", across).len()
    out = {}
    for severity in SEVERITIES:
        part = counts.filter(pl.col("severity") == severity)
        if part.height == 0:
            continue
        columns = sorted(part.get_column(across).unique().to_list(), key=_place_key)
        cells: dict[tuple[str, str], int] = {}
        titles: dict[str, str] = {}
        for _, rule, title, col, n in part.rows():
            cells[(rule, col)] = n
            titles[rule] = title
        rows = [
            {
                "rule": rule,
                "title": titles[rule],
                "cells": [cells.get((rule, c), 0) for c in columns],
                "total": sum(cells.get((rule, c), 0) for c in columns),
            }
            for rule in sorted(titles, key=lambda r: order.get(r, len(order)))
        ]
        totals = [sum(r["cells"][i] for r in rows) for i in range(len(columns))]
        out[severity] = {"label": SEVERITY_LABELS.get(severity, severity), "columns": columns, "rows": rows,
                         "totals": totals, "total": sum(totals)}
    return out


def _place_key(name: str) -> tuple[int, str]:
    return (1 if name in (UNKNOWN_TOWNSHIP, NO_VILLAGE) else 0, name)


def severity_by_township(cases: pl.DataFrame) -> list[dict]:
    """Per township: counts per severity and total, biggest first (the chart)."""
    wide = {}
    for town, severity, n in cases.group_by("township_label", "severity").len().rows():
        entry = wide.setdefault(town, {"township": town, **{s: 0 for s in SEVERITIES}, "total": 0})
        entry[severity] = entry.get(severity, 0) + n
        entry["total"] += n
    return sorted(wide.values(), key=lambda e: (-e["total"], _place_key(e["township"])))


# --- 监测指标 ------------------------------------------------------------------------
def monitoring_view(summary: dict) -> dict:
    """The monitoring part of summary.json as table rows, whatever keys it carries."""
    mon = summary.get("monitoring") or {}
    county = mon.get("county") or {}
    towns = mon.get("townships") or {}
    scopes = [("全县合计", county, True)] if county else []
    scopes = [(name, towns[name], False) for name in sorted(towns, key=_place_key)] + scopes
    keys = [k for k in MONITORING_ORDER if any(k in s for _, s, _ in scopes)]
    keys += sorted({k for _, s, _ in scopes for k, v in s.items()
                    if k not in keys and k not in ("overdue_buckets", "alert") and not isinstance(v, (dict, list))})
    buckets = []
    for _, scope, _ in scopes:
        for label in (scope.get("overdue_buckets") or {}):
            if label not in buckets:
                buckets.append(label)
    rows = []
    for name, scope, is_county in scopes:
        rows.append(
            {
                "name": name,
                "county": is_county,
                "alert": bool(scope.get("alert")),
                "values": [(k, scope.get(k)) for k in keys],
                "buckets": [(scope.get("overdue_buckets") or {}).get(b) or {} for b in buckets],
            }
        )
    return {
        "columns": [(k, MONITORING_LABELS.get(k, k)) for k in keys],
        "rows": rows,
        "buckets": buckets,
        "alert_line": mon.get("overdue_rate_alert"),
        "alerts": [(r["name"], dict(r["values"]).get("overdue_rate")) for r in rows if r["alert"]],
        "present": bool(scopes),
    }


def kind_of(key: str) -> str:
    """How a monitoring figure is formatted: rate, money or count."""
    if key.endswith("rate"):
        return "rate"
    if "balance" in key or "amount" in key:
        return "money"
    return "count"


# --- 到期台账: loans falling due per month ---------------------------------------------
def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def due_months(as_of: dt.date, months: int) -> list[dict]:
    """The rest of as_of's month (from as_of), then `months` calendar months."""
    out = []
    y, m = as_of.year, as_of.month
    for k in range(months + 1):
        start = as_of if k == 0 else dt.date(y, m, 1)
        label = f"{y}年{m}月"
        if k == 0 and as_of.day > 1:
            label += f"（{as_of.day}日起）"
        out.append({"key": f"{y:04d}-{m:02d}", "label": label, "start": start, "end": _month_end(y, m)})
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def due_by_month(result) -> dict:
    """Outstanding loans by the month their effective maturity falls in, per township."""
    as_of = result.as_of
    months = due_months(as_of, result.policy.due_soon_months)
    last = months[-1]["end"]
    loans = result.context.loans.filter(
        (pl.col("balance") > 0) & (pl.col("effective_maturity") >= as_of) & (pl.col("effective_maturity") <= last)
    ).select(
        pl.col("borrower_township").fill_null(UNKNOWN_TOWNSHIP).alias("township"),
        pl.col("effective_maturity").dt.strftime("%Y-%m").alias("month"),
        pl.col("balance").cast(pl.Float64),
    )
    grouped = loans.group_by("township", "month").agg(pl.len().alias("loans"), pl.col("balance").sum())
    cells = {(t, mo): (n, b) for t, mo, n, b in grouped.rows()}
    towns = sorted({t for t, _ in cells}, key=_place_key)
    keys = [mo["key"] for mo in months]

    def row(name: str, pick) -> dict:
        values = [pick(k) for k in keys]
        return {"name": name, "cells": values,
                "total": {"loans": sum(v["loans"] for v in values), "balance": sum(v["balance"] for v in values)}}

    def at(t, k):
        n, b = cells.get((t, k), (0, 0.0))
        return {"loans": n, "balance": b}

    rows = [row(t, lambda k, t=t: at(t, k)) for t in towns]
    county = row("全县合计", lambda k: {"loans": sum(at(t, k)["loans"] for t in towns),
                                      "balance": sum(at(t, k)["balance"] for t in towns)})
    return {"months": months, "rows": rows, "county": county, "window": result.policy.due_soon_months}


# --- 数据概况 and 数据质量 -----------------------------------------------------------
def inputs_view(summary: dict) -> list[dict]:
    out = []
    for table, info in (summary.get("inputs") or {}).items():
        path = info.get("file")
        out.append(
            {
                "table": table,
                "label": TABLE_LABELS.get(table, table),
                "file": Path(path).name if path else "",
                "encoding": info.get("encoding") or "",
                "rows_read": info.get("rows_read"),
                "rows_checked": info.get("rows_checked"),
                "rows_quarantined": info.get("rows_quarantined"),
                "factors": info.get("factors") or {},
            }
        )
    return out


def quarantine_rows(result, mask: bool, limit: int) -> tuple[list[dict], int]:
    """Quarantined rows (table label, row, reasons, raw JSON), the first `limit`, and how many."""
    q = result.validated.quarantine
    shown = q.head(limit).with_columns(
        pl.col("reasons").list.join("；").alias("reasons"),
        (masked_text(pl.col("raw")) if mask else pl.col("raw")).alias("raw"),
        pl.col("table").replace_strict(TABLE_LABELS, default=pl.col("table")).alias("table_label"),
    )
    return shown.to_dicts(), q.height


def verify_groups(cases: pl.DataFrame, mask: bool) -> list[dict]:
    """duplicate_name cases with their borrowers (ID, household, loans: from the
    evidence, IDs masked when asked) for the 待核实 list."""
    out = []
    for row in cases.to_dicts():
        try:
            ev = json.loads(row["evidence"] or "{}")
        except json.JSONDecodeError:
            ev = {}
        borrowers = [b for b in ev.get("borrowers") or [] if isinstance(b, dict)] if isinstance(ev, dict) else []
        row["borrowers"] = [
            {
                "id_number": mask_id(b.get("id_number")) if mask else b.get("id_number"),
                "household_id": b.get("household_id"),
                "loan_ids": [str(x) for x in b.get("loan_ids") or []],
            }
            for b in borrowers
        ]
        out.append(row)
    return out


def _wide(ch: str) -> bool:
    return unicodedata.east_asian_width(ch) in ("W", "F")


def join_lines(lines: list[str]) -> str:
    """A docstring's wrapped lines as one line: no space where Chinese meets Chinese."""
    out = ""
    for line in lines:
        if out and not (_wide(out[-1]) or _wide(line[0])):
            out += " "
        out += line
    return out


def paragraphs(text: str) -> list[dict]:
    """A docstring section as paragraphs and lists, its hard line breaks undone.

    Each item: {"text": str} for a paragraph, {"items": [str]} for a `- ` list.
    A line break inside Chinese text joins without a space.
    """
    out: list[dict] = []
    for block in re.split(r"\n\s*\n", text.strip()):
        lines = [line.strip() for line in block.splitlines() if line.strip()]
        if lines and lines[0].startswith("- "):
            items: list[list[str]] = []
            for line in lines:
                if line.startswith("- "):
                    items.append([line[2:]])
                elif items:
                    items[-1].append(line)
            out.append({"items": [join_lines(i) for i in items]})
        elif lines:
            out.append({"text": join_lines(lines)})
    return out


def fix_short(rule: Rule) -> str:
    """整改要求: the first paragraph of the rule's `## How to fix`, on one line."""
    first = paragraphs(rule.section(DOC_SECTIONS[2]))[:1]
    if not first:
        return ""
    return first[0].get("text") or "；".join(first[0]["items"])


def rule_docs(result) -> list[dict]:
    """规则说明: every rule of the registry with the parameters in force for this run."""
    policy = result.policy.as_dict()
    by_rule = (result.summary.get("cases") or {}).get("by_rule") or {}
    skipped = result.summary.get("rules_skipped") or {}
    return [
        {
            "id": r.id,
            "title": r.title,
            "severity": r.severity,
            "severity_label": SEVERITY_LABELS.get(r.severity, r.severity),
            "summary": r.summary,
            "what": paragraphs(r.section(DOC_SECTIONS[0])),
            "why": paragraphs(r.section(DOC_SECTIONS[1])),
            "fix": paragraphs(r.section(DOC_SECTIONS[2]))[1:],  # after fix_short
            "fix_short": fix_short(r),
            "params": {p: policy.get(p) for p in r.params},
            "columns": {t: list(c) for t, c in r.columns.items()},
            "skipped": skipped.get(r.id),
            "cases": (by_rule.get(r.id) or {}).get("total", 0),
        }
        for r in REGISTRY
    ]


@dataclass
class Township:
    """One township's checklist: its name (None: unknown), file stem and cases."""

    name: str | None
    stem: str
    cases: pl.DataFrame
    folder: str = ""  # several counties: the county's folder inside checklists/
    place: str | None = None  # several counties: 县/乡镇, as the summary's figures name it

    @property
    def label(self) -> str:
        if self.place is not None:
            return self.place
        return self.name if self.name is not None else UNKNOWN_TOWNSHIP
