"""Background loans: up to three successive loans per borrowing household, none of which
breaks a rule.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from loan_audit.pipeline.generate.setting import (
    AMOUNT_P,
    AMOUNTS,
    BORROW_RATE,
    DAUGHTER,
    DIL,
    ELIGIBLE,
    HEAD,
    MONITORED,
    MONITORED_FROM,
    PURPOSE_P,
    PURPOSES,
    SON,
    SPOUSE,
)
from loan_audit.pipeline.generate.world import World, day_number, months_later, uniform_days


def age_years(birth: pl.Expr, day: dt.date) -> pl.Expr:
    return (pl.lit(day) - birth).dt.total_days() / 365.2425
def _candidates(w: World) -> pl.DataFrame:
    """Per household, the people who may borrow at any time in the window: in the
    roster, alive, an adult well inside 18–65 over the whole window."""
    P = w.persons
    return (
        P.filter(
            (pl.col("hh") >= 0) & (pl.col("member_status") == "正常") & ~pl.col("special")
            & pl.col("rel").is_in([HEAD, SPOUSE, SON, DAUGHTER, DIL])
            & (age_years(pl.col("birth"), w.w0) >= 22) & (age_years(pl.col("birth"), w.as_of) <= 60)
        )
        .with_columns(pl.when(pl.col("rel") == HEAD).then(0).when(pl.col("rel") == SPOUSE).then(1).otherwise(2).alias("prio"))
        .sort("hh", "prio", "slot")
    )
def background_loans(w: World) -> None:
    rng = w.rng
    H = w.households
    cand = _candidates(w)
    first = cand.group_by("hh", maintain_order=True).agg(
        pl.col("pid").first().alias("p1"), pl.col("pid").get(1, null_on_oob=True).alias("p2")
    )
    hh = H.join(first, on="hh", how="inner").sort("hh")
    n = hh.height
    status = hh["status"].to_numpy()
    u = rng.random(n)
    late = w.as_of_day - 30
    eligible = np.isin(status, ELIGIBLE) & (u < BORROW_RATE)
    mon_lo = max(day_number(MONITORED_FROM), day_number(w.w0))
    monitored = np.isin(status, MONITORED) & (u < 0.3) & (mon_lo <= late)
    take = eligible | monitored
    hh = hh.filter(pl.Series(take))
    lo = np.where(monitored[take], mon_lo, day_number(w.w0))
    k_hh = hh["hh"].to_numpy()
    p1, p2 = hh["p1"].to_numpy(), hh["p2"].fill_null(-1).to_numpy()
    alive = np.ones(len(k_hh), dtype=bool)
    start = uniform_days(rng, lo, late, len(k_hh))
    frames = []
    for k in range(3):
        idx = np.nonzero(alive)[0]
        c = len(idx)
        if c == 0:
            break
        disb = start[idx]
        months = rng.choice([12, 24, 36], size=c, p=[0.25, 0.35, 0.40])
        maturity = months_later(disb, months)
        amount = rng.choice(AMOUNTS, size=c, p=AMOUNT_P).astype(np.float64)
        rate = np.where(months == 12, 4.35, 4.75)
        covid = (maturity >= day_number(dt.date(2020, 1, 1))) & (maturity <= day_number(dt.date(2020, 12, 31))) & (rng.random(c) < 0.2)
        extended = np.where(covid, months_later(maturity, np.full(c, 6)), -1)
        eff = np.where(covid, extended, maturity)
        r = rng.random(c)
        done = eff <= w.as_of_day
        early = np.maximum(disb + 30, eff - rng.integers(1, 91, c))
        late_pay = eff + rng.integers(1, 21, c)
        settled = np.where(r < 0.25, early, np.where((r > 0.95) & (late_pay <= w.as_of_day), late_pay, eff))
        prepaid = ~done & (rng.random(c) < 0.07) & (disb + 30 <= w.as_of_day)
        settled = np.where(done, settled, np.where(prepaid, uniform_days(rng, disb + 30, w.as_of_day, c), -1))
        partial = np.round(amount * rng.uniform(0.3, 0.9, c), -2)
        balance = np.where(settled >= 0, 0.0, np.where(rng.random(c) < 0.8, amount, partial))
        use_alt = (k > 0) & (p2[idx] >= 0) & (rng.random(c) < 0.3)
        frames.append(pl.DataFrame({
            "hh": k_hh[idx], "pid": np.where(use_alt, p2[idx], p1[idx]), "disb": disb, "months": months,
            "maturity": maturity, "extended": extended, "settled": settled, "amount": amount, "rate": rate,
            "balance": balance,
        }))
        gap = np.where(rng.random(c) < 0.15, 0, rng.integers(1, 241, c))
        nxt = settled + gap
        go = (settled >= 0) & (rng.random(c) < (0.4 if k == 0 else 0.25)) & (nxt <= late)
        alive[:] = False
        alive[idx[go]] = True
        start[idx[go]] = nxt[go]
    raw = pl.concat(frames)
    c = raw.height
    purpose = rng.choice(len(PURPOSES), size=c, p=PURPOSE_P)
    usage = np.where(rng.random(c) < 0.1, "合作社带动", "自主发展")
    short = rng.random(c) < 0.7
    raw = raw.with_columns(
        pl.Series("purpose", np.array(PURPOSES)[purpose]), pl.Series("usage_mode", usage),
        pl.Series("short_village", short),
    )
    w.loans = _loan_frame(w, raw)
    w.next_lid = w.loans.height
def _as_date(col: str) -> pl.Expr:
    return pl.when(pl.col(col) >= 0).then(pl.col(col)).cast(pl.Int32).cast(pl.Date).alias(col)
LOAN_COLUMNS = (
    "lid", "hh", "pid", "borrower_name", "borrower_id", "vidx", "village_text", "amount", "disb",
    "maturity", "extended", "settled", "rate", "balance", "purpose", "usage_mode", "copies",
)
def _loan_frame(w: World, raw: pl.DataFrame) -> pl.DataFrame:
    """Loans from day-number columns: borrower name, ID and place from the person."""
    P = w.persons.select("pid", "name", "id_text", "vidx")
    frame = (
        raw.with_row_index("lid", offset=w.next_lid)
        .with_columns(pl.col("lid").cast(pl.Int64))
        .join(P, on="pid", how="left")
        .join(w.villages.select("vidx", "village", "village_short"), on="vidx", how="left")
        .with_columns(
            _as_date("disb"), _as_date("maturity"), _as_date("extended"), _as_date("settled"),
            pl.col("name").alias("borrower_name"), pl.col("id_text").alias("borrower_id"),
            pl.when(pl.col("short_village")).then(pl.col("village_short")).otherwise(pl.col("village")).alias("village_text"),
            pl.lit(0, dtype=pl.Int64).alias("copies"),
        )
    )
    return frame.select(LOAN_COLUMNS).sort("lid")
