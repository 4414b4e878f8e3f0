"""GB/T 2260 county-level names (pipeline/vocab/divisions.csv) as reports show them."""

import polars as pl

from loan_audit.pipeline.vocab.divisions import (
    county_from_household,
    county_full_label,
    county_key,
    county_label,
    county_labels,
    divisions,
    resolve_county,
)


def test_the_table_holds_every_county_of_yunnan_and_the_seed_county():
    table = divisions()
    yunnan = [d for code, d in table.items() if code.startswith("53")]
    assert len(yunnan) == 129
    assert len({d.prefecture for d in yunnan}) == 16
    assert len(table) > 2800 and all(len(code) == 6 and code.isdigit() for code in table)
    assert county_full_label("533124") == "云南省德宏州陇川县"
    assert county_label("533124") == "陇川县"


def test_an_unknown_code_or_name_is_shown_as_given():
    assert county_label("539999") == "539999"
    assert county_full_label("某某县") == "某某县"
    assert county_label(None) is None


def test_municipal_districts_have_no_placeholder_prefecture():
    assert county_full_label("110101") == "北京市东城区"


def test_names_become_codes_only_where_they_name_one_county():
    values = pl.Series(["陇川县", "云南省德宏州陇川县", "533124", "朝阳区", "某某县", None])
    got = pl.select(county_key(pl.lit(values))).to_series().to_list()
    assert got == ["533124", "533124", "533124", "朝阳区", "某某县", None]  # 朝阳区: Beijing's and Changchun's
    assert {"533124", "陇川县"} <= resolve_county("陇川县")


def test_a_household_number_names_its_county_only_with_a_known_code():
    ids = pl.Series(["533124010010001", "539999010010001", "53312401", "H533124000000"])
    got = pl.select(county_from_household(pl.lit(ids))).to_series().to_list()
    assert got == ["533124", None, None, None]


def test_two_counties_of_one_name_are_told_apart_by_their_full_names():
    chaoyang = [c for c, d in divisions().items() if d.county == "朝阳区"]
    assert len(chaoyang) == 2
    labels = county_labels([*chaoyang, "533124"])
    assert labels["533124"] == "陇川县"
    assert sorted(labels[c] for c in chaoyang) == ["北京市朝阳区", "吉林省长春市朝阳区"]
