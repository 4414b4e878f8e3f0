"""Pair scoring: which signals fire for pairs of names, with rapidfuzz scores."""

from __future__ import annotations

from itertools import combinations

import polars as pl
from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

from loan_audit.rules._identity.names import SIMILAR_SHAPES, characters, pinyin_from

# Every look-alike pair of SIMILAR_SHAPES as its two characters in code-point order.
_SHAPE_KEYS = sorted({"".join(sorted(p)) for g in SIMILAR_SHAPES for p in combinations(g, 2)})


def name_signals(pairs: pl.DataFrame) -> pl.DataFrame:
    """`pairs` (columns name_a, name_b: name keys, not null) with the signals and scores."""
    p = pairs.with_row_index("_pair")
    if p.height == 0:
        return p.drop("_pair").with_columns(
            *[pl.lit(None, dtype=t).alias(c) for c, t in _SIGNAL_SCHEMA.items()]
        )
    a, b = p["name_a"].to_list(), p["name_b"].to_list()
    chars = characters(pl.concat([p["name_a"], p["name_b"]]))
    py = pinyin_from(chars)
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
