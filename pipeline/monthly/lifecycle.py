"""A case's life across the monthly runs, read off the store: its status against the
previous run by `as_of` (新增 / 未整改 / 反弹 / 已销号), first_seen and months_open, the
township's reply and the 虚假整改 / 逾期未整改 flags; the history and trend views; and
`remembering`, which records an audit and gives its cases their lifecycle.

Nothing about a lifecycle is stored: it is computed from the runs in `as_of` order
whenever it is read (see `store` for what is kept and why).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from loan_audit.pipeline.monthly.store import (
    CASE_COLUMNS,
    REPLY_COLUMNS,
    _case_rows,
    _read,
    _replies,
    _run_cases,
    _runs,
    _write_run,
    connect,
    transaction,
)
from loan_audit.pipeline.stages.run import AuditResult
from loan_audit.pipeline.vocab.dates import whole_months_between
from loan_audit.pipeline.vocab.errors import InputError
from loan_audit.pipeline.vocab.labels import STATUSES, UNKNOWN_TOWNSHIP


@dataclass
class HistoryResult:
    """One run seen against the runs before it (by as_of)."""

    as_of: dt.date
    previous_as_of: dt.date | None
    cases: pl.DataFrame  # the run's cases + status, first_seen, months_open, fix_*, flags
    resolved: pl.DataFrame  # the previous run's cases gone from this one (status resolved)
    status_counts: dict[str, int]  # new, open, reopened, resolved
    replaced: bool = False  # this as_of had been recorded before and was replaced
    later_runs: tuple[dt.date, ...] = ()  # runs with a later as_of (this one was filled in)

    @property
    def claimed_fixed_but_present(self) -> pl.DataFrame:
        """虚假整改: reported 已整改, still in the data."""
        return self.cases.filter(pl.col("claimed_fixed_but_present"))

    @property
    def past_deadline(self) -> pl.DataFrame:
        """Still in the data after the promised 完成时限."""
        return self.cases.filter(pl.col("past_deadline"))


@contextmanager
def recording(db: Path, result):
    """Record one audit in a transaction held open while the caller publishes its
    outputs: it commits when the block ends normally and rolls back if it raises, so
    a run whose outputs were never written leaves the store as it was."""
    as_of = result.as_of.isoformat()
    rows = _case_rows(result.cases, as_of)
    with closing(connect(db)) as conn:
        with transaction(conn):
            replaced = _write_run(conn, as_of, result.summary, rows)
            yield _history_result(conn, result.as_of, replaced)


def record_run(db: Path, result) -> HistoryResult:
    """Store one audit (a stages.run.AuditResult) and see it against the earlier runs."""
    with recording(db, result) as hist:
        return hist


def _members(conn: sqlite3.Connection, runs: pl.DataFrame) -> pl.DataFrame:
    """(run, case) pairs with the lifecycle columns: status, first_seen, gone_next."""
    members = _read(
        conn,
        "SELECT as_of, case_id, rule, title, severity, county, township FROM run_cases",
        (),
        {"as_of": pl.Utf8, "case_id": pl.Utf8, "rule": pl.Utf8, "title": pl.Utf8,
                "severity": pl.Utf8, "county": pl.Utf8, "township": pl.Utf8},
    ).with_columns(pl.col("as_of").str.to_date())
    last = runs.height - 1
    return (
        members.join(runs.select("as_of", "k"), on="as_of")
        .sort("case_id", "k")
        .with_columns(
            prev_k=pl.col("k").shift(1).over("case_id"),
            next_k=pl.col("k").shift(-1).over("case_id"),
            first_seen=pl.col("as_of").min().over("case_id"),
        )
        .with_columns(
            status=pl.when(pl.col("prev_k").is_null())
            .then(pl.lit("new"))
            .when(pl.col("prev_k") == pl.col("k") - 1)
            .then(pl.lit("open"))
            .otherwise(pl.lit("reopened")),
            # gone from the next run (which exists): resolved there
            gone_next=(pl.col("k") < last) & (pl.col("next_k").is_null() | (pl.col("next_k") != pl.col("k") + 1)),
        )
        .drop("prev_k", "next_k")
    )


def _flags(present: pl.Expr) -> list[pl.Expr]:
    """虚假整改 and 逾期未整改 for rows joined with their reply, at the row's as_of."""
    return [
        (present & (pl.col("fix_status") == "已整改") & (pl.col("basis_as_of") < pl.col("as_of")))
        .fill_null(False)
        .alias("claimed_fixed_but_present"),
        (present & (pl.col("fix_deadline") < pl.col("as_of"))).fill_null(False).alias("past_deadline"),
    ]


def _history_result(conn: sqlite3.Connection, as_of: dt.date, replaced: bool = False) -> HistoryResult:
    runs = _runs(conn)
    k = runs.filter(pl.col("as_of") == as_of).get_column("k")
    if k.is_empty():
        raise InputError(f"数据库中没有数据日期 {as_of} 的运行 no run with this as_of")
    k = k.item()
    previous = runs.filter(pl.col("k") == k - 1).get_column("as_of")
    previous = previous.item() if previous.len() else None
    members = _members(conn, runs)
    life = members.select("case_id", "k", "status", "first_seen", "gone_next")
    replies = _replies(conn)

    def shaped(frame: pl.DataFrame, present: bool) -> pl.DataFrame:
        return (
            frame.with_columns(pl.lit(as_of).alias("as_of"))
            .join(replies, on="case_id", how="left")
            .with_columns(
                whole_months_between(pl.col("first_seen"), pl.col("as_of")).cast(pl.Int32).alias("months_open"),
                *_flags(pl.lit(present)),
            )
            .select(*CASE_COLUMNS, "status", "first_seen", "months_open", *REPLY_COLUMNS,
                    "claimed_fixed_but_present", "past_deadline")
        )

    cases = shaped(
        _run_cases(conn, as_of).join(life.filter(pl.col("k") == k).drop("k", "gone_next"), on="case_id", how="left"),
        present=True,
    )
    if previous is None:
        resolved = cases.clear()
    else:
        gone = life.filter((pl.col("k") == k - 1) & pl.col("gone_next")).select("case_id", "first_seen")
        resolved = shaped(
            _run_cases(conn, previous).join(gone, on="case_id").with_columns(pl.lit("resolved").alias("status")),
            present=False,
        )
    counts = {s: int((cases.get_column("status") == s).sum()) for s in STATUSES[:3]}
    counts["resolved"] = resolved.height
    later = tuple(runs.filter(pl.col("k") > k).get_column("as_of").to_list())
    return HistoryResult(as_of, previous, cases, resolved, counts, replaced, later)


def load_run(db: Path, as_of: dt.date | None = None) -> HistoryResult:
    """A recorded run (the latest when as_of is None) seen against the runs before it."""
    with closing(connect(db)) as conn:
        if as_of is None:
            latest = conn.execute("SELECT max(as_of) FROM runs").fetchone()[0]
            if latest is None:
                raise InputError("数据库中还没有任何运行记录 the store has no run yet", db)
            as_of = dt.date.fromisoformat(latest)
        return _history_result(conn, as_of)


HISTORY_SCHEMA = {
    "as_of": pl.Date,
    "recorded_at": pl.Utf8,
    "cases": pl.Int64,
    "error": pl.Int64,
    "warning": pl.Int64,
    "info": pl.Int64,
    **{s: pl.Int64 for s in STATUSES},
    "claimed_fixed_but_present": pl.Int64,
    "past_deadline": pl.Int64,
}


def history(db: Path) -> pl.DataFrame:
    """One row per run, oldest first: cases, per severity, per status, and the flags."""
    with closing(connect(db)) as conn:
        runs = _runs(conn)
        members = _members(conn, runs).join(_replies(conn), on="case_id", how="left").with_columns(*_flags(pl.lit(True)))
    counted = {
        "cases": pl.len(),
        **{s: (pl.col("severity") == s).sum() for s in ("error", "warning", "info")},
        **{s: (pl.col("status") == s).sum() for s in STATUSES[:3]},
        "claimed_fixed_but_present": pl.col("claimed_fixed_but_present").sum(),
        "past_deadline": pl.col("past_deadline").sum(),
    }
    per_run = members.group_by("k").agg(**counted)
    resolved = members.filter(pl.col("gone_next")).group_by(k=pl.col("k") + 1).agg(resolved=pl.len())
    return (
        runs.join(per_run, on="k", how="left")
        .join(resolved, on="k", how="left")
        .select((pl.col(c).fill_null(0) if t == pl.Int64 else pl.col(c)).cast(t) for c, t in HISTORY_SCHEMA.items())
    )


# A township is known by its county too: 城关镇 of two counties are two townships.
PLACE = ("county", "township")


@dataclass
class Trend:
    """The report's trend section over the last runs (oldest first, zeros filled in)."""

    runs: list[dt.date]
    by_rule: pl.DataFrame  # as_of, rule, title, cases
    by_township: pl.DataFrame  # as_of, county, township, cases (未清零), new, reopened, resolved


def trend(db: Path, last: int = 12) -> Trend:
    """Cases per rule over the last runs, and per (county, township) the 清零 progress: its
    problems (error and warning cases; info cases such as 到期台账 are a ledger, not a
    problem to clear) still in each run, how many were new, reopened, resolved."""
    with closing(connect(db)) as conn:
        runs = _runs(conn)
        members = _members(conn, runs)
    runs = runs.tail(last)
    grid = runs.select("k", "as_of")
    shown_k = runs.get_column("k").implode()
    shown = members.filter(pl.col("k").is_in(shown_k))
    rules = shown.group_by("rule").agg(pl.col("title").last()).sort("rule")
    by_rule = (
        grid.join(rules, how="cross")
        .join(shown.group_by("k", "rule").agg(cases=pl.len()), on=["k", "rule"], how="left")
        .select("as_of", "rule", "title", pl.col("cases").fill_null(0).cast(pl.Int64))
        .sort("as_of", "rule")
    )
    problems = members.filter(pl.col("severity") != "info").with_columns(pl.col("township").fill_null(UNKNOWN_TOWNSHIP))
    present = (
        problems.filter(pl.col("k").is_in(shown_k))
        .group_by("k", *PLACE)
        .agg(cases=pl.len(), **{s: (pl.col("status") == s).sum() for s in ("new", "reopened")})
    )
    resolved = (
        problems.filter(pl.col("gone_next"))
        .with_columns(pl.col("k") + 1)
        .filter(pl.col("k").is_in(shown_k))
        .group_by("k", *PLACE)
        .agg(resolved=pl.len())
    )
    # every township with a problem in a shown run, or one resolved into it (down to 0)
    towns = pl.concat([present.select(PLACE), resolved.select(PLACE)]).unique().sort(PLACE, nulls_last=True)
    counts = ("cases", "new", "reopened", "resolved")
    by_township = (
        grid.join(towns, how="cross")
        .join(present, on=["k", *PLACE], how="left", nulls_equal=True)
        .join(resolved, on=["k", *PLACE], how="left", nulls_equal=True)
        .select("as_of", *PLACE, *[pl.col(c).fill_null(0).cast(pl.Int64) for c in counts])
        .sort("as_of", *PLACE, nulls_last=True)
    )
    return Trend(runs.get_column("as_of").to_list(), by_rule, by_township)


def remember(result: AuditResult, db: Path) -> AuditResult:
    """Record the run in the monthly store; the cases gain their lifecycle (status,
    first_seen, months_open, the township's reply and the 虚假整改/逾期未整改 flags)."""
    return _with_history(result, db, record_run(db, result))


@contextmanager
def remembering(result: AuditResult, db: Path):
    """`remember`, committed only when the block (writing the outputs) succeeds."""
    with recording(db, result) as hist:
        yield _with_history(result, db, hist)


def _with_history(result: AuditResult, db: Path, hist) -> AuditResult:
    result.cases = hist.cases
    result.summary["history"] = {
        "db": str(db),
        "previous_as_of": hist.previous_as_of.isoformat() if hist.previous_as_of else None,
        "replaced": hist.replaced,
        "later_runs": [d.isoformat() for d in hist.later_runs],
        "claimed_fixed_but_present": hist.claimed_fixed_but_present.height,
        "past_deadline": hist.past_deadline.height,
    }
    result.summary["status_counts"] = hist.status_counts
    result.history = hist
    return result
