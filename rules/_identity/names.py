"""Names and places as the identity rules compare them: the keys, and each character's
toneless readings (the tables of readings.toml)."""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

import polars as pl
from pypinyin import Style, pinyin

with Path(__file__).with_name("readings.toml").open("rb") as fh:
    _TABLES = tomllib.load(fh)
SURNAME_READINGS: dict[str, str] = _TABLES["surname_readings"]
HETERONYMS: dict[str, tuple[str, ...]] = {c: tuple(r) for c, r in _TABLES["heteronyms"].items()}
SIMILAR_SHAPES: tuple[str, ...] = tuple(_TABLES["similar_shapes"])
DIALECT_MERGERS: tuple[tuple[str, str], ...] = tuple((p, r) for p, r in _TABLES["dialect_mergers"])
DOT = "·"


def name_key(expr: pl.Expr) -> pl.Expr:
    """A normalised name as identities compare it: without the middle dot (null if empty)."""
    out = expr.str.replace_all(DOT, "", literal=True)
    return pl.when(out == "").then(None).otherwise(out)


def town_key(township: pl.Expr, county: pl.Expr | None = None) -> pl.Expr:
    """A township as compared: 章凤镇 and 章凤 are one township; with `county`, the
    county's 城关镇 is not another county's (null: unknown township)."""
    town = township.str.replace(r"(镇|乡)$", "")
    if county is None:
        return town
    return pl.when(county.is_null()).then(town).otherwise(pl.concat_str(county, pl.lit("|"), town))


def village_key(village: pl.Expr) -> pl.Expr:
    """A village as compared: the bank's 迭撒村 is the roster's 迭撒村委会."""
    return village.str.replace(r"(村民委员会|村委会|居民委员会|居委会|社区|村)$", "")


def place_key(township: pl.Expr, village: pl.Expr, county: pl.Expr | None = None) -> pl.Expr:
    """Township and village as compared (`town_key` / `village_key`), within `county` if given."""
    return pl.concat_str(town_key(township, county), pl.lit("/"), village_key(village))


@lru_cache(maxsize=None)
def _readings(char: str, first: bool) -> tuple[str, ...]:
    """Toneless readings of one character. pypinyin has no vectorised API, so this is the
    one Python call per distinct value: per distinct character (few, however many names),
    cached for the life of the process."""
    if first and char in SURNAME_READINGS:
        return (SURNAME_READINGS[char],)
    if char in HETERONYMS:
        return HETERONYMS[char]
    return (pinyin(char, style=Style.NORMAL)[0][0].lower(),)


def characters(names: pl.Series) -> pl.DataFrame:
    """One row per (distinct name, position): name, char, pos, first (pos 0), readings,
    and near (the readings after the dialect mergers)."""
    chars = pl.col("name").str.split("")
    exploded = (
        pl.DataFrame({"name": names.unique().drop_nulls()})
        .with_columns(chars.alias("char"), pl.int_ranges(0, chars.list.len()).alias("pos"))
        .explode("char", "pos")
    )
    distinct = exploded.select("char", (pl.col("pos") == 0).alias("first")).unique()
    table = pl.DataFrame(
        {
            "char": distinct["char"],
            "first": distinct["first"],
            "readings": [list(_readings(c, f)) for c, f in zip(distinct["char"], distinct["first"])],
        },
        schema={"char": pl.Utf8, "first": pl.Boolean, "readings": pl.List(pl.Utf8)},
    )
    near = pl.element()
    for pattern, repl in DIALECT_MERGERS:
        near = near.str.replace(pattern, repl)
    table = table.with_columns(pl.col("readings").list.eval(near).list.unique().alias("near"))
    return exploded.with_columns((pl.col("pos") == 0).alias("first")).join(table, on=["char", "first"], how="left")


def pinyin_of(names: pl.Series) -> pl.DataFrame:
    """name → toneless pinyin (`zeng wei`), one reading per character (surnames overridden)."""
    return pinyin_from(characters(names))


def pinyin_from(chars: pl.DataFrame) -> pl.DataFrame:
    """`pinyin_of` from the rows of `characters`: each character's first reading."""
    return (
        chars
        .sort("name", "pos")
        .group_by("name")
        .agg(pl.col("readings").list.first().str.join(" ").alias("pinyin"))
    )

