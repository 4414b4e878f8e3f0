"""Normalise: raw text → typed values, the raw text kept beside each parsed one.

For every parsed column `c` (IDs, names, dates, money, rates) the frame holds `c`
(parsed; null when it cannot be read) and `c_raw` (the text as it arrived). A
non-empty `c_raw` with a null `c` is a data-quality finding (`unreadable_value`),
never a guess. Money is Float64 yuan rounded to 2 decimals here, the one place.
"""

from __future__ import annotations

import polars as pl

from loan_audit.pipeline.stages.ingest import RawTable
from loan_audit.pipeline.vocab import values
from loan_audit.pipeline.vocab.columns import TABLES
from loan_audit.pipeline.vocab.values import PARSED_KINDS, RAW


def normalised(raw: dict[str, RawTable]) -> dict[str, pl.DataFrame]:
    """Each table with its canonical columns parsed and the raw text kept."""
    return {table: _normalise_table(t) for table, t in raw.items()}


# Values already in their normal form, per kind: plain ASCII, so NFKC, the white-space and
# control-character removals and the ID's repairs all leave them as they are.
ALREADY_NORMAL = {
    "key": r"^[!-~]+$",
    "id": r"^[0-9]{17}[0-9X]$",
}


def _parser(kind: str, factor: float):
    return {
        "key": values.key, "id": values.id_number, "name": values.name, "date": values.date, "rate": values.rate,
        "money": lambda e: values.money(e, factor),
    }.get(kind, values.text)


def _by_value(frame: pl.DataFrame, col: str, parse, scan: pl.Series) -> pl.Series:
    """`parse` (elementwise) over each distinct value of the column, joined back.

    Dates, statuses, places, amounts hold few distinct values, so each is parsed once;
    values already in normal form (`scan` is then _scan's mask of them: plain ASCII) are
    their own result and are not parsed at all. The result is the same as `parse` over
    every row.

    When no value changes (every value already normal, or every distinct value parsing
    to itself) the column itself is returned: no copy, and it stays shared with the raw
    table and the `_raw` column.
    """
    src = frame.get_column(col)
    if scan.dtype == pl.Boolean:
        done = scan
        if done.all():
            return src
        # the few other rows are parsed (by distinct value) and put in their places,
        # unless none of them changes either (IDs too short or with letters, left as is)
        rest = frame.select(pl.col(col).filter(~done)).to_series()
        fixed = _by_distinct(rest, parse)
        return src if fixed is rest else src.clone().scatter((~done).arg_true(), fixed)
    distinct = scan
    if distinct.len() * 2 > src.len():
        return frame.select(parse(pl.col(col)).alias(col)).to_series()
    return _by_distinct(src, parse, distinct)


def _scan(frame: pl.DataFrame, kinds: dict[str, str]) -> dict[str, pl.Series]:
    """Per column, the mask of values already normal (kinds with an ALREADY_NORMAL form),
    else its distinct values: in one select, whose expressions polars runs in parallel."""
    exprs = [
        (
            pl.col(c).str.contains(ALREADY_NORMAL[k]).fill_null(False)
            if k in ALREADY_NORMAL and frame.schema[c] == pl.Utf8
            else pl.col(c).unique()
        )
        .implode()
        .alias(c)
        for c, k in kinds.items()
    ]
    scans = frame.select(exprs)
    return {c: scans.get_column(c)[0].alias(c) for c in kinds}  # a list cell is a Series


def _by_distinct(src: pl.Series, parse, distinct: pl.Series | None = None) -> pl.Series:
    """`parse` of each value of `src`, parsed once per distinct value; `src` itself (the
    same object) when no value changes."""
    col = src.name
    table = (src.unique() if distinct is None else distinct).to_frame().with_columns(parse(pl.col(col)).alias("_value"))
    if table.schema["_value"] == src.dtype and not table.select(pl.col(col).ne_missing(pl.col("_value")).any()).item():
        return src
    return (
        src.to_frame()
        .join(table, on=col, how="left", nulls_equal=True, maintain_order="left")
        .get_column("_value")
        .alias(col)
    )


def _normalise_table(t: RawTable) -> pl.DataFrame:
    raws, parsed, parse_by_value = [], {}, {}
    for col in TABLES[t.table]:
        if col.kind in PARSED_KINDS:
            raws.append(pl.col(col.name).alias(col.name + RAW))
        typed = t.typed.get(col.name)
        if col.kind == "date" and typed is not None and _iso_parses_back(typed):
            parsed[col.name] = typed.alias(col.name)  # what `date` makes of its text, without the parse
        else:
            parse_by_value[col.name] = col.kind
    scans = _scan(t.frame, parse_by_value)
    for name, kind in parse_by_value.items():
        parse = _parser(kind, t.factors.get(name, 1.0))
        parsed[name] = _by_value(t.frame, name, parse, scans[name])
    return t.frame.with_columns(*raws, *(parsed[col.name] for col in TABLES[t.table]))


def _iso_parses_back(days: pl.Series) -> bool:
    """A date column read as dates (Parquet) has its ISO text in the raw frame, which
    `date` parses back to the same day for the years 1000–9999 (four-digit years)."""
    years = days.dt.year()
    return days.null_count() == days.len() or (years.min() >= 1000 and years.max() <= 9999)
