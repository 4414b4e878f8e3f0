"""Normalise: raw text → typed values, the raw text kept beside each parsed one.

For every parsed column `c` (IDs, names, dates, money, rates) the frame holds `c`
(parsed; null when it cannot be read) and `c_raw` (the text as it arrived). A
non-empty `c_raw` with a null `c` is a data-quality finding (`unreadable_value`),
never a guess. Money is Float64 yuan rounded to 2 decimals here, the one place.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from pipeline.columns import TABLES
from pipeline.ids import normalised_id
from pipeline.ingest import RawTable

RAW = "_raw"
PARSED_KINDS = {"id", "name", "date", "money", "rate"}
EXCEL_EPOCH = dt.date(1899, 12, 30)
# Middle-dot variants in minority names (NFKC leaves most of them alone).
DOTS = r"[·・•‧.．･∙⋅◦]"
INVISIBLE = r"[\s\u200b-\u200f\u2060\ufeff\u00ad]"
# Control characters (C0, DEL, C1) carry no meaning in a cell and break XML (JUnit,
# xlsx) and terminals downstream: gone from every parsed and text value.
CONTROL = r"[\x00-\x1f\x7f-\x9f]"
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")


def text(expr: pl.Expr) -> pl.Expr:
    """NFKC and no white space: how statuses, places and keywords are compared."""
    out = expr.cast(pl.Utf8).str.normalize("NFKC").str.replace_all(INVISIBLE, "").str.replace_all(CONTROL, "")
    return pl.when(out == "").then(None).otherwise(out)


def name(expr: pl.Expr) -> pl.Expr:
    """A person's name: NFKC, no white or zero-width characters, one middle dot `·`."""
    return text(expr).str.replace_all(DOTS, "·")


def key(expr: pl.Expr) -> pl.Expr:
    """An identifier such as a loan_id or household_id: NFKC, trimmed."""
    out = expr.cast(pl.Utf8).str.normalize("NFKC").str.replace_all(CONTROL, "").str.strip_chars()
    return pl.when(out == "").then(None).otherwise(out)


def id_number(expr: pl.Expr) -> pl.Expr:
    """An ID as `pipeline.ids.normalised_id` makes it, with digits of other scripts
    (Arabic-Indic ٠, Devanagari ० …, which NFKC keeps) replaced by U+FFFD: the regex
    `\\d` is Unicode-wide, so ids' checks would take `53312419800101٠016` for a valid ID."""
    return normalised_id(expr).str.replace_all(r"[\d&&[^0-9]]", "\ufffd")


def date(expr: pl.Expr) -> pl.Expr:
    """The six date forms of SPEC §2.3 (and a trailing 00:00:00 from date cells)."""
    s = text(expr).str.replace(r"[T]?\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?$", "")
    parsed = [s.str.strptime(pl.Date, fmt, strict=False) for fmt in DATE_FORMATS]
    serial = s.str.replace(r"\.0+$", "").cast(pl.Int64, strict=False)
    from_serial = (
        pl.when(s.str.contains(r"^\d{1,6}(\.0+)?$") & serial.is_between(1, 2_958_465))
        .then(pl.lit(EXCEL_EPOCH) + pl.duration(days=serial))
        .cast(pl.Date)
    )
    eight_digits = s.str.contains(r"^\d{8}$")
    return pl.when(eight_digits).then(parsed[-1]).otherwise(pl.coalesce([*parsed[:-1], from_serial]))


def money(expr: pl.Expr, factor: float = 1.0) -> pl.Expr:
    """`50,000.00`, `50000元`, `5万`, numbers → yuan (× factor for 万元 columns)."""
    s = text(expr).str.replace_all(r"[,，元¥￥]", "")
    wan = s.str.ends_with("万")
    value = s.str.strip_suffix("万").cast(pl.Float64, strict=False)
    value = pl.when(wan).then(value * 10000).otherwise(value)
    return _finite((value * factor).round(2))


def rate(expr: pl.Expr) -> pl.Expr:
    """Percent per year: `4.75`, `4.75%`."""
    return _finite(text(expr).str.replace(r"[%％]$", "").cast(pl.Float64, strict=False))


def _finite(value: pl.Expr) -> pl.Expr:
    """`nan`, `inf` and overflowing numbers (`1e999`) are unreadable, not numbers."""
    return pl.when(value.is_finite()).then(value)


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
        "key": key, "id": id_number, "name": name, "date": date, "rate": rate,
        "money": lambda e: money(e, factor),
    }.get(kind, text)


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


def unreadable(frame: pl.DataFrame, table: str) -> list[tuple[str, pl.Expr]]:
    """(column, mask) for each parsed column: raw text present, value not readable."""
    out = []
    for col in TABLES[table]:
        if col.kind in {"date", "money", "rate"}:
            raw = text(pl.col(col.name + RAW))
            out.append((col.name, raw.is_not_null() & pl.col(col.name).is_null()))
    return out
