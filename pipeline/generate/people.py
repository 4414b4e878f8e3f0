"""People: every household's members (relations, ages, families, names), the outsiders
who borrow without being in the roster, their resident IDs and their statuses.
"""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl

from loan_audit.pipeline.generate.idnumbers import SEQ, SEQ_LEN, V, digit_matrix, id_strings
from loan_audit.pipeline.generate.names import (
    DOTTED,
    FAMILY_CLASS,
    GIVEN,
    HAN,
    HAN_FEMALE,
    HAN_MALE,
    HAN_SINGLE_SHARE,
    JINGPO,
    SURNAMES,
    draw_realistic_han,
    name_expr,
    realistic_name_expr,
)
from loan_audit.pipeline.generate.places import family_shares
from loan_audit.pipeline.generate.setting import (
    ADDRESS,
    DAUGHTER,
    DIL,
    FATHER,
    GRANDDAUGHTER,
    GRANDSON,
    HEAD,
    MOTHER,
    OTHER_ADDRESSES,
    SIL,
    SON,
    SPOUSE,
)
from loan_audit.pipeline.generate.world import World, day_number, uniform_days, yyyymmdd


def _draw_family(rng, town: np.ndarray, shares: np.ndarray) -> np.ndarray:
    fam_cum = np.cumsum(shares, axis=1)
    return (rng.random(len(town))[:, None] > fam_cum[town][:, :-1]).sum(1)
def _draw_code(rng, upper: np.ndarray) -> np.ndarray:
    return np.floor(rng.random(len(upper)) * upper).astype(np.int64)
def build_persons(w: World, outsiders: int) -> None:
    """Members of every household, plus `outsiders` (borrowers not in the roster)."""
    rng, H = w.rng, w.households
    n = H.height
    size = H["size"].to_numpy()
    town = H["town"].to_numpy()
    fam_h = H["family"].to_numpy()
    head_age = np.floor(rng.triangular(24, 45, 80, n)).astype(np.int64)
    head_male = rng.random(n) < 0.85
    has_sp = (size >= 2) & (rng.random(n) < 0.85)
    n_par = np.where((head_age < 52) & (size >= 4), rng.choice([0, 1, 2], size=n, p=[0.5, 0.3, 0.2]), 0)
    old = has_sp & (size >= 4) & (head_age >= 58)
    shares = family_shares(w.villages)
    fam_s = np.where(rng.random(n) < 0.88, fam_h, _draw_family(rng, town, shares))
    fam_m, fam_d = _draw_family(rng, town, shares), _draw_family(rng, town, shares)
    nsur = np.array([len(s) for s in SURNAMES])
    sur_h, sur_s = _draw_code(rng, nsur[fam_h]), _draw_code(rng, nsur[fam_s])
    exo = (fam_s == fam_h) & (sur_s == sur_h) & np.isin(fam_h, [JINGPO, DOTTED])
    sur_s = np.where(exo, (sur_h + 1) % nsur[fam_s], sur_s)
    sur_m, sur_d = _draw_code(rng, nsur[fam_m]), _draw_code(rng, nsur[fam_d])
    father_is_head = head_male | ~has_sp
    fam_f = np.where(father_is_head, fam_h, fam_s)
    sur_f = np.where(father_is_head, sur_h, sur_s)

    hh = np.repeat(np.arange(n), size)
    total = len(hh)
    slot = np.arange(total) - np.repeat(np.cumsum(size) - size, size)
    sp = has_sp[hh].astype(np.int64)
    sz = size[hh]
    np_ = n_par[hh]
    j = slot - 1 - sp
    u = rng.random(total)
    rel = np.where(u < 0.5, SON, DAUGHTER)
    parent = slot >= sz - np_
    first_parent = slot == sz - np_
    rel = np.where(parent, np.where(first_parent & (np_ == 2), FATHER,
                                    np.where(first_parent, np.where(rng.random(total) < 0.5, FATHER, MOTHER), MOTHER)), rel)
    o = old[hh]
    rel = np.where(o & (j == 0), SON, rel)
    rel = np.where(o & (j == 1), DIL, rel)
    rel = np.where(o & (j >= 2), np.where(u < 0.5, GRANDSON, GRANDDAUGHTER), rel)
    rel = np.where((slot == 1) & (sp == 1), SPOUSE, rel)
    rel = np.where(slot == 0, HEAD, rel)

    a0 = head_age[hh]
    hm = head_male[hh]
    age = np.where(rel == HEAD, a0, 0)
    age = np.where(rel == SPOUSE, np.clip(a0 + np.round(rng.normal(-2, 4, total)).astype(np.int64), 18, 95), age)
    age = np.where(np.isin(rel, [FATHER, MOTHER]), a0 + rng.integers(22, 35, total), age)
    kid_hi = np.maximum(20, np.minimum(38, a0))
    kid = a0 - (20 + np.floor(rng.random(total) * (kid_hi - 20 + 1)).astype(np.int64))
    age = np.where(np.isin(rel, [SON, DAUGHTER]) & ~o, kid, age)
    age = np.where(np.isin(rel, [SON, DAUGHTER]) & o, a0 - rng.integers(22, 31, total), age)
    age = np.where(rel == DIL, a0 - rng.integers(20, 33, total), age)
    age = np.where(np.isin(rel, [GRANDSON, GRANDDAUGHTER]), np.maximum(0, a0 - rng.integers(44, 57, total)), age)
    age = np.maximum(age, 0)
    male = np.isin(rel, [FATHER, SON, GRANDSON, SIL]) | ((rel == HEAD) & hm) | ((rel == SPOUSE) & ~hm)

    family = np.select(
        [rel == HEAD, rel == SPOUSE, rel == FATHER, rel == MOTHER, rel == DIL],
        [fam_h[hh], fam_s[hh], fam_h[hh], fam_m[hh], fam_d[hh]], fam_f[hh])
    sur = np.select(
        [rel == HEAD, rel == SPOUSE, rel == FATHER, rel == MOTHER, rel == DIL],
        [sur_h[hh], sur_s[hh], sur_h[hh], sur_m[hh], sur_d[hh]], sur_f[hh])

    # outsiders: adults of the county who are not in the roster
    o_vidx = np.floor(rng.random(outsiders) * w.villages.height).astype(np.int64)
    o_age = rng.integers(25, 56, outsiders)
    o_male = rng.random(outsiders) < 0.8
    o_sur = _draw_code(rng, np.full(outsiders, nsur[HAN]))

    hh_all = np.concatenate([hh, np.full(outsiders, -1)])
    vidx = np.concatenate([H["vidx"].to_numpy()[hh], o_vidx])
    rel_all = np.concatenate([rel, np.full(outsiders, -1)])
    age_all = np.concatenate([age, o_age])
    male_all = np.concatenate([male, o_male]).astype(np.int64)
    fam_all = np.concatenate([family, np.full(outsiders, HAN)]).astype(np.int64)
    sur_all = np.concatenate([sur, o_sur])
    slot_all = np.concatenate([slot, np.zeros(outsiders, dtype=np.int64)])
    m = len(hh_all)
    birth = w.as_of_day - np.floor(age_all * 365.2425).astype(np.int64) - rng.integers(0, 365, m)
    birth = np.minimum(birth, w.as_of_day - 1)
    birth = _distinct_births(vidx, fam_all, birth, w.as_of_day - 1)

    # given names: Jingpo children by birth order, others at random
    ngiv = np.array([[len(g[0]), len(g[1])] for g in GIVEN])
    han_single = np.array([len(HAN_FEMALE), len(HAN_MALE)])
    giv = _draw_code(rng, ngiv[fam_all, male_all])
    single = rng.random(m) < HAN_SINGLE_SHARE
    giv = np.where((fam_all == HAN) & single, _draw_code(rng, han_single[male_all]), giv)
    giv = np.where((fam_all == HAN) & ~single, han_single[male_all] + _draw_code(rng, ngiv[fam_all, male_all] - han_single[male_all]), giv)
    outsider = hh_all < 0
    giv = np.where(outsider, han_single[male_all] + _draw_code(rng, ngiv[HAN, male_all] - han_single[male_all]), giv)
    if w.realistic:  # Han names as a population has them (the other families as before)
        han = fam_all == HAN
        r_sur, r_giv = draw_realistic_han(rng, male_all[han])
        sur_all, giv = sur_all.copy(), giv.copy()
        sur_all[han], giv[han] = r_sur, r_giv
    frame = pl.DataFrame({
        "pid": np.arange(m, dtype=np.int64), "hh": hh_all, "slot": slot_all, "rel": rel_all,
        "male": male_all, "birth": birth, "family": fam_all, "vidx": vidx, "sur": sur_all, "giv": giv,
    })
    child = pl.col("rel").is_in([SON, DAUGHTER])
    order = pl.col("birth").rank("ordinal").over("hh", "male", child) - 1
    frame = frame.with_columns(
        pl.when(child & (pl.col("family") == JINGPO))
        .then(order % pl.when(pl.col("male") == 1).then(len(GIVEN[JINGPO][1])).otherwise(len(GIVEN[JINGPO][0])))
        .otherwise(pl.col("giv")).cast(pl.Int64).alias("giv")
    )
    frame = frame.with_columns((realistic_name_expr() if w.realistic else name_expr()).alias("name"))
    frame = _unique_outsider_names(w, frame)
    w.persons = frame
    w.next_pid = m
def _unique_outsider_names(w: World, frame: pl.DataFrame) -> pl.DataFrame:
    """An outsider's name is nobody else's in the village (so that the two readings of
    "the same village" cannot disagree about 贷款户重名)."""
    nsur = len(SURNAMES[HAN])
    for _ in range(50):
        clash = frame.with_columns(pl.len().over("vidx", "name").alias("_k")).filter(
            (pl.col("hh") < 0) & (pl.col("_k") > 1)
        )["pid"]
        if clash.len() == 0:
            return frame
        k = clash.len()
        male = frame.filter(pl.col("pid").is_in(clash.implode()))["male"].to_numpy()
        if w.realistic:
            sur, giv = draw_realistic_han(w.rng, male)
        else:
            sur = np.floor(w.rng.random(k) * nsur).astype(np.int64)
            single = np.array([len(HAN_FEMALE), len(HAN_MALE)])[male]
            giv = single + np.floor(w.rng.random(k) * (np.array([len(GIVEN[HAN][0]), len(GIVEN[HAN][1])])[male] - single)).astype(np.int64)
        patch = pl.DataFrame({"pid": clash, "sur": sur, "giv": giv})
        frame = frame.update(patch, on="pid").with_columns((realistic_name_expr() if w.realistic else name_expr()).alias("name"))
    raise RuntimeError("could not give outsiders unique names")
def _distinct_births(vidx, family, desired, cap) -> np.ndarray:
    """Birth days distinct within (village, name family): shift forward past a taken day,
    and back from `cap` when a group runs out of days (vectorised cumulative max)."""
    frame = pl.DataFrame({"i": np.arange(len(vidx)), "v": vidx, "f": family, "b": desired}).sort("v", "f", "b", "i")
    k = pl.int_range(pl.len()).over("v", "f")
    frame = frame.with_columns(k.alias("k"), pl.len().over("v", "f").alias("n"))
    frame = frame.with_columns((pl.col("b") - pl.col("k")).cum_max().over("v", "f").alias("c"))
    frame = frame.with_columns(
        (pl.col("k") + pl.min_horizontal(pl.col("c"), pl.lit(cap) - pl.col("n") + 1)).alias("b")
    )
    return frame.sort("i")["b"].to_numpy()
def assign_ids(w: World) -> None:
    """Resident IDs: address, birth date, a sequence code that puts the body in its name
    family's class, and the MOD 11-2 check. Unique; no two of one class are neighbours."""
    P = w.persons
    rng = w.rng
    m = P.height
    rel = P["rel"].to_numpy()
    moved_in = np.isin(rel, [SPOUSE, MOTHER, DIL]) & (rng.random(m) < 0.05)
    addr_idx = np.where(moved_in, 1 + np.floor(rng.random(m) * 4).astype(np.int64), 0)
    codes = np.array([int(ADDRESS)] + [int(a) for a in OTHER_ADDRESSES])
    if "county" in w.villages.columns:  # a province: born in the county of the village
        home = w.villages["county"].cast(pl.Int64).to_numpy()[P["vidx"].to_numpy()]
        table = np.array([int(ADDRESS)] + [int(a) for a in OTHER_ADDRESSES])
        others = np.array([[c for c in table if c != h][: len(OTHER_ADDRESSES)] for h in np.unique(home)])
        rows = np.searchsorted(np.unique(home), home)
        codes = np.column_stack([home, others[rows]])  # person × address choice
    else:
        codes = np.broadcast_to(codes, (m, len(codes)))
    pick = np.arange(m)
    ymd = yyyymmdd(P["birth"].to_numpy())
    klass = np.array(FAMILY_CLASS)[P["family"].to_numpy()]
    male = P["male"].to_numpy()
    u = rng.random(m)
    for _ in range(codes.shape[1]):
        base = (digit_matrix(codes[pick, addr_idx], 6) * V[:6]).sum(1) + (digit_matrix(ymd, 8) * V[6:14]).sum(1)
        t = (klass - base) % 11
        frame = pl.DataFrame({"a": codes[pick, addr_idx], "y": ymd, "s": male, "t": t, "u": u})
        keys = ["a", "y", "s", "t"]
        ranked = frame.select(
            pl.int_range(pl.len()).over(keys).alias("r"), pl.col("u").min().over(keys).alias("o"),
        )
        rank, offset = ranked["r"].to_numpy(), ranked["o"].to_numpy()
        length = SEQ_LEN[t, male]
        over = rank >= length
        if not over.any():
            break
        addr_idx = np.where(over, addr_idx + 1, addr_idx)
    else:
        raise RuntimeError("too many people born on one day for the ID sequence codes")
    idx = (np.floor(offset * length).astype(np.int64) + rank) % length
    seq = SEQ[t, male, idx]
    addr = codes[pick, addr_idx]
    ids = id_strings(addr, ymd, seq)
    assert ids.n_unique() == m
    w.persons = P.with_columns(
        ids.alias("id"), pl.Series("addr", addr), pl.Series("seq", seq),
    ).with_columns(pl.col("id").alias("id_text"), pl.lit(True).alias("valid"))
def set_member_status(w: World) -> None:
    P, rng = w.persons, w.rng
    m = P.height
    age = (w.as_of_day - P["birth"].to_numpy()) / 365.2425
    rel = P["rel"].to_numpy()
    roster = P["hh"].to_numpy() >= 0
    dead = roster & (age >= 65) & (rng.random(m) < 0.05)
    moved = roster & ~dead & np.isin(rel, [SON, DAUGHTER]) & (age >= 18) & (age <= 40) & (rng.random(m) < 0.03)
    lo = np.maximum(day_number(dt.date(2016, 1, 1)), P["birth"].to_numpy() + 1)
    when = uniform_days(rng, lo, w.as_of_day, m)
    status = np.where(dead, "死亡", np.where(moved, "迁出", "正常"))
    w.persons = P.with_columns(
        pl.Series("member_status", status),
        pl.Series("status_change_date", np.where(dead | moved, when, 0).astype(np.int32)).cast(pl.Date),
        pl.lit(False).alias("special"),
        pl.col("birth").cast(pl.Int32).cast(pl.Date),
        pl.Series("u", rng.random(m)),  # fixed shuffle key for choosing injected people
    ).with_columns(
        pl.when(pl.col("member_status") == "正常").then(None).otherwise(pl.col("status_change_date")).alias("status_change_date")
    )
