"""A synthetic Longchuan data set with exact labels: `generate(households, seed, out)`.

What it writes into `out` (created if missing):

- clean (`messy=False`): `roster.parquet`, `loans.parquet` with the canonical columns of
  SPEC §2 (IDs as text, dates `pl.Date`, money Float64 yuan, rates in percent);
- messy (`messy=True`): `roster.csv` in GBK and `loans.xlsx` (a title row, then Chinese
  headers, 万元 amounts), mixed date forms and cell types, decorated IDs (full-width,
  spaced, lower-case x, 15-digit) and names (middle-dot variants), an extra 备注 column,
  and a few unreadable values (labelled `unreadable_value`). The same seed gives the same
  people and loans in both forms;
- `labels.csv` (UTF-8): `rule, table, loan_id, id_number, note`: every loan (per loan_id)
  or ID that SPEC §4 flags at `as_of` under the default policy, injected or incidental,
  and nothing else; the note starts with the severity and ends with the injected kind or
  "incidental";
- `edge_cases.csv`: the same columns, loans near a boundary that must NOT be flagged;
- `meta.json`: the arguments, row counts and label counts per rule (the return value).

How the labels stay exact
- The world is built in layers: households and people, background loans that break no
  rule, then injected cases on households no other case touches (an injected household's
  background loans give way to the case's loans).
- The labels are computed by `_labels`, a direct reading of SPEC §3–§4 over the tables as
  the pipeline sees them after normalisation (the messy form's unreadable cells as null);
  `_check` then asserts that every injected case carries its label and severity and no
  edge case is labelled. Incidental findings (due_soon loans, repeated Jingpo and Dai
  names, an injected loan that also overlaps) are labelled because the reading finds them.
- Where the SPEC can be read two ways the data avoids the difference, and the labels
  check that both readings agree (`_ambiguity_guards`): a village spelled `…村` by the
  bank and `…村委会` in the roster, a name with or without its middle dot, a
  one-character name substitution that is neither a homophone nor a similar shape
  (`similar_names` returns None for those, and any such pair is a generator error).
- 疑似一人多证 without all pairs: every background person's 17-digit ID body satisfies
  `sum(V[i] * d[i]) % 11 == class of the person's name family`. With weights that are
  non-zero and differ between neighbours modulo 11 (the trick of the MOD 11-2 check),
  two bodies of one class never differ in one digit or one adjacent transposition. Name
  families use disjoint characters with disjoint pinyin readings, so names of two
  families are never similar; within a family and village, birth days are distinct.
  Hence no background pair is 疑似一人多证; injected people get IDs checked against
  everyone's (`Injector._free`) and `identity_pairs` labels the pairs they form. The
  check characters stay uniformly spread (V is not proportional to W).

Scale: numpy and polars over whole columns; Python loops only over injected cases (a
handful per 2,000 households) and the rows of the xlsx writer. Beyond the county's size
(about 130 registered households per committee) made-up committee names are added.
"""

from __future__ import annotations

import datetime as dt
import json
import math
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl
from pypinyin import Style, pinyin

from loan_audit.pipeline.vocab.ids import CHECK_CHARS, check_char, is_valid

EPOCH = dt.date(1970, 1, 1)
EXCEL_EPOCH = dt.date(1899, 12, 30)

# ---------------------------------------------------------------------------------
# The setting: townships, villages (approximate committee names), banks
# ---------------------------------------------------------------------------------
# (township, bank branch, share of households, villages, family shares han/jingpo/dotted/dai/achang)
TOWNSHIPS = (
    ("章凤镇", "章凤支行", 0.18, "章凤 迭撒 拉影 芒弄 弄龙 户弄 曼软 云盘", (0.30, 0.28, 0.04, 0.38, 0.0)),
    ("陇把镇", "陇把支行", 0.10, "陇把 吕良 龙安 邦外 曼冒 扎朵 丙午", (0.50, 0.25, 0.05, 0.20, 0.0)),
    ("景罕镇", "景罕支行", 0.12, "景罕 广宋 曼胆 贺德 弄坎 朋生 曼峨", (0.30, 0.20, 0.02, 0.48, 0.0)),
    ("城子镇", "城子支行", 0.12, "城子 麻竜 等线 曼允 勐广 芒林", (0.35, 0.22, 0.03, 0.40, 0.0)),
    ("户撒阿昌族乡", "户撒支行", 0.10, "户撒 芒东 曼炳 保平 明社 潘乐 朗光 腊撒", (0.30, 0.08, 0.02, 0.0, 0.60)),
    ("护国乡", "护国支行", 0.09, "护国 邦瓦 杏万 芒面 帮弄", (0.40, 0.50, 0.10, 0.0, 0.0)),
    ("清平乡", "清平支行", 0.10, "清平 拱岭 弄贤 石梯 广林", (0.30, 0.60, 0.10, 0.0, 0.0)),
    ("王子树乡", "王子树支行", 0.08, "王子树 邦角 下邦 芒满", (0.30, 0.60, 0.10, 0.0, 0.0)),
    ("勐约乡", "勐约支行", 0.11, "勐约 巴达 芒棒 曼约 南宛", (0.35, 0.55, 0.10, 0.0, 0.0)),
)
BANK = "陇川农村商业银行"
# Syllables of made-up committee names for sets larger than the county.
EXTRA_PREFIX = "芒弄曼邦拉户广贺等允南帕"
EXTRA_SUFFIX = "东海岗线坎满宋丙喊来令岭"
HOUSEHOLDS_PER_VILLAGE = 130
ADDRESS = "533124"
# Dehong's other county codes (spouses from elsewhere; overflow of very dense birth days).
OTHER_ADDRESSES = ("533103", "533102", "533122", "533123", "530102", "530381", "532301", "532522")

# ---------------------------------------------------------------------------------
# The policy the labels are computed for (SPEC §4 defaults, rules/policy.toml)
# ---------------------------------------------------------------------------------
MAX_AMOUNT = 50_000.0
MAX_TERM_MONTHS = 36
EXTENSION_FULL_TERM_UP_TO = 12
MIN_AGE, MAX_AGE = 18, 65
DUE_SOON_DAYS = 90
CLUSTER_MIN = 10
MONITORED_FROM = dt.date(2020, 7, 1)
BASE_RATES = ((dt.date(2015, 10, 24), 4.75),)
NON_PRODUCTIVE = (
    "建房", "修房", "购房", "装修", "购车", "买车", "消费", "生活", "家电", "家庭用品",
    "理财", "婚", "丧", "治病", "医疗", "看病", "上学", "学费", "还债", "还旧贷", "借新还旧",
)
ENTERPRISE_MODES = ("户贷企用", "户贷社管", "分贷统还")
ENTERPRISE_WORDS = ("入股", "分红", "转贷", "指标交换", "企业使用")
RULES = (
    "overdue", "due_soon", "over_limit", "multiple_loans_per_household", "non_poor_borrower",
    "non_productive_use", "enterprise_use", "term_over_limit", "rate_above_base", "borrower_age",
    "deceased_borrower", "invalid_id_number", "duplicate_loan_record", "name_id_mismatch",
    "duplicate_name", "suspected_same_person",
)

# ---------------------------------------------------------------------------------
# Households and people
# ---------------------------------------------------------------------------------
STATUSES = ("已脱贫", "贫困户", "边缘户", "监测户", "已剔除")
STATUS_P = (0.62, 0.22, 0.04, 0.03, 0.09)
ELIGIBLE = ("已脱贫", "贫困户")
MONITORED = ("边缘户", "监测户")
SIZE_P = (0.08, 0.15, 0.22, 0.25, 0.17, 0.09, 0.04)  # 1..7 members
RELATIONS = ("户主", "配偶", "子", "女", "父亲", "母亲", "儿媳", "孙子", "孙女", "女婿")
HEAD, SPOUSE, SON, DAUGHTER, FATHER, MOTHER, DIL, GRANDSON, GRANDDAUGHTER, SIL = range(10)
BORROW_RATE = 0.6874  # the seed's 发放率

# Name families: characters (and their pinyin readings) never shared between families,
# so names of two families are never similar (SPEC §4 suspected_same_person).
HAN, JINGPO, DOTTED, DAI, ACHANG = range(5)
FAMILY_CLASS = (2, 7, 4, 9, 0)  # ID body class per family (see module docstring)
_HAN_M, _HAN_F = "建华明军强平福贵德成永海东光发顺兴家伟", "芳秀兰春梅红金玲荣琼凤珍美萍敏静"


def _han_given(chars: str) -> list[str]:
    return list(chars) + [a + b for a in chars for b in chars if a != b]


SURNAMES = (
    list("张王赵刘陈黄周吴段何孙朱胡高林郑谢左毕蒋"),
    list("排岳李彭尚杨童徐"),  # Jingpo clans
    ["恩昆", "凯然"],  # Jingpo clans written in full, with a middle dot
    ["", "线", "刀", "郎"],  # Dai: (surname) + 岩/喃 + name
    list("曹熊赖囊"),  # Achang
)
SEPARATOR = ("", "", "·", "", "")
GIVEN = (  # [female, male]
    (_han_given(_HAN_F), _han_given(_HAN_M)),
    (["木果", "麻果", "木鲁", "麻鲁"], ["麻干", "麻诺", "勒干", "勒诺", "麻途", "勒途"]),  # birth order
    (["堵", "扎", "当", "堵当"], ["早扎", "腾", "宽当", "宽"]),
    (["喃香", "喃罕", "喃娥", "喃叫", "喃嫩", "喃楞", "喃思"], ["岩温", "岩坎", "岩帕", "岩叫", "岩软", "岩思", "岩嫩"]),
    ([a + b for a in "腊喇老" for b in "团翁准朵"],) * 2,
)
HAN_SINGLE_SHARE = 0.3

# Clerks' typos (name_id_mismatch) and the variants of one person (suspected_same_person).
HOMOPHONE = {"伟": "玮", "华": "桦", "明": "铭", "军": "君", "梅": "玫", "红": "宏", "东": "冬", "兰": "蓝", "芳": "方"}
SHAPE = {"王": "玉", "干": "千", "木": "本", "金": "全", "东": "车", "凤": "风"}
SHAPE_PAIRS = frozenset(frozenset(p) for p in SHAPE.items())

PURPOSES = (
    "种植", "养殖", "农副产品加工", "流通", "购买仔猪", "购买货车跑运输", "种植甘蔗", "种植水稻",
    "养殖生猪", "养殖山羊", "种植茶叶", "种植坚果",
)
PURPOSE_P = (0.12, 0.14, 0.05, 0.04, 0.08, 0.04, 0.15, 0.06, 0.14, 0.06, 0.06, 0.06)
AMOUNTS = (50_000, 30_000, 20_000, 40_000, 10_000, 15_000, 25_000, 35_000, 45_000)
AMOUNT_P = (0.46, 0.15, 0.12, 0.08, 0.07, 0.03, 0.03, 0.03, 0.03)
CLUSTER_PURPOSE, CLUSTER9_PURPOSE = "养殖肉牛", "种植澳洲坚果"

# ID class weights: non-zero and neighbour-distinct modulo 11, not proportional to W.
W = np.array((7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2), dtype=np.int64)
V = np.array([(i % 10) + 1 for i in range(17)], dtype=np.int64)
CHECK = np.array(list(CHECK_CHARS))


# ---------------------------------------------------------------------------------
# Small date helpers
# ---------------------------------------------------------------------------------
def _day(d: dt.date) -> int:
    return (d - EPOCH).days


def _date(n: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(n))


def add_months(d: dt.date, months: int) -> dt.date:
    """Calendar months, clipped to the month's end (SPEC §3)."""
    m = d.month - 1 + months
    year, month = d.year + m // 12, m % 12 + 1
    last = (dt.date(year + month // 12, month % 12 + 1, 1) - dt.timedelta(days=1)).day
    return dt.date(year, month, min(d.day, last))


def _add_years(d: dt.date, years: int) -> dt.date:
    return d.replace(year=d.year + years)


def _months_vec(days: np.ndarray, months: np.ndarray) -> np.ndarray:
    frame = pl.DataFrame({"d": pl.Series(days, dtype=pl.Int32).cast(pl.Date), "m": months})
    out = frame.select(pl.col("d").dt.offset_by(pl.format("{}mo", "m")).cast(pl.Int32))
    return out.to_series().to_numpy().astype(np.int64)


def _ymd(days: np.ndarray) -> np.ndarray:
    """Days since 1970 → yyyymmdd integers."""
    s = pl.Series(days.astype(np.int32)).cast(pl.Date)
    return (s.dt.year().cast(pl.Int64) * 10000 + s.dt.month().cast(pl.Int64) * 100 + s.dt.day().cast(pl.Int64)).to_numpy()


def _digits(values: np.ndarray, width: int) -> np.ndarray:
    out = np.empty((len(values), width), dtype=np.int64)
    v = values.astype(np.int64).copy()
    for i in range(width - 1, -1, -1):
        out[:, i] = v % 10
        v //= 10
    return out


# ---------------------------------------------------------------------------------
# ID anatomy helpers
# ---------------------------------------------------------------------------------
def _seq_table() -> tuple[np.ndarray, np.ndarray]:
    """SEQ[t, sex]: sequence codes 001–999 (odd last digit male) whose digits add t to
    the class sum; LEN[t, sex] how many."""
    seqs = np.arange(1, 1000)
    d = _digits(seqs, 3)
    part = (d * V[14:17]).sum(1) % 11
    sex = d[:, 2] % 2
    table = np.full((11, 2, 64), -1, dtype=np.int64)
    lens = np.zeros((11, 2), dtype=np.int64)
    for t in range(11):
        for s in (0, 1):
            sel = seqs[(part == t) & (sex == s)]
            table[t, s, : len(sel)] = sel
            lens[t, s] = len(sel)
    return table, lens


SEQ, SEQ_LEN = _seq_table()


def _bodies(addr: np.ndarray, ymd: np.ndarray, seq: np.ndarray) -> np.ndarray:
    """(n, 17) digit matrix of ID bodies."""
    return np.hstack([_digits(addr, 6), _digits(ymd, 8), _digits(seq, 3)])


def _id_strings(addr: np.ndarray, ymd: np.ndarray, seq: np.ndarray) -> pl.Series:
    digits = _bodies(addr, ymd, seq)
    check = CHECK[(digits * W).sum(1) % 11]
    frame = pl.DataFrame({"a": addr, "b": ymd, "s": seq, "c": check})
    return frame.select(
        pl.concat_str(pl.col("a").cast(pl.Utf8), pl.col("b").cast(pl.Utf8),
                      pl.col("s").cast(pl.Utf8).str.zfill(3), pl.col("c"))
    ).to_series()


def _with_check(body: str) -> str:
    return body + check_char(body)


# ---------------------------------------------------------------------------------
# Names: similarity as SPEC §4 words it, with the doubtful cases marked
# ---------------------------------------------------------------------------------
_READINGS: dict[str, tuple[str, frozenset]] = {}


def _readings(ch: str) -> tuple[str, frozenset]:
    if ch not in _READINGS:
        primary = pinyin(ch, style=Style.NORMAL)[0][0]
        _READINGS[ch] = (primary, frozenset(pinyin(ch, style=Style.NORMAL, heteronym=True)[0]) | {primary})
    return _READINGS[ch]


def similar_names(a: str, b: str) -> bool | None:
    """SPEC §4's "similar names (equal, same toneless pinyin, or one character apart)",
    on names without their middle dot. None when the answer depends on the reading: the
    same pinyin only under a rarer reading of a character, or a one-character
    substitution that is neither a homophone nor a listed similar shape (siblings such
    as 岳麻干/岳麻诺 differ that way: "one character apart" taken literally would make
    them one person)."""
    a, b = a.replace("·", ""), b.replace("·", "")
    if a == b:
        return True
    if len(a) == len(b):
        pairs = [(_readings(x), _readings(y)) for x, y in zip(a, b)]
        if all(ra[0] == rb[0] for ra, rb in pairs):
            return True
        diffs = [(x, y) for x, y in zip(a, b) if x != y]
        if len(diffs) == 1 and frozenset(diffs[0]) in SHAPE_PAIRS:
            return True
        if all(ra[1] & rb[1] for ra, rb in pairs) or len(diffs) == 1:
            return None
        return False
    if abs(len(a) - len(b)) == 1:
        short, long_ = sorted((a, b), key=len)
        if any(long_[:i] + long_[i + 1:] == short for i in range(len(long_))):
            return True
    return False


def place_key(township: pl.Expr, village: pl.Expr) -> pl.Expr:
    """The other reading of "the same village": 迭撒村 (bank) = 迭撒村委会 (roster)."""
    return pl.concat_str(
        township.str.replace(r"(镇|乡)$", ""), pl.lit("/"),
        village.str.replace(r"(村民委员会|村委会|居民委员会|居委会|社区|村)$", ""),
    )


# ---------------------------------------------------------------------------------
# The world
# ---------------------------------------------------------------------------------
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
    next_lid: int = 0
    next_pid: int = 0
    expected: list = field(default_factory=list)  # (rule, ref kind, ref, severity, kind)
    negatives: list = field(default_factory=list)  # (rule, ref kind, ref, note)
    specials: list = field(default_factory=list)  # pids whose IDs break the class rule
    unreadable: list = field(default_factory=list)  # (table, ref kind, ref, column, raw)

    @property
    def as_of_day(self) -> int:
        return _day(self.as_of)


def _extra_village_names(taken: set[str]):
    """Committee-like names for sets larger than the county (never a real one twice)."""
    numbers = "一二三四五六七八九"
    two = [p + a for p in EXTRA_PREFIX for a in EXTRA_SUFFIX]
    three = [p + a + b for p in EXTRA_PREFIX for a in EXTRA_SUFFIX for b in EXTRA_SUFFIX if a != b]
    for name in two + three + [n + k for k in numbers for n in two + three]:
        if name not in taken:
            yield name


def _villages(n: int) -> pl.DataFrame:
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


def _uniform_days(rng, lo: np.ndarray | int, hi: np.ndarray | int, size: int) -> np.ndarray:
    lo = np.broadcast_to(np.asarray(lo, dtype=np.int64), (size,))
    hi = np.maximum(lo, np.broadcast_to(np.asarray(hi, dtype=np.int64), (size,)))
    return lo + np.floor(rng.random(size) * (hi - lo + 1)).astype(np.int64)


def _build_households(w: World) -> None:
    rng, n = w.rng, w.n
    towns = w.villages.group_by("town", maintain_order=True).agg(pl.col("vidx").min().alias("start"), pl.len().alias("count")).sort("town")
    start, count = towns["start"].to_numpy(), towns["count"].to_numpy()
    town = rng.choice(len(TOWNSHIPS), size=n, p=np.array([t[2] for t in TOWNSHIPS]))
    vidx = start[town] + np.floor(rng.random(n) * count[town]).astype(np.int64)
    fam_cum = np.cumsum(np.array([t[4] for t in TOWNSHIPS]), axis=1)
    family = (rng.random(n)[:, None] > fam_cum[town][:, :-1]).sum(1)
    size = rng.choice(np.arange(1, 8), size=n, p=SIZE_P)
    status = rng.choice(len(STATUSES), size=n, p=STATUS_P)
    w0 = _day(w.w0)
    reg_hi = min(_day(dt.date(2016, 12, 31)), w0 - 1)
    reg_lo = min(_day(dt.date(2014, 10, 1)), reg_hi)
    registered = _uniform_days(rng, reg_lo, reg_hi, n)
    mon_hi = min(_day(dt.date(2020, 6, 30)), w.as_of_day)
    mon_lo = min(_day(dt.date(2019, 1, 1)), mon_hi)
    registered = np.where(np.isin(status, [2, 3]), _uniform_days(rng, mon_lo, mon_hi, n), registered)
    removed = _uniform_days(rng, np.maximum(registered + 30, _day(dt.date(2016, 1, 1))),
                            min(_day(dt.date(2019, 12, 31)), w.as_of_day), n)
    frame = pl.DataFrame({
        "hh": np.arange(n, dtype=np.int64), "vidx": vidx, "family": family.astype(np.int64),
        "size": size.astype(np.int64), "status": np.array(STATUSES)[status],
        "registered_date": pl.Series(registered.astype(np.int32)).cast(pl.Date),
        "removed_date": pl.Series(np.where(status == 4, removed, 0).astype(np.int32)).cast(pl.Date),
    }).with_columns(
        pl.when(pl.col("status") == "已剔除").then(pl.col("removed_date")).alias("removed_date")
    ).join(w.villages.select("vidx", "town"), on="vidx", how="left", maintain_order="left")
    w.households = frame.with_columns(
        pl.concat_str(
            pl.lit(ADDRESS), (pl.col("town") + 1).cast(pl.Utf8).str.zfill(2),
            (pl.col("vidx") + 1).cast(pl.Utf8).str.zfill(max(3, len(str(w.villages.height)))),
            (pl.int_range(pl.len()).over("vidx") + 1).cast(pl.Utf8).str.zfill(5),
        ).alias("household_id")
    )
    w.used = np.zeros(n, dtype=bool)


def _draw_family(rng, town: np.ndarray) -> np.ndarray:
    fam_cum = np.cumsum(np.array([t[4] for t in TOWNSHIPS]), axis=1)
    return (rng.random(len(town))[:, None] > fam_cum[town][:, :-1]).sum(1)


def _draw_code(rng, upper: np.ndarray) -> np.ndarray:
    return np.floor(rng.random(len(upper)) * upper).astype(np.int64)


def _build_persons(w: World, outsiders: int) -> None:
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
    fam_s = np.where(rng.random(n) < 0.88, fam_h, _draw_family(rng, town))
    fam_m, fam_d = _draw_family(rng, town), _draw_family(rng, town)
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
    han_single = np.array([len(_HAN_F), len(_HAN_M)])
    giv = _draw_code(rng, ngiv[fam_all, male_all])
    single = rng.random(m) < HAN_SINGLE_SHARE
    giv = np.where((fam_all == HAN) & single, _draw_code(rng, han_single[male_all]), giv)
    giv = np.where((fam_all == HAN) & ~single, han_single[male_all] + _draw_code(rng, ngiv[fam_all, male_all] - han_single[male_all]), giv)
    outsider = hh_all < 0
    giv = np.where(outsider, han_single[male_all] + _draw_code(rng, ngiv[HAN, male_all] - han_single[male_all]), giv)
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
    frame = frame.with_columns(_name_expr().alias("name"))
    frame = _unique_outsider_names(w, frame)
    w.persons = frame
    w.next_pid = m


def _name_tables() -> tuple[pl.Series, np.ndarray, pl.Series, np.ndarray]:
    sur_flat, sur_off, giv_flat, giv_off = [], [], [], np.zeros((5, 2), dtype=np.int64)
    for f in range(5):
        sur_off.append(len(sur_flat))
        sur_flat += SURNAMES[f]
        for s in (0, 1):
            giv_off[f, s] = len(giv_flat)
            giv_flat += GIVEN[f][s]
    return pl.Series(sur_flat), np.array(sur_off), pl.Series(giv_flat), giv_off


_SUR_FLAT, _SUR_OFF, _GIV_FLAT, _GIV_OFF = _name_tables()


def _name_expr() -> pl.Expr:
    sur_idx = pl.col("family").replace_strict(dict(enumerate(_SUR_OFF.tolist()))) + pl.col("sur")
    giv_idx = (
        pl.col("family").replace_strict(dict(enumerate(_GIV_OFF[:, 0].tolist())))
        + pl.col("male") * (pl.col("family").replace_strict(dict(enumerate((_GIV_OFF[:, 1] - _GIV_OFF[:, 0]).tolist()))))
        + pl.col("giv")
    )
    sep = pl.col("family").replace_strict(dict(enumerate(SEPARATOR)), return_dtype=pl.Utf8)
    return pl.concat_str(pl.lit(_SUR_FLAT).gather(sur_idx), sep, pl.lit(_GIV_FLAT).gather(giv_idx))


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
        sur = np.floor(w.rng.random(k) * nsur).astype(np.int64)
        male = frame.filter(pl.col("pid").is_in(clash.implode()))["male"].to_numpy()
        single = np.array([len(_HAN_F), len(_HAN_M)])[male]
        giv = single + np.floor(w.rng.random(k) * (np.array([len(GIVEN[HAN][0]), len(GIVEN[HAN][1])])[male] - single)).astype(np.int64)
        patch = pl.DataFrame({"pid": clash, "sur": sur, "giv": giv})
        frame = frame.update(patch, on="pid").with_columns(_name_expr().alias("name"))
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


def _assign_ids(w: World) -> None:
    """Resident IDs: address, birth date, a sequence code that puts the body in its name
    family's class, and the MOD 11-2 check. Unique; no two of one class are neighbours."""
    P = w.persons
    rng = w.rng
    m = P.height
    rel = P["rel"].to_numpy()
    moved_in = np.isin(rel, [SPOUSE, MOTHER, DIL]) & (rng.random(m) < 0.05)
    addr_idx = np.where(moved_in, 1 + np.floor(rng.random(m) * 4).astype(np.int64), 0)
    codes = np.array([int(ADDRESS)] + [int(a) for a in OTHER_ADDRESSES])
    ymd = _ymd(P["birth"].to_numpy())
    klass = np.array(FAMILY_CLASS)[P["family"].to_numpy()]
    male = P["male"].to_numpy()
    u = rng.random(m)
    for _ in range(len(codes)):
        base = (_digits(codes[addr_idx], 6) * V[:6]).sum(1) + (_digits(ymd, 8) * V[6:14]).sum(1)
        t = (klass - base) % 11
        frame = pl.DataFrame({"a": addr_idx, "y": ymd, "s": male, "t": t, "u": u})
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
    addr = codes[addr_idx]
    ids = _id_strings(addr, ymd, seq)
    assert ids.n_unique() == m
    w.persons = P.with_columns(
        ids.alias("id"), pl.Series("addr", addr), pl.Series("seq", seq),
    ).with_columns(pl.col("id").alias("id_text"), pl.lit(True).alias("valid"))


def _member_status(w: World) -> None:
    P, rng = w.persons, w.rng
    m = P.height
    age = (w.as_of_day - P["birth"].to_numpy()) / 365.2425
    rel = P["rel"].to_numpy()
    roster = P["hh"].to_numpy() >= 0
    dead = roster & (age >= 65) & (rng.random(m) < 0.05)
    moved = roster & ~dead & np.isin(rel, [SON, DAUGHTER]) & (age >= 18) & (age <= 40) & (rng.random(m) < 0.03)
    lo = np.maximum(_day(dt.date(2016, 1, 1)), P["birth"].to_numpy() + 1)
    when = _uniform_days(rng, lo, w.as_of_day, m)
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


# ---------------------------------------------------------------------------------
# Background loans: none of them breaks a rule
# ---------------------------------------------------------------------------------
def _age_years(birth: pl.Expr, day: dt.date) -> pl.Expr:
    return (pl.lit(day) - birth).dt.total_days() / 365.2425


def _candidates(w: World) -> pl.DataFrame:
    """Per household, the people who may borrow at any time in the window: in the
    roster, alive, an adult well inside 18–65 over the whole window."""
    P = w.persons
    return (
        P.filter(
            (pl.col("hh") >= 0) & (pl.col("member_status") == "正常") & ~pl.col("special")
            & pl.col("rel").is_in([HEAD, SPOUSE, SON, DAUGHTER, DIL])
            & (_age_years(pl.col("birth"), w.w0) >= 22) & (_age_years(pl.col("birth"), w.as_of) <= 60)
        )
        .with_columns(pl.when(pl.col("rel") == HEAD).then(0).when(pl.col("rel") == SPOUSE).then(1).otherwise(2).alias("prio"))
        .sort("hh", "prio", "slot")
    )


def _background_loans(w: World) -> None:
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
    mon_lo = max(_day(MONITORED_FROM), _day(w.w0))
    monitored = np.isin(status, MONITORED) & (u < 0.3) & (mon_lo <= late)
    take = eligible | monitored
    hh = hh.filter(pl.Series(take))
    lo = np.where(monitored[take], mon_lo, _day(w.w0))
    k_hh = hh["hh"].to_numpy()
    p1, p2 = hh["p1"].to_numpy(), hh["p2"].fill_null(-1).to_numpy()
    alive = np.ones(len(k_hh), dtype=bool)
    start = _uniform_days(rng, lo, late, len(k_hh))
    frames = []
    for k in range(3):
        idx = np.nonzero(alive)[0]
        c = len(idx)
        if c == 0:
            break
        disb = start[idx]
        months = rng.choice([12, 24, 36], size=c, p=[0.25, 0.35, 0.40])
        maturity = _months_vec(disb, months)
        amount = rng.choice(AMOUNTS, size=c, p=AMOUNT_P).astype(np.float64)
        rate = np.where(months == 12, 4.35, 4.75)
        covid = (maturity >= _day(dt.date(2020, 1, 1))) & (maturity <= _day(dt.date(2020, 12, 31))) & (rng.random(c) < 0.2)
        extended = np.where(covid, _months_vec(maturity, np.full(c, 6)), -1)
        eff = np.where(covid, extended, maturity)
        r = rng.random(c)
        done = eff <= w.as_of_day
        early = np.maximum(disb + 30, eff - rng.integers(1, 91, c))
        late_pay = eff + rng.integers(1, 21, c)
        settled = np.where(r < 0.25, early, np.where((r > 0.95) & (late_pay <= w.as_of_day), late_pay, eff))
        prepaid = ~done & (rng.random(c) < 0.07) & (disb + 30 <= w.as_of_day)
        settled = np.where(done, settled, np.where(prepaid, _uniform_days(rng, disb + 30, w.as_of_day, c), -1))
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


# ---------------------------------------------------------------------------------
# Injected cases
# ---------------------------------------------------------------------------------
class Injector:
    """Each method injects one kind of case on fresh households and records what the
    labels must (and must not) contain."""

    def __init__(self, w: World):
        self.w = w
        self.rng = w.rng
        self.scale = w.n / 2000
        self.new_loans: list[dict] = []
        self.dropped_hh: list[int] = []
        self.person_patches: dict[int, dict] = {}
        self.household_patches: dict[int, dict] = {}
        self.new_persons: list[dict] = []
        self.copies: dict[int, int] = {}
        self.cluster_days: set[tuple] = set()
        # sorted lookups for choosing the injected persons' IDs: ID body → name, and
        # (village, birth day) → pid, name
        P = w.persons
        bodies = P["id"].str.slice(0, 17).cast(pl.Int64).to_numpy()
        order = np.argsort(bodies, kind="stable")
        self.body_numbers, self.body_names = bodies[order], P["name"].gather(order)
        place = P["vidx"].to_numpy() * 100_000 + P["birth"].cast(pl.Int32).to_numpy()
        order = np.argsort(place, kind="stable")
        self.place_numbers, self.place_pids, self.place_names = place[order], P["pid"].to_numpy()[order], P["name"].gather(order)
        self.new_bodies: dict[str, str] = {}
        self.new_places: dict[int, list[tuple[int, str]]] = {}
        self.w0 = w.w0
        self.late = w.as_of - dt.timedelta(days=30)
        self._info = (
            w.persons.filter(pl.col("hh") >= 0)
            .join(w.households.select("hh", "status", "registered_date", "removed_date", "size", pl.col("vidx").alias("hvidx"), "town"), on="hh")
        )
        counts = w.loans.group_by("hh").agg(pl.len().alias("n_loans"))
        self._info = self._info.join(counts, on="hh", how="left").with_columns(pl.col("n_loans").fill_null(0)).sort("u", "pid")
        self._members: dict[int, list[dict]] = {}

    def count(self, base: float) -> int:
        return max(1, int(round(base * self.scale)))

    # --- choosing --------------------------------------------------------------
    def people(self, k: int, where: pl.Expr, *, statuses=ELIGIBLE, spare: int = 0) -> list[dict]:
        """k people (one per household) matching `where`, from households not yet used,
        and up to `spare` more if there are; their households become used."""
        if k <= 0:
            return []
        pool = self._free_people(where, statuses)
        first = pool.head(8 * (k + spare) + 64).unique("hh", keep="first", maintain_order=True)
        if first.height < k + spare:  # rare: many candidates share households
            first = pool.unique("hh", keep="first", maintain_order=True)
        rows = first.head(k + spare).to_dicts()
        if len(rows) < k:
            raise ValueError(f"too few households ({self.w.n}) to inject every case; use more households")
        self._take([r["hh"] for r in rows])
        return rows

    def per_key(self, key: str, wanted: list, where: pl.Expr, *, statuses=ELIGIBLE) -> list[dict]:
        """For each value in `wanted` (repeats allowed), one person with that `key` from a
        distinct unused household."""
        if not wanted:
            return []
        need: dict = {}
        for v in wanted:
            need[v] = need.get(v, 0) + 1
        pool = (
            self._free_people(where & pl.col(key).is_in(list(need)), statuses)
            .unique("hh", keep="first", maintain_order=True)
            .with_columns(pl.int_range(pl.len()).over(key).alias("_k"))
        )
        by_key: dict = {}
        for r in pool.filter(pl.col("_k") < pl.col(key).replace_strict(need, default=0)).to_dicts():
            by_key.setdefault(r[key], []).append(r)
        out = []
        for v in wanted:
            if not by_key.get(v):
                raise ValueError(f"too few households ({self.w.n}) to inject every case; use more households")
            out.append(by_key[v].pop(0))
        self._take([r["hh"] for r in out])
        return out

    def _free_people(self, where: pl.Expr, statuses) -> pl.DataFrame:
        return self._info.filter(
            where & pl.col("status").is_in(list(statuses)) & ~pl.col("special")
            & ~pl.lit(pl.Series(self.w.used)).gather(pl.col("hh"))
        )

    def _take(self, hhs: list[int]) -> None:
        for h in hhs:
            self.w.used[h] = True
        for m in self._info.filter(pl.col("hh").is_in(hhs)).sort("hh", "slot").to_dicts():
            self._members.setdefault(m["hh"], []).append(m)

    def borrowers(self, k: int, extra: pl.Expr | None = None, statuses=ELIGIBLE, spare: int = 0) -> list[dict]:
        return self.people(k, self.adult() & (extra if extra is not None else pl.lit(True)), statuses=statuses, spare=spare)

    def adult(self) -> pl.Expr:
        return (
            (pl.col("member_status") == "正常") & pl.col("rel").is_in([HEAD, SPOUSE, SON, DAUGHTER, DIL])
            & (_age_years(pl.col("birth"), self.w0) >= 22) & (_age_years(pl.col("birth"), self.w.as_of) <= 60)
        )

    def _is_adult(self, m: dict) -> bool:
        return (
            m["member_status"] == "正常" and m["rel"] in (HEAD, SPOUSE, SON, DAUGHTER, DIL)
            and (self.w0 - m["birth"]).days / 365.2425 >= 22 and (self.w.as_of - m["birth"]).days / 365.2425 <= 60
        )

    def member_of(self, person: dict, adult: bool = True) -> dict | None:
        """Another member of the person's household (an adult who may borrow, by default)."""
        for m in self._members.get(person["hh"], []):
            if m["pid"] != person["pid"] and (not adult or self._is_adult(m)):
                return m
        return None

    def day(self, lo: dt.date | None = None, hi: dt.date | None = None) -> dt.date:
        lo, hi = lo or self.w0, hi or self.late
        return _date(_uniform_days(self.rng, _day(lo), _day(hi), 1)[0])

    # --- recording -------------------------------------------------------------
    def loan(self, person: dict, disb: dt.date | None, months: int = 24, amount: float = 30_000, *, maturity=None,
             extended=None, settled="auto", balance=None, rate=None, purpose=None, usage="自主发展",
             name=None, id_text=None, vidx=None) -> int:
        """A complete loan; `settled="auto"`: repaid on maturity when that is past, else
        outstanding in full. Returns its lid."""
        w = self.w
        maturity = maturity or add_months(disb, months)
        eff = extended or maturity
        if settled == "auto":
            settled = eff if eff <= w.as_of else None
        if balance is None:
            balance = 0.0 if settled is not None else float(amount)
        lid = w.next_lid
        w.next_lid += 1
        self.new_loans.append({
            "lid": lid, "hh": person.get("hh", -1), "pid": person["pid"],
            "borrower_name": name or person["name"], "borrower_id": id_text or person["id_text"],
            "vidx": person["vidx"] if vidx is None else vidx, "short": bool(self.rng.random() < 0.7),
            "amount": float(amount), "disb": disb, "maturity": maturity, "extended": extended,
            "settled": settled, "rate": rate if rate is not None else (4.35 if months <= 12 else 4.75),
            "balance": float(balance), "usage_mode": usage,
            "purpose": purpose or PURPOSES[int(self.rng.choice(len(PURPOSES), p=PURPOSE_P))],
            "copies": 0,
        })
        return lid

    def replace(self, person: dict) -> None:
        """The household's background loans give way to the injected ones."""
        if person.get("hh", -1) >= 0:
            self.dropped_hh.append(person["hh"])

    def expect(self, rule: str, kind: str, *, lid=None, pid=None, id_text=None, severity="error", table="loans") -> None:
        ref = ("lid", lid) if lid is not None else ("pid", pid) if pid is not None else ("id", id_text)
        self.w.expected.append((rule, table, ref, severity, kind))

    def refuse(self, rule: str, kind: str, *, lid=None, pid=None) -> None:
        ref = ("lid", lid) if lid is not None else ("pid", pid)
        self.w.negatives.append((rule, ref, kind))

    def patch_person(self, pid: int, **values) -> None:
        self.person_patches.setdefault(pid, {}).update(values)

    def patch_household(self, hh: int, **values) -> None:
        self.household_patches.setdefault(hh, {}).update(values)

    # --- the cases ---------------------------------------------------------------
    def run(self) -> None:
        for step in (
            self.overdue, self.due_soon, self.over_limit, self.multiple_loans, self.non_poor,
            self.non_productive, self.enterprise, self.term, self.rate, self.age, self.deceased,
            self.invalid_ids, self.duplicate_records, self.name_mismatch, self.suspected, self.unreadable,
        ):
            step()
        self.apply()

    def overdue(self) -> None:
        buckets = ((1, 30), (31, 90), (91, 180), (181, 700))
        for i, p in enumerate(self.borrowers(self.count(4))):
            lo, hi = buckets[i % 4]
            days = 1 if i == 0 else int(self.rng.integers(lo, hi + 1))
            self.replace(p)
            mature = self.w.as_of - dt.timedelta(days=days)
            months = next((m for m in (36, 24, 12) if add_months(mature, -m) >= self.w0), None)
            if months is None:
                mature, months = add_months(self.w0, 12) + dt.timedelta(days=10), 12
            amount = float(self.rng.choice(AMOUNTS[:5]))
            balance = amount if self.rng.random() < 0.7 else round(amount * 0.6, -2)
            lid = self.loan(p, add_months(mature, -months), months, amount, maturity=mature, settled=None, balance=balance)
            self.expect("overdue", f"overdue_{lo}_{hi}", lid=lid)

    def due_soon(self) -> None:
        a = self.w.as_of
        plan = (("due_on_as_of", a, True), ("due_in_90_days", a + dt.timedelta(days=DUE_SOON_DAYS), True),
                ("due_in_91_days", a + dt.timedelta(days=DUE_SOON_DAYS + 1), False))
        for kind, mature, flagged in plan:
            for p in self.borrowers(self.count(1)):
                self.replace(p)
                lid = self.loan(p, add_months(mature, -24), 24, 40_000, maturity=mature, settled=None)
                if flagged:
                    self.expect("due_soon", kind, lid=lid, severity="info")
                    self.refuse("overdue", kind, lid=lid)
                else:
                    self.refuse("due_soon", kind, lid=lid)
        for p in self.borrowers(self.count(1)):  # extended within the limit: due, not overdue
            self.replace(p)
            mature = a - dt.timedelta(days=20)
            lid = self.loan(p, add_months(mature, -24), 24, 30_000, maturity=mature,
                            extended=a + dt.timedelta(days=40), settled=None)
            self.expect("due_soon", "extended_due", lid=lid, severity="info")
            self.refuse("overdue", "extended_due", lid=lid)
            self.refuse("term_over_limit", "extended_due", lid=lid)

    def over_limit(self) -> None:
        for i, p in enumerate(self.borrowers(self.count(2))):
            self.replace(p)
            lid = self.loan(p, self.day(), 36, 60_000 if i % 2 == 0 else 80_000)
            self.expect("over_limit", "amount_over_limit", lid=lid)
        for total, kind in ((60_000, "household_sum_over"), (50_000, "household_sum_exactly_50000")):
            for p in self.borrowers(self.count(1)):
                self.replace(p)
                other = self.member_of(p) or p
                d = self.day(hi=self.late - dt.timedelta(days=200))
                a = self.loan(p, d, 36, total - 30_000)
                b = self.loan(other, d + dt.timedelta(days=90), 24, 30_000)
                for lid in (a, b):
                    self.expect("multiple_loans_per_household", kind, lid=lid)
                    if total > MAX_AMOUNT:
                        self.expect("over_limit", kind, lid=lid)
                    else:
                        self.refuse("over_limit", kind, lid=lid)
        for p in self.borrowers(self.count(1)):
            self.replace(p)
            self.refuse("over_limit", "exactly_50000", lid=self.loan(p, self.day(), 36, 50_000))

    def multiple_loans(self) -> None:
        for p in self.borrowers(self.count(1)):
            self.replace(p)
            d = self.day(hi=self.late - dt.timedelta(days=200))
            for lid in (self.loan(p, d, 24, 20_000), self.loan(p, d + dt.timedelta(days=120), 12, 20_000)):
                self.expect("multiple_loans_per_household", "same_person_twice", lid=lid)
        for p in self.borrowers(self.count(1)):
            other = self.member_of(p) or p
            self.replace(p)
            d = self.day(hi=self.late - dt.timedelta(days=200))
            for lid in (self.loan(p, d, 36, 25_000), self.loan(other, d + dt.timedelta(days=60), 24, 20_000)):
                self.expect("multiple_loans_per_household", "two_members", lid=lid)
        for p in self.borrowers(self.count(1)):  # 续贷 on the day the first loan was repaid
            self.replace(p)
            d = self.day(hi=add_months(self.late, -13))
            first = self.loan(p, d, 12, 50_000)
            second = self.loan(p, add_months(d, 12), 12, 50_000)
            for lid in (first, second):
                self.refuse("multiple_loans_per_household", "back_to_back", lid=lid)
                self.refuse("over_limit", "back_to_back", lid=lid)

    def non_poor(self) -> None:
        for p in self.w.persons.filter(pl.col("hh") < 0).sort("pid").to_dicts():
            lid = self.loan(p, self.day(), 24, 30_000)
            self.expect("non_poor_borrower", "not_in_roster", lid=lid)
        cases = (
            ("removed_before_loan", ("已剔除",), True), ("removed_date_missing", ("已剔除",), True),
            ("removed_after_loan", ("已剔除",), False), ("registered_after_loan", ELIGIBLE, True),
            ("registered_on_loan_day", ELIGIBLE, False), ("monitored_before_eligible", MONITORED, True),
            ("monitored_on_eligible_date", MONITORED, False),
        )
        for kind, statuses, flagged in cases:
            if kind == "monitored_on_eligible_date" and not (self.w0 <= MONITORED_FROM <= self.late):
                continue
            for p in self.borrowers(self.count(2 if kind == "monitored_before_eligible" else 1), statuses=statuses):
                self.replace(p)
                d = self.day(lo=self.w0 + dt.timedelta(days=100))
                if kind == "removed_before_loan":
                    self.patch_household(p["hh"], removed_date=d - dt.timedelta(days=60))
                elif kind == "removed_date_missing":
                    self.patch_household(p["hh"], removed_date=None)
                elif kind == "removed_after_loan":
                    d = self.day(hi=self.late - dt.timedelta(days=400))
                    self.patch_household(p["hh"], removed_date=d + dt.timedelta(days=200))
                elif kind == "registered_after_loan":
                    self.patch_household(p["hh"], registered_date=d + dt.timedelta(days=25))
                elif kind == "registered_on_loan_day":
                    self.patch_household(p["hh"], registered_date=d)
                elif kind == "monitored_before_eligible":
                    hi = min(MONITORED_FROM - dt.timedelta(days=1), self.late)
                    d = self.day(lo=min(p["registered_date"], hi), hi=hi)
                    self.patch_household(p["hh"], registered_date=min(p["registered_date"], d))
                else:
                    d = MONITORED_FROM
                    self.patch_household(p["hh"], registered_date=min(p["registered_date"], d))
                lid = self.loan(p, d, 12, 20_000)
                (self.expect if flagged else self.refuse)("non_poor_borrower", kind, lid=lid)

    def non_productive(self) -> None:
        words = ("建房", "购车", "子女上学", "看病", "结婚", "归还旧贷", "购买家电", "装修房屋", "生活开支", "日常消费", "还债", "修房")
        for i, p in enumerate(self.borrowers(self.count(5))):
            self.replace(p)
            lid = self.loan(p, self.day(), 24, 30_000, purpose=words[i % len(words)])
            self.expect("non_productive_use", words[i % len(words)], lid=lid)
        for p in self.borrowers(self.count(1)):
            self.replace(p)
            self.refuse("non_productive_use", "truck_for_transport", lid=self.loan(p, self.day(), 36, 50_000, purpose="购买货车跑运输"))

    def enterprise(self) -> None:
        for mode in ENTERPRISE_MODES:
            for p in self.borrowers(self.count(1)):
                self.replace(p)
                self.expect("enterprise_use", mode, lid=self.loan(p, self.day(), 36, 50_000, usage=mode))
        for purpose in ("入股合作社分红", "转贷给龙头企业使用"):
            for p in self.borrowers(self.count(1)):
                self.replace(p)
                self.expect("enterprise_use", "purpose", lid=self.loan(p, self.day(), 36, 50_000, purpose=purpose))
        for p in self.borrowers(self.count(1)):
            self.replace(p)
            self.refuse("enterprise_use", "cooperative_led", lid=self.loan(p, self.day(), 36, 50_000, usage="合作社带动"))
        for size, purpose, flagged in ((CLUSTER_MIN + 1, CLUSTER_PURPOSE, True), (CLUSTER_MIN - 1, CLUSTER9_PURPOSE, False)):
            k = self.count(1)
            free = (
                self._free_people(self.adult(), ELIGIBLE).unique("hh").group_by("hvidx").agg(pl.len().alias("n"))
                .filter(pl.col("n") >= size + 2).sort("hvidx")
            )
            if free.height == 0:
                raise ValueError(f"too few households ({self.w.n}) in one village for a 户贷企用 cluster")
            picks = free["hvidx"].gather(self.rng.integers(0, free.height, k)).to_list()
            chosen = sorted(picks)
            # a village chosen twice gets two clusters on two days
            rows = self.per_key("hvidx", [v for v in chosen for _ in range(size)], self.adult())
            for c in range(k):
                d = self.day()
                while (purpose, chosen[c], d) in self.cluster_days:
                    d = self.day()
                self.cluster_days.add((purpose, chosen[c], d))
                for p in rows[c * size:(c + 1) * size]:
                    self.replace(p)
                    lid = self.loan(p, d, 36, 50_000, purpose=purpose)
                    if flagged:
                        self.expect("enterprise_use", "village_cluster", lid=lid, severity="warning")
                    else:
                        self.refuse("enterprise_use", "cluster_of_9", lid=lid)

    def term(self) -> None:
        leap, aug = dt.date(2020, 2, 29), dt.date(self.w0.year, 8, 31)
        plan = (
            ("five_years", 60, None, None, True, None),
            ("36_months_and_a_day", 36, lambda d: add_months(d, 36) + dt.timedelta(days=1), None, True, None),
            ("extension_19_of_36", 36, None, 19, True, None),
            ("extension_13_of_12", 12, None, 13, True, None),
            ("extension_12_of_12", 12, None, 12, False, None),
            ("36_months_from_29_feb", 36, None, None, False, leap if self.w0 <= leap <= self.late else None),
            ("extension_18_of_36_to_month_end", 36, None, 18, False, aug if aug <= self.late else None),
        )
        k = self.count(1)
        people = self.borrowers(k * len(plan))
        for i, (kind, months, maturity, ext_months, flagged, disb) in enumerate(plan):
            for p in people[i * k:(i + 1) * k]:
                self.replace(p)
                d = disb or self.day(hi=self.late - dt.timedelta(days=60))
                mat = maturity(d) if maturity else add_months(d, months)
                ext = add_months(mat, ext_months) if ext_months else None
                lid = self.loan(p, d, months, 30_000, maturity=mat, extended=ext)
                (self.expect if flagged else self.refuse)("term_over_limit", kind, lid=lid)

    def rate(self) -> None:
        for i, p in enumerate(self.borrowers(self.count(3))):
            self.replace(p)
            lid = self.loan(p, self.day(), 36, 30_000, rate=(5.225, 6.0, 4.9)[i % 3])
            self.expect("rate_above_base", "rate", lid=lid)
        for p in self.borrowers(self.count(1)):
            self.replace(p)
            self.refuse("rate_above_base", "base_rate", lid=self.loan(p, self.day(), 36, 30_000, rate=4.75))

    def age(self) -> None:
        w0, late = _day(self.w0) + 5, _day(self.late)
        not_leap_day = (pl.col("birth").dt.month() != 2) | (pl.col("birth").dt.day() != 29)
        alive = (pl.col("member_status") == "正常") & not_leap_day
        for years, offset, kind, flagged in ((17, 100, "aged_17", True), (68, 30, "aged_68", True),
                                             (66, 0, "66th_birthday", True), (65, 0, "65th_birthday", False),
                                             (18, 0, "18th_birthday", False)):
            day = pl.col("birth").dt.offset_by(f"{years}y").cast(pl.Int32) + offset
            for p in self.people(self.count(1), alive & (day >= w0) & (day <= late)):
                self.replace(p)
                lid = self.loan(p, _add_years(p["birth"], years) + dt.timedelta(days=offset), 12, 10_000)
                (self.expect if flagged else self.refuse)("borrower_age", kind, lid=lid)

    def deceased(self) -> None:
        a = self.w.as_of
        kinds = ("died_before_loan", "died_on_loan_day", "died_during_loan", "died_during_loan",
                 "died_on_interval_end", "died_after_repaying")
        k = self.count(1)
        people = self.borrowers(k * len(kinds))
        for i, kind in enumerate(kinds):
            for p in people[i * k:(i + 1) * k]:
                self.replace(p)
                if kind == "died_during_loan":
                    d = self.day()
                    lid = self.loan(p, d, 36, 30_000)
                    death = d + (a - d) / 2
                elif kind in ("died_on_interval_end", "died_after_repaying"):
                    d = self.day(hi=add_months(self.late, -14))
                    lid = self.loan(p, d, 12, 20_000)
                    end = add_months(d, 12)
                    death = end if kind == "died_on_interval_end" else min(a, end + dt.timedelta(days=30))
                else:
                    d = self.day(lo=self.w0 + dt.timedelta(days=200))
                    lid = self.loan(p, d, 24, 30_000)
                    death = d - dt.timedelta(days=150) if kind == "died_before_loan" else d
                self.patch_person(p["pid"], member_status="死亡", status_change_date=death)
                if kind in ("died_on_interval_end", "died_after_repaying"):
                    self.refuse("deceased_borrower", kind, lid=lid)
                else:
                    self.expect("deceased_borrower", kind, lid=lid, severity="warning" if kind == "died_during_loan" else "error")

    def invalid_ids(self) -> None:
        taken: set[str] = set()

        def damaged(p: dict, reason: str, i: int) -> str:
            body = p["id"][:17]
            if reason == "check_digit":
                return body + CHECK_CHARS[(CHECK_CHARS.index(p["id"][17]) + 1 + i % 9) % 11]
            if reason == "birth_date":
                return _with_check(body[:10] + "0230" + body[14:] if i % 2 == 0 else body[:10] + "13" + body[12:])
            if reason == "length":
                return p["id"][:9] + p["id"][10:]
            if reason == "characters":
                pos = 12 + i % 5
                return p["id"][:pos] + "O" + p["id"][pos + 1:]
            if reason == "excel_scientific":
                return next((t for k in range(6, 16) if (t := f"{p['id'][0]}.{p['id'][1:k]}E+17") not in taken), "")
            return p["id"][:15] + "000"

        plan = (("check_digit", 2), ("birth_date", 1), ("length", 1), ("characters", 1), ("excel_scientific", 1), ("excel_000", 1))
        for table in ("roster", "loans"):
            for reason, base in plan:
                k = self.count(base)
                pool = self.borrowers(k, spare=k + 2) if table == "loans" else self.people(k, pl.col("rel") != HEAD, spare=k + 2)
                done = 0
                for i, p in enumerate(pool):
                    text = damaged(p, reason, i)
                    if done == k or not text or text in taken or is_valid(text):
                        continue  # the household stays as it was
                    taken.add(text)
                    done += 1
                    self.replace(p)  # nobody in the household borrows under this member's ID
                    if table == "roster":
                        self.patch_person(p["pid"], id_text=text, valid=False)
                        self.expect("invalid_id_number", reason, id_text=text, table="roster")
                    else:
                        self.expect("invalid_id_number", reason, lid=self.loan(p, self.day(), 24, 30_000, id_text=text))
                if done < k:
                    raise RuntimeError(f"could not damage enough IDs for {reason}")

    def duplicate_records(self) -> None:
        for i, p in enumerate(self.borrowers(self.count(2))):
            self.replace(p)
            lid = self.loan(p, self.day(), 24, 30_000)
            self.copies[lid] = 2 if i == 0 else 1
            self.expect("duplicate_loan_record", "repeated_loan_id", lid=lid)
        for p in self.borrowers(self.count(2)):
            self.replace(p)
            d = self.day()
            for lid in (self.loan(p, d, 24, 20_000), self.loan(p, d, 24, 20_000)):
                self.expect("duplicate_loan_record", "same_borrower_amount_day", lid=lid, severity="warning")
                self.expect("multiple_loans_per_household", "same_borrower_amount_day", lid=lid)

    def name_mismatch(self) -> None:
        for kind, table in (("homophone", HOMOPHONE), ("similar_shape", SHAPE)):
            for p in self.borrowers(self.count(2), pl.col("name").str.contains_any(list(table))):
                self.replace(p)
                ch = next(c for c in p["name"] if c in table)
                lid = self.loan(p, self.day(), 24, 30_000, name=p["name"].replace(ch, table[ch], 1))
                self.expect("name_id_mismatch", kind, lid=lid)
        k = self.count(1)
        done = 0
        for p in self.borrowers(k, pl.col("size") >= 2, spare=2 * k + 3):
            other = self.member_of(p, adult=False)
            if done == k or other is None or other["name"] == p["name"]:
                continue
            done += 1
            self.replace(p)
            self.expect("name_id_mismatch", "household_member_name", lid=self.loan(p, self.day(), 24, 30_000, name=other["name"]))
        for p in self.borrowers(self.count(1), pl.col("family") != HAN):
            self.replace(p)
            self.expect("name_id_mismatch", "different_person", lid=self.loan(p, self.day(), 24, 30_000, name="马国庆"))

    # --- 疑似一人多证 ------------------------------------------------------------
    def suspected(self) -> None:
        ok = (pl.col("member_status") == "正常") & (pl.col("n_loans") == 0)
        head = (pl.col("size") < 7) & (pl.col("rel") == HEAD)
        for kind in ("one_digit", "adjacent_swap"):
            k = self.count(1)
            xs = self.people(k, ok, spare=k + 2)  # spares: an ID may have no free variant
            hosts = self.per_key("town", [x["town"] for x in xs], head)
            done = 0
            for x, host in zip(xs, hosts):
                twin_id = self._neighbour_id(x, kind, x["name"], host["hvidx"]) if done < k else None
                if twin_id:
                    done += 1
                    self._pair(x, self._add_member(host, x["name"], twin_id, x["male"], x["family"]), kind)
            self._enough(done, k, kind)
        for kind, table in (("same_day_homophone", HOMOPHONE), ("same_day_similar_shape", SHAPE), ("same_day_one_char_dropped", None)):
            if table:
                has = pl.col("name").str.contains_any(list(table))
            else:
                has = (pl.col("family") == HAN) & (pl.col("name").str.len_chars() == 3)
            k = self.count(1)
            xs = self.people(k, has & ok, spare=k + 2)
            hosts = self.per_key("hvidx", [x["hvidx"] for x in xs], head)
            done = 0
            for x, host in zip(xs, hosts):
                if table:
                    ch = next(c for c in x["name"] if c in table)
                    name = x["name"].replace(ch, table[ch], 1)
                else:
                    name = x["name"][:2]
                twin_id = self._same_day_id(x, name, host["hvidx"]) if done < k else None
                if twin_id:
                    done += 1
                    self._pair(x, self._add_member(host, name, twin_id, x["male"], x["family"]), kind)
            self._enough(done, k, kind)
        unique_name = pl.len().over("hvidx", "name") == 1
        k, done = self.count(1), 0
        for x in self.people(k, unique_name & (pl.col("family") == HAN) & self.adult(), spare=k + 2):
            # a borrower not in the roster under an ID one digit from a member's, same name;
            # the member's household borrows nothing (x is no borrower of the same name)
            other_id = self._neighbour_id(x, "one_digit", x["name"], x["hvidx"]) if done < k else None
            if not other_id:
                continue
            done += 1
            self.replace(x)
            pid = self.w.next_pid
            self.w.next_pid += 1
            self._register(pid, other_id, x["name"], x["hvidx"])
            outsider = {"pid": pid, "hh": -1, "name": x["name"], "id_text": other_id, "vidx": x["hvidx"]}
            self.new_persons.append({**_person_row(outsider, x, other_id), "hh": -1, "slot": 0, "rel": -1})
            self.w.specials.append(pid)
            lid = self.loan(outsider, self.day(), 24, 30_000)
            self._pair(x, outsider, "outsider_one_digit", table_b="loans")
            self.expect("non_poor_borrower", "not_in_roster_one_digit_from_member", lid=lid)
        self._enough(done, k, "outsider_one_digit")

    @staticmethod
    def _enough(done: int, k: int, kind: str) -> None:
        if done < k:
            raise RuntimeError(f"generator could not place {kind}: no free ID variant")

    def _pair(self, x: dict, twin: dict, kind: str, table_b: str = "roster") -> None:
        self.expect("suspected_same_person", kind, pid=x["pid"], table="roster", severity="warning")
        self.expect("suspected_same_person", kind, pid=twin["pid"], table=table_b, severity="warning")

    def _add_member(self, host: dict, name: str, id_text: str, male: int, family: int) -> dict:
        pid = self.w.next_pid
        self.w.next_pid += 1
        rel = SIL if male else DIL
        row = {**_person_row({"pid": pid, "name": name, "vidx": host["hvidx"]}, host, id_text),
               "hh": host["hh"], "slot": host["size"], "rel": rel, "male": male, "family": family}
        self.new_persons.append(row)
        self._register(pid, id_text, name, host["hvidx"])
        self.patch_household(host["hh"], size=host["size"] + 1)
        self.w.specials.append(pid)
        return row

    def _free(self, candidates: list[str], partner: dict, name: str, vidx: int) -> str | None:
        """The first candidate ID that is nobody's and makes no similar pair but with
        `partner`: no neighbour body and nobody born that day in village `vidx` whose
        name is similar (or doubtfully similar) to `name`."""
        for cand in candidates:
            if not is_valid(cand, self.w.as_of) or cand[:17] in self.new_bodies:
                continue
            if self._lookup(self.body_numbers, int(cand[:17]))[0] < self._lookup(self.body_numbers, int(cand[:17]))[1]:
                continue
            others = []
            for b in _neighbour_bodies(cand[:17]):
                if b == partner["id"][:17]:
                    continue
                lo, hi = self._lookup(self.body_numbers, int(b))
                others += self.body_names.slice(lo, hi - lo).to_list()
                if b in self.new_bodies:
                    others.append(self.new_bodies[b])
            birth = dt.date(int(cand[6:10]), int(cand[10:12]), int(cand[12:14]))
            key = vidx * 100_000 + _day(birth)
            lo, hi = self._lookup(self.place_numbers, key)
            pids = self.place_pids[lo:hi]
            others += [nm for pid, nm in zip(pids, self.place_names.slice(lo, hi - lo).to_list()) if pid != partner["pid"]]
            others += [nm for pid, nm in self.new_places.get(key, []) if pid != partner["pid"]]
            if all(similar_names(name, other) is False for other in others):
                return cand
        return None

    def _register(self, pid: int, id_text: str, name: str, vidx: int) -> None:
        self.new_bodies[id_text[:17]] = name
        birth = dt.date(int(id_text[6:10]), int(id_text[10:12]), int(id_text[12:14]))
        self.new_places.setdefault(vidx * 100_000 + _day(birth), []).append((pid, name))

    @staticmethod
    def _lookup(sorted_keys: np.ndarray, key: int) -> tuple[int, int]:
        return int(np.searchsorted(sorted_keys, key, "left")), int(np.searchsorted(sorted_keys, key, "right"))

    def _neighbour_id(self, x: dict, kind: str, name: str, vidx: int) -> str | None:
        body = x["id"][:17]
        cands = []
        if kind == "one_digit":
            for pos in (15, 14, 13, 12, 11):
                for d in "1234567890":
                    if d != body[pos]:
                        cands.append(_with_check(body[:pos] + d + body[pos + 1:]))
        else:
            for pos in range(8, 16):
                if body[pos] != body[pos + 1] and (pos < 15 or int(body[pos]) % 2 == int(body[pos + 1]) % 2):
                    cands.append(_with_check(body[:pos] + body[pos + 1] + body[pos] + body[pos + 2:]))
        order = self.rng.permutation(len(cands))
        return self._free([cands[i] for i in order], x, name, vidx)

    def _same_day_id(self, x: dict, name: str, vidx: int) -> str | None:
        body = x["id"][:14]
        seqs = [f"{s:03d}" for s in range(1, 1000) if s % 2 == int(x["male"])]
        order = self.rng.permutation(len(seqs))
        cands = [_with_check(body + seqs[i]) for i in order[:200]]
        return self._free(cands, x, name, vidx)

    # --- 无法识别的数据 (messy form only; chosen in both forms so the data agree) ---
    def unreadable(self) -> None:
        for column, raw in (("disbursement_date", "{y}-02-30"), ("amount", "五万"), ("maturity_date", "{y}-13-01")):
            for p in self.borrowers(self.count(1)):
                self.replace(p)
                d = self.day(hi=add_months(self.late, -13))
                lid = self.loan(p, d, 12, 50_000)
                self.w.unreadable.append(("loans", "lid", lid, column, raw.format(y=d.year)))
        for p in self.people(self.count(1), pl.col("rel") != HEAD):
            self.replace(p)
            self.w.unreadable.append(("roster", "pid", p["pid"], "registered_date", "2015-02-29"))

    # --- applying -------------------------------------------------------------------
    def apply(self) -> None:
        w = self.w
        if self.new_persons:
            new = pl.DataFrame(self.new_persons, infer_schema_length=None).select(w.persons.columns).cast(w.persons.schema)
            w.persons = pl.concat([w.persons, new])
        if self.person_patches:
            rows = []
            for pid in sorted(self.person_patches):
                rows.append({"pid": pid, **self.person_patches[pid]})
            w.persons = _patch(w.persons, "pid", rows)
        if self.household_patches:
            rows = [{"hh": hh, **self.household_patches[hh]} for hh in sorted(self.household_patches)]
            w.households = _patch(w.households, "hh", rows)
        keep = w.loans.filter(~pl.col("hh").is_in(sorted(set(self.dropped_hh))))
        new = pl.DataFrame(self.new_loans, infer_schema_length=None).join(w.villages.select("vidx", "village", "village_short"), on="vidx", how="left")
        new = new.with_columns(
            pl.when(pl.col("short")).then(pl.col("village_short")).otherwise(pl.col("village")).alias("village_text"),
            pl.col("lid").replace_strict(self.copies, default=0, return_dtype=pl.Int64).alias("copies"),
        ).select(LOAN_COLUMNS).cast(keep.schema)
        w.loans = pl.concat([keep, new]).sort("lid")



def _person_row(p: dict, like: dict, id_text: str) -> dict:
    birth = dt.date(int(id_text[6:10]), int(id_text[10:12]), int(id_text[12:14]))
    return {
        "pid": p["pid"], "hh": like.get("hh", -1), "slot": 0, "rel": -1, "male": like["male"],
        "birth": birth, "family": like["family"], "vidx": p["vidx"], "sur": 0, "giv": 0,
        "name": p["name"], "id": id_text, "addr": int(id_text[:6]), "seq": int(id_text[14:17]),
        "id_text": id_text, "valid": True, "member_status": "正常", "status_change_date": None,
        "special": True, "u": 1.0,
    }


def _patch(frame: pl.DataFrame, key: str, rows: list[dict]) -> pl.DataFrame:
    """Set the given columns of the given rows (None sets null), grouped by column set."""
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(sorted(r)), []).append(r)
    for cols, grp in groups.items():
        patch = pl.DataFrame(grp, schema={c: frame.schema[c] for c in cols})
        frame = frame.update(patch, on=key, include_nulls=True)
    return frame


def _neighbour_bodies(body: str) -> list[str]:
    out = []
    for i in range(17):
        for d in "0123456789":
            if d != body[i]:
                out.append(body[:i] + d + body[i + 1:])
    for i in range(16):
        if body[i] != body[i + 1]:
            out.append(body[:i] + body[i + 1] + body[i] + body[i + 2:])
    return out


# ---------------------------------------------------------------------------------
# The two tables, as the pipeline will see them after normalisation
# ---------------------------------------------------------------------------------
ROSTER_COLUMNS = (
    "household_id", "id_number", "name", "relation", "township", "village", "household_status",
    "registered_date", "removed_date", "member_status", "status_change_date",
)
LOAN_OUTPUT = (
    "loan_id", "borrower_name", "borrower_id_number", "township", "village", "amount", "disbursement_date",
    "maturity_date", "extended_maturity_date", "settled_date", "annual_rate", "balance", "purpose",
    "usage_mode", "bank",
)


def _tables(w: World) -> tuple[pl.DataFrame, pl.DataFrame, dict[int, str]]:
    """Roster and loan records in the canonical form, with `_pid` / `_lid` kept for the
    writers; and each lid's loan_id."""
    V = w.villages
    roster = (
        w.persons.filter(pl.col("hh") >= 0)
        .join(w.households.select("hh", "household_id", "status", "registered_date", "removed_date"), on="hh", how="left")
        .join(V.select("vidx", "township", "village"), on="vidx", how="left")
        .sort("household_id", "slot", "pid")
        .select(
            pl.col("pid").alias("_pid"), "household_id", pl.col("id_text").alias("id_number"), "name",
            pl.col("rel").replace_strict(dict(enumerate(RELATIONS)), return_dtype=pl.Utf8).alias("relation"),
            "township", "village", pl.col("status").alias("household_status"), "registered_date",
            "removed_date", "member_status", "status_change_date",
        )
    )
    numbered = w.loans.sort("disb", "lid").with_columns(
        pl.concat_str(pl.lit("LCNS"), pl.col("disb").dt.strftime("%Y%m%d"),
                      (pl.int_range(pl.len()).over("disb") + 1).cast(pl.Utf8).str.zfill(5)).alias("loan_id")
    )
    lid_map = dict(zip(numbered["lid"].to_list(), numbered["loan_id"].to_list()))
    loans = (
        numbered.join(V.select("vidx", "town", "township", "bank"), on="vidx", how="left")
        .with_columns(pl.int_ranges(0, pl.col("copies") + 1).alias("_copy"))
        .explode("_copy")
        .sort("town", "loan_id", "_copy")
        .select(
            pl.col("lid").alias("_lid"), "loan_id", "borrower_name", pl.col("borrower_id").alias("borrower_id_number"),
            "township", pl.col("village_text").alias("village"), "amount", pl.col("disb").alias("disbursement_date"),
            pl.col("maturity").alias("maturity_date"), pl.col("extended").alias("extended_maturity_date"),
            pl.col("settled").alias("settled_date"), pl.col("rate").alias("annual_rate"), "balance", "purpose",
            "usage_mode", "bank",
        )
    )
    return roster, loans, lid_map


def _unreadable_nulls(w: World, roster: pl.DataFrame, loans: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The messy form's unreadable cells, as the pipeline parses them: null."""
    for table, _kind, ref, column, _raw in w.unreadable:
        if table == "loans":
            loans = loans.with_columns(pl.when(pl.col("_lid") == ref).then(None).otherwise(pl.col(column)).alias(column))
        else:
            roster = roster.with_columns(pl.when(pl.col("_pid") == ref).then(None).otherwise(pl.col(column)).alias(column))
    return roster, loans


# ---------------------------------------------------------------------------------
# The labels: SPEC §3–§4 read directly, over the normalised tables
# ---------------------------------------------------------------------------------
def _valid_id(s: pl.Expr, as_of: dt.date) -> pl.Expr:
    """SPEC §3's valid ID (an independent reading; tests compare it with ids.is_valid)."""
    birth = s.str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d", strict=False)
    digits = [s.str.slice(i, 1).cast(pl.Int64, strict=False) * int(W[i]) for i in range(17)]
    check = pl.lit(CHECK_CHARS).str.slice(pl.sum_horizontal(digits) % 11, 1)
    ok = (
        s.str.contains(r"^\d{17}[0-9X]$") & birth.is_not_null() & (birth >= pl.lit(dt.date(1900, 1, 1)))
        & (birth <= pl.lit(as_of)) & (check == s.str.slice(17, 1))
    )
    return ok.fill_null(False)


def _text(expr: pl.Expr) -> pl.Expr:
    """Statuses, purposes and keywords are compared after NFKC and whitespace removal."""
    return expr.str.normalize("NFKC").str.replace_all(r"\s", "")


def _plus_months(date: pl.Expr, months: pl.Expr) -> pl.Expr:
    return date.dt.offset_by(pl.format("{}mo", months))


def _whole_months(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    rough = (end.dt.year().cast(pl.Int64) - start.dt.year().cast(pl.Int64)) * 12 + end.dt.month().cast(pl.Int64) - start.dt.month().cast(pl.Int64)
    return pl.when(_plus_months(start, rough) > end).then(rough - 1).otherwise(rough)


def _whole_years(start: pl.Expr, end: pl.Expr) -> pl.Expr:
    before = (end.dt.month() < start.dt.month()) | ((end.dt.month() == start.dt.month()) & (end.dt.day() < start.dt.day()))
    return end.dt.year().cast(pl.Int64) - start.dt.year().cast(pl.Int64) - before.cast(pl.Int64)


def _loan_view(roster: pl.DataFrame, records: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """One row per loan_id with everything SPEC §3 derives."""
    members = (
        roster.filter(pl.col("id_number").is_not_null()).unique("id_number", keep="first", maintain_order=True)
        .select(
            pl.col("id_number").alias("borrower_id_number"), "household_id", pl.col("name").alias("m_name"),
            pl.col("township").alias("m_town"), pl.col("village").alias("m_vill"),
            _text(pl.col("household_status")).alias("m_status"), pl.col("registered_date").alias("m_registered"),
            pl.col("removed_date").alias("m_removed"), _text(pl.col("member_status")).alias("m_member"),
            pl.col("status_change_date").alias("m_change"),
        )
    )
    eff = pl.coalesce("extended_maturity_date", "maturity_date")
    return (
        records.unique("loan_id", keep="first", maintain_order=True)
        .join(members, on="borrower_id_number", how="left")
        .with_columns(
            _valid_id(pl.col("borrower_id_number"), as_of).alias("valid"),
            eff.alias("eff"),
            pl.col("household_id").is_not_null().alias("in_roster"),
        )
        .with_columns(
            pl.when(pl.col("valid")).then(pl.col("borrower_id_number").str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d")).alias("birth"),
            pl.when(pl.col("settled_date").is_not_null()).then(pl.col("settled_date"))
            .when(pl.col("balance") > 0).then(pl.max_horizontal("eff", pl.lit(as_of)))
            .otherwise(pl.col("eff")).alias("end"),
            pl.coalesce("household_id", pl.lit("ID:") + pl.col("borrower_id_number"), pl.lit("LOAN:") + pl.col("loan_id")).alias("household"),
            pl.when(pl.col("in_roster")).then(pl.col("m_town")).otherwise(pl.col("township")).alias("b_town"),
            pl.when(pl.col("in_roster")).then(pl.col("m_vill")).otherwise(pl.col("village")).alias("b_vill"),
            _text(pl.col("purpose")).alias("purpose_n"),
        )
    )


def _flag(frame: pl.DataFrame, severity: str | pl.Expr, note: pl.Expr | str) -> pl.DataFrame:
    sev = pl.lit(severity) if isinstance(severity, str) else severity
    note = pl.lit(note) if isinstance(note, str) else note
    return frame.select("loan_id", sev.alias("severity"), note.cast(pl.Utf8).alias("note"))


def _interval_pairs(L: pl.DataFrame) -> pl.DataFrame:
    iv = L.filter(pl.col("disbursement_date").is_not_null() & pl.col("end").is_not_null()).select(
        "loan_id", "household", pl.col("disbursement_date").alias("start"), "end", "amount")
    return iv.join(iv, on="household", suffix="_b")


def _loan_rules(L: pl.DataFrame, records: pl.DataFrame, as_of: dt.date) -> dict[str, pl.DataFrame]:
    a = pl.lit(as_of)
    out: dict[str, pl.DataFrame] = {}
    owing = pl.col("balance") > 0
    late = L.filter(owing & pl.col("eff").is_not_null() & (a > pl.col("eff"))).with_columns((a - pl.col("eff")).dt.total_days().alias("d"))
    bucket = pl.when(pl.col("d") <= 30).then(pl.lit("1-30")).when(pl.col("d") <= 90).then(pl.lit("31-90")).when(pl.col("d") <= 180).then(pl.lit("91-180")).otherwise(pl.lit(">180"))
    out["overdue"] = _flag(late, "error", pl.format("{} days overdue ({})", "d", bucket))
    soon = L.filter(owing & (pl.col("eff") >= a) & (pl.col("eff") <= a + pl.duration(days=DUE_SOON_DAYS)))
    out["due_soon"] = _flag(soon, "info", pl.format("due {}", "eff"))

    pairs = _interval_pairs(L)
    active = pairs.filter((pl.col("start_b") <= pl.col("start")) & (pl.col("start") < pl.col("end_b")) & pl.col("amount_b").is_not_null())
    sums = active.group_by("loan_id").agg(pl.col("amount_b").sum().alias("total"), pl.col("loan_id_b").alias("active"))
    crowded = sums.filter(pl.col("total") > MAX_AMOUNT).explode("active").group_by("active").agg(pl.col("total").max())
    big = L.filter(pl.col("amount") > MAX_AMOUNT)
    out["over_limit"] = pl.concat([
        _flag(big, "error", pl.format("amount {}", "amount")),
        _flag(crowded.rename({"active": "loan_id"}), "error", pl.format("household total {} at a loan's start", "total")),
    ]).unique("loan_id", keep="first", maintain_order=True)
    overlap = pairs.filter((pl.col("loan_id") != pl.col("loan_id_b")) & (pl.col("start") < pl.col("end_b")) & (pl.col("start_b") < pl.col("end")))
    out["multiple_loans_per_household"] = _flag(
        overlap.group_by("loan_id").agg(pl.col("loan_id_b").sort().str.join(",").alias("with")), "error", pl.format("overlaps {}", "with"))

    d = pl.col("disbursement_date")
    removed = pl.col("in_roster") & (pl.col("m_status") == "已剔除") & (pl.col("m_removed").is_null() | (pl.col("m_removed") <= d))
    reason = (
        pl.when(pl.col("valid") & ~pl.col("in_roster")).then(pl.lit("valid ID not in the roster"))
        .when(removed.fill_null(False)).then(pl.lit("household 已剔除"))
        .when((pl.col("in_roster") & (pl.col("m_registered") > d)).fill_null(False)).then(pl.lit("registered after disbursement"))
        .when((pl.col("in_roster") & pl.col("m_status").is_in(list(MONITORED)) & (d < pl.lit(MONITORED_FROM))).fill_null(False))
        .then(pl.lit("边缘户/监测户 before eligibility"))
    )
    poor = L.with_columns(reason.alias("why")).filter(pl.col("why").is_not_null())
    out["non_poor_borrower"] = _flag(poor, "error", pl.col("why"))
    words = L.filter(pl.col("purpose_n").str.contains_any(list(NON_PRODUCTIVE)).fill_null(False))
    out["non_productive_use"] = _flag(words, "error", pl.format("purpose {}", "purpose"))

    ent = L.filter((_text(pl.col("usage_mode")).is_in(list(ENTERPRISE_MODES)) | pl.col("purpose_n").str.contains_any(list(ENTERPRISE_WORDS))).fill_null(False))
    cluster = _clusters(L, pl.col("b_town"), pl.col("b_vill"))
    out["enterprise_use"] = pl.concat([
        _flag(ent, "error", pl.format("usage {} / purpose {}", "usage_mode", "purpose")),
        _flag(cluster, "warning", pl.format("cluster of {} loans in one village on one day", "k")),
    ]).unique("loan_id", keep="first", maintain_order=True)

    term = _whole_months(d, pl.col("maturity_date"))
    limit = pl.when(term <= EXTENSION_FULL_TERM_UP_TO).then(term).otherwise(term // 2)
    too_long = (pl.col("maturity_date") > _plus_months(d, pl.lit(MAX_TERM_MONTHS))).fill_null(False)
    too_far = (pl.col("extended_maturity_date") > _plus_months(pl.col("maturity_date"), limit)).fill_null(False)
    out["term_over_limit"] = _flag(L.filter(too_long | too_far), "error",
                                   pl.when(too_long).then(pl.lit("term over 36 months")).otherwise(pl.lit("extension over limit")))
    (start, base), = BASE_RATES
    out["rate_above_base"] = _flag(L.filter((d >= pl.lit(start)) & (pl.col("annual_rate") > base)), "error", pl.format("rate {}", "annual_rate"))
    age = _whole_years(pl.col("birth"), d)
    out["borrower_age"] = _flag(L.with_columns(age.alias("age")).filter((pl.col("age") < MIN_AGE) | (pl.col("age") > MAX_AGE)),
                                "error", pl.format("age {} at disbursement", "age"))
    dead = L.filter((pl.col("m_member") == "死亡") & pl.col("m_change").is_not_null() & d.is_not_null())
    out["deceased_borrower"] = pl.concat([
        _flag(dead.filter(pl.col("m_change") <= d), "error", pl.format("died {}", "m_change")),
        _flag(dead.filter((pl.col("m_change") > d) & (pl.col("m_change") < pl.col("end"))), "warning", pl.format("died {} during the loan", "m_change")),
    ])
    out["invalid_id_number"] = _flag(L.filter(~pl.col("valid")), "error", "borrower ID not valid")
    counts = records.group_by("loan_id").agg(pl.len().alias("k")).filter(pl.col("k") > 1)
    key = ["borrower_id_number", "amount", "disbursement_date"]
    same = L.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in key)).filter(pl.len().over(key) > 1)
    out["duplicate_loan_record"] = pl.concat([
        _flag(counts, "error", pl.format("loan_id on {} rows", "k")),
        _flag(same, "warning", "same borrower, amount and day under another loan_id"),
    ]).unique("loan_id", keep="first", maintain_order=True)
    mismatch = L.filter(pl.col("valid") & pl.col("in_roster") & (pl.col("borrower_name") != pl.col("m_name")))
    out["name_id_mismatch"] = _flag(mismatch, "error", pl.format("loan name {} / roster name {}", "borrower_name", "m_name"))
    out["duplicate_name"] = _flag(_same_names(L, pl.col("borrower_name"), pl.col("b_town"), pl.col("b_vill")), "warning",
                                  pl.format("{} shared by {} IDs", "borrower_name", "k"))
    _ambiguity_guards(L, out)
    return out


def _clusters(L: pl.DataFrame, town: pl.Expr, vill: pl.Expr) -> pl.DataFrame:
    key = [town.alias("_t"), vill.alias("_v"), pl.col("disbursement_date").alias("_d"), pl.col("amount").alias("_a"), pl.col("purpose_n").alias("_p")]
    keyed = L.with_columns(key).filter(pl.all_horizontal(pl.col(c).is_not_null() for c in ("_t", "_v", "_d", "_a", "_p")))
    return keyed.with_columns(pl.len().over("_t", "_v", "_d", "_a", "_p").alias("k")).filter(pl.col("k") >= CLUSTER_MIN)


def _same_names(L: pl.DataFrame, name: pl.Expr, town: pl.Expr, vill: pl.Expr) -> pl.DataFrame:
    keyed = L.filter(pl.col("valid")).with_columns(name.alias("_n"), town.alias("_t"), vill.alias("_v")).filter(pl.col("_n").is_not_null())
    return keyed.with_columns(pl.col("borrower_id_number").n_unique().over("_n", "_t", "_v").alias("k")).filter(pl.col("k") >= 2)


def _ambiguity_guards(L: pl.DataFrame, out: dict[str, pl.DataFrame]) -> None:
    """Where SPEC §4 can be read two ways, both readings must give the same labels."""
    place = place_key(pl.col("b_town"), pl.col("b_vill"))
    no_dot = pl.col("borrower_name").str.replace_all("·", "", literal=True)
    checks = {
        "duplicate_name": _same_names(L, no_dot, place, pl.lit("")),
        "enterprise_use": _clusters(L, place, pl.lit("")),
        "name_id_mismatch": L.filter(pl.col("valid") & pl.col("in_roster") & (no_dot != pl.col("m_name").str.replace_all("·", "", literal=True))),
    }
    for rule, other in checks.items():
        mine = out[rule]
        if rule == "enterprise_use":
            mine = mine.filter(pl.col("severity") == "warning")
        if sorted(mine["loan_id"].to_list()) != sorted(other["loan_id"].unique().to_list()):
            raise RuntimeError(f"generator bug: the two readings of {rule} disagree")


def _labels(roster: pl.DataFrame, records: pl.DataFrame, as_of: dt.date, pairs: list[tuple]) -> pl.DataFrame:
    L = _loan_view(roster, records, as_of)
    found = _loan_rules(L, records, as_of)
    ids = L.select("loan_id", "borrower_id_number")
    frames = [
        f.join(ids, on="loan_id", how="left").select(
            pl.lit(rule).alias("rule"), pl.lit("loans").alias("table"), "loan_id",
            pl.col("borrower_id_number").alias("id_number"), "severity", "note")
        for rule, f in found.items()
    ]
    bad_roster = roster.filter(~_valid_id(pl.col("id_number"), as_of))
    frames.append(bad_roster.select(
        pl.lit("invalid_id_number").alias("rule"), pl.lit("roster").alias("table"), pl.lit("").alias("loan_id"),
        "id_number", pl.lit("error").alias("severity"), pl.lit("roster ID not valid").alias("note")))
    in_roster = set(roster["id_number"].to_list())
    rows = []
    for id_a, id_b, signal in pairs:
        for me, other in ((id_a, id_b), (id_b, id_a)):
            rows.append(("suspected_same_person", "roster" if me in in_roster else "loans", "", me, "warning", f"{signal} with {other}"))
    if rows:
        frames.append(pl.DataFrame(rows, schema=["rule", "table", "loan_id", "id_number", "severity", "note"], orient="row")
                      .group_by("rule", "table", "loan_id", "id_number", "severity", maintain_order=True)
                      .agg(pl.col("note").str.join("; ")))
    return pl.concat(frames, how="vertical_relaxed").with_columns(pl.col("loan_id").fill_null(""))


# ---------------------------------------------------------------------------------
# 疑似一人多证: candidate pairs that involve an injected person
# ---------------------------------------------------------------------------------
def _people(roster: pl.DataFrame, records: pl.DataFrame, as_of: dt.date) -> pl.DataFrame:
    """SPEC §4's persons: valid roster IDs, and valid borrower IDs not in the roster."""
    mine = roster.filter(_valid_id(pl.col("id_number"), as_of)).select("id_number", "name", "township", "village")
    outside = (
        records.unique("loan_id", keep="first", maintain_order=True)
        .filter(_valid_id(pl.col("borrower_id_number"), as_of) & ~pl.col("borrower_id_number").is_in(roster["id_number"].implode()))
        .select(pl.col("borrower_id_number").alias("id_number"), pl.col("borrower_name").alias("name"), "township", "village")
    )
    return pl.concat([mine, outside]).unique("id_number", keep="first", maintain_order=True).with_columns(
        pl.col("id_number").str.slice(6, 8).str.strptime(pl.Date, "%Y%m%d").alias("birth"),
        pl.col("id_number").str.slice(0, 17).alias("body"),
        place_key(pl.col("township"), pl.col("village")).alias("place"),
    )


def identity_pairs(people: pl.DataFrame, focus: list[str]) -> list[tuple[str, str, str]]:
    """Pairs (id_a < id_b, signal) of SPEC §4's 疑似一人多证 with at least one ID in
    `focus`: ID bodies one digit or one adjacent swap apart, or born the same day in the
    same village (either reading of the village), with similar names. Raises when a
    pair's names are similar only under one reading of the SPEC."""
    if not focus:
        return []
    near = pl.DataFrame(
        [(i, b) for i in focus for b in _neighbour_bodies(i[:17])], schema=["id_a", "body"], orient="row"
    ).join(people.select(pl.col("id_number").alias("id_b"), "body"), on="body").select("id_a", "id_b", pl.lit("ID one digit or one swap apart").alias("signal"))
    mine = people.filter(pl.col("id_number").is_in(focus))
    same = []
    for keys in (["township", "village", "birth"], ["place", "birth"]):
        same.append(mine.join(people, on=keys, suffix="_b").select(
            pl.col("id_number").alias("id_a"), pl.col("id_number_b").alias("id_b"), pl.lit("same birth date, same village").alias("signal")))
    cands = pl.concat([near, *same]).filter(pl.col("id_a") != pl.col("id_b")).select(
        pl.min_horizontal("id_a", "id_b").alias("id_a"), pl.max_horizontal("id_a", "id_b").alias("id_b"), "signal",
    ).sort("id_a", "id_b", "signal").unique(["id_a", "id_b"], keep="first", maintain_order=True)
    names = people.select("id_number", "name")
    cands = cands.join(names.rename({"id_number": "id_a", "name": "name_a"}), on="id_a", how="left").join(
        names.rename({"id_number": "id_b", "name": "name_b"}), on="id_b", how="left").sort("id_a", "id_b")
    out = []
    for id_a, id_b, signal, name_a, name_b in cands.iter_rows():
        verdict = similar_names(name_a, name_b)
        if verdict is None:
            raise RuntimeError(f"generator bug: ambiguous similar names {name_a}/{name_b} ({id_a}, {id_b})")
        if verdict:
            out.append((id_a, id_b, signal))
    return out


# ---------------------------------------------------------------------------------
# Expected and refused labels
# ---------------------------------------------------------------------------------
def _check(w: World, labels: pl.DataFrame, loans: pl.DataFrame, lid_map: dict, pid_map: dict) -> tuple[dict, pl.DataFrame]:
    """Every injected case labelled (with its severity), no edge case labelled. Returns
    (rule, key) → injected kind, and the edge cases as rows shaped like the labels."""
    rows = labels.select("rule", "table", "loan_id", "id_number", "severity").iter_rows()
    by_loan, by_id = {}, {}
    for r, _t, loan, ident, sev in rows:
        if loan:
            by_loan[(r, loan)] = sev
        by_id.setdefault((r, ident), sev)
    injected: dict[tuple, str] = {}
    for rule, _table, (kind, ref), severity, name in w.expected:
        key = lid_map[ref] if kind == "lid" else pid_map[ref] if kind == "pid" else ref
        found = (by_loan if kind == "lid" else by_id).get((rule, key))
        if found != severity:
            raise RuntimeError(f"generator bug: injected {rule}/{name} ({key}) labelled {found}, not {severity}")
        injected[(rule, key)] = name
    borrower = dict(zip(*loans.filter(pl.col("_lid").is_in([r for _u, (k, r), _n in w.negatives if k == "lid"]))
                        .select("loan_id", "borrower_id_number").to_dict(as_series=False).values()))
    edges = []
    for rule, (kind, ref), name in w.negatives:
        key = lid_map[ref] if kind == "lid" else pid_map[ref]
        if (rule, key) in (by_loan if kind == "lid" else by_id):
            raise RuntimeError(f"generator bug: edge case {rule}/{name} is labelled ({key})")
        edges.append((rule, "loans", key, borrower[key], f"not flagged: {name}") if kind == "lid"
                     else (rule, "roster", "", key, f"not flagged: {name}"))
    frame = pl.DataFrame(edges, schema=["rule", "table", "loan_id", "id_number", "note"], orient="row")
    return injected, frame.unique(maintain_order=True).sort("rule", "table", "loan_id", "id_number")


# ---------------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------------
FULL_WIDTH = [chr(0xFF10 + i) for i in range(10)]
DOT_VARIANTS_GBK = ("·", "．")
DOT_VARIANTS_ALL = ("·", "・", "•", "‧", "．")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%-m/%-d", "%Y.%-m.%-d", "%Y年%-m月%-d日", "%Y%m%d")
ROSTER_HEADERS = ("户编号", "证件号码", "姓名", "与户主关系", "乡镇", "行政村", "户状态", "纳入日期", "剔除日期", "人员状态", "人员变动日期")
LOAN_HEADERS = (
    "借据号", "借款人姓名", "借款人身份证号", "乡镇", "行政村", "贷款金额(万元)", "放款日期", "到期日期", "展期到期日",
    "结清日期", "年利率(%)", "贷款余额(元)", "贷款用途", "使用方式", "承贷银行",
)
ROSTER_NOTES = ("已核实", "外出务工", "低保户", "五保户", "危房改造户", "易地扶贫搬迁户")
LOAN_NOTES = ("续贷", "已核实", "财政贴息", "展期")


def _pick(rng, n: int, p) -> np.ndarray:
    return rng.choice(len(p), size=n, p=np.array(p) / sum(p))


def _messy_ids(frame: pl.DataFrame, col: str, rng, valid: pl.Expr) -> pl.Expr:
    """IDs as they arrive: full-width digits, inner spaces, lower-case x, 15-digit legacy."""
    code = pl.Series(_pick(rng, frame.height, (0.80, 0.04, 0.04, 0.06, 0.06)))
    s = pl.col(col)
    legacy = s.str.slice(0, 6) + s.str.slice(8, 6) + s.str.slice(14, 3)
    c = pl.lit(code)
    return (
        pl.when(~valid).then(s)
        .when(c == 1).then(s.str.replace_many([str(i) for i in range(10)], FULL_WIDTH))
        .when(c == 2).then(s.str.slice(0, 6) + " " + s.str.slice(6, 8) + " " + s.str.slice(14))
        .when((c == 3) & s.str.ends_with("X")).then(s.str.to_lowercase())
        .when((c == 4) & (s.str.slice(6, 2) == "19")).then(legacy)
        .otherwise(s)
    )


def _messy_names(frame: pl.DataFrame, col: str, rng, dots: tuple[str, ...], zero_width: bool) -> pl.Expr:
    n = frame.height
    dot = pl.lit(pl.Series(np.array(dots)[rng.integers(0, len(dots), n)]))
    code = pl.lit(pl.Series(rng.random(n)))
    s = pl.col(col).str.replace("·", "\x00", literal=True)
    s = pl.concat_str(s.str.split("\x00").list.first(), pl.when(s.str.contains("\x00", literal=True)).then(dot).otherwise(pl.lit("")),
                      s.str.split("\x00").list.get(1, null_on_oob=True).fill_null(""))
    s = pl.when(code < 0.01).then(s.str.slice(0, 1) + " " + s.str.slice(1)).otherwise(s)
    if zero_width:
        s = pl.when((code > 0.995)).then(s.str.slice(0, 1) + "\u200b" + s.str.slice(1)).otherwise(s)
    return s


def _date_text(col: str, code: pl.Expr) -> pl.Expr:
    s = pl.col(col)
    serial = (s - pl.lit(EXCEL_EPOCH)).dt.total_days().cast(pl.Utf8)
    out = pl.when(code == 5).then(serial)
    for i, fmt in enumerate(DATE_FORMATS):
        out = out.when(code == i).then(s.dt.strftime(fmt))
    return out.otherwise(s.dt.strftime(DATE_FORMATS[0]))


def _write_roster_csv(roster: pl.DataFrame, path: Path, rng, overrides: dict, as_of: dt.date) -> int:
    n = roster.height
    valid = _valid_id(pl.col("id_number"), as_of)
    exprs = [pl.col("household_id"), _messy_ids(roster, "id_number", rng, valid), _messy_names(roster, "name", rng, DOT_VARIANTS_GBK, False),
             pl.col("relation"), pl.col("township"), pl.col("village")]
    pad = pl.lit(pl.Series(rng.random(n)))
    exprs.append(pl.when(pad < 0.02).then(pl.lit(" ") + pl.col("household_status")).otherwise(pl.col("household_status")))
    for col in ("registered_date", "removed_date"):
        exprs.append(_date_text(col, pl.lit(pl.Series(_pick(rng, n, (0.5, 0.15, 0.1, 0.1, 0.1, 0.05))))))
    exprs.append(pl.col("member_status"))
    exprs.append(_date_text("status_change_date", pl.lit(pl.Series(_pick(rng, n, (0.5, 0.15, 0.1, 0.1, 0.1, 0.05))))))
    note = np.where(rng.random(n) < 0.05, np.array(ROSTER_NOTES)[rng.integers(0, len(ROSTER_NOTES), n)], "")
    exprs.append(pl.lit(pl.Series(note)))
    out = roster.select([e.alias(h) for e, h in zip(exprs, (*ROSTER_HEADERS, "备注"))])
    for (pid, column), raw in overrides.items():
        header = ROSTER_HEADERS[ROSTER_COLUMNS.index(column)]
        out = out.with_columns(pl.when(roster["_pid"] == pid).then(pl.lit(raw)).otherwise(pl.col(header)).alias(header))
    text = out.write_csv(null_value="")
    path.write_bytes(text.encode("gbk"))
    return n


def _write_loans_xlsx(loans: pl.DataFrame, path: Path, rng, overrides: dict, as_of: dt.date) -> int:
    import xlsxwriter

    n = loans.height
    valid = _valid_id(pl.col("borrower_id_number"), as_of)
    text = loans.select(
        "loan_id", _messy_names(loans, "borrower_name", rng, DOT_VARIANTS_ALL, True).alias("borrower_name"),
        _messy_ids(loans, "borrower_id_number", rng, valid).alias("borrower_id_number"), "township", "village",
        *[_date_text(c, pl.lit(pl.Series(_pick(rng, n, (0.5, 0.15, 0.1, 0.1, 0.1, 0.05))))).alias(c)
          for c in ("disbursement_date", "maturity_date", "extended_maturity_date", "settled_date")],
        pl.when(pl.lit(pl.Series(rng.random(n))) < 0.02)
        .then(pl.col("purpose").str.slice(0, 1) + " " + pl.col("purpose").str.slice(1)).otherwise(pl.col("purpose")).alias("purpose"),
        "usage_mode", "bank",
    )
    cols = {c: text[c].to_list() for c in text.columns}
    dates = {c: loans[c].to_list() for c in ("disbursement_date", "maturity_date", "extended_maturity_date", "settled_date")}
    date_kind = {c: _pick(rng, n, (0.6, 0.3, 0.1)) for c in dates}  # text, date cell, serial number
    amount = loans["amount"].to_list()
    balance = loans["balance"].to_list()
    rate = loans["annual_rate"].to_list()
    money_kind = _pick(rng, n, (0.85, 0.10, 0.05))
    wan_text = rng.random(n) < 0.1
    rate_text = rng.random(n) < 0.1
    notes = np.where(rng.random(n) < 0.05, np.array(LOAN_NOTES)[rng.integers(0, len(LOAN_NOTES), n)], "")
    lids = loans["_lid"].to_list()

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": dt.datetime(as_of.year, as_of.month, as_of.day), "title": "扶贫小额信贷台账"})
    ws = wb.add_worksheet("台账")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.set_column(0, 0, 20)
    ws.set_column(2, 2, 21)
    ws.write_string(0, 0, f"陇川县扶贫小额信贷台账（数据日期：{as_of.year}年{as_of.month}月{as_of.day}日）")
    for j, h in enumerate((*LOAN_HEADERS, "备注")):
        ws.write_string(1, j, h)
    order = ("loan_id", "borrower_name", "borrower_id_number", "township", "village")
    for i in range(n):
        r = i + 2
        for j, c in enumerate(order):
            ws.write_string(r, j, cols[c][i])
        a = amount[i]
        if a is not None:
            wan = a / 10000
            if wan_text[i]:
                ws.write_string(r, 5, f"{wan:g}")
            else:
                ws.write_number(r, 5, wan)
        for j, c in zip((6, 7, 8, 9), dates):
            v = dates[c][i]
            if v is None:
                continue
            k = date_kind[c][i]
            if k == 0:
                ws.write_string(r, j, cols[c][i])
            elif k == 1:
                ws.write_datetime(r, j, dt.datetime(v.year, v.month, v.day), date_fmt)
            else:
                ws.write_number(r, j, (v - EXCEL_EPOCH).days)
        if rate[i] is not None:
            if rate_text[i]:
                ws.write_string(r, 10, f"{rate[i]:g}%")
            else:
                ws.write_number(r, 10, rate[i])
        b = balance[i]
        if b is not None:
            mk = money_kind[i]
            if mk == 0:
                ws.write_number(r, 11, b)
            elif mk == 1:
                ws.write_string(r, 11, f"{b:,.2f}")
            else:
                ws.write_string(r, 11, f"{b:g}元")
        for j, c in zip((12, 13, 14), ("purpose", "usage_mode", "bank")):
            ws.write_string(r, j, cols[c][i])
        if notes[i]:
            ws.write_string(r, 15, notes[i])
        if lids[i] in overrides:
            for column, raw in overrides[lids[i]].items():
                ws.write_string(r, 5 if column == "amount" else 6 + ("disbursement_date", "maturity_date").index(column), raw)
    wb.close()
    return n


# ---------------------------------------------------------------------------------
# The entry point
# ---------------------------------------------------------------------------------
MIN_HOUSEHOLDS = 300


def generate(households: int, seed: int, out: Path, messy: bool = False,
             as_of: dt.date = dt.date(2020, 12, 31)) -> dict:
    """Write a synthetic Longchuan data set and its exact labels into `out`; return meta."""
    if households < MIN_HOUSEHOLDS:
        raise ValueError(f"households must be at least {MIN_HOUSEHOLDS} (every case needs fresh households)")
    if not dt.date(2019, 1, 1) <= as_of <= dt.date(2035, 12, 31):
        raise ValueError("as_of must be between 2019-01-01 and 2035-12-31")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    w = World(np.random.default_rng(seed), households, as_of, dt.date(as_of.year - 3, 1, 1), _villages(households))
    _build_households(w)
    injector_outsiders = max(1, int(round(2 * households / 2000)))
    _build_persons(w, injector_outsiders)
    _assign_ids(w)
    _member_status(w)
    _background_loans(w)
    Injector(w).run()

    roster, loans, lid_map = _tables(w)
    wanted = {ref for _r, _t, (kind, ref), _s, _k in w.expected if kind == "pid"} | set(w.specials)
    wanted |= {ref for _r, (kind, ref), _k in w.negatives if kind == "pid"} | {u[2] for u in w.unreadable if u[1] == "pid"}
    picked = w.persons.filter(pl.col("pid").is_in(sorted(wanted)))
    pid_map = dict(zip(picked["pid"].to_list(), picked["id_text"].to_list()))
    seen_roster, seen_loans = _unreadable_nulls(w, roster, loans) if messy else (roster, loans)
    people = _people(seen_roster, seen_loans, as_of)
    pairs = identity_pairs(people, sorted(pid_map[p] for p in w.specials))
    labels = _labels(seen_roster, seen_loans, as_of, pairs)
    if messy:
        rows = []
        for table, kind, ref, column, raw in w.unreadable:
            rows.append(("unreadable_value", table, lid_map[ref] if kind == "lid" else "",
                         pid_map[ref] if kind == "pid" else seen_loans.filter(pl.col("_lid") == ref)["borrower_id_number"][0],
                         "error", f"{column} 「{raw}」"))
        labels = pl.concat([labels, pl.DataFrame(rows, schema=labels.columns, orient="row")])
    injected, edges = _check(w, labels, loans, lid_map, pid_map)
    injected = pl.DataFrame([(r, k, v) for (r, k), v in sorted(injected.items())],
                            schema=["rule", "_key", "_kind"], orient="row")
    labels = labels.join(injected.rename({"_key": "loan_id"}), on=["rule", "loan_id"], how="left").join(
        injected.rename({"_key": "id_number", "_kind": "_kind2"}), on=["rule", "id_number"], how="left",
    ).with_columns(pl.coalesce("_kind", "_kind2").fill_null("").alias("_kind")).select(
        "rule", "table", "loan_id", "id_number",
        pl.concat_str("severity", pl.lit(": "), "note",
                      pl.when(pl.col("_kind") != "").then(pl.lit("; injected ") + pl.col("_kind")).otherwise(pl.lit("; incidental"))).alias("note"),
    ).sort("rule", "table", "loan_id", "id_number")

    files = {}
    if messy:
        rng = np.random.default_rng([seed, 1])
        roster_over = {(ref, col): raw for table, _k, ref, col, raw in w.unreadable if table == "roster"}
        loan_over: dict[int, dict] = {}
        for table, _k, ref, col, raw in w.unreadable:
            if table == "loans":
                loan_over.setdefault(ref, {})[col] = raw
        files["roster.csv"] = _write_roster_csv(roster, out / "roster.csv", rng, roster_over, as_of)
        files["loans.xlsx"] = _write_loans_xlsx(loans, out / "loans.xlsx", rng, loan_over, as_of)
    else:
        roster.drop("_pid").write_parquet(out / "roster.parquet")
        loans.drop("_lid").write_parquet(out / "loans.parquet")
        files["roster.parquet"], files["loans.parquet"] = roster.height, loans.height
    labels.write_csv(out / "labels.csv")
    edges.write_csv(out / "edge_cases.csv")

    def per_rule(frame: pl.DataFrame) -> dict:
        counts = frame.group_by("rule").agg(pl.len()).sort("rule")
        return dict(zip(counts["rule"].to_list(), counts["len"].to_list()))

    meta = {
        "as_of": as_of.isoformat(), "seed": seed, "households": households, "messy": messy,
        "rows": files, "loans": len(lid_map), "villages": w.villages.height,
        "labels": per_rule(labels),
        "labels_incidental": per_rule(labels.filter(pl.col("note").str.ends_with("; incidental"))),
        "edge_cases": per_rule(edges),
    }
    (out / "meta.json").write_text(json.dumps(meta, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return meta
