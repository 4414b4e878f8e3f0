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
- blocking (`candidate_pairs`): names are first put in groups (`name_groups`) such that
  two similar names always share one; then, within a group, IDs born the same day in
  the same village, and IDs of one township whose 17-digit bodies are one digit or one
  adjacent transposition apart. The ID pairs come from seven sorted passes, each hiding
  a window of the body and pairing the bodies equal outside it (`id_neighbours`); every
  candidate is then checked exactly. No all-pairs anywhere; names are scored (rapidfuzz
  `process.cpdist`, one vectorised call) only on candidate pairs.
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


def village_key(village: pl.Expr) -> pl.Expr:
    """A village as compared: the bank's 迭撒村 is the roster's 迭撒村委会."""
    return village.str.replace(r"(村民委员会|村委会|居民委员会|居委会|社区|村)$", "")


def place_key(township: pl.Expr, village: pl.Expr) -> pl.Expr:
    """Township and village as compared (`town_key` / `village_key`)."""
    return pl.concat_str(town_key(township), pl.lit("/"), village_key(village))


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
DETAILS = ("name", "township", "village", "household_id", "in_roster")


def _listed(ctx, ids: pl.Series | None, shown: tuple[str, ...]) -> pl.LazyFrame:
    """Every valid ID with a name: roster members, and borrowers not in the roster:
    id_number, birth_date and the `shown` columns of DETAILS (or id_key, the context's
    ID as one number). `ids`: only these IDs."""
    wanted = pl.col("id_number").is_in(ids.implode()) if ids is not None else pl.lit(True)
    roster = ctx.roster.lazy().filter(pl.col("id_valid") & pl.col("name").is_not_null() & wanted).select(
        "id_number", "birth_date", *[c for c in shown if c != "in_roster"],
        *([pl.lit(True).alias("in_roster")] if "in_roster" in shown else []),
    )
    outside = ctx.loans.lazy().filter(
        pl.col("borrower_id_valid") & ~pl.col("in_roster") & pl.col("borrower_name").is_not_null()
    ).select(
        pl.col("borrower_id_number").alias("id_number"), "birth_date", pl.col("borrower_name").alias("name"),
        pl.col("borrower_township").alias("township"), pl.col("borrower_village").alias("village"),
        pl.lit(None, dtype=pl.Utf8).alias("household_id"), pl.lit(False).alias("in_roster"),
        pl.col("borrower_id_key").alias("id_key"),
    ).filter(wanted).select(roster.collect_schema().names())
    return pl.concat([roster, outside], how="vertical_relaxed")


def _one_per_id_and_name(persons: pl.DataFrame) -> pl.DataFrame:
    """One row per (ID, name key): a roster seldom lists an ID twice, so look (sorting a
    hash) before paying for `unique` over millions of text rows."""
    if _has_repeats(persons.select(pl.struct("id_number", pl.col("name_key").to_physical()).hash())):
        persons = persons.unique(["id_number", "name_key"], keep="first", maintain_order=True)
    return persons


def people(ctx, ids: pl.Series | None = None) -> pl.DataFrame:
    """The persons of `ids` (every one when None) as a case shows them: one row per (ID,
    name key): id_number, name_key, town, place, birth_date and DETAILS."""
    persons = _listed(ctx, ids, DETAILS)
    towns = persons.select("township").unique().with_columns(town_key(pl.col("township")).alias("town"))
    villages = persons.select("village").unique().with_columns(village_key(pl.col("village")).alias("_village"))
    persons = (
        persons.with_columns(name_key(pl.col("name")).alias("name_key"))
        .filter(pl.col("name_key").is_not_null())
        .join(towns, on="township", how="left", nulls_equal=True, maintain_order="left")
        .join(villages, on="village", how="left", nulls_equal=True, maintain_order="left")
        .with_columns(pl.concat_str("town", pl.lit("/"), "_village").alias("place"))
        .drop("_village")
        .collect()
    )
    return _one_per_id_and_name(persons)


def person_keys(ctx) -> pl.DataFrame:
    """Every person of `people`, keyed for blocking over a province's roster: one row
    per (ID, name key): id_number, id_key, birth_date, and name_key, town and place as
    Categorical. The keys are worked out once per distinct name and per distinct
    (township, village) and joined on as categories, so that millions of rows carry
    numbers rather than new text: the joins, hashes and sorts of `candidate_pairs` then
    work on the numbers (`to_physical`).

    A roster comes village by village: the place keys are joined per run of rows with
    the same (township, village), found by comparing each row with the one before, and
    the runs' keys joined to their rows on the run's number instead of on two texts (5.46M
    persons, 11,000 runs: person_keys 0.74 s → 0.58 s). A roster in another order has
    shorter runs, at worst one a row, and gets the same keys."""
    persons = _listed(ctx, None, ("name", "township", "village", "id_key"))
    names = persons.select("name").unique().with_columns(name_key(pl.col("name")).cast(pl.Categorical).alias("name_key"))
    starts = (
        pl.col("township").ne_missing(pl.col("township").shift())
        | pl.col("village").ne_missing(pl.col("village").shift())
    ).fill_null(True)
    persons = persons.with_columns((starts.cast(pl.UInt32).cum_sum() - 1).alias("_run"))
    runs = persons.filter(starts).select("township", "village", pl.int_range(pl.len(), dtype=pl.UInt32).alias("_run"))
    places = runs.select("township", "village").unique().with_columns(
        town_key(pl.col("township")).cast(pl.Categorical).alias("town"),
        place_key(pl.col("township"), pl.col("village")).cast(pl.Categorical).alias("place"),
    )
    run_keys = runs.join(places, on=["township", "village"], how="left", nulls_equal=True).select("_run", "town", "place")
    persons = (
        persons.join(names, on="name", how="left", maintain_order="left")
        .filter(pl.col("name_key").is_not_null())
        .join(run_keys, on="_run", how="left", maintain_order="left")
        .select("id_number", "id_key", "birth_date", "name_key", "town", "place")
        .collect()
    )
    return _one_per_id_and_name(persons)


def name_groups(names: pl.Series) -> pl.DataFrame:
    """name_key → group: the connected groups of the similar-name relation (`similar`),
    so that two similar names always share a group. Computed over distinct names only.

    Names are linked through keys two similar names share: the toneless pinyin (every
    combination of a character's name readings: 同音), the name with one position
    removed together with the 形近字 group of the removed character (形近字), and, for
    多字/少字, the longer name with one character removed equal to the shorter name.
    The groups are the components of that graph (minimum-label propagation)."""
    distinct = names.drop_nulls().unique().sort()
    frame = pl.DataFrame({"name": distinct}).with_row_index("label")
    if frame.height == 0:
        return pl.DataFrame(schema={"name_key": pl.Utf8, "group": pl.UInt32})
    chars = _chars(frame["name"]).select("name", "pos", "readings")
    links = pl.concat([_sound_keys(chars), _shape_and_add_drop_keys(frame["name"])])
    links = links.join(frame, on="name").select("label", "key").unique()
    labels = frame.select("label", pl.col("label").alias("group"))
    while links.height:  # each round lowers every group to the least label within reach
        by_key = links.join(labels, on="label").group_by("key").agg(pl.col("group").min())
        lowered = (
            links.join(by_key, on="key").group_by("label").agg(pl.col("group").min().alias("lower"))
        )
        new = labels.join(lowered, on="label", how="left").select(
            "label", pl.min_horizontal("group", "lower").alias("group"))
        if new.join(labels, on=["label", "group"], how="anti").height == 0:
            break
        labels = new
    return frame.join(labels, on="label").select(pl.col("name").alias("name_key"), "group")


def _sound_keys(chars: pl.DataFrame) -> pl.DataFrame:
    """name → every combination of its characters' readings (同音 names share one)."""
    readings = chars.explode("readings").select("name", "pos", "readings")
    combos = readings.filter(pl.col("pos") == 0).select("name", pl.col("readings").alias("key"))
    for pos in range(1, (chars["pos"].max() or 0) + 1):
        step = readings.filter(pl.col("pos") == pos).drop("pos")
        longer = combos.join(step, on="name", how="inner")
        done = combos.join(step, on="name", how="anti")
        combos = pl.concat([done, longer.select("name", pl.concat_str("key", pl.lit(" "), "readings").alias("key"))])
    return combos.select("name", pl.concat_str(pl.lit("S:"), "key").alias("key"))


def _deletions(names: pl.Series) -> pl.DataFrame:
    """name, at (a position), char (the character there) and rest (the name without it)."""
    frame = pl.DataFrame({"name": names}).with_columns(pl.col("name").str.len_chars().alias("len"))
    longest = frame["len"].max() or 0
    return pl.concat([
        frame.filter(pl.col("len") > at).select(
            "name", pl.lit(at, dtype=pl.Int64).alias("at"), pl.col("name").str.slice(at, 1).alias("char"),
            pl.concat_str(pl.col("name").str.slice(0, at), pl.col("name").str.slice(at + 1)).alias("rest"),
        )
        for at in range(longest)
    ], how="vertical")


_SHAPE_GROUPS = pl.DataFrame(
    [(c, g) for g, group in enumerate(SIMILAR_SHAPES) for c in group], schema={"char": pl.Utf8, "shape": pl.Int64},
    orient="row",
)


def _shape_and_add_drop_keys(names: pl.Series) -> pl.DataFrame:
    """形近字: name → (position, 形近字 group of the character there, the rest of the name).
    多字/少字: a name, and each longer name that becomes it with one character removed."""
    deleted = _deletions(names)
    shape = deleted.join(_SHAPE_GROUPS, on="char").select(
        "name", pl.format("H:{}:{}:{}", "at", "shape", "rest").alias("key"))
    dropped = deleted.filter(pl.col("rest").is_in(names.implode())).select("name", "rest")
    return pl.concat([
        shape,
        dropped.select("name", pl.concat_str(pl.lit("A:"), "rest").alias("key")),
        dropped.select(pl.col("rest").alias("name"), pl.concat_str(pl.lit("A:"), "rest").alias("key")),
    ])


def _has_repeats(column: pl.DataFrame) -> bool:
    """Whether the one column of `column` holds a value twice (sorting numbers is cheaper
    than hashing them into a table)."""
    ordered = column.to_series().sort()
    return bool((ordered == ordered.shift(1)).any())


def _sharing(frame: pl.DataFrame, on: list[str]) -> pl.DataFrame:
    """Pairs of rows of `frame` equal on `on` (both orders, and each row with itself).
    The rows whose key is unique (nearly all) are dropped first: a hash of the key is
    sorted (the hash alone, not the rows), the hashes that repeat are picked from it and
    only their rows are joined; several times cheaper than a join or a window over
    millions of rows."""
    hashed = frame.select(pl.struct(pl.col(on).to_physical()).hash().alias("h"))["h"]
    ordered = hashed.sort()
    repeated = ordered.filter((ordered == ordered.shift(1)).fill_null(False))
    shared = frame.filter(hashed.is_in(repeated.unique().implode()))
    return shared.join(shared, on=on, suffix="_b")


def candidate_pairs(persons: pl.DataFrame) -> pl.DataFrame:
    """ID pairs (id_a < id_b) whose names may be similar (one `name_groups` group) and who
    were born the same day in the same village, or whose bodies are one digit or one
    adjacent transposition apart in the same township (either township unknown:
    compared): id_a, id_b, same_day_village, id_signal. The ID bodies come from id_key
    (`person_keys`: the context's ids.match_key, body × 11 + check value) when given."""
    names = persons["name_key"].unique()  # text, or the categories of `person_keys`
    groups = name_groups(names.cast(pl.Utf8)).with_columns(pl.col("name_key").cast(names.dtype))
    body = (
        pl.col("id_key") // 11 if "id_key" in persons.columns
        else pl.col("id_number").str.slice(0, 17).cast(pl.Int64, strict=False)
    )
    keyed = persons.join(groups, on="name_key", how="left").with_columns(body.alias("body"))
    dated = keyed.filter(pl.col("place").is_not_null() & pl.col("birth_date").is_not_null()).select(
        "id_number", "place", "birth_date", "group")
    day = (
        _sharing(dated, ["place", "birth_date", "group"])
        .filter(pl.col("id_number") < pl.col("id_number_b"))
        .select(pl.col("id_number").alias("id_a"), pl.col("id_number_b").alias("id_b"), pl.lit(True).alias("same_day_village"))
        .unique()
    )
    # The ID path within one township (or where a side's township is unknown): common
    # names (排麻干) make same-name IDs a digit apart across a county a coincidence. An ID
    # of unknown township is looked for in every township. The township of an ID is that
    # of its first row.
    town = pl.col("town").first().over("body") if _has_repeats(keyed.select("body")) else pl.col("town")
    towns = keyed.select(pl.col("id_number").alias("id"), "body", town.alias("town"), "group")
    known = towns.get_column("town").drop_nulls().unique()
    unknown = towns.filter(pl.col("town").is_null()).drop("town")
    if unknown.height:
        everywhere = pl.DataFrame({"town": known if known.len() else pl.Series([""]).cast(known.dtype)})
        towns = pl.concat([towns.filter(pl.col("town").is_not_null()), unknown.join(everywhere, how="cross")],
                          how="diagonal_relaxed")
    near = id_neighbours(towns)
    return day.join(near, on=["id_a", "id_b"], how="full", coalesce=True).with_columns(
        pl.col("same_day_village").fill_null(False)
    )


# Each pass hides the body positions a..b (0-based, inclusive: 0–5 region, 6–13 birth
# date, 14–16 sequence code) and pairs the bodies that agree on every other position.
# Consecutive windows overlap by one position, so a pair one digit or one adjacent swap
# apart agrees outside at least one window; and every window but the first hides at
# most three digits of the birth date and sequence code, so that no pass groups, say, a
# whole birth month of a township (the first keeps month, day and sequence code). Seven
# sorted passes replace one hash pass per position (33).
_HIDDEN = ((0, 9), (9, 10), (10, 12), (12, 13), (13, 14), (14, 15), (15, 16))
_WEIGHT = [10 ** (16 - i) for i in range(17)]


def id_neighbours(ids: pl.DataFrame) -> pl.DataFrame:
    """Pairs of IDs (`ids`: columns id, town and optionally group) of one town (and one
    group) whose 17-digit bodies differ in one digit or one adjacent swap: id_a < id_b,
    id_signal (`digit:N`, or `swap:N-M` for positions N and N+1, 1-based)."""
    group = pl.col("group") if "group" in ids.columns else pl.lit(0, dtype=pl.UInt32)
    body = pl.col("body") if "body" in ids.columns else pl.col("id").str.slice(0, 17).cast(pl.Int64, strict=False)
    # numbers only while pairing (the township as its category code, the row's index
    # standing for its ID): the IDs' text is picked up by index for the few pairs found
    ids = ids.with_columns(body.alias("body")).drop_nulls("body")
    bodies = ids.select(
        pl.int_range(pl.len(), dtype=pl.UInt32).alias("row"),
        pl.col("town").cast(pl.Categorical).to_physical().alias("town"), group.alias("group"), "body",
    )
    kept = {
        (a, b): (pl.col("body") // 10 ** (17 - a)) * 10 ** (16 - b) + pl.col("body") % 10 ** (16 - b)
        for a, b in _HIDDEN
    }
    # the passes' keys hashed, and their repeats found, in one select each (run in
    # parallel); a key's hash is that of the kept digits mixed with the (town, group)
    # hash, computed once. The rows of a repeated hash are joined on the hash alone (one
    # number: faster than joining on town, group and digits) and a collision is dropped
    # by comparing them; the seven passes run as one parallel collect. The hashes are cut
    # to 32 bits: sorted and joined faster (id_neighbours at 1M: 1.52 s → 1.31 s), and the
    # few thousand more collisions among 5M rows are dropped by that same comparison.
    bodies = bodies.with_columns(pl.struct("town", "group").hash().alias("_cell"))
    hashes = bodies.select(
        ((k.hash() ^ pl.col("_cell")) & 0xFFFFFFFF).cast(pl.UInt32).alias(str(w)) for w, k in kept.items()
    )
    repeats = hashes.select(pl.all().sort()).select(pl.all().filter(pl.all() == pl.all().shift(1)).implode())
    passes = []
    same = [pl.col(c) == pl.col(f"{c}_b") for c in ("town", "group", "kept")]
    for window, key in kept.items():
        column = str(window)
        shared = (
            bodies.lazy().select("row", "town", "group", "body", hashes[column].alias("h"))
            .filter(pl.col("h").is_in(repeats[column])).with_columns(key.alias("kept"))
        )
        passes.append(
            shared.join(shared, on="h", suffix="_b")
            .filter(pl.col("body") < pl.col("body_b"), *same)
            .select("row", "row_b", _neighbour_signal(*window).alias("id_signal"))
            .drop_nulls("id_signal")
        )
    found = pl.collect_all(passes)
    pairs = pl.concat(found)
    text = ids.get_column("id")
    return (
        pl.DataFrame({"id_a": text.gather(pairs["row"]), "id_b": text.gather(pairs["row_b"]),
                      "id_signal": pairs["id_signal"]})
        .unique(["id_a", "id_b"], keep="first", maintain_order=True)
    )


def _neighbour_signal(a: int, b: int) -> pl.Expr:
    """For bodies (body < body_b) equal outside positions a..b: `digit:N` when they differ
    in one position N, `swap:N-M` when in two adjacent ones holding the same two digits
    (N, M 1-based), else null."""
    window = range(a, b + 1)
    digit = {i: (pl.col("body") // _WEIGHT[i]) % 10 for i in window}
    digit_b = {i: (pl.col("body_b") // _WEIGHT[i]) % 10 for i in window}
    differ = {i: digit[i] != digit_b[i] for i in window}
    n_differ = pl.sum_horizontal([d.cast(pl.Int8) for d in differ.values()])
    first = pl.coalesce([pl.when(differ[i]).then(pl.lit(i + 1)) for i in window])
    swapped = pl.any_horizontal([
        differ[i] & differ[i + 1] & (digit[i] == digit_b[i + 1]) & (digit[i + 1] == digit_b[i]) for i in window[:-1]
    ] or [pl.lit(False)])
    return (
        pl.when(n_differ == 1).then(pl.format("digit:{}", first))
        .when((n_differ == 2) & swapped).then(pl.format("swap:{}-{}", first, first + 1))
    )
