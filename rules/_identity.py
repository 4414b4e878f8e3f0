"""Identity machinery shared by name_id_mismatch, duplicate_name and suspected_same_person.

Names in the context are already normalised by `pipeline.normalise.name` (NFKC, no
white or zero-width characters, one middle dot `·`). Here they are compared:

- `name_key`: the normalised name without the middle dot, so that 排·麻干 and 排麻干
  (a Jingpo name keyed with and without its separator) are one name.
- readings: the toneless pinyin readings of each character: the first character, when
  it is a surname read its own way (曾 zeng, 单 shan, 仇 qiu, 朴 piao, 缪 miao …), gets
  that reading (pypinyin has no surname mode); a character of HETERONYMS gets the set
  of its name readings (乐 le/yue, 长 chang/zhang); any other its first reading.
- `name_signals`: for pairs of names, which signals fire — 同名, 同音 (every position
  shares a reading), 形近字 (a substitution listed in SIMILAR_SHAPES), 多字/少字 (one
  character added or dropped), 近音 (Yunnan dialect mergers: n/l, zh/z, ch/c, sh/s,
  in/ing, en/eng; evidence only) — with rapidfuzz scores on characters and on pinyin.
- `similar`: SPEC §4's "similar names (equal, same toneless pinyin, or one character
  apart)". A one-character *substitution* counts only when it is a similar-shape
  pair: any other substitution is how siblings differ (张建国/张建军, 岳麻干/岳麻诺),
  and twins must not be taken for one person.
- blocking (`candidate_pairs`): IDs born the same day in the same village, and IDs of
  one township whose 17-digit bodies are one digit or one adjacent transposition apart
  (found by masking one position at a time on the body as an integer, keyed by
  township: 33 hash passes, linear in the roster). No all-pairs anywhere; names are
  scored (rapidfuzz `process.cpdist`, one vectorised call) only on candidate pairs.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import polars as pl
from pypinyin import Style, pinyin
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

DOT = "·"
# Surnames read differently from the character's first reading (pypinyin has no surname mode).
SURNAME_READINGS = {
    "曾": "zeng", "单": "shan", "仇": "qiu", "朴": "piao", "缪": "miao", "解": "xie", "区": "ou",
    "查": "zha", "盖": "ge", "乐": "yue", "翟": "zhai", "覃": "qin", "召": "shao", "秘": "bi",
    "员": "yun", "种": "chong", "尉": "wei", "任": "ren", "叶": "ye", "贾": "jia", "柏": "bai",
    "长": "chang", "重": "chong", "宿": "su", "能": "nai", "折": "she", "都": "du", "薄": "bo",
    "车": "che", "藏": "zang", "便": "pian", "万": "wan", "沈": "shen", "殷": "yin", "句": "gou",
    "繁": "po", "石": "shi", "华": "hua",
}
# Characters read two ways in given names (and as a surname when not listed above). Only
# these: pypinyin's full heteronym lists carry archaic readings (王 yu, 英 yang, 明 meng)
# that would make 李英 and 李杨 "sound alike". Any other character: its first reading.
HETERONYMS = {
    "乐": ("le", "yue"), "长": ("chang", "zhang"), "朝": ("zhao", "chao"), "重": ("zhong", "chong"),
    "行": ("xing", "hang"), "曾": ("ceng", "zeng"), "单": ("dan", "shan"), "茜": ("qian", "xi"),
    "会": ("hui", "kuai"), "传": ("chuan", "zhuan"), "强": ("qiang", "jiang"), "藏": ("cang", "zang"),
    "降": ("jiang", "xiang"), "奇": ("qi", "ji"), "仇": ("chou", "qiu"), "解": ("jie", "xie"),
    "省": ("sheng", "xing"), "薄": ("bo", "bao"), "朴": ("pu", "piao"), "翟": ("di", "zhai"),
    "柏": ("bai", "bo"), "都": ("du", "dou"), "宿": ("su", "xiu"), "查": ("cha", "zha"),
    "区": ("qu", "ou"), "盖": ("gai", "ge"), "员": ("yuan", "yun"), "召": ("zhao", "shao"),
    "覃": ("qin", "tan"), "缪": ("miao", "mou", "miu"), "率": ("shuai", "lv"), "尉": ("wei", "yu"),
    "沈": ("shen", "chen"), "参": ("can", "shen"), "数": ("shu", "shuo"), "和": ("he", "huo"), "大": ("da", "dai"), "弹": ("dan", "tan"), "贾": ("jia", "gu"), "蔓": ("man", "wan"), "莎": ("sha", "suo"),
}
# 形近字: characters a clerk confuses by shape (each string is one group of look-alikes).
SIMILAR_SHAPES = (
    "王玉主", "未末", "己已巳", "戊戌戍", "士土", "日曰", "人入八", "刀力", "大太犬", "天夫",
    "干千于", "午牛", "白自", "贝见", "候侯", "拨拔", "折拆", "治冶", "免兔", "历厉", "崇祟",
    "辨辩辫", "壁璧", "晴睛", "即既", "丙两", "杨扬", "李季", "田由甲申", "今令", "余佘",
    "苟荀", "卯卵", "鸟乌", "本木", "兵乒乓", "汪江", "永水", "东车", "云去", "贵贯", "明朋",
    "金全", "思恩", "春秦奏", "元无", "开井", "宁丁", "文又", "英央", "军车", "凤风", "梅海",
)
_SHAPE_KEYS = sorted({"".join(sorted(p)) for g in SIMILAR_SHAPES for p in combinations(g, 2)})
# Dialect mergers of Yunnan Mandarin a clerk writing from dictation makes (近音).
_NEAR = ((r"^zh", "z"), (r"^ch", "c"), (r"^sh", "s"), (r"^n", "l"), (r"ing$", "in"), (r"eng$", "en"))
_PAIR_SCHEMA = {"name_a": pl.Utf8, "name_b": pl.Utf8}


def name_key(expr: pl.Expr) -> pl.Expr:
    """A normalised name as identities compare it: without the middle dot (null if empty)."""
    out = expr.str.replace_all(DOT, "", literal=True)
    return pl.when(out == "").then(None).otherwise(out)


def town_key(township: pl.Expr) -> pl.Expr:
    """A township as compared: 章凤镇 and 章凤 are one township."""
    return township.str.replace(r"(镇|乡)$", "")


def place_key(township: pl.Expr, village: pl.Expr) -> pl.Expr:
    """Township and village as compared: the bank's 迭撒村 is the roster's 迭撒村委会."""
    vill = village.str.replace(r"(村民委员会|村委会|居民委员会|居委会|社区|村)$", "")
    return pl.concat_str(town_key(township), pl.lit("/"), vill)


@lru_cache(maxsize=None)
def _readings(char: str, first: bool) -> tuple[str, ...]:
    """Toneless readings of one character. pypinyin has no vectorised API, so this is the
    one Python call per distinct value: per distinct character (a few thousand even for a
    million names), cached for the life of the process."""
    if first and char in SURNAME_READINGS:
        return (SURNAME_READINGS[char],)
    if char in HETERONYMS:
        return HETERONYMS[char]
    return (pinyin(char, style=Style.NORMAL)[0][0].lower(),)


def _chars(names: pl.Series) -> pl.DataFrame:
    """One row per (distinct name, position): the character and its readings."""
    exploded = (
        pl.DataFrame({"name": names.unique().drop_nulls()})
        .with_columns(pl.col("name").str.split("").alias("char"))
        .explode("char")
        .with_columns(pl.int_range(pl.len()).over("name").alias("pos"))
    )
    distinct = exploded.select("char", (pl.col("pos") == 0).alias("first")).unique()
    table = pl.DataFrame(
        {
            "char": distinct["char"],
            "first": distinct["first"],
            "readings": [list(_readings(c, f)) for c, f in zip(distinct["char"], distinct["first"])],
        },
        schema={"char": pl.Utf8, "first": pl.Boolean, "readings": pl.List(pl.Utf8)},
    )
    near = pl.element()
    for pattern, repl in _NEAR:
        near = near.str.replace(pattern, repl)
    table = table.with_columns(pl.col("readings").list.eval(near).list.unique().alias("near"))
    return exploded.with_columns((pl.col("pos") == 0).alias("first")).join(table, on=["char", "first"], how="left")


def pinyin_of(names: pl.Series) -> pl.DataFrame:
    """name → toneless pinyin (`zeng wei`), one reading per character (surnames overridden)."""
    return _pinyin(_chars(names))


def _pinyin(chars: pl.DataFrame) -> pl.DataFrame:
    return (
        chars
        .sort("name", "pos")
        .group_by("name")
        .agg(pl.col("readings").list.first().str.join(" ").alias("pinyin"))
    )


def name_signals(pairs: pl.DataFrame) -> pl.DataFrame:
    """`pairs` (columns name_a, name_b: name keys, not null) with the signals and scores."""
    p = pairs.with_row_index("_pair")
    if p.height == 0:
        return p.drop("_pair").with_columns(
            *[pl.lit(None, dtype=t).alias(c) for c, t in _SIGNAL_SCHEMA.items()]
        )
    a, b = p["name_a"].to_list(), p["name_b"].to_list()
    chars = _chars(pl.concat([p["name_a"], p["name_b"]]))
    py = _pinyin(chars)
    p = (
        p.with_columns(
            pl.Series("edit_distance", process.cpdist(a, b, scorer=Levenshtein.distance, workers=-1), dtype=pl.Int64),
            pl.Series("char_similarity", process.cpdist(a, b, scorer=Levenshtein.normalized_similarity, workers=-1)),
        )
        .join(py.rename({"name": "name_a", "pinyin": "pinyin_a"}), on="name_a", how="left")
        .join(py.rename({"name": "name_b", "pinyin": "pinyin_b"}), on="name_b", how="left")
    )
    pys = process.cpdist(p["pinyin_a"].to_list(), p["pinyin_b"].to_list(),
                         scorer=Levenshtein.normalized_similarity, workers=-1)
    p = p.with_columns(pl.Series("pinyin_similarity", pys))
    return p.join(_positions(p, chars), on="_pair", how="left").sort("_pair").select(
        pl.exclude("_pair", "n_diff", "all_sound", "all_near", "shape_pairs", "char_similarity", "pinyin_similarity"),
        (pl.col("name_a") == pl.col("name_b")).alias("same_name"),
        pl.col("all_sound").fill_null(False).alias("same_sound"),
        (pl.col("n_diff") == 1).fill_null(False).and_(pl.col("shape_pairs").list.len() == 1).alias("similar_shape"),
        pl.col("shape_pairs").fill_null(pl.lit([], dtype=pl.List(pl.Utf8))),
        ((pl.col("name_a").str.len_chars().cast(pl.Int64) - pl.col("name_b").str.len_chars().cast(pl.Int64)).abs() == 1)
        .and_(pl.col("edit_distance") == 1).alias("one_char_added_or_dropped"),
        (pl.col("all_near") & ~pl.col("all_sound")).fill_null(False).alias("near_sound"),
        (pl.col("char_similarity").cast(pl.Float64) * 100).round(1),
        (pl.col("pinyin_similarity").cast(pl.Float64) * 100).round(1),
    ).with_columns(
        (pl.col("same_name") | pl.col("same_sound") | pl.col("similar_shape") | pl.col("one_char_added_or_dropped"))
        .alias("similar"),
        pl.concat_list(
            pl.when(pl.col("same_sound") & ~pl.col("same_name")).then(pl.lit("same_sound")),
            pl.when(pl.col("similar_shape")).then(pl.lit("similar_shape")),
            pl.when(pl.col("one_char_added_or_dropped")).then(pl.lit("one_char_added_or_dropped")),
            pl.when(pl.col("near_sound")).then(pl.lit("near_sound")),
        ).list.drop_nulls().alias("signals"),
    )


_SIGNAL_SCHEMA = {
    "edit_distance": pl.Int64, "char_similarity": pl.Float64, "pinyin_a": pl.Utf8, "pinyin_b": pl.Utf8,
    "pinyin_similarity": pl.Float64, "same_name": pl.Boolean, "same_sound": pl.Boolean,
    "similar_shape": pl.Boolean, "shape_pairs": pl.List(pl.Utf8), "one_char_added_or_dropped": pl.Boolean,
    "near_sound": pl.Boolean, "similar": pl.Boolean, "signals": pl.List(pl.Utf8),
}


def _positions(p: pl.DataFrame, chars: pl.DataFrame) -> pl.DataFrame:
    """Per equal-length pair: differing positions, all sound-alike, all near, shape pairs."""
    chars = chars.select("name", "pos", "char", "readings", "near")
    side = {s: chars.rename({c: c + s for c in chars.columns if c != "pos"}) for s in ("_a", "_b")}
    same_len = p.filter(pl.col("name_a").str.len_chars() == pl.col("name_b").str.len_chars())
    aligned = (
        same_len.select("_pair", "name_a", "name_b", pl.col("name_a").str.split("").alias("_c"))
        .explode("_c")
        .with_columns(pl.int_range(pl.len()).over("_pair").alias("pos"))
        .join(side["_a"], on=["name_a", "pos"])
        .join(side["_b"], on=["name_b", "pos"])
    )
    differ = pl.col("char_a") != pl.col("char_b")
    alike = pl.col("readings_a").list.set_intersection("readings_b").list.len() > 0
    near = pl.col("near_a").list.set_intersection("near_b").list.len() > 0
    pair_key = pl.when(pl.col("char_a") < pl.col("char_b")).then(pl.col("char_a") + pl.col("char_b")).otherwise(
        pl.col("char_b") + pl.col("char_a"))
    return aligned.group_by("_pair").agg(
        differ.sum().alias("n_diff"),
        (~differ | alike).all().alias("all_sound"),
        (~differ | alike | near).all().alias("all_near"),
        pl.when(differ & pair_key.is_in(_SHAPE_KEYS)).then(pl.col("char_a") + "/" + pl.col("char_b"))
        .drop_nulls().alias("shape_pairs"),
    )


# --- who is a person, and which pairs of persons to compare --------------------------
def people(ctx) -> pl.DataFrame:
    """Every valid ID with a name: roster members, and borrowers not in the roster."""
    roster = ctx.roster.filter(pl.col("id_valid") & pl.col("name").is_not_null()).select(
        "id_number", "name", "township", "village", "household_id", "birth_date", pl.lit(True).alias("in_roster"),
    )
    outside = ctx.loans.filter(
        pl.col("borrower_id_valid") & ~pl.col("in_roster") & pl.col("borrower_name").is_not_null()
    ).select(
        pl.col("borrower_id_number").alias("id_number"), pl.col("borrower_name").alias("name"),
        pl.col("borrower_township").alias("township"), pl.col("borrower_village").alias("village"),
        pl.lit(None, dtype=pl.Utf8).alias("household_id"), "birth_date", pl.lit(False).alias("in_roster"),
    )
    return (
        pl.concat([roster, outside], how="vertical_relaxed")
        .with_columns(
            name_key(pl.col("name")).alias("name_key"),
            place_key(pl.col("township"), pl.col("village")).alias("place"),
            town_key(pl.col("township")).alias("town"),
        )
        .filter(pl.col("name_key").is_not_null())
        .unique(["id_number", "name_key"], keep="first", maintain_order=True)
    )


def candidate_pairs(persons: pl.DataFrame) -> pl.DataFrame:
    """ID pairs (id_a < id_b) born the same day in the same village, or whose bodies are
    one digit or one adjacent transposition apart in the same township (either township
    unknown: compared): id_a, id_b, same_day_village, id_signal."""
    dated = persons.filter(pl.col("place").is_not_null() & pl.col("birth_date").is_not_null()).select(
        "id_number", "place", "birth_date").unique()
    day = (
        dated.join(dated, on=["place", "birth_date"], suffix="_b")
        .filter(pl.col("id_number") < pl.col("id_number_b"))
        .select(pl.col("id_number").alias("id_a"), pl.col("id_number_b").alias("id_b"), pl.lit(True).alias("same_day_village"))
        .unique()
    )
    # The ID path within one township (or where a side's township is unknown): common
    # names (排麻干) make same-name IDs a digit apart across a county a coincidence. An ID
    # of unknown township is looked for in every township.
    towns = persons.select(pl.col("id_number").alias("id"), "town").unique("id", keep="first")
    known = towns.get_column("town").drop_nulls().unique()
    unknown = towns.filter(pl.col("town").is_null()).drop("town")
    if unknown.height:
        everywhere = pl.DataFrame({"town": known if known.len() else pl.Series([""])})
        towns = pl.concat([towns.filter(pl.col("town").is_not_null()), unknown.join(everywhere, how="cross")])
    near = id_neighbours(towns)
    return day.join(near, on=["id_a", "id_b"], how="full", coalesce=True).with_columns(
        pl.col("same_day_village").fill_null(False)
    )


def id_neighbours(ids: pl.DataFrame) -> pl.DataFrame:
    """Pairs of valid IDs (`ids`: columns id, town) of one town whose 17-digit bodies
    differ in one digit or one adjacent swap: id_a < id_b, id_signal.

    Each pass masks one position (or sorts one adjacent pair) of the body as an integer
    and pairs the bodies of one town that then agree: 33 hash passes, linear in the
    number of IDs; the output grows with the density of IDs in a township.
    """
    frame = ids.with_columns(pl.col("id").str.slice(0, 17).cast(pl.Int64, strict=False).alias("body")).drop_nulls("body")
    bodies = frame.select("town", "body").lazy()
    weight = [10 ** (16 - i) for i in range(17)]
    digit = [(pl.col("body") // w) % 10 for w in weight]
    found = [_same_key(bodies, pl.col("body") - digit[i] * weight[i], f"digit:{i + 1}") for i in range(17)]
    for i in range(16):
        low, high = pl.min_horizontal(digit[i], digit[i + 1]), pl.max_horizontal(digit[i], digit[i + 1])
        key = pl.col("body") - digit[i] * weight[i] - digit[i + 1] * weight[i + 1] + low * weight[i] + high * weight[i + 1]
        found.append(_same_key(bodies, key, f"swap:{i + 1}-{i + 2}"))
    pairs = pl.concat(found).collect().unique(["body", "body_b"], keep="first", maintain_order=True)
    body_id = frame.select("id", "body").unique("body")
    return (
        pairs.join(body_id, on="body")
        .join(body_id.rename({"id": "id_b", "body": "body_b"}), on="body_b")
        .select(pl.col("id").alias("id_a"), "id_b", "id_signal")
    )


def _same_key(bodies: pl.LazyFrame, key: pl.Expr, signal: str) -> pl.LazyFrame:
    keyed = bodies.with_columns(key.alias("key")).filter(pl.len().over("town", "key") > 1)
    return (
        keyed.join(keyed, on=["town", "key"], suffix="_b")
        .filter(pl.col("body") < pl.col("body_b"))
        .select("body", "body_b", pl.lit(signal).alias("id_signal"))
    )
