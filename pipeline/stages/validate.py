"""Validate: split each normalised table into checked rows and quarantined rows.

Quarantined: rows ingest could read but not trust (`RawTable.problems`: a line in
another encoding, a row with more cells than the header), blank rows, totals rows
(合计), and rows that break the pandera schema (no loan_id, negative money, a date
outside 1950–2100 …). Every row read is either checked or quarantined with its
reasons, per table: the conservation law of SPEC §2.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pandera.polars as pa
import polars as pl

from loan_audit.pipeline.stages.ingest import RawTable
from loan_audit.pipeline.stages.schemas import SCHEMAS
from loan_audit.pipeline.vocab.columns import ROW, TABLES
from loan_audit.pipeline.vocab.values import RAW

# A totals row: a cell that is only 合计/总计/小计/共计 (a colon after it allowed), and
# no ID number (a person's or a loan's row with 合计 in a remark is still audited).
TOTALS = r"^(合计|总计|小计|共计|累计|总合计)[:：]?$"
QUARANTINE_SCHEMA = {"table": pl.Utf8, "row": pl.Int64, "reasons": pl.List(pl.Utf8), "raw": pl.Utf8}
# The longest value a cell of each kind may hold (characters, after normalisation).
# Longer is not data but damage (a paste gone wrong, a hostile file): the row is
# quarantined rather than fed to rules whose cost grows with the length of a name.
MAX_CHARS = {"id": 64, "name": 64, "date": 64, "money": 64, "rate": 64, "key": 200, "text": 2000}
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
        problems = raw[table].problems if table in raw else None
        reasons = _reasons(table, frame, problems)
        bad_rows = reasons.get_column(ROW)
        # no row quarantined: the frame itself (a filter would copy every column)
        checked = frame.filter(~pl.col(ROW).is_in(bad_rows.implode())) if reasons.height else frame
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


def _reasons(table: str, frame: pl.DataFrame, problems: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per quarantined input row: _row and its list of reasons."""
    content = [c for c in frame.columns if c != ROW and not c.endswith(RAW)]
    blank = pl.all_horizontal(pl.col(c).is_null() for c in content)
    ids = [c.name for c in TABLES[table] if c.kind == "id"]
    totals = pl.any_horizontal(
        pl.col(c).str.replace_all(r"\s", "").str.contains(TOTALS).fill_null(False)
        for c in content
        if frame.schema[c] == pl.Utf8
    ) & pl.all_horizontal(pl.col(c).is_null() for c in ids)
    # Blank and totals rows have no ID: the regexes run on the rows without one only.
    # (Found from the ID columns alone: a filter of the whole frame would first copy a
    # Parquet table's many chunks into one, for nothing when every row has an ID.)
    no_id = pl.repeat(True, frame.height, eager=True)
    for c in ids:
        no_id &= frame.get_column(c).is_null()
    pre = (frame.filter(no_id) if no_id.any() else frame.clear()).select(
        ROW,
        pl.when(blank)
        .then(pl.lit("空行 blank row"))
        .when(totals)
        .then(pl.lit("合计行，不是贷款记录 totals row"))
        .alias("reason"),
    ).filter(pl.col("reason").is_not_null())
    pre = pl.concat([pre, _too_long(table, frame)])
    if problems is not None and problems.height:  # ingest's: checked before anything else
        pre = pl.concat([problems.select(pl.col(ROW).cast(pl.Int64), pl.col("reason").cast(pl.Utf8)), pre])
    rest = frame.filter(~pl.col(ROW).is_in(pre.get_column(ROW).implode())) if pre.height else frame
    schema_failures = _schema_failures(table, rest)
    return (
        pl.concat([pre, schema_failures])
        .group_by(ROW, maintain_order=True)
        .agg(pl.col("reason").unique(maintain_order=True).alias("reasons"))
        .sort(ROW)
    )


def _too_long(table: str, frame: pl.DataFrame) -> pl.DataFrame:
    """One reason per overlong cell of a canonical column: `姓名过长（1000001字）`."""
    limits, long = [], pl.repeat(False, frame.height, eager=True)
    for col in TABLES[table]:
        source = col.name + RAW if col.name + RAW in frame.columns else col.name
        limits.append((col, pl.col(source).cast(pl.Utf8), MAX_CHARS[col.kind]))
        # A cell has at least as many bytes as characters, and its byte length is stored
        # beside it (no scan): rows with a long cell are found by bytes, and characters
        # are counted on those few rows only. Series, not a frame-wide select: a
        # Parquet column comes in one chunk per row group, and a select would first
        # copy each into one piece.
        long |= (frame.get_column(source).cast(pl.Utf8).str.len_bytes() > MAX_CHARS[col.kind]).fill_null(False)
    long = frame.filter(long)
    parts = []
    for col, cell, limit in limits:
        length = cell.str.len_chars()
        parts.append(
            long.filter(length > limit).select(
                ROW, pl.format("{}过长（{}字，上限{}）cell too long", pl.lit(col.label), length, pl.lit(limit)).alias("reason")
            )
        )
    return pl.concat(parts)


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
    rows = raw.filter(pl.col(ROW).is_in(reasons.get_column(ROW).implode()))  # JSON of those rows only
    raw_json = rows.select(ROW, pl.struct(content).struct.json_encode().alias("raw"))
    return (
        reasons.join(raw_json, on=ROW, how="left")
        .select(
            pl.lit(table).alias("table"),
            pl.col(ROW).alias("row"),
            "reasons",
            "raw",
        )
    )

