"""Resident ID numbers (GB 11643-1999): normalisation and validity.

One place knows the ID's anatomy: the polars expressions the pipeline uses and the
plain functions the generator and tests use are both here, and a test checks that
they agree.

Anatomy of an 18-character ID: 6-digit address code, birth date YYYYMMDD, 3-digit
sequence (odd male, even female), check character by ISO 7064 MOD 11-2.
"""

from __future__ import annotations

import datetime as dt

import polars as pl

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"

# Reasons, in the order they are tested; the Chinese text is what reports show.
REASONS = {
    "missing": "身份证号码为空",
    "excel_damage": "疑似被Excel按数字保存而损坏（科学计数法或末三位变为000）",
    "length": "长度不是18位",
    "characters": "含有非法字符（前17位须为数字，末位为数字或X）",
    "birth_date": "出生日期无效",
    "check_digit": "校验码错误",
}

SCIENTIFIC = r"^\d(\.\d+)?E\+?\d+$"


# --- plain Python, for the generator and tests ---------------------------------
def check_char(body17: str) -> str:
    """The check character of the first 17 digits."""
    total = sum(int(c) * w for c, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def upgrade_15(id15: str) -> str:
    """A 15-digit legacy number as its 18-digit form (insert 19, append the check)."""
    body = id15[:6] + "19" + id15[6:]
    return body + check_char(body)


def is_valid(id18: str, as_of: dt.date | None = None) -> bool:
    if len(id18) != 18 or not id18[:17].isdigit() or id18[17] not in "0123456789X":
        return False
    try:
        birth = dt.date(int(id18[6:10]), int(id18[10:12]), int(id18[12:14]))
    except ValueError:
        return False
    if birth.year < 1900 or (as_of is not None and birth > as_of):
        return False
    return check_char(id18[:17]) == id18[17]


# --- polars expressions, for the pipeline --------------------------------------
def normalised_id(raw: pl.Expr) -> pl.Expr:
    """NFKC, no spaces, upper-case X, a numeric '.0' tail dropped, 15 digits → 18."""
    s = raw.cast(pl.Utf8).str.normalize("NFKC").str.replace_all(r"\s+", "").str.to_uppercase()
    s = s.str.replace(r"^(\d{15,18})\.0+$", "${1}")
    body17 = s.str.slice(0, 6) + pl.lit("19") + s.str.slice(6, 9)
    upgraded = body17 + check_char_expr(body17)
    return (
        pl.when(s == "")
        .then(None)
        .when(s.str.contains(r"^\d{15}$"))
        .then(upgraded)
        .otherwise(s)
    )


def check_char_expr(body17: pl.Expr) -> pl.Expr:
    """The MOD 11-2 check character of a 17-digit string expression (null if not digits)."""
    digits = [body17.str.slice(i, 1).cast(pl.Int32, strict=False) * w for i, w in enumerate(WEIGHTS)]
    index = pl.sum_horizontal(digits) % 11
    return pl.when(body17.str.contains(r"^\d{17}$")).then(
        pl.lit(CHECK_CHARS).str.slice(index, 1)
    )


def birth_date_expr(id18: pl.Expr) -> pl.Expr:
    """The birth date in positions 7–14 (null when not a real date)."""
    return id18.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)


def invalid_reason(raw: pl.Expr, norm: pl.Expr, as_of: dt.date) -> pl.Expr:
    """Null for a valid ID, else the key of REASONS that says which part is wrong."""
    raw_s = raw.cast(pl.Utf8).str.normalize("NFKC").str.replace_all(r"\s+", "").str.to_uppercase()
    birth = birth_date_expr(norm)
    check_ok = check_char_expr(norm.str.slice(0, 17)) == norm.str.slice(17, 1)
    return (
        pl.when(norm.is_null())
        .then(pl.lit("missing"))
        .when(raw_s.str.contains(SCIENTIFIC))
        .then(pl.lit("excel_damage"))
        .when(norm.str.len_chars() != 18)
        .then(pl.lit("length"))
        .when(~norm.str.contains(r"^\d{17}[0-9X]$"))
        .then(pl.lit("characters"))
        .when(birth.is_null() | (birth < dt.date(1900, 1, 1)) | (birth > as_of))
        .then(pl.lit("birth_date"))
        .when(~check_ok & norm.str.ends_with("000"))
        .then(pl.lit("excel_damage"))
        .when(~check_ok)
        .then(pl.lit("check_digit"))
        .otherwise(None)
    )


# --- the same reasons over a frame, fast -----------------------------------------
PLAIN = r"^[0-9]{17}[0-9X]$"
# CHECK_CHARS as numbers (X = 10): the check character of a sum ≡ i (mod 11) is (12 - i) % 11.
assert [(12 - i) % 11 for i in range(11)] == [10 if c == "X" else int(c) for c in CHECK_CHARS]


def _weight_table(weights: tuple[int, ...]) -> pl.Series:
    """Σ digit × weight of every number of len(weights) digits (its index): the weighted
    digit sum of an ID body is three look-ups in such tables instead of 17 digits
    taken apart (each a column of the frame's length)."""
    n = len(weights)
    v = pl.int_range(10**n, dtype=pl.Int32, eager=True)
    return pl.select(pl.sum_horizontal([v // 10 ** (n - 1 - j) % 10 * w for j, w in enumerate(weights)])).to_series()


# The body's digits 1–6, 7–12 and 13–17 (10**6, 10**6 and 10**5 entries: 8.4 MB, built on first use).
_TABLES: list[pl.Series] = []


def _weighted_sum(body: pl.Expr) -> pl.Expr:
    """Σ digit × WEIGHTS over the 17 digits of `body` (an Int64 below 10**17)."""
    if not _TABLES:
        _TABLES.extend(_weight_table(WEIGHTS[a:b]) for a, b in ((0, 6), (6, 12), (12, 17)))
    a, b, c = (pl.lit(t) for t in _TABLES)
    return a.gather(body // 10**11) + b.gather(body // 10**5 % 10**6) + c.gather(body % 10**5)


def _check_value(last: pl.Expr) -> pl.Expr:
    """The check character as a number (X = 10; null when not a digit or X)."""
    return pl.when(last == "X").then(pl.lit(10, dtype=pl.Int64)).otherwise(last.str.to_integer(strict=False))


def match_key(norm: pl.Expr) -> pl.Expr:
    """An ID of PLAIN form as one Int64 (body × 11 + check value), null otherwise: equal
    keys are equal IDs, and an Int64 is hashed and compared far faster than 18 characters."""
    body = norm.str.slice(0, 17).str.to_integer(strict=False)
    return pl.when(norm.str.contains(PLAIN)).then(body * 11 + _check_value(norm.str.slice(17, 1)))


def _plain_columns(norm: pl.Expr, plain: pl.Expr) -> list[list[pl.Expr]]:
    """`plain`: whether the ID is PLAIN, given `plain` = raw text equal to `norm` and 18
    bytes long: then it is PLAIN exactly when its first 17 characters parse as an
    unsigned integer and the last is a digit or X (Int64 parsing takes ASCII digits and a
    leading sign only), which is checked on the parse the key needs anyway instead of by
    the regex, a second scan of every ID. For a PLAIN ID: `_ymd` (its birth date
    digits as a number), `_check_ok` (check_char_expr's verdict) and `key` (match_key),
    from the body parsed once rather than 17 slices of each text. In steps: polars does
    not share sub-expressions inside one expression."""
    body = pl.col("_body")
    signed = norm.str.starts_with("+") | norm.str.starts_with("-")
    return [
        [
            pl.when(plain).then(norm.str.slice(0, 17).str.to_integer(strict=False)).alias("_body"),
            pl.when(plain).then(_check_value(norm.str.slice(17, 1))).alias("_last"),
        ],
        [(plain & body.is_not_null() & pl.col("_last").is_not_null() & ~signed).alias("plain")],
        [pl.when(plain).then(body).alias("_body"), pl.when(plain).then(pl.col("_last")).alias("_last")],
        [
            (body // 1000 % 10**8).cast(pl.Int32).alias("_ymd"),
            ((12 - _weighted_sum(body) % 11) % 11 == pl.col("_last")).alias("_check_ok"),
            (body * 11 + pl.col("_last")).alias("key"),
        ],
    ]


def _birth_table(as_of: dt.date) -> pl.Series:
    """The day of each YYYYMMDD number from 1900-01-01 to `as_of`, at index number −
    19000101 (null where the number is no real day): birth dates by one gather, not a
    parse or a hash look-up per ID. Numbers outside that range are invalid birth dates."""
    if as_of < dt.date(1900, 1, 1):
        return pl.Series("_birth", [None], dtype=pl.Date)
    days = pl.date_range(dt.date(1900, 1, 1), as_of, eager=True)
    at = days.dt.year().cast(pl.Int32) * 10000 + days.dt.month().cast(pl.Int32) * 100 + days.dt.day().cast(pl.Int32) - 19000101
    return pl.repeat(None, at[-1] + 1, dtype=pl.Date, eager=True).alias("_birth").scatter(at, days)


def _plain_reason() -> pl.Expr:
    """invalid_reason for an ID whose raw text is already PLAIN (no NFKC, spaces, case,
    length or character problem can remain): only the birth date and the check."""
    ends_000 = (pl.col("_body") % 100 == 0) & (pl.col("_last") == 0)  # norm.str.ends_with("000")
    return (
        pl.when(pl.col("_birth").is_null())  # _birth_table: no real day from 1900 to as_of
        .then(pl.lit("birth_date"))
        .when(~pl.col("_check_ok") & ends_000)
        .then(pl.lit("excel_damage"))
        .when(~pl.col("_check_ok"))
        .then(pl.lit("check_digit"))
        .otherwise(None)
    )


def id_checks(frame: pl.DataFrame, raw: str, norm: str, as_of: dt.date) -> pl.DataFrame:
    """`reason` = `invalid_reason(pl.col(raw), pl.col(norm), as_of)` over a frame (the
    same values), `birth_date` = birth_date_expr(norm) where the ID is valid, else null,
    and `key` = match_key(norm).

    Most IDs arrive plain (raw text equal to its normal form, 17 ASCII digits and a digit
    or X): for those only the birth date and the check character are computed, once, in
    integer arithmetic; invalid_reason runs on the other rows only.
    """
    births = _birth_table(as_of)
    ymd = pl.col("_ymd") - 19000101
    steps = frame.lazy().select(pl.col(raw).cast(pl.Utf8).alias("raw"), pl.col(norm).alias("norm")).with_columns(
        ((pl.col("raw") == pl.col("norm")) & (pl.col("norm").str.len_bytes() == 18)).fill_null(False).alias("plain")
    )
    for step in _plain_columns(pl.col("norm"), pl.col("plain")):
        steps = steps.with_columns(step)
    out = (
        steps.with_columns(pl.lit(births).gather(pl.when(ymd.is_between(0, births.len() - 1)).then(ymd)).alias("_birth"))
        .with_columns(pl.when(pl.col("plain")).then(_plain_reason()).cast(pl.Utf8).alias("reason"))
        .select(
            "reason",
            pl.when(pl.col("plain") & pl.col("reason").is_null()).then(pl.col("_birth")).alias("birth_date"),
            "key",
            "plain",
        )
        .collect()
    )
    plain = out.get_column("plain")
    out = out.drop("plain")
    if plain.all():
        return out
    ids = frame.select(pl.col(raw).cast(pl.Utf8).alias("raw"), pl.col(norm).alias("norm"))
    rest = ids.filter(~plain).select(
        invalid_reason(pl.col("raw"), pl.col("norm"), as_of).cast(pl.Utf8).alias("reason"),
        birth_date_expr(pl.col("norm")).alias("birth_date"),
        match_key(pl.col("norm")).alias("key"),
    ).with_columns(pl.when(pl.col("reason").is_null()).then(pl.col("birth_date")).alias("birth_date"))
    at = (~plain).arg_true()
    return out.with_columns(out.get_column(c).scatter(at, rest.get_column(c)) for c in ("reason", "birth_date", "key"))


def id_reasons(frame: pl.DataFrame, raw: str, norm: str, as_of: dt.date) -> pl.Series:
    """`invalid_reason(pl.col(raw), pl.col(norm), as_of)` over a frame, the same values."""
    return id_checks(frame, raw, norm, as_of).get_column("reason")
