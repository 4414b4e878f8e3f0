"""Normalise: the value forms of SPEC §2.3."""

import datetime as dt

import polars as pl
import pytest

from loan_audit.pipeline.vocab.values import date, money, name, rate, text


def apply(fn, values, *args):
    return pl.DataFrame({"v": values}, schema={"v": pl.Utf8}).select(fn(pl.col("v"), *args)).to_series().to_list()


@pytest.mark.parametrize(
    "raw", ["2019-03-05", "2019/3/5", "2019.3.5", "2019年3月5日", "20190305", "43529", "43529.0", "2019-03-05 00:00:00"]
)
def test_every_date_form_reads_as_the_same_day(raw):
    assert apply(date, [raw]) == [dt.date(2019, 3, 5)]


@pytest.mark.parametrize("raw", ["2019-02-30", "待定", "2019-13-01", "0"])
def test_unreadable_dates_are_null_not_guessed(raw):
    assert apply(date, [raw]) == [None]


@pytest.mark.parametrize(
    "raw, value", [("50,000.00", 50000.0), ("50000元", 50000.0), ("５００００", 50000.0), ("5万", 50000.0),
                   (" 1 234.5 ", 1234.5), ("五万", None), ("", None)]
)
def test_amount_forms(raw, value):
    assert apply(money, [raw]) == [value]


def test_wan_yuan_column_is_scaled():
    assert apply(money, ["4.5", "0.123456"], 10000.0) == [45000.0, 1234.56]


def test_rate_with_percent_sign():
    assert apply(rate, ["4.75%", "4.35", "x"]) == [4.75, 4.35, None]


@pytest.mark.parametrize("raw", ["排·麻干", "排・麻干", "排•麻干", "排‧麻干", "排.麻干", "排．麻干", " 排 · 麻干\u200b"])
def test_middle_dot_variants_unify(raw):
    assert apply(name, [raw]) == ["排·麻干"]


def test_full_width_and_spaces_in_text():
    assert apply(text, ["ＡＢ 村", "  ", None]) == ["AB村", None, None]
