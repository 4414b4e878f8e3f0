"""The CLI as a user and a bank's CI call it: exit codes, messages, machine formats."""

import json
import re
from pathlib import Path
from xml.etree import ElementTree as ET

import polars as pl
import pytest
from typer.testing import CliRunner

from loan_audit.pipeline.cli import app
from loan_audit.rules import REGISTRY
from loan_audit.rules._common import LOAN, PERSON

runner = CliRunner()


def write_inputs(folder: Path, loans: list[dict], roster: list[dict] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pl.DataFrame([{**PERSON, **r} for r in (roster or [{}])]).write_csv(folder / "roster.csv")
    pl.DataFrame([{**LOAN, **r} for r in loans]).write_csv(folder / "loans.csv")
    return folder


@pytest.fixture
def clean(tmp_path):
    return write_inputs(tmp_path / "in", [{"loan_id": "L1"}])


@pytest.fixture
def dirty(tmp_path):
    return write_inputs(tmp_path / "in", [{"loan_id": "L1"}, {"loan_id": "L1"}])


def test_run_writes_every_machine_output_and_exits_0_when_clean(clean, tmp_path):
    out = tmp_path / "out"
    res = runner.invoke(app, ["run", str(clean), "--out", str(out), "--as-of", "2021-06-30"])
    assert res.exit_code == 0, res.output
    for name in ("cases.parquet", "cases.csv", "summary.json", "quarantine.parquet"):
        assert (out / name).exists(), name
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["as_of"] == "2021-06-30"
    loans = summary["inputs"]["loans"]
    assert loans["rows_read"] == loans["rows_checked"] + loans["rows_quarantined"] == 1


def test_run_exits_1_on_errors_and_0_with_fail_on_never(dirty, tmp_path):
    args = ["run", str(dirty), "--out", str(tmp_path / "o"), "--as-of", "2021-06-30"]
    assert runner.invoke(app, args).exit_code == 1
    assert runner.invoke(app, [*args, "--fail-on", "never"]).exit_code == 0


def test_cases_csv_opens_in_excel_and_case_ids_are_stable(dirty, tmp_path):
    ids = []
    for name in ("a", "b"):
        runner.invoke(app, ["run", str(dirty), "--out", str(tmp_path / name), "--as-of", "2021-06-30"])
        raw = (tmp_path / name / "cases.csv").read_bytes()
        assert raw.startswith(b"\xef\xbb\xbf")
        ids.append(pl.read_parquet(tmp_path / name / "cases.parquet").get_column("case_id").to_list())
    assert ids[0] == ids[1] and ids[0]


def test_missing_required_column_is_one_line_exit_2(tmp_path):
    folder = write_inputs(tmp_path / "in", [{}])
    frame = pl.read_csv(folder / "loans.csv").drop("balance")
    frame.write_csv(folder / "loans.csv")
    res = runner.invoke(app, ["validate", str(folder)])
    assert res.exit_code == 2
    err = res.stderr.strip()
    assert len(err.splitlines()) == 1
    assert "loans.csv" in err and "balance" in err
    assert "Traceback" not in res.output


def test_missing_folder_and_bad_options_exit_2(tmp_path):
    assert runner.invoke(app, ["validate", str(tmp_path / "nope")]).exit_code == 2
    assert runner.invoke(app, ["validate"]).exit_code == 2
    folder = write_inputs(tmp_path / "in", [{}])
    assert runner.invoke(app, ["validate", str(folder), "--as-of", "yesterday"]).exit_code == 2
    policy = tmp_path / "p.toml"
    policy.write_text("max_amont = 1\n")
    res = runner.invoke(app, ["validate", str(folder), "--policy", str(policy)])
    assert res.exit_code == 2 and "max_amont" in res.stderr


def test_validate_json_is_parseable_on_stdout(dirty):
    res = runner.invoke(app, ["validate", str(dirty), "--format", "json", "--as-of", "2021-06-30"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)
    rules = {c["rule"] for c in doc["cases"]}
    assert "duplicate_loan_record" in rules
    assert doc["summary"]["cases"]["by_rule"]["duplicate_loan_record"]["error"] == 1


def test_validate_junit_is_well_formed(dirty):
    res = runner.invoke(app, ["validate", str(dirty), "--format", "junit", "--as-of", "2021-06-30"])
    assert res.exit_code == 1
    suite = ET.fromstring(res.stdout.encode("utf-8"))
    assert suite.tag == "testsuite"
    cases = suite.findall("testcase")
    assert len(cases) == len(REGISTRY) == int(suite.get("tests"))
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert any(name.startswith("duplicate_loan_record") for name in failed)
    assert int(suite.get("failures")) == len(failed)


def test_rules_lists_the_registry():
    res = runner.invoke(app, ["rules", "--format", "json"])
    assert res.exit_code == 0
    assert [e["id"] for e in json.loads(res.stdout)] == [r.id for r in REGISTRY]
    md = runner.invoke(app, ["rules", "--format", "md"]).stdout
    assert all(f"`{r.id}`" in md for r in REGISTRY)


def test_every_command_has_help_and_the_readme_lists_them():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    commands = [c.name or c.callback.__name__ for c in app.registered_commands]
    for command in commands:
        res = runner.invoke(app, [command, "--help"])
        assert res.exit_code == 0 and len(res.stdout) > 100, command
        assert re.search(rf"loan-audit {command}\b", readme), f"README does not mention `loan-audit {command}`"
