"""Date arithmetic of SPEC §3 as polars expressions: calendar months clipped to the
month's end, whole months and years between two days, and a loan's active interval."""

from __future__ import annotations

import datetime as dt

import polars as pl


def add_months(date: pl.Expr, months: pl.Expr) -> pl.Expr:
    """Calendar months, clipped to the month's end (31 Jan + 1 month = 28/29 Feb)."""
    return date.dt.offset_by(pl.format("{}mo", months))


def whole_months_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """The largest m with start + m months <= end (SPEC §3's original term).

    `rough` months land in end's month, on start's day clipped to that month's end:
    past `end` exactly when start's day is later than end's and end is not its
    month's last day (what add_months(start, rough) > end decides, without the dates)."""
    rough = (end.dt.year() - start.dt.year()) * 12 + end.dt.month().cast(pl.Int32) - start.dt.month().cast(pl.Int32)
    past = (start.dt.day() > end.dt.day()) & (end.dt.day() < end.dt.days_in_month())
    return pl.when(past).then(rough - 1).otherwise(rough)


def whole_years_between(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    """Age-style whole years: birthdays not yet reached this year do not count."""
    before_birthday = (end.dt.month() < start.dt.month()) | (
        (end.dt.month() == start.dt.month()) & (end.dt.day() < start.dt.day())
    )
    return end.dt.year().cast(pl.Int32) - start.dt.year().cast(pl.Int32) - before_birthday.cast(pl.Int32)


def is_active_on(day: pl.Expr | dt.date) -> pl.Expr:
    """The loan's half-open active interval contains `day`."""
    day = pl.lit(day) if isinstance(day, dt.date) else day
    return (pl.col("disbursement_date") <= day) & (day < pl.col("interval_end"))
