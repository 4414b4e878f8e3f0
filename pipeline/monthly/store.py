"""The audit's memory across monthly runs (月监测): an SQLite file, no server needed.

Each run (one data date, `as_of`) stores its cases; a case's lifecycle is read off the
runs ordered by `as_of`, against the previous run by `as_of`:

    new       新增   not in any earlier run
    open      未整改 in the previous run too
    reopened  反弹   in an earlier run, not in the previous one: gone, then back
    resolved  已销号 in the previous run, gone from this one

first_seen
    the `as_of` of the first run that had the case (for a reopened case too: the
    county's 清零 clock does not restart on a 反弹).
months_open
    whole calendar months from first_seen to this run's as_of, as SPEC §3 counts
    months (the largest m with first_seen + m months ≤ as_of, month ends clipped):
    0 for a new case; 1 a month later (2021-01-31 → 2021-02-28 is one month).

Decisions:
- Recording an `as_of` already in the store replaces that run (idempotent: a re-run
  of the same month is not a new month).
- A run older than runs already recorded (a missed month filled in later) takes its
  place by `as_of`. Nothing about a lifecycle is stored: statuses are computed from the
  runs in `as_of` order whenever they are read, so the later runs' statuses change with
  it; `HistoryResult.later_runs` names them so the CLI can say so.
- One transaction per run: an exception anywhere in the write (or a killed process)
  leaves the store as it was, the replaced run included.
- The schema is versioned: `schema_version` lists the migrations applied; MIGRATIONS
  are applied in order on open. A store from a newer loan-audit is refused.

Township replies (整改情况, `monthly.checklist_import`) are kept per case, the latest
import winning. A run flags, for each of its cases:
- claimed_fixed_but_present (虚假整改): the reply says 已整改, the reply answered an
  earlier run (its `basis_as_of` is before this as_of), yet the case is in this run;
- past_deadline (逾期未整改): the reply's 完成时限 is before this as_of and the case is
  still in this run.
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from loan_audit.pipeline.stages.detect import CASES_SCHEMA
from loan_audit.pipeline.vocab.errors import InputError

# The case columns a run stores (SPEC §5's cases frame), in order.
CASE_COLUMNS = CASES_SCHEMA
# A township's reply to a case (整改措施 / 责任人 / 完成时限 / 整改情况).
REPLY_COLUMNS = {
    "fix_status": pl.Utf8,
    "fix_measure": pl.Utf8,
    "fix_owner": pl.Utf8,
    "fix_deadline": pl.Date,
}

# Each entry is one schema version: its SQL statements, applied in order, once.
MIGRATIONS: tuple[tuple[str, ...], ...] = (
    # 1: runs and the cases each one found.
    (
        """CREATE TABLE runs (
            as_of       TEXT PRIMARY KEY,   -- 数据日期 YYYY-MM-DD: one run per data date
            recorded_at TEXT NOT NULL,      -- UTC, ISO 8601
            summary     TEXT NOT NULL       -- the run's summary.json
        )""",
        """CREATE TABLE run_cases (
            as_of        TEXT NOT NULL REFERENCES runs(as_of) ON DELETE CASCADE,
            ord          INTEGER NOT NULL,  -- the case's position in the run's output
            case_id      TEXT NOT NULL,
            rule         TEXT NOT NULL,
            severity     TEXT NOT NULL,
            title        TEXT,
            township     TEXT,
            village      TEXT,
            household_id TEXT,
            id_number    TEXT,
            name         TEXT,
            loan_ids     TEXT,              -- JSON list of loan_id
            message      TEXT,
            evidence     TEXT,
            PRIMARY KEY (as_of, case_id)
        )""",
        "CREATE INDEX run_cases_case_id ON run_cases (case_id)",
    ),
    # 2: townships' replies from their returned checklists (the latest per case).
    (
        """CREATE TABLE replies (
            case_id      TEXT PRIMARY KEY,
            fix_status   TEXT NOT NULL CHECK (fix_status IN ('已整改', '整改中', '无法整改')),
            fix_measure  TEXT,
            fix_owner    TEXT,
            fix_deadline TEXT,              -- YYYY-MM-DD
            basis_as_of  TEXT NOT NULL,     -- the run the checklist answered
            source_file  TEXT NOT NULL,
            source_row   INTEGER NOT NULL,
            imported_at  TEXT NOT NULL
        )""",
    ),
    # 3: the county of each case (a place is county, township, village; blank in stores
    # written before counties, which were single-county runs).
    ("ALTER TABLE run_cases ADD COLUMN county TEXT",),
)
SCHEMA_VERSION = len(MIGRATIONS)


# --- opening, migrations, transactions ----------------------------------------------
def _now() -> str:
    return dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()


@contextmanager
def transaction(conn: sqlite3.Connection):
    """BEGIN IMMEDIATE … COMMIT; ROLLBACK on any exception (the store stays as it was)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def schema_version(conn: sqlite3.Connection) -> int:
    return conn.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]


def migrate(conn: sqlite3.Connection, target: int = SCHEMA_VERSION) -> int:
    """Apply the migrations after the store's version up to `target`; the new version."""
    conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER PRIMARY KEY, applied_at TEXT NOT NULL)")
    current = schema_version(conn)
    if current > SCHEMA_VERSION:
        raise InputError(
            f"数据库版本 {current} 比本程序支持的 {SCHEMA_VERSION} 新，请升级 loan-audit "
            "the store was written by a newer loan-audit"
        )
    for version in range(current + 1, target + 1):
        with transaction(conn):
            for statement in MIGRATIONS[version - 1]:
                conn.execute(statement)
            conn.execute("INSERT INTO schema_version VALUES (?, ?)", (version, _now()))
    return max(current, target)


def connect(db: Path, target: int = SCHEMA_VERSION) -> sqlite3.Connection:
    """The store at `db` (created when absent), migrated to `target`."""
    db = Path(db)
    if db.is_dir():
        raise InputError("这是文件夹，不是数据库文件 path is a folder, not a database file", db)
    try:
        db.parent.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(db, isolation_level=None, timeout=30)
    except (OSError, sqlite3.Error) as exc:
        raise InputError(f"无法创建或打开数据库 cannot open the store: {exc.__class__.__name__}", db) from None
    try:
        conn.execute("PRAGMA foreign_keys = ON")
        migrate(conn, target)
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise InputError(f"不是 loan-audit 数据库或已损坏 not a usable SQLite store: {exc}", db) from None
    except BaseException:
        conn.close()
        raise
    return conn


def _read(conn: sqlite3.Connection, sql: str, params: tuple, schema: dict) -> pl.DataFrame:
    """A query's rows as a frame of the given schema (its columns in the query's order)."""
    return pl.DataFrame(conn.execute(sql, params).fetchall(), schema=schema, orient="row")


# --- writing a run -------------------------------------------------------------------
def _case_rows(cases: pl.DataFrame, as_of: str) -> list[tuple]:
    """The run's cases as rows for run_cases (loan_ids as JSON text)."""
    return cases.select(
        pl.lit(as_of).alias("as_of"),
        pl.int_range(pl.len()).alias("ord"),
        *[c for c in CASE_COLUMNS if c != "loan_ids"],
        # {"v":[...]} → [...]: polars' JSON of the list, without a per-row Python call
        pl.struct(v=pl.col("loan_ids")).struct.json_encode().str.slice(5).str.strip_suffix("}").alias("loan_ids"),
    ).rows()


def _insert_cases(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    columns = ["as_of", "ord", *[c for c in CASE_COLUMNS if c != "loan_ids"], "loan_ids"]
    conn.executemany(
        f"INSERT INTO run_cases ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})", rows
    )


def _write_run(conn: sqlite3.Connection, as_of: str, summary: dict, rows: list[tuple]) -> bool:
    """Write one run, replacing a run of the same as_of; whether one was replaced."""
    conn.execute("DELETE FROM run_cases WHERE as_of = ?", (as_of,))
    replaced = conn.execute("DELETE FROM runs WHERE as_of = ?", (as_of,)).rowcount > 0
    conn.execute(
        "INSERT INTO runs (as_of, recorded_at, summary) VALUES (?, ?, ?)",
        (as_of, _now(), json.dumps(summary, ensure_ascii=False, default=str)),
    )
    _insert_cases(conn, rows)
    return replaced


# --- township replies (monthly.checklist_import) -------------------------------------
def case_versions(conn: sqlite3.Connection, case_ids: list[str]) -> pl.DataFrame:
    """Every recorded (as_of, case) of these case_ids, with the case's columns."""
    return _stored_cases(conn, "case_id IN (SELECT value FROM json_each(?))", (json.dumps(case_ids),))


def save_replies(conn: sqlite3.Connection, replies: pl.DataFrame) -> None:
    """Store replies (file, row, case_id, fix_*, basis_as_of) in one transaction; a
    case's new reply replaces its previous one."""
    columns = ["case_id", *REPLY_COLUMNS, "basis_as_of", "source_file", "source_row", "imported_at"]
    rows = replies.select(
        "case_id",
        *[pl.col(c).cast(pl.Utf8) for c in REPLY_COLUMNS],
        pl.col("basis_as_of").cast(pl.Utf8),
        pl.col("file").alias("source_file"),
        pl.col("row").alias("source_row"),
        pl.lit(_now()).alias("imported_at"),
    ).rows()
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns[1:])
    with transaction(conn):
        conn.executemany(
            f"INSERT INTO replies ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT (case_id) DO UPDATE SET {updates}",
            rows,
        )


# --- reading: lifecycle, flags, history, trend ------------------------------------------
def _runs(conn: sqlite3.Connection) -> pl.DataFrame:
    """Every run, in as_of order, with its position k."""
    return (
        _read(conn, "SELECT as_of, recorded_at FROM runs ORDER BY as_of", (), {"as_of": pl.Utf8, "recorded_at": pl.Utf8})
        .with_columns(pl.col("as_of").str.to_date())
        .with_row_index("k")
        .with_columns(pl.col("k").cast(pl.Int64))
    )


def _replies(conn: sqlite3.Connection) -> pl.DataFrame:
    return _read(
        conn,
        "SELECT case_id, fix_status, fix_measure, fix_owner, fix_deadline, basis_as_of FROM replies",
        (),
        {"case_id": pl.Utf8, **{c: pl.Utf8 for c in REPLY_COLUMNS}, "basis_as_of": pl.Utf8},
    ).with_columns(pl.col("fix_deadline", "basis_as_of").str.to_date())


def _stored_cases(conn: sqlite3.Connection, where: str, params: tuple) -> pl.DataFrame:
    """Rows of run_cases (as_of and the case columns), in run and output order."""
    schema = {"as_of": pl.Utf8, **{c: (pl.Utf8 if c == "loan_ids" else t) for c, t in CASE_COLUMNS.items()}}
    return _read(
        conn,
        f"SELECT as_of, {', '.join(CASE_COLUMNS)} FROM run_cases WHERE {where} ORDER BY as_of, ord",
        params,
        schema,
    ).with_columns(pl.col("as_of").str.to_date(), pl.col("loan_ids").str.json_decode(pl.List(pl.Utf8)))


def _run_cases(conn: sqlite3.Connection, as_of: dt.date) -> pl.DataFrame:
    return _stored_cases(conn, "as_of = ?", (as_of.isoformat(),))


