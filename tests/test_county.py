"""Counties: a two-county input whose counties share township and village names.

Two generated Longchuan-shaped sets (the generator's township and village names, the
same in both) become 陇川县 (533124) and 盈江县 (533123): the second one's household
numbers start with 533123 and its loan ids with YJ; its roster has no county column
(the county comes from the household number), its loans name the county. The union
audited at once must give, rule by rule, exactly the two single-county runs' cases."""

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from loan_audit.pipeline.cli import app

runner = CliRunner()
AS_OF = "2020-12-31"


def _county_b(folder):
    roster = pl.read_parquet(folder / "roster.parquet")
    loans = pl.read_parquet(folder / "loans.parquet")
    roster = roster.with_columns(pl.col("household_id").str.replace(r"^533124", "533123"))
    loans = loans.with_columns(pl.col("loan_id").str.replace(r"^LC", "YJ"), pl.lit("盈江县").alias("县"))
    return roster, loans


def _county_a(folder):
    roster = pl.read_parquet(folder / "roster.parquet").with_columns(pl.lit("陇川县").alias("县(市、区)"))
    loans = pl.read_parquet(folder / "loans.parquet").with_columns(pl.lit("533124").alias("县"))
    return roster, loans


def _write(folder, roster, loans):
    folder.mkdir(parents=True, exist_ok=True)
    roster.write_parquet(folder / "roster.parquet")
    loans.write_parquet(folder / "loans.parquet")
    return folder


def _run(folder, out):
    res = runner.invoke(app, ["run", str(folder), "--out", str(out), "--as-of", AS_OF, "--fail-on", "never"])
    assert res.exit_code == 0, res.output
    return pl.read_parquet(out / "cases.parquet"), json.loads((out / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    base = tmp_path_factory.mktemp("counties")
    made = {}
    for name, seed in (("a", 3), ("b", 4)):
        res = runner.invoke(app, ["generate", "--out", str(base / f"gen-{name}"), "--households", "300", "--seed", str(seed)])
        assert res.exit_code == 0, res.output
        made[name] = (_county_a if name == "a" else _county_b)(base / f"gen-{name}")
    a = _write(base / "a", *made["a"])
    b = _write(base / "b", *made["b"])
    both = _write(
        base / "both",
        pl.concat([made["a"][0], made["b"][0]], how="diagonal"),
        pl.concat([made["a"][1], made["b"][1]], how="diagonal"),
    )
    return {k: (*_run(f, base / f"out-{k}"), base / f"out-{k}") for k, f in (("a", a), ("b", b), ("both", both))}


def _by_loan(cases: pl.DataFrame) -> set[tuple]:
    return {
        (r["rule"], tuple(sorted(r["loan_ids"] or [])), r["household_id"], r["id_number"], r["name"])
        for r in cases.select("rule", "loan_ids", "household_id", "id_number", "name").to_dicts()
    }


def test_the_generated_counties_share_township_and_village_names(runs):
    a, b = runs["a"][0], runs["b"][0]
    shared = set(a.get_column("township").drop_nulls()) & set(b.get_column("township").drop_nulls())
    assert len(shared) >= 5


def test_the_union_finds_exactly_the_cases_of_the_two_counties(runs):
    a, b, both = runs["a"][0], runs["b"][0], runs["both"][0]
    assert "county" not in a.columns and "county" in both.columns
    for rule in sorted(set(a.get_column("rule")) | set(b.get_column("rule")) | set(both.get_column("rule"))):
        alone = _by_loan(a.filter(pl.col("rule") == rule)) | _by_loan(b.filter(pl.col("rule") == rule))
        assert _by_loan(both.filter(pl.col("rule") == rule)) == alone, rule
    assert set(both.get_column("county")) == {"533123", "533124"}


def test_a_single_county_keeps_its_case_ids(runs, tmp_path):
    """The same county without a county column has the same case ids."""
    a = runs["a"][0]
    plain = tmp_path / "plain"
    roster, loans = _county_a(runs["a"][2].parent / "gen-a")
    _write(plain, roster.drop("县(市、区)"), loans.drop("县"))
    again, _ = _run(plain, tmp_path / "out")
    assert again.equals(a)


def test_one_checklist_per_county_and_township(runs):
    out = runs["both"][2] / "checklists"
    both = runs["both"][0]
    names = {"533124": "陇川县", "533123": "盈江县"}
    for county, town in both.select("county", "township").drop_nulls().unique().rows():
        assert (out / names[county] / f"{town}.xlsx").is_file(), (county, town)
        assert (out / names[county] / f"{town}.html").is_file(), (county, town)
    assert not list(out.glob("*.xlsx"))


def test_summary_has_figures_per_county(runs):
    summary = runs["both"][1]
    by_county = summary["cases"]["by_county"]
    assert set(by_county) == {"陇川县", "盈江县"}
    for name, key in (("陇川县", "a"), ("盈江县", "b")):
        alone = runs[key][1]
        assert by_county[name]["total"] == alone["cases"]["total"]
        assert by_county[name]["by_rule"] == {r: v["total"] for r, v in alone["cases"]["by_rule"].items() if v["total"]}
        assert summary["monitoring"]["counties"][name] == alone["monitoring"]["county"]
    assert [c["full_name"] for c in summary["counties"]] == ["云南省德宏州盈江县", "云南省德宏州陇川县"]
    towns = summary["monitoring"]["townships"]
    assert all("/" in t for t in towns) and any(t.startswith("盈江县/") for t in towns)


@pytest.mark.parametrize("value", ["盈江县", "533123", "云南省德宏州盈江县"])
def test_county_option_audits_one_county_as_if_alone(runs, value, tmp_path):
    both = runs["both"][2].parent / "both"
    res = runner.invoke(app, ["run", str(both), "--out", str(tmp_path), "--as-of", AS_OF, "--fail-on", "never",
                              "--county", value, "--no-db"])
    assert res.exit_code == 0, res.output
    alone = pl.read_parquet(tmp_path / "cases.parquet")
    assert _by_loan(alone) == _by_loan(runs["b"][0])
    summary = json.loads((tmp_path / "summary.json").read_text(encoding="utf-8"))
    assert summary["county_filter"]["county"] == "533123"
    for table in ("roster", "loans"):  # every checked row is the county's or counted outside it
        outside = summary["county_filter"][f"{table}_rows_outside"]
        assert outside == summary["inputs"][table]["rows_checked"] - runs["b"][1]["inputs"][table]["rows_checked"] > 0
    assert sorted(p.name for p in (tmp_path / "checklists").iterdir() if p.suffix == ".xlsx")


def test_county_option_naming_no_county_of_the_input_is_exit_2(runs, tmp_path):
    both = runs["both"][2].parent / "both"
    res = runner.invoke(app, ["validate", str(both), "--as-of", AS_OF, "--county", "瑞丽市"])
    assert res.exit_code == 2
    assert "瑞丽市" in res.output and "盈江县" in res.output


def test_report_opens_on_a_county_table_and_no_table_is_wide(runs):
    from html.parser import HTMLParser

    class Widths(HTMLParser):
        def __init__(self):
            super().__init__()
            self.row, self.widest, self.heads = 0, 0, []

        def handle_starttag(self, tag, attrs):
            if tag == "tr":
                self.row = 0
            elif tag in ("td", "th"):
                self.row += 1
                self.widest = max(self.widest, self.row)
            elif tag == "h3":
                self.heads.append("")

        def handle_data(self, data):
            if self.heads and self.lasttag == "h3":
                self.heads[-1] += data

    html = (runs["both"][2] / "report.html").read_text(encoding="utf-8")
    parsed = Widths()
    parsed.feed(html)
    assert parsed.widest <= 30
    heads = [h.strip() for h in parsed.heads]
    assert heads.index("各县（市、区）问题数和监测指标") < heads.index("云南省德宏州盈江县") < heads.index("云南省德宏州陇川县")
    # the county sections name townships within their county (the 清零 trend below lists 县/乡镇)
    assert "盈江县/章凤镇" not in html.split('id="counties"')[1].split("各乡镇清零进度")[0]
    assert "<th>盈江县/章凤镇</th>" in html.split("各乡镇清零进度")[1]
