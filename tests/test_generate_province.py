"""The generator's province (`generate --province yunnan` / `--counties N`): the real
county-level units, 8–15 townships a county with names that recur from county to county,
about 10 committees a township, household numbers that carry the county code, and the
labels still exactly what the audit finds, county by county."""

from __future__ import annotations

import datetime as dt
import importlib.util
import json
from pathlib import Path

import polars as pl
import pytest
from typer.testing import CliRunner

from loan_audit.pipeline.cli import app
from loan_audit.pipeline.generate import generate
from loan_audit.pipeline.generate.province import counties_of, province_villages
from loan_audit.pipeline.stages.ingest import find_inputs
from loan_audit.pipeline.stages.run import audit_files
from loan_audit.pipeline.vocab.divisions import divisions

DETECTION = Path(__file__).resolve().parents[1] / "bench" / "detection.py"


@pytest.fixture(scope="module")
def layout() -> pl.DataFrame:
    """The whole of Yunnan at the size of the 1M-loan bench (no committee scaled away)."""
    return province_villages("yunnan", 1_500_000, seed=1)


def test_every_county_level_unit_of_yunnan(layout):
    yunnan = {c for c in divisions() if c.startswith("53")}
    assert len(yunnan) == 129
    assert set(layout["county"]) == yunnan
    names = layout.select("county", "county_name").unique()
    assert all(divisions()[c].county == n for c, n in names.iter_rows())


def test_8_to_15_townships_a_county_and_about_10_committees_a_township(layout):
    towns = layout.group_by("county").agg(pl.col("town").n_unique().alias("n"))
    assert towns["n"].min() >= 8 and towns["n"].max() <= 15
    assert towns["n"].n_unique() >= 5  # spread, not one number
    villages = layout.group_by("town").len()["len"]
    assert villages.min() >= 8 and villages.max() <= 12 and 9.5 <= villages.mean() <= 10.5
    size = layout["weight"] / layout["weight"].mean()
    assert size.max() <= 3.0 * size.min() + 1e-9 and size.std() > 0.2  # sizes vary, within a factor of three


def test_township_names_recur_across_counties_beside_county_specific_ones(layout):
    per_name = layout.select("county", "township").unique().group_by("township").agg(pl.len().alias("counties"))
    assert per_name.filter(pl.col("township") == "城关镇")["counties"].item() >= 10
    assert per_name.filter(pl.col("counties") >= 2).height >= 30
    assert per_name.filter(pl.col("counties") == 1).height >= 500
    shared_villages = layout.select("county", "village").unique().group_by("village").len()
    assert shared_villages.filter(pl.col("len") >= 10).height >= 10


def test_a_place_is_one_place_within_its_county(layout):
    """Township stems (镇/乡 dropped, as the rules compare them) distinct within a county,
    committee names within a township."""
    stems = layout.select("county", "town", pl.col("township").str.replace(r"(镇|乡)$", "").alias("stem")).unique()
    assert stems.select("county", "stem").is_duplicated().sum() == 0
    assert layout.select("town", "village").is_duplicated().sum() == 0
    assert layout.select("county", "town_no", "village_no").is_duplicated().sum() == 0


def test_a_small_set_gets_fewer_committees_not_empty_ones():
    small = province_villages("yunnan", 20_000, seed=1)
    assert small["county"].n_unique() == 129
    assert small.group_by("town").len()["len"].min() >= 1
    assert small.height <= 1.1 * small["town"].n_unique()  # about one committee a township
    middle = province_villages("yunnan", 200_000, seed=1)
    assert 35 <= 200_000 / middle.height <= 45


def test_n_counties_take_the_seed_county_and_spread_the_rest():
    picked = [c for c, _ in counties_of("yunnan", 4)]
    assert "533124" in picked and len(picked) == 4 and picked == sorted(picked)
    assert len({c[:4] for c in picked}) == 4
    with pytest.raises(ValueError):
        counties_of("yunnan", 130)
    with pytest.raises(ValueError):
        counties_of("atlantis")


@pytest.fixture(scope="module")
def three(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("province")
    res = CliRunner().invoke(app, ["generate", "--out", str(out), "--households", "4000", "--seed", "2", "--counties", "3"])
    assert res.exit_code == 0, res.output
    return out


def test_the_tables_carry_the_county_and_household_numbers_its_code(three):
    roster = pl.read_parquet(three / "roster.parquet")
    loans = pl.read_parquet(three / "loans.parquet")
    code_of = {d.county: c for c, d in divisions().items() if c.startswith("53")}
    assert roster["county"].n_unique() == 3 and "陇川县" in set(roster["county"])
    assert (roster["household_id"].str.slice(0, 6) == roster["county"].replace_strict(code_of)).all()
    assert roster["household_id"].str.len_chars().eq(16).all()
    assert set(loans["county"]) == {code_of[n] for n in roster["county"].unique()}
    meta = json.loads((three / "meta.json").read_text(encoding="utf-8"))
    assert meta["realistic_names"] and meta["counties"] == 3


def test_the_audit_finds_exactly_the_labels_county_by_county(three):
    spec = importlib.util.spec_from_file_location("bench_detection", DETECTION)
    detection = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(detection)
    result = audit_files(*find_inputs(three), as_of=dt.date(2020, 12, 31))
    labels = pl.read_csv(three / "labels.csv", infer_schema=False).with_columns(pl.col("loan_id", "id_number").replace("", None))
    id_rules = set(labels.group_by("rule").agg(pl.col("loan_id").is_null().all().alias("ids")).filter("ids")["rule"])
    table = detection.scores(detection.label_keys(labels), detection.case_keys(result.cases, id_rules))
    assert table.height >= 16
    assert table.filter((pl.col("precision") < 1) | (pl.col("recall") < 1)).height == 0, table
    assert "county" in result.cases.columns and result.cases["county"].n_unique() == 3


def test_the_province_has_no_messy_form(tmp_path):
    with pytest.raises(ValueError):
        generate(2000, 1, tmp_path, messy=True, province="yunnan")
