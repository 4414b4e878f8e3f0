"""The dated policy: periods in order, a county's overrides (the README's file), and the
periods shown by `loan-audit rules --format md` and the report's 规则说明."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from loan_audit.pipeline.cli import app
from loan_audit.pipeline.vocab.policy import load_policy
from loan_audit.reports.render import write_reports
from tests.conftest import run_rows

README = Path(__file__).resolve().parents[1] / "README.md"


@pytest.fixture
def county_file(tmp_path) -> Path:
    """The override file the README shows, as it is written there."""
    block = re.search(r"```toml\n(# county\.toml.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    path = tmp_path / "county.toml"
    path.write_text(block, encoding="utf-8")
    return path


def test_the_default_periods():
    policy = load_policy()
    assert [(p.start.isoformat(), p.programme, p.rate_rule, p.max_amount, p.monitored_eligible) for p in policy.periods] == [
        ("2014-12-10", "扶贫小额信贷", "benchmark", 50000.0, False),
        ("2020-07-01", "扶贫小额信贷", "benchmark", 50000.0, True),
        ("2021-03-04", "脱贫人口小额信贷", "lpr", 50000.0, True),
        ("2026-01-01", "帮扶小额信贷", "lpr", 100000.0, True),
    ]


def test_the_readme_override_adds_a_period_and_changes_one(county_file):
    policy = load_policy(county_file)
    starts = [p.start for p in policy.periods]
    assert starts == [dt.date(2014, 12, 10), dt.date(2020, 1, 1), dt.date(2020, 7, 1), dt.date(2021, 3, 4),
                      dt.date(2026, 1, 1)]
    assert [p.rate_rule for p in policy.periods] == ["benchmark", "lpr", "lpr", "lpr", "lpr"]
    assert [p.household_max_amount for p in policy.periods] == [50000, 50000, 50000, 100000, 100000]
    assert policy.periods[3].share_in(2023) == 1.0 and policy.periods[3].share_in(2024) == 0.7
    # the added period is the one before it otherwise
    assert policy.periods[1].monitored_eligible is False and policy.periods[1].programme == "扶贫小额信贷"


def test_a_top_level_period_key_sets_every_period(tmp_path):
    path = tmp_path / "p.toml"
    path.write_text("max_term_months = 24\n", encoding="utf-8")
    assert {p.max_term_months for p in load_policy(path).periods} == {24}


def test_rules_md_shows_the_periods_and_the_countys(county_file):
    default = CliRunner().invoke(app, ["rules", "--format", "md"])
    assert default.exit_code == 0
    assert "| 2021-03-04 | 脱贫人口小额信贷 |" in default.output and "| 2020-01-01 |" not in default.output
    county = CliRunner().invoke(app, ["rules", "--format", "md", "--policy", str(county_file)])
    assert county.exit_code == 0
    assert re.search(r"\| 2020-01-01 \| 扶贫小额信贷 \| 50,000 \| 50,000 \| 36 \| 不高于放款日前最近公布的LPR", county.output)


def test_the_reports_rule_section_shows_the_countys_periods(county_file, tmp_path):
    result = run_rows(policy=load_policy(county_file))
    write_reports(result, tmp_path)
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    section = html[html.index("政策时期"):html.index('<div class="rule"')]
    assert "<td>2020-01-01</td><td>扶贫小额信贷</td>" in section
    assert "<td>100,000</td>" in section  # 2021-03-04's 户同时存续上限
