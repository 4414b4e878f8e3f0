"""report.html's month-to-month parts: 月度跟踪 (the monthly store) and 贴息测算.

    monthly_view(result, mask, limit) -> dict   # {"present": False} without a store
    subsidy_view(result) -> dict
    status_label() -> pl.Expr                    # 新增 / 未整改（N个月）/ 反弹（N个月）

月度跟踪 reads `result.history` (monthly.lifecycle.remember) and `monthly.lifecycle.trend`
over the last TREND_RUNS runs. The CLI renders the reports while the store's
transaction for this run is still open (`remembering`), and another connection only
sees committed runs: so the trend is the committed runs with this run's rows taken from
`result.history` itself (its cases, statuses and resolved cases), whether or not the
store already holds it. A run filled in before later ones shows the later runs as
committed (their statuses are recomputed when they are read again).

Problems to clear (清零) are error and warning cases, as `monthly.lifecycle.trend` counts
them: info cases (到期台账, …) are a ledger, not something a township clears.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import polars as pl

from loan_audit.pipeline.monthly.lifecycle import PLACE, trend
from loan_audit.pipeline.rulesdoc import subsidy_rate_text
from loan_audit.pipeline.subsidy import HEADERS as SUBSIDY_HEADERS
from loan_audit.pipeline.subsidy import MONEY, QUARTERS, subsidy
from loan_audit.pipeline.vocab.divisions import county_labels, place_label
from loan_audit.pipeline.vocab.errors import InputError
from loan_audit.pipeline.vocab.labels import STATUS_LABELS, UNKNOWN_TOWNSHIP
from loan_audit.reports import charts
from loan_audit.reports.privacy import masked_id

TREND_RUNS = 12
FLAG_LABELS = {"claimed_fixed_but_present": "虚假整改", "past_deadline": "逾期未整改"}
STATUS_CARDS = (("new", "新增"), ("open", "未整改"), ("reopened", "反弹"), ("resolved", "已销号"))


def status_label() -> pl.Expr:
    """新增, or 未整改 / 反弹 with the months since first seen (when at least one)."""
    label = pl.col("status").replace_strict(STATUS_LABELS, default=pl.col("status"), return_dtype=pl.Utf8)
    return (
        pl.when(pl.col("status").is_in(["open", "reopened"]) & (pl.col("months_open") > 0))
        .then(pl.format("{}（{}个月）", label, pl.col("months_open")))
        .otherwise(label)
        .fill_null("")
        .alias("status_label")
    )


# --- the trend: committed runs + this run ---------------------------------------------
BY_RULE = {"as_of": pl.Date, "rule": pl.Utf8, "title": pl.Utf8, "cases": pl.Int64}
BY_TOWNSHIP = {"as_of": pl.Date, "county": pl.Utf8, "township": pl.Utf8,
               **{c: pl.Int64 for c in ("cases", "new", "reopened", "resolved")}}


def _committed(db: Path | None) -> tuple[pl.DataFrame, pl.DataFrame]:
    """trend(db)'s by_rule and by_township; empty without a store or when it cannot be read now."""
    empty = pl.DataFrame(schema=BY_RULE), pl.DataFrame(schema=BY_TOWNSHIP)
    if db is None:
        return empty
    try:
        t = trend(db, last=TREND_RUNS + 1)
    except (InputError, sqlite3.Error):
        return empty
    return t.by_rule.select(BY_RULE.keys()).cast(BY_RULE), t.by_township.select(BY_TOWNSHIP.keys()).cast(BY_TOWNSHIP)


def _this_run(hist) -> tuple[pl.DataFrame, pl.DataFrame]:
    """This run's rows of by_rule and by_township, from the HistoryResult."""
    as_of = pl.lit(hist.as_of, dtype=pl.Date).alias("as_of")
    by_rule = hist.cases.group_by("rule").agg(pl.col("title").last(), pl.len().cast(pl.Int64).alias("cases")).select(
        as_of, "rule", "title", "cases")
    town = pl.col("township").fill_null(UNKNOWN_TOWNSHIP)
    problems = hist.cases.filter(pl.col("severity") != "info").with_columns(town)
    present = problems.group_by(PLACE).agg(
        pl.len().cast(pl.Int64).alias("cases"),
        *[(pl.col("status") == s).sum().cast(pl.Int64).alias(s) for s in ("new", "reopened")],
    )
    resolved = (hist.resolved.filter(pl.col("severity") != "info").with_columns(town)
                .group_by(PLACE).agg(pl.len().cast(pl.Int64).alias("resolved")))
    by_town = present.join(resolved, on=PLACE, how="full", coalesce=True, nulls_equal=True).select(
        as_of, *PLACE, *[pl.col(c).fill_null(0).cast(pl.Int64) for c in ("cases", "new", "reopened", "resolved")])
    return by_rule, by_town


def _merged(hist, db: Path | None) -> tuple[list[dt.date], pl.DataFrame, pl.DataFrame]:
    old_rule, old_town = _committed(db)
    new_rule, new_town = _this_run(hist)
    runs = sorted(set(old_rule.get_column("as_of").to_list()) | set(old_town.get_column("as_of").to_list())
                  | {hist.as_of})[-TREND_RUNS:]
    keep = pl.col("as_of").is_in(runs) & (pl.col("as_of") != hist.as_of)
    by_rule = pl.concat([old_rule.filter(keep), new_rule])
    by_town = pl.concat([old_town.filter(keep), new_town])
    return runs, by_rule, by_town


def _run_labels(runs: list[dt.date]) -> list[str]:
    months = [f"{d:%Y-%m}" for d in runs]
    return months if len(set(months)) == len(months) else [d.isoformat() for d in runs]


def _rule_chart(runs: list[dt.date], by_rule: pl.DataFrame) -> dict:
    wide = {}
    titles = {}
    for as_of, rule, title, n in by_rule.rows():
        wide[(rule, as_of)] = n
        titles[rule] = title or rule
    series = [
        {"label": titles[r], "values": [wide.get((r, d), 0) for d in runs]}
        for r in sorted(titles, key=lambda r: (titles[r], r))
        if any(wide.get((r, d), 0) for d in runs)
    ]
    return charts.lines(_run_labels(runs), series)


def _township_rows(runs: list[dt.date], by_town: pl.DataFrame) -> list[dict]:
    """One row per township; where the runs hold several counties, a township is named
    `县/乡镇` (城关镇 of two counties are two rows)."""
    counties = by_town.get_column("county").drop_nulls().unique().to_list()
    if len(counties) > 1:
        labels = county_labels(counties)
        by_town = by_town.with_columns(
            place_label(pl.col("county"), pl.col("township"), labels, UNKNOWN_TOWNSHIP).alias("township"))
    # one county (a store from before counties holds it blank): its rows add up by township
    by_town = by_town.group_by("as_of", "township").agg(pl.col("cases", "new", "reopened", "resolved").sum())
    cells = {(t, d): (c, new, back, gone) for d, t, c, new, back, gone in by_town.rows()}
    towns = sorted({t for t, _ in cells}, key=lambda t: (t.endswith(UNKNOWN_TOWNSHIP), t))
    last = runs[-1]
    rows = []
    for t in towns:
        counts = [cells.get((t, d), (0, 0, 0, 0))[0] for d in runs]
        _, new, reopened, resolved = cells.get((t, last), (0, 0, 0, 0))
        before = counts[-2] if len(counts) > 1 else None
        rows.append({"township": t, "counts": counts, "new": new, "reopened": reopened, "resolved": resolved,
                     "change": None if before is None else counts[-1] - before, "cleared": counts[-1] == 0})
    return rows


def _flagged(hist, mask: bool, limit: int) -> tuple[list[dict], int]:
    """Cases flagged 虚假整改 or 逾期未整改, with the township's reply, the first `limit`."""
    flagged = hist.cases.filter(pl.col("claimed_fixed_but_present") | pl.col("past_deadline"))
    shown = flagged.head(limit).with_columns(
        pl.col("township").fill_null(UNKNOWN_TOWNSHIP).alias("township_label"),
        status_label(),
        pl.concat_str(
            [pl.when(pl.col(c)).then(pl.lit(label)) for c, label in FLAG_LABELS.items()], separator="、",
            ignore_nulls=True).alias("flags"),
        pl.col("fix_deadline").dt.to_string("%Y-%m-%d").alias("fix_deadline"),
        *([masked_id(pl.col("id_number")).alias("id_number")] if mask else []),
    )
    return shown.to_dicts(), flagged.height


def monthly_view(result, mask: bool, limit: int) -> dict:
    """The 月度跟踪 part of report.html ({"present": False} when the run was not recorded)."""
    hist = getattr(result, "history", None)
    if hist is None:
        return {"present": False}
    db = (result.summary.get("history") or {}).get("db")
    runs, by_rule, by_town = _merged(hist, Path(db) if db else None)
    counts = hist.status_counts
    flagged, flagged_total = _flagged(hist, mask, limit)
    return {
        "present": True,
        "as_of": hist.as_of.isoformat(),
        "previous_as_of": hist.previous_as_of.isoformat() if hist.previous_as_of else None,
        "cards": [(label, counts.get(key, 0)) for key, label in STATUS_CARDS],
        "claimed": hist.claimed_fixed_but_present.height,
        "past_deadline": hist.past_deadline.height,
        "later_runs": [d.isoformat() for d in hist.later_runs],
        "runs": _run_labels(runs),
        "run_dates": [d.isoformat() for d in runs],
        "rule_chart": _rule_chart(runs, by_rule),
        "townships": _township_rows(runs, by_town),
        "flagged": flagged,
        "flagged_total": flagged_total,
        "flagged_more": flagged_total - len(flagged),
    }


# --- 贴息测算 -------------------------------------------------------------------------
def subsidy_view(result) -> dict:
    """The as_of year's subsidy per disbursement-year cohort and quarter, with a 合计 row."""
    year = result.as_of.year
    frame = subsidy(result.context.loans, year=year, policy=result.policy)
    rows = [{"cohort": f"{r['cohort']}年", **{k: r[k] for k in ("loans", *MONEY)}} for r in frame.to_dicts()]
    total = frame.select(pl.col("loans").sum(), *[pl.col(c).sum().round(2) for c in MONEY]).row(0, named=True) \
        if frame.height else None
    return {
        "year": year,
        "headers": [SUBSIDY_HEADERS[k] for k in ("cohort", "loans", *MONEY)],
        "quarters": QUARTERS,
        "rows": rows,
        "total": {"cohort": "合计", **total} if total else None,
        "estimated": int(frame.get_column("rate_estimated").sum()) if frame.height else 0,
        "rates": "；".join(f"{p.label}放款的{subsidy_rate_text(p)}" for p in result.policy.periods),
    }
