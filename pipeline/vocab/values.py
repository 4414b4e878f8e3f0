"""Values as the rules compare them: the parsers of SPEC §2.3 (IDs, names, dates, money,
rates; NFKC and white space) as polars expressions, and the `_raw` column beside each
parsed one. The normalise stage applies them; rules, the policy loader and the checklist
import read the same definitions.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

from loan_audit.pipeline.vocab.columns import TABLES
from loan_audit.pipeline.vocab.ids import normalised_id

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
    """An ID as `vocab.ids.normalised_id` makes it, with digits of other scripts
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


def unreadable(frame: pl.DataFrame, table: str) -> list[tuple[str, pl.Expr]]:
    """(column, mask) for each parsed column: raw text present, value not readable."""
    out = []
    for col in TABLES[table]:
        if col.kind in {"date", "money", "rate"}:
            raw = text(pl.col(col.name + RAW))
            out.append((col.name, raw.is_not_null() & pl.col(col.name).is_null()))
    return out
