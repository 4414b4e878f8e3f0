"""The monthly commands end to end: run --db twice, history, subsidy, import-checklist."""

import json

import polars as pl
from typer.testing import CliRunner

from loan_audit.pipeline.cli import app
from tests.test_cli import write_inputs

runner = CliRunner()


def test_two_monthly_runs_track_a_case_until_it_is_cleared(tmp_path):
    db = tmp_path / "county.db"
    dirty = write_inputs(tmp_path / "may", [{"loan_id": "L1"}, {"loan_id": "L1"}])
    clean = write_inputs(tmp_path / "jun", [{"loan_id": "L1"}])
    args = ["--db", str(db), "--fail-on", "never", "--no-reports"]
    res = runner.invoke(app, ["run", str(dirty), "--out", str(tmp_path / "o1"), "--as-of", "2021-05-31", *args])
    assert res.exit_code == 0, res.output
    first = pl.read_parquet(tmp_path / "o1" / "cases.parquet")
    assert set(first.get_column("status").to_list()) == {"new"}
    res = runner.invoke(app, ["run", str(clean), "--out", str(tmp_path / "o2"), "--as-of", "2021-06-30", *args])
    summary = json.loads((tmp_path / "o2" / "summary.json").read_text(encoding="utf-8"))
    assert summary["status_counts"]["resolved"] == first.filter(pl.col("rule") == "duplicate_loan_record").height
    assert summary["history"]["previous_as_of"] == "2021-05-31"
    hist = runner.invoke(app, ["history", "--db", str(db)])
    assert hist.exit_code == 0
    lines = hist.stdout.strip().splitlines()
    assert lines[0].startswith("数据日期") and len(lines) == 3


def test_history_of_a_missing_store_is_exit_2(tmp_path):
    assert runner.invoke(app, ["history", "--db", str(tmp_path / "none" / "x.db")]).exit_code == 2


def test_subsidy_prints_a_cohort_table(tmp_path):
    folder = write_inputs(tmp_path / "in", [{"loan_id": "L1", "disbursement_date": "2019-03-05"}])
    res = runner.invoke(app, ["subsidy", str(folder), "--year", "2020", "--as-of", "2020-12-31"])
    assert res.exit_code == 0, res.output
    assert "2019" in res.stdout and "合计" in res.stdout
    # 50,000 yuan outstanding all of 2020 at 4.75%: 2,375.00
    assert "2,375.00" in res.stdout or "2375.00" in res.stdout
