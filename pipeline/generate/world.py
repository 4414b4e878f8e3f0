"""The world under construction (`World`: households, persons, loans and the labels
recorded so far) and its calendar of day numbers since 1970.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from loan_audit.pipeline.generate.setting import EPOCH


def day_number(d: dt.date) -> int:
    return (d - EPOCH).days
def date_of_day(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))
def add_months(d: dt.date, months: int) -> dt.date:
    """Calendar months, clipped to the month's end (SPEC §3)."""
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))
def add_years(d: dt.date, years: int) -> dt.date:
    return d.replace(year=d.year + years)
def months_later(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    frame = pl.DataFrame({"d": pl.Series(days, dtype=pl.Int32).cast(pl.Date), "m": months})
    out = frame.select(pl.col("d").dt.offset_by(pl.format("{}mo", "m")).cast(pl.Int32))
    return out.to_series().to_numpy().astype(np.int64)
def yyyymmdd(days: np.ndarray) -> np.ndarray:
    """Days since 1970 → yyyymmdd integers."""
    s = pl.Series(days.astype(np.int32)).cast(pl.Date)
    return (s.dt.year().cast(pl.Int64) * 10000 + s.dt.month().cast(pl.Int64) * 100 + s.dt.day().cast(pl.Int64)).to_numpy()
def uniform_days(rng, lo: np.ndarray | int, hi: np.ndarray | int, size: int) -> np.ndarray:
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), (size,))
    hi = np.maximum(lo, np.broadcast_to(np.asarray(hi, dtype=np.int64), (size,)))
    return lo + np.floor(rng.random(size) * (hi - lo + 1)).astype(np.int64)
@dataclass
class World:
    rng: np.random.Generator
    n: int
    as_of: dt.date
    w0: dt.date  # first day loans may be disbursed
    villages: pl.DataFrame  # vidx, town, township, village, village_short, branch
    households: pl.DataFrame | None = None
    persons: pl.DataFrame | None = None
    loans: pl.DataFrame | None = None
    used: np.ndarray | None = None  # households touched by an injection
    realistic: bool = False  # Han names drawn as a population has them (han_names)
    next_lid: int = 0
    next_pid: int = 0
    expected: list = field(default_factory=list)  # (rule, ref kind, ref, severity, kind)
    negatives: list = field(default_factory=list)  # (rule, ref kind, ref, note)
    specials: list = field(default_factory=list)  # pids whose IDs break the class rule
    unreadable: list = field(default_factory=list)  # (table, ref kind, ref, column, raw)

    @property
    def as_of_day(self) -> int:
        return day_number(self.as_of)
