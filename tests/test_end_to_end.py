"""End to end, as a user runs it: generate a county, audit it, read the outputs."""

import json

import polars as pl
import pytest
from typer.testing import CliRunner

from loan_audit.pipeline.cli import app

runner = CliRunner()


@pytest.fixture(scope="module")
def county(tmp_path_factory):
    folder = tmp_path_factory.mktemp("county")
    res = runner.invoke(app, ["generate", "--out", str(folder), "--households", "600", "--seed", "5", "--messy"])
    assert res.exit_code == 0, res.output
    return folder


def test_generated_messy_county_audits_with_every_output(county, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(county), "--out", str(out), "--as-of", "2020-12-31", "--db", str(tmp_path / "c.db")])
    assert res.exit_code == 1, res.output  # the generator injects errors
    for name in ("cases.parquet", "cases.csv", "summary.json", "quarantine.parquet", "report.html"):
        assert (out / name).is_file(), name
    assert list((out / "checklists").glob("*.xlsx"))
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    for table in ("roster", "loans"):
        counts = summary["inputs"][table]
        assert counts["rows_read"] == counts["rows_checked"] + counts["rows_quarantined"] > 0
    assert summary["monitoring"]["county"]
    cases = pl.read_parquet(out / "cases.parquet")
    labels = pl.read_csv(county / "labels.csv", infer_schema=False)
    assert set(labels.get_column("rule")) <= set(cases.get_column("rule"))


def test_validate_agrees_with_run_and_is_quiet_on_stdout(county):
    res = runner.invoke(app, ["validate", str(county), "--as-of", "2020-12-31", "--format", "json"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    assert doc["summary"]["cases"]["total"] == len(doc["cases"]) > 0
