"""Validate: split each normalised table into checked rows and quarantined rows.

Quarantined: blank rows, totals rows (合计), and rows that break the pandera schema
(no loan_id, negative money, a date outside 1950–2100 …). Every row read is either
checked or quarantined with its reasons, per table: the conservation law of SPEC §2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from pipeline.columns import TABLES
from pipeline.ingest import ROW, RawTable
from pipeline.schemas import SCHEMAS

TOTALS = ("合计", "总计", "小计")
QUARANTINE_SCHEMA = {"table": pl.Utf8, "row": pl.Int64, "reasons": pl.List(pl.Utf8), "raw": pl.Utf8}
_CHECK_TEXT = {
    "not_nullable": "为空",
    "str_length": "为空",
    "in_range": "超出合理范围",
    "dtype": "类型错误",
}


@dataclass
class Validated:
    tables: dict[str, pl.DataFrame]  # checked rows, normalised
    quarantine: pl.DataFrame  # table, row, reasons, raw (JSON of the row as read)
    counts: dict[str, dict[str, int]]  # table → rows_read / rows_checked / rows_quarantined


def validated(normalised: dict[str, pl.DataFrame], raw: dict[str, RawTable]) -> Validated:
    tables, quarantined, counts = {}, [], {}
    for table, frame in normalised.items():
        reasons = _reasons(table, frame)
        bad_rows = reasons.get_column(ROW)
        checked = frame.filter(~pl.col(ROW).is_in(bad_rows.implode()))
        tables[table] = checked
        if reasons.height:
            quarantined.append(_quarantine_rows(table, reasons, raw[table].frame))
        counts[table] = {
            "rows_read": frame.height,
            "rows_checked": checked.height,
            "rows_quarantined": reasons.height,
        }
    quarantine = (
        pl.concat(quarantined) if quarantined else pl.DataFrame(schema=QUARANTINE_SCHEMA)
    ).sort("table", "row")
    return Validated(tables, quarantine, counts)


def _reasons(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """One row per quarantined input row: _row and its list of reasons."""
    content = [c for c in frame.columns if c != ROW and not c.endswith("_raw")]
    blank = pl.all_horizontal(pl.col(c).is_null() for c in content)
    totals = pl.any_horizontal(
        pl.col(c).cast(pl.Utf8).str.replace_all(r"\s", "").is_in(TOTALS)
        for c in content
        if frame.schema[c] == pl.Utf8
    )
    pre = frame.select(
        ROW,
        pl.when(blank)
        .then(pl.lit("空行 blank row"))
        .when(totals)
        .then(pl.lit("合计行，不是贷款记录 totals row"))
        .alias("reason"),
    ).filter(pl.col("reason").is_not_null())
    rest = frame.filter(~pl.col(ROW).is_in(pre.get_column(ROW).implode()))
    schema_failures = _schema_failures(table, rest)
    return (
        pl.concat([pre, schema_failures])
        .group_by(ROW, maintain_order=True)
        .agg(pl.col("reason").unique(maintain_order=True).alias("reasons"))
        .sort(ROW)
    )


def _schema_failures(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    empty = pl.DataFrame(schema={ROW: pl.Int64, "reason": pl.Utf8})
    try:
        SCHEMAS[table].validate(frame, lazy=True)
        return empty
    except pa.errors.SchemaErrors as exc:
        failures = exc.failure_cases
    failures = failures.filter(pl.col("index").is_not_null())
    if failures.height == 0:
        return empty
    labels = {c.name: c.label for c in TABLES[table]}
    checks = {c: _check_text(c) for c in failures.get_column("check").unique().to_list()}
    reason = pl.concat_str(
        pl.col("column").replace_strict(labels, default=pl.col("column")),
        pl.col("check").replace_strict(checks, default=pl.col("check")),
        pl.lit("（"),
        pl.col("failure_case").fill_null("空"),
        pl.lit("）"),
    )
    rows = frame.get_column(ROW)
    return failures.select(
        pl.lit(rows).gather(pl.col("index")).alias(ROW),
        reason.alias("reason"),
    )


def _check_text(check: str) -> str:
    head = re.split(r"[(\[]", check, maxsplit=1)[0]
    return _CHECK_TEXT.get(head, check)


def _quarantine_rows(table: str, reasons: pl.DataFrame, raw: pl.DataFrame) -> pl.DataFrame:
    content = [c for c in raw.columns if c != ROW]
    raw_json = raw.select(ROW, pl.struct(content).struct.json_encode().alias("raw"))
    return (
        reasons.join(raw_json, on=ROW, how="left")
        .select(
            pl.lit(table).alias("table"),
            pl.col(ROW).alias("row"),
            "reasons",
            "raw",
        )
    )

