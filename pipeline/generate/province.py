"""A province as it is laid out (`generate(..., province="yunnan")`): its real county-level
units (codes and names from vocab/divisions.csv), 8–15 townships a county and about 10
committees a township, with the township and committee names that recur from county to
county (城关镇, 新华乡; 新村, 团结) beside names of the county's own.

`province_villages` returns the committees in the shape of `places.build_villages`
(vidx, town, township, village, village_short, bank) plus county (code), county_name,
town_no and village_no (the township's and committee's number within the county, for
the household numbers), the drawing weight of each committee, and the name families'
shares in its township (f0..f4: han, jingpo, dotted jingpo, dai, achang).
"""

from __future__ import annotations

import math
import re

import numpy as np
import polars as pl

from loan_audit.pipeline.generate.setting import ADDRESS as SEED_COUNTY
from loan_audit.pipeline.generate.setting import TOWNSHIPS
from loan_audit.pipeline.vocab.divisions import divisions

PROVINCES = {"yunnan": "53", "云南": "53", "云南省": "53", "53": "53"}
# Township names found in many counties (the stem; 镇 or 乡 is added).
COMMON_TOWNSHIPS = (
    "城关", "新华", "民主", "团结", "和平", "太平", "新街", "大营", "龙街", "东山", "西山", "南山", "北山",
    "河口", "中和", "永安", "长安", "新民", "金山", "红星", "胜利", "前进", "大河", "平安", "三合", "新安",
    "石门", "龙潭", "马街", "大坪", "小街", "新城", "古城", "清水", "白水", "黄泥", "松林", "白沙", "五里",
)
COMMON_VILLAGES = (
    "新村", "大村", "小村", "团结", "新民", "中心", "河边", "坝子", "大寨", "小寨", "新寨", "老寨", "上寨",
    "下寨", "中寨", "大坪", "小坪", "红星", "和平", "新华", "民主", "龙潭", "石桥", "松林", "沙坝", "凉水",
)
# Syllables of the county's own names (two make a stem).
SYLLABLES = (
    "勐", "芒", "者", "以", "大", "小", "上", "下", "旧", "老", "河", "坝", "山", "塘", "哨", "营", "屯", "街", "铺",
    "关", "庄", "甸", "箐", "坪", "冲", "谷", "沟", "岔", "桥", "湾", "洼", "垭", "岩", "峰", "龙", "凤", "马", "牛",
    "羊", "鸡", "鹤", "柳", "桃", "梨", "竹", "松", "杉", "茶", "麦", "谷", "禾", "花", "云", "雾", "东", "西", "南",
    "北", "中", "前", "后", "左", "右", "里", "外", "高", "平", "长", "宽", "青", "红", "白", "黑", "黄", "绿", "金",
    "银", "铜", "锡", "盐", "井", "泉", "溪", "江", "湖", "海", "滩", "洲", "源", "曼", "腊", "景", "弄", "邦", "户",
)
# Name families in a township (han, jingpo, dotted jingpo, dai, achang): Dehong's counties
# as Longchuan's townships have them, Xishuangbanna's and the Dai counties of Pu'er and
# Lincang with many Dai, elsewhere Han naming (the Yi, Bai, Hani … mostly bear Han-style names).
HAN_ONLY = (1.0, 0.0, 0.0, 0.0, 0.0)
DAI_COUNTIES = {"530824": 0.3, "530827": 0.3, "530922": 0.2, "530926": 0.35, "530927": 0.2}
TOWNSHIPS_PER_COUNTY = (8, 15)
VILLAGES_PER_TOWNSHIP = (8, 12)
MIN_HOUSEHOLDS_PER_VILLAGE = 40
VILLAGE_SIZE = (0.6, 1.8)  # a committee's households, relative to the mean


def province_code(name: str) -> str:
    code = PROVINCES.get(name.strip().lower())
    if code is None:
        raise ValueError(f"unknown province {name!r} (known: yunnan)")
    return code


def counties_of(province: str, counties: int | None = None) -> list[tuple[str, str]]:
    """(code, county name) of the province's county-level units in code order; with
    `counties`, that many: the seed county (陇川县, whose Jingpo and Dai names some injected
    cases need) and the others spread evenly over the list."""
    prefix = province_code(province)
    units = [(c, d.county) for c, d in sorted(divisions().items()) if c.startswith(prefix)]
    if counties is not None:
        if not 1 <= counties <= len(units):
            raise ValueError(f"counties must be between 1 and {len(units)}")
        seed = [u for u in units if u[0] == SEED_COUNTY]
        rest = [u for u in units if u[0] != SEED_COUNTY]
        spread = np.unique(np.round(np.linspace(0, len(rest) - 1, counties - len(seed))).astype(int)) if counties > len(seed) else []
        units = sorted(seed + [rest[i] for i in spread])
    return units


def _families(code: str, town_no: int) -> tuple[float, ...]:
    if code.startswith("5331"):  # 德宏州
        return TOWNSHIPS[town_no % len(TOWNSHIPS)][4]
    dai = 0.55 if code.startswith("5328") else DAI_COUNTIES.get(code, 0.0)
    return (1.0 - dai, 0.0, 0.0, dai, 0.0)


def _stems(rng, common: tuple[str, ...], k: int, common_share: float, taken: set[str]) -> list[str]:
    """k distinct stems not in `taken`: about `common_share` of them from `common`, the
    rest made of two syllables."""
    n_common = min(len(common), int(rng.binomial(k, common_share)))
    out = [common[i] for i in rng.choice(len(common), size=n_common, replace=False)]
    out = [s for s in out if s not in taken]
    while len(out) < k:
        a, b = rng.choice(len(SYLLABLES), size=2, replace=False)
        stem = SYLLABLES[a] + SYLLABLES[b]
        if stem not in out and stem not in taken and stem not in common:
            out.append(stem)
    return out


def _county_stem(name: str) -> str:
    return re.sub(r"(([\u4e00-\u9fff]{1,2}?族)+自治县|县|市|区)$", "", name)


def province_villages(province: str, households: int, seed: int, counties: int | None = None) -> pl.DataFrame:
    rng = np.random.default_rng([seed, 14])
    units = counties_of(province, counties)
    towns_each = rng.integers(TOWNSHIPS_PER_COUNTY[0], TOWNSHIPS_PER_COUNTY[1] + 1, len(units))
    villages_each = [rng.integers(VILLAGES_PER_TOWNSHIP[0], VILLAGES_PER_TOWNSHIP[1] + 1, t) for t in towns_each]
    # fewer committees where the households are too few for the whole layout
    scale = min(1.0, households / (MIN_HOUSEHOLDS_PER_VILLAGE * sum(int(v.sum()) for v in villages_each)))
    county_weight = rng.lognormal(0.0, 0.5, len(units))
    rows = []
    town = 0
    for (code, county), n_towns, n_vill, cw in zip(units, towns_each, villages_each, county_weight):
        stem = _county_stem(county)
        stems = _stems(rng, COMMON_TOWNSHIPS, int(n_towns), 0.4, {stem})
        town_share = rng.dirichlet(np.full(len(stems), 4.0))
        village_no = 0
        for t, (tstem, tshare, nv) in enumerate(zip(stems, town_share, n_vill)):
            suffix = "镇" if t < len(stems) // 2 or tstem == "城关" else "乡"
            township = tstem + suffix
            k = max(1, int(math.floor(nv * scale + rng.random())))
            fam = _families(code, t)
            for v in _stems(rng, COMMON_VILLAGES, k, 0.3, set()):
                village_no += 1
                rows.append((town, township, v + "村委会", v + "村", f"{stem}农村商业银行{tstem}支行", code, county,
                             t + 1, village_no, float(cw * tshare / k), *fam))
            town += 1
    schema = ["town", "township", "village", "village_short", "bank", "county", "county_name", "town_no",
              "village_no", "weight", "f0", "f1", "f2", "f3", "f4"]
    frame = pl.DataFrame(rows, schema=schema, orient="row")
    # committees of one size within a factor of three (the injected village clusters need
    # a dozen or more free households in the committees they pick, sometimes twice)
    mean = pl.col("weight").mean()
    frame = frame.with_columns(pl.col("weight").clip(VILLAGE_SIZE[0] * mean, VILLAGE_SIZE[1] * mean))
    return frame.with_row_index("vidx").with_columns(pl.col("vidx").cast(pl.Int64), pl.col("town").cast(pl.Int64))

