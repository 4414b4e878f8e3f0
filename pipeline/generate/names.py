"""Names: the families (Han, Jingpo, dotted Jingpo, Dai, Achang) with disjoint characters
and readings, the name expression over drawn codes, and SPEC §4's similar names with
the doubtful cases marked.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from pypinyin import Style, pinyin

from loan_audit.pipeline.generate import han_names

# Name families: characters (and their pinyin readings) never shared between families,
# so names of two families are never similar (SPEC §4 suspected_same_person).
HAN, JINGPO, DOTTED, DAI, ACHANG = range(5)
FAMILY_CLASS = (2, 7, 4, 9, 0)  # ID body class per family (see module docstring)
HAN_MALE, HAN_FEMALE = "建华明军强平福贵德成永海东光发顺兴家伟", "芳秀兰春梅红金玲荣琼凤珍美萍敏静"
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
    (_han_given(HAN_FEMALE), _han_given(HAN_MALE)),
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
def name_expr(sur: pl.Expr | None = None, giv: pl.Expr | None = None) -> pl.Expr:
    sur = pl.col("sur") if sur is None else sur
    giv = pl.col("giv") if giv is None else giv
    sur_idx = pl.col("family").replace_strict(dict(enumerate(_SUR_OFF.tolist()))) + sur
    giv_idx = (
        pl.col("family").replace_strict(dict(enumerate(_GIV_OFF[:, 0].tolist())))
        + pl.col("male") * (pl.col("family").replace_strict(dict(enumerate((_GIV_OFF[:, 1] - _GIV_OFF[:, 0]).tolist()))))
        + giv
    )
    sep = pl.col("family").replace_strict(dict(enumerate(SEPARATOR)), return_dtype=pl.Utf8)
    return pl.concat_str(pl.lit(_SUR_FLAT).gather(sur_idx), sep, pl.lit(_GIV_FLAT).gather(giv_idx))


# --- realistic Han names (generate(..., realistic=True)) ------------------------------
def _all_readings(ch: str) -> frozenset:
    return _readings(ch)[1]


def realistic_tables():
    """han_names.tables for this module's families: (surnames, their weights, given
    characters, [female, male] weights)."""
    others = frozenset(c for f in range(1, 5) for part in (SURNAMES[f], *GIVEN[f]) for name in part for c in name)
    shapes = han_names.FOREIGN_SHAPES + tuple("".join(p) for p in SHAPE.items())
    return han_names.tables(others, _all_readings, shapes)


def draw_realistic_han(rng, male: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Surname and given-name codes for Han persons of sex `male` (0/1): surnames by
    share, given names of one (HAN_SINGLE_SHARE) or two Zipf-weighted characters; the
    given code is c1 * (k + 1) + c2 + 1, or c1 * (k + 1) for one character (k characters)."""
    surnames, sur_w, chars, weights = realistic_tables()
    n, k = len(male), len(chars)
    sur = np.searchsorted(np.cumsum(sur_w), rng.random(n) * 0.999999999, side="right")
    cum = np.cumsum(weights, axis=1)
    cum /= cum[:, -1:]

    def char() -> np.ndarray:
        u = rng.random(n) * 0.999999999
        return np.where(male == 1, np.searchsorted(cum[1], u, side="right"), np.searchsorted(cum[0], u, side="right"))

    first, second = char(), char()
    single = rng.random(n) < han_names.HAN_SINGLE_SHARE
    return sur.astype(np.int64), (first * (k + 1) + np.where(single, 0, second + 1)).astype(np.int64)


def realistic_name_expr() -> pl.Expr:
    """`name_expr`, with Han names from the realistic tables (codes of `draw_realistic_han`)."""
    surnames, _w, chars, _cw = realistic_tables()
    k = len(chars)
    han = pl.col("family") == HAN
    sur = pl.lit(pl.Series(surnames)).gather(pl.when(han).then(pl.col("sur")).otherwise(0))
    giv = pl.when(han).then(pl.col("giv")).otherwise(0)
    table = pl.lit(pl.Series(chars))
    second = pl.when(giv % (k + 1) > 0).then(table.gather((giv % (k + 1) - 1).clip(0))).otherwise(pl.lit(""))
    others = name_expr(pl.when(han).then(0).otherwise(pl.col("sur")), pl.when(han).then(0).otherwise(pl.col("giv")))
    return pl.when(han).then(pl.concat_str(sur, table.gather(giv // (k + 1)), second)).otherwise(others)
