"""Places: the county's committees (real ones first, made-up ones beyond the county's
size) and the registered households in them.
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import polars as pl

from loan_audit.pipeline.generate.setting import (
    ADDRESS,
    BANK,
    EXTRA_PREFIX,
    EXTRA_SUFFIX,
    HOUSEHOLDS_PER_VILLAGE,
    SIZE_P,
    STATUS_P,
    STATUSES,
    TOWNSHIPS,
)
from loan_audit.pipeline.generate.world import World, day_number, uniform_days


def place_key(township: pl.Expr, village: pl.Expr) -> pl.Expr:
    """The other reading of "the same village": 迭撒村 (bank) = 迭撒村委会 (roster)."""
    return pl.concat_str(
        township.str.replace(r"(镇|乡)$", ""), pl.lit("/"),
        village.str.replace(r"(村民委员会|村委会|居民委员会|居委会|社区|村)$", ""),
    )
def _extra_village_names(taken: set[str]):
    """Committee-like names for sets larger than the county (never a real one twice)."""
    numbers = "一二三四五六七八九"
    two = [p + a for p in EXTRA_PREFIX for a in EXTRA_SUFFIX]
    three = [p + a + b for p in EXTRA_PREFIX for a in EXTRA_SUFFIX for b in EXTRA_SUFFIX if a != b]
    for name in two + three + [n + k for k in numbers for n in two + three]:
        if name not in taken:
            yield name
def build_villages(n: int) -> pl.DataFrame:
    """The county's committees: a subset of the real ones for small sets, all of them
    plus made-up ones when a set has more registered households than the county
    (about HOUSEHOLDS_PER_VILLAGE per committee, as in Longchuan)."""
    names = [t[3].split() for t in TOWNSHIPS]
    real = sum(len(v) for v in names)
    needed = max(min(real, max(9, n // 40)), math.ceil(n / HOUSEHOLDS_PER_VILLAGE))
    shares = np.array([t[2] for t in TOWNSHIPS])
    per_town = np.maximum(1, np.round(shares * needed)).astype(int)
    extra = _extra_village_names({v for t in names for v in t})
    rows = []
    for t, (town, branch, _share, _v, _f) in enumerate(TOWNSHIPS):
        villages = names[t][: per_town[t]]
        villages += [next(extra) for _ in range(per_town[t] - len(villages))]
        rows += [(t, town, v + "村委会", v + "村", BANK + branch) for v in villages]
    frame = pl.DataFrame(rows, schema=["town", "township", "village", "village_short", "bank"], orient="row")
    return frame.with_row_index("vidx").with_columns(pl.col("vidx").cast(pl.Int64), pl.col("town").cast(pl.Int64))
def family_shares(villages: pl.DataFrame) -> np.ndarray:
    """Each township's shares of the name families (town × family): a province's from its
    committees (province.py), else Longchuan's."""
    if "f0" not in villages.columns:
        return np.array([t[4] for t in TOWNSHIPS])
    towns = villages.group_by("town").agg(pl.col(f"f{f}").first() for f in range(5)).sort("town")
    return towns.select(f"f{f}" for f in range(5)).to_numpy()
def build_households(w: World) -> None:
    rng, n = w.rng, w.n
    province = "county" in w.villages.columns
    if province:  # a committee by its weight (the county's and township's size)
        weight = w.villages["weight"].to_numpy()
        vidx = rng.choice(w.villages.height, size=n, p=weight / weight.sum())
        town = w.villages["town"].to_numpy()[vidx]
    else:
        towns = w.villages.group_by("town", maintain_order=True).agg(pl.col("vidx").min().alias("start"), pl.len().alias("count")).sort("town")
        start, count = towns["start"].to_numpy(), towns["count"].to_numpy()
        town = rng.choice(len(TOWNSHIPS), size=n, p=np.array([t[2] for t in TOWNSHIPS]))
        vidx = start[town] + np.floor(rng.random(n) * count[town]).astype(np.int64)
    fam_cum = np.cumsum(family_shares(w.villages), axis=1)
    family = (rng.random(n)[:, None] > fam_cum[town][:, :-1]).sum(1)
    size = rng.choice(np.arange(1, 8), size=n, p=SIZE_P)
    status = rng.choice(len(STATUSES), size=n, p=STATUS_P)
    w0 = day_number(w.w0)
    reg_hi = min(day_number(dt.date(2016, 12, 31)), w0 - 1)
    reg_lo = min(day_number(dt.date(2014, 10, 1)), reg_hi)
    registered = uniform_days(rng, reg_lo, reg_hi, n)
    mon_hi = min(day_number(dt.date(2020, 6, 30)), w.as_of_day)
    mon_lo = min(day_number(dt.date(2019, 1, 1)), mon_hi)
    registered = np.where(np.isin(status, [2, 3]), uniform_days(rng, mon_lo, mon_hi, n), registered)
    removed = uniform_days(rng, np.maximum(registered + 30, day_number(dt.date(2016, 1, 1))),
                            min(day_number(dt.date(2019, 12, 31)), w.as_of_day), n)
    frame = pl.DataFrame({
        "hh": np.arange(n, dtype=np.int64), "vidx": vidx, "family": family.astype(np.int64),
        "size": size.astype(np.int64), "status": np.array(STATUSES)[status],
        "registered_date": pl.Series(registered.astype(np.int32)).cast(pl.Date),
        "removed_date": pl.Series(np.where(status == 4, removed, 0).astype(np.int32)).cast(pl.Date),
    }).with_columns(
        pl.when(pl.col("status") == "已剔除").then(pl.col("removed_date")).alias("removed_date")
    ).join(w.villages.select("vidx", "town"), on="vidx", how="left", maintain_order="left")
    if province:  # county code, township and committee within the county, household
        frame = frame.join(w.villages.select("vidx", "county", "town_no", "village_no"), on="vidx", how="left",
                           maintain_order="left")
        number = pl.concat_str(
            pl.col("county"), pl.col("town_no").cast(pl.Utf8).str.zfill(2), pl.col("village_no").cast(pl.Utf8).str.zfill(3),
            (pl.int_range(pl.len()).over("vidx") + 1).cast(pl.Utf8).str.zfill(5),
        )
        w.households = frame.with_columns(number.alias("household_id")).drop("county", "town_no", "village_no")
        w.used = np.zeros(n, dtype=bool)
        return
    w.households = frame.with_columns(
        pl.concat_str(
            pl.lit(ADDRESS), (pl.col("town") + 1).cast(pl.Utf8).str.zfill(2),
            (pl.col("vidx") + 1).cast(pl.Utf8).str.zfill(max(3, len(str(w.villages.height)))),
            (pl.int_range(pl.len()).over("vidx") + 1).cast(pl.Utf8).str.zfill(5),
        ).alias("household_id")
    )
    w.used = np.zeros(n, dtype=bool)
