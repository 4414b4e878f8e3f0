"""County-level names of GB/T 2260 (行政区划代码): code → province, prefecture, county.

The data is `divisions.csv` beside this module (code,province,prefecture,county; one
row per county-level unit; `#` lines at its top name the source and its date). An
unknown code is shown as the code itself, never an error.
"""

from __future__ import annotations

import csv
import re
from collections import Counter
from functools import cache
from importlib import resources
from typing import NamedTuple

import polars as pl

from loan_audit.pipeline.vocab.labels import UNKNOWN_COUNTY

CODE = re.compile(r"^\d{6}$")

# Autonomous prefectures as county offices write them: 德宏傣族景颇族自治州 → 德宏州.
_SHORT_PREFECTURE = re.compile(r"^(.{2}?)(?:[\u4e00-\u9fff]+族)+自治州$")


# The table's prefecture for counties directly under a municipality or a province: not a name.
PLACEHOLDER_PREFECTURES = {"市辖区", "县", "省直辖县级行政区划", "自治区直辖县级行政区划"}


class Division(NamedTuple):
    code: str
    province: str
    prefecture: str
    county: str

    @property
    def full_name(self) -> str:
        """云南省德宏州陇川县: province, prefecture (autonomous ones shortened), county."""
        prefecture = "" if self.prefecture in PLACEHOLDER_PREFECTURES else short_prefecture(self.prefecture)
        return f"{self.province}{prefecture}{self.county}"


def short_prefecture(name: str) -> str:
    m = _SHORT_PREFECTURE.match(name)
    return f"{m.group(1)}州" if m else name


@cache
def divisions() -> dict[str, Division]:
    text = resources.files(__package__).joinpath("divisions.csv").read_text(encoding="utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if line and not line.startswith("#"))
    return {r["code"]: Division(r["code"], r["province"], r["prefecture"], r["county"]) for r in rows}


@cache
def _by_name() -> dict[str, list[str]]:
    names: dict[str, list[str]] = {}
    for d in divisions().values():
        for name in {d.county, d.full_name, f"{d.province}{d.prefecture}{d.county}"}:
            names.setdefault(name, []).append(d.code)
    return names


def county_label(value: str | None) -> str | None:
    """A county as reports show it: a known code → its county name (陇川县); anything else as given."""
    if value is None:
        return None
    d = divisions().get(value)
    return d.county if d else value


def county_full_label(value: str | None) -> str | None:
    """A county with its province and prefecture (云南省德宏州陇川县) where the code is known."""
    if value is None:
        return None
    d = divisions().get(value)
    return d.full_name if d else value


def resolve_county(value: str) -> set[str]:
    """The county values a user's `--county` names: the value itself, and for a known name
    its code(s), for a known code its name."""
    out = {value}
    d = divisions().get(value)
    if d:
        out.add(d.county)
    out.update(_by_name().get(value, []))
    for code in _by_name().get(value, []):
        out.add(divisions()[code].county)
    return out


def county_key(value: pl.Expr) -> pl.Expr:
    """A county as compared: a known county name (陇川县, 云南省德宏州陇川县) becomes its code
    when the name names one county only; codes and unknown names stay as they are."""
    names = {name: codes[0] for name, codes in _by_name().items() if len(codes) == 1}
    return value.replace(names)


def county_from_household(household_id: pl.Expr) -> pl.Expr:
    """The county code a household number starts with, where it starts with a known one."""
    prefix = household_id.str.slice(0, 6)
    known = pl.Series(list(divisions()), dtype=pl.Utf8)
    return pl.when(household_id.str.contains(r"^\d{12}") & prefix.is_in(known.implode())).then(prefix)


def county_labels(values) -> dict[str, str]:
    """Each county value → the name reports and folders show: the county's own name
    (陇川县), its full name where two of the values share that name, the value itself
    where the code is not known."""
    short = {v: county_label(v) for v in values}
    taken = Counter(short.values())
    return {v: (county_full_label(v) if taken[s] > 1 else s) for v, s in short.items()}


def county_name(code: str | None, labels: dict[str, str]) -> str:
    """One county as `county_labels` names it; no county: （未知县）."""
    return UNKNOWN_COUNTY if code is None else labels.get(code, code)


def county_name_expr(county: pl.Expr, labels: dict[str, str]) -> pl.Expr:
    """`county_name` of a column."""
    return county.replace_strict(labels, default=county).fill_null(UNKNOWN_COUNTY)


def place_label(county: pl.Expr, township: pl.Expr, labels: dict[str, str], unknown: str) -> pl.Expr:
    """`县/乡镇` as a multi-county run names a township (the unknown one `unknown`)."""
    return pl.concat_str(county_name_expr(county, labels), pl.lit("/"), township.fill_null(unknown))
