"""The generator's realistic names (`realistic_names=True`): distinct names grow like a
real population's, minority villages still repeat names, and no Han name can be taken
for a name of another family by the identity rules' own readings and shapes."""

from __future__ import annotations

import datetime as dt

import numpy as np
import polars as pl
import pytest

from loan_audit.pipeline.generate import generate
from loan_audit.pipeline.generate.labels import identity_pairs, spec_persons
from loan_audit.pipeline.generate.names import (
    DAI,
    GIVEN,
    HAN,
    HAN_FEMALE,
    HAN_MALE,
    HOMOPHONE,
    JINGPO,
    SHAPE,
    SURNAMES,
    realistic_tables,
)
from loan_audit.pipeline.generate.people import build_persons
from loan_audit.pipeline.generate.places import build_households, build_villages
from loan_audit.pipeline.generate.world import World
from loan_audit.rules._identity.names import SIMILAR_SHAPES, _readings

AS_OF = dt.date(2020, 12, 31)


def _persons(households: int, realistic: bool) -> pl.DataFrame:
    w = World(np.random.default_rng(1), households, AS_OF, dt.date(2017, 1, 1), build_villages(households),
              realistic=realistic)
    build_households(w)
    build_persons(w, 10)
    return w.persons


@pytest.fixture(scope="module")
def million() -> pl.DataFrame:
    """About a million persons of the Longchuan shape (a third of them Han)."""
    return _persons(270_000, realistic=True)


def test_a_million_persons_have_at_least_15_percent_distinct_names(million):
    assert million.height > 1_000_000
    assert million["name"].n_unique() / million.height >= 0.15  # measured: 214,886 of 1,002,101


def test_the_old_draw_had_few_distinct_names():
    persons = _persons(20_000, realistic=False)
    realistic = _persons(20_000, realistic=True)
    assert persons["name"].n_unique() * 2 < realistic["name"].n_unique()  # measured: 9,922 and 22,145


def test_han_names_are_a_surname_and_one_or_two_given_characters(million):
    surnames, _w, chars, _cw = realistic_tables()
    han = million.filter(pl.col("family") == HAN)["name"]
    assert han.str.len_chars().is_between(2, 3).all()
    assert han.str.slice(0, 1).is_in(surnames).all()
    assert set("".join(han.str.slice(1).unique().to_list())) <= set(chars)
    single = (han.str.len_chars() == 2).mean()
    assert 0.25 < single < 0.35
    top = han.value_counts(sort=True)["count"]
    assert top[0] < 0.005 * han.len()  # no name carried by one Han person in 200
    assert len(chars) > 400 and len(surnames) > 80


def test_jingpo_and_dai_villages_still_repeat_names(million):
    for family in (JINGPO, DAI):
        per_village = million.filter(pl.col("family") == family).group_by("vidx", "name").len()
        assert (per_village["len"] > 1).mean() > 0.5, family


def test_no_han_character_reads_or_looks_like_another_familys():
    """By the rules' readings (readings.toml's heteronyms and surname readings, else the
    first pypinyin reading) and similar_shapes: names of two families are never similar."""
    others = {c for f in range(1, 5) for part in (SURNAMES[f], *GIVEN[f]) for name in part for c in name}
    surnames, _w, chars, _cw = realistic_tables()
    han = set(chars) | set(surnames)
    assert not han & others
    foreign = {r for c in others for first in (True, False) for r in _readings(c, first)}
    clash = {c for c in han for first in (True, False) if set(_readings(c, first)) & foreign}
    assert not clash
    for group in SIMILAR_SHAPES:
        if set(group) & others:
            assert not set(group) & han, group


def test_the_default_draw_is_the_old_one(tmp_path):
    generate(300, 3, tmp_path)
    roster = pl.read_parquet(tmp_path / "roster.parquet")
    han_given = set(HAN_FEMALE) | set(HAN_MALE) | set(HOMOPHONE.values()) | set(SHAPE.values())  # and the clerks' typos
    han = roster.filter(pl.col("name").str.slice(0, 1).is_in(SURNAMES[HAN]))["name"].str.slice(1)
    assert han.len() and set("".join(han.to_list())) <= han_given


def test_a_realistic_set_has_no_unlabelled_pair_of_people(tmp_path):
    """Brute force over every valid ID, as for the default names."""
    generate(600, 11, tmp_path, realistic_names=True)
    roster = pl.read_parquet(tmp_path / "roster.parquet")
    loans = pl.read_parquet(tmp_path / "loans.parquet")
    labels = pl.read_csv(tmp_path / "labels.csv", schema_overrides={"loan_id": pl.Utf8, "id_number": pl.Utf8})
    people = spec_persons(roster, loans, AS_OF)
    pairs = identity_pairs(people, people["id_number"].to_list())
    found = {i for a, b, _ in pairs for i in (a, b)}
    assert found and found == set(labels.filter(pl.col("rule") == "suspected_same_person")["id_number"])
    old = set(HAN_FEMALE) | set(HAN_MALE) | set(SURNAMES[HAN])
    han = roster.filter(pl.col("name").str.slice(0, 1).is_in(realistic_tables()[0]))["name"]
    assert len(set("".join(han.to_list())) - old) > 100
