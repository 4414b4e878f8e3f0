import json

import pytest

from loan_audit.pipeline.stages.run import audit_records
from loan_audit.pipeline.vocab.policy import load_policy
from tests.conftest import LOAN, PERSON, cases_of

RULE = "rate_above_base"


@pytest.mark.parametrize(("rate", "flagged"), [("4.75", False), ("4.75%", False), ("4.35", False), ("4.76", True)])
def test_above_the_base_rate_is_flagged_equal_is_not(rate, flagged):
    cases = cases_of(RULE, loans=[{"annual_rate": rate}])
    if not flagged:
        assert cases.height == 0
        return
    assert cases.select("severity", "loan_ids").to_dicts() == [{"severity": "error", "loan_ids": ["L0001"]}]
    assert json.loads(cases.get_column("evidence").item()) == {
        "annual_rate": 4.76, "base_rate": 4.75, "disbursement_date": "2019-03-05"
    }


@pytest.fixture
def two_periods(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text(
        "base_rates = [\n  { from = 2015-10-24, rate = 4.75 },\n  { from = 2020-01-01, rate = 4.65 },\n]\n",
        encoding="utf-8",
    )
    return load_policy(path)


@pytest.mark.parametrize(
    ("disbursed", "rate", "base", "flagged"),
    [
        ("2019-12-31", "4.75", 4.75, False),
        ("2019-12-31", "4.76", 4.75, True),
        ("2020-01-01", "4.75", 4.65, True),
        ("2020-01-01", "4.65", 4.65, False),
        ("2021-05-01", "4.70", 4.65, True),
    ],
)
def test_the_base_rate_in_force_on_the_disbursement_date_applies(two_periods, disbursed, rate, base, flagged):
    cases = cases_of(RULE, loans=[{"disbursement_date": disbursed, "maturity_date": "2022-12-31", "annual_rate": rate}],
                     policy=two_periods)
    assert [json.loads(e)["base_rate"] for e in cases.get_column("evidence").to_list()] == ([base] if flagged else [])


def test_an_unreadable_or_empty_rate_is_not_judged():
    assert cases_of(RULE, loans=[{"annual_rate": "年息五厘"}]).height == 0
    assert cases_of(RULE, loans=[{"annual_rate": ""}]).height == 0


def test_an_unreadable_disbursement_date_is_not_judged():
    assert cases_of(RULE, loans=[{"annual_rate": "6.0", "disbursement_date": "2019-02-30"}]).height == 0


def test_skipped_without_a_rate_column():
    loan = {k: v for k, v in LOAN.items() if k != "annual_rate"}
    result = audit_records({"as_of": "2021-06-30", "loans": [loan], "roster": [dict(PERSON)]})
    assert RULE in result.skipped
