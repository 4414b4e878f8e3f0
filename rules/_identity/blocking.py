"""Blocking: who is a person, and which pairs of persons to compare (no all-pairs)."""

from __future__ import annotations

import numpy as np
import polars as pl

from loan_audit.rules._identity.names import SIMILAR_SHAPES, characters, name_key, place_key, town_key, village_key

DETAILS = ("name", "county", "township", "village", "household_id", "in_roster")


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
        pl.col("borrower_county").alias("county"), pl.col("borrower_township").alias("township"),
        pl.col("borrower_village").alias("village"), pl.lit(None, dtype=pl.Utf8).alias("household_id"), pl.lit(False).alias("in_roster"),
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
    towns = persons.select("county", "township").unique().with_columns(
        town_key(pl.col("township"), pl.col("county")).alias("town"))
    villages = persons.select("village").unique().with_columns(village_key(pl.col("village")).alias("_village"))
    persons = (
        persons.with_columns(name_key(pl.col("name")).alias("name_key"))
        .filter(pl.col("name_key").is_not_null())
        .join(towns, on=["county", "township"], how="left", nulls_equal=True, maintain_order="left")
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
    (county, township, village) and joined on as categories, so that millions of rows carry
    numbers rather than new text: the joins, hashes and sorts of `candidate_pairs` then
    work on the numbers (`to_physical`).

    A roster comes village by village: the place keys are joined per run of rows with
    the same (county, township, village), found by comparing each row with the one before, and
    the runs' keys joined to their rows on the run's number instead of on three texts (a
    roster has far fewer runs than rows). A roster in another order has shorter runs, at
    worst one a row, and gets the same keys."""
    persons = _listed(ctx, None, ("name", "county", "township", "village", "id_key"))
    names = persons.select("name").unique().with_columns(name_key(pl.col("name")).cast(pl.Categorical).alias("name_key"))
    starts = (
        pl.col("county").ne_missing(pl.col("county").shift())
        | pl.col("township").ne_missing(pl.col("township").shift())
        | pl.col("village").ne_missing(pl.col("village").shift())
    ).fill_null(True)
    persons = persons.with_columns((starts.cast(pl.UInt32).cum_sum() - 1).alias("_run"))
    place = ["county", "township", "village"]
    runs = persons.filter(starts).select(*place, pl.int_range(pl.len(), dtype=pl.UInt32).alias("_run"))
    places = runs.select(place).unique().with_columns(
        town_key(pl.col("township"), pl.col("county")).cast(pl.Categorical).alias("town"),
        place_key(pl.col("township"), pl.col("village"), pl.col("county")).cast(pl.Categorical).alias("place"),
    )
    run_keys = runs.join(places, on=place, how="left", nulls_equal=True).select("_run", "town", "place")
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
    The groups are the components of that graph (`_components`: union-find over
    arrays), each named by its least label (the name's rank among the sorted names)."""
    distinct = names.drop_nulls().unique().sort()
    frame = pl.DataFrame({"name": distinct}).with_row_index("label")
    if frame.height == 0:
        return pl.DataFrame(schema={"name_key": pl.Utf8, "group": pl.UInt32})
    # the names as their labels from here on (joins on numbers), the keys as their hashes:
    # two keys that collide only join two groups, which blocking allows (never splits one)
    chars = characters(frame["name"]).join(frame, on="name").select(pl.col("label").alias("name"), "pos", "readings")
    shapes = _shape_and_add_drop_keys(frame["name"]).join(frame, on="name").select(pl.col("label").alias("name"), "key")
    links = pl.concat([_sound_keys(chars), shapes]).select(pl.col("name").alias("label"), pl.col("key").hash()).unique()
    # a key links its names to its least one (the rest of its names add nothing)
    shared = links.with_columns(pl.col("label").min().over("key").alias("least")).filter(pl.col("label") != pl.col("least"))
    group = _components(frame.height, shared["label"].to_numpy(), shared["least"].to_numpy())
    return pl.DataFrame({"name_key": frame["name"], "group": pl.Series(group, dtype=pl.UInt32)})


def _components(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Each of the n nodes' least node in its connected component of the edges (a[i],
    b[i]): union-find by hooking each edge's greater root onto its lesser one, then
    pointer jumping until every node points at its root. Roots only move down, so the
    root of a component is its least node. Each round is a pass over the edges; a round
    at least halves the components an edge still straddles, so there are few rounds."""
    parent = np.arange(n, dtype=np.int64)
    a, b = a.astype(np.int64), b.astype(np.int64)
    while a.size:
        ra, rb = parent[a], parent[b]
        apart = ra != rb
        if not apart.any():
            break
        a, b, ra, rb = a[apart], b[apart], ra[apart], rb[apart]
        np.minimum.at(parent, np.maximum(ra, rb), np.minimum(ra, rb))
        while True:  # pointer jumping: every node to its root
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up
    return parent


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
    only their rows are joined; cheaper than a join or a window over every row."""
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
# sorted passes, rather than one hash pass per position.
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
    # to 32 bits: sorted and joined faster, and the more frequent collisions are dropped
    # by that same comparison.
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
