import json

import pytest

from loan_audit.pipeline.stages.run import audit_records
from tests.conftest import LOAN, PERSON, cases_of, make_id

RULE = "deceased_borrower"
# Disbursed 2019-03-05, settled 2021-03-05: the active interval is [2019-03-05, 2021-03-05).
SETTLED = {"balance": "0", "settled_date": "2021-03-05"}


def verdicts(died: str, status: str = "死亡", loan: dict | None = None) -> list[tuple[str, str]]:
    """(severity, evidence kind) of each case for a borrower who died on `died`."""
    cases = cases_of(RULE, loans=[{**SETTLED, **(loan or {})}],
                     roster=[{"member_status": status, "status_change_date": died}])
    return [(s, json.loads(e)["kind"]) for s, e in zip(cases["severity"].to_list(), cases["evidence"].to_list(), strict=True)]


@pytest.mark.parametrize(
    ("died", "expected"),
    [
        ("2018-11-02", [("error", "before_disbursement")]),
        ("2019-03-04", [("error", "before_disbursement")]),
        ("2019-03-05", [("error", "before_disbursement")]),  # on the day: on/before
        ("2019-03-06", [("warning", "during_loan")]),
        ("2021-03-04", [("warning", "during_loan")]),
        ("2021-03-05", []),  # the day the loan ended: after the interval
        ("2023-11-02", []),
    ],
)
def test_a_death_before_during_and_after_the_loan(died, expected):
    assert verdicts(died) == expected


def test_an_outstanding_loan_is_active_until_the_data_date():
    # Due 2020-03-05, balance left, data date 2021-06-30: a death in 2021 is during the loan.
    loan = {"maturity_date": "2020-03-05", "balance": "10000", "settled_date": ""}
    assert verdicts("2021-06-01", loan=loan) == [("warning", "during_loan")]


def test_the_error_case_says_who_and_when():
    cases = cases_of(RULE, loans=[SETTLED], roster=[{"member_status": "死亡", "status_change_date": "2018-11-02"}])
    assert cases.select("severity", "loan_ids", "household_id").to_dicts() == [
        {"severity": "error", "loan_ids": ["L0001"], "household_id": PERSON["household_id"]}
    ]
    assert json.loads(cases.get_column("evidence").item()) == {
        "kind": "before_disbursement", "member_status": "死亡", "death_date": "2018-11-02",
        "disbursement_date": "2019-03-05", "interval_end": "2021-03-05",
    }
    assert "2018-11-02" in cases.get_column("message").item()


def test_a_death_without_a_date_is_a_warning_that_asks_for_it():
    cases = cases_of(RULE, roster=[{"member_status": "死亡", "status_change_date": ""}])
    assert cases.get_column("severity").to_list() == ["warning"]
    assert "死亡日期不详" in cases.get_column("message").item()


def test_an_unreadable_death_date_is_not_judged():
    assert verdicts("去年") == []


@pytest.mark.parametrize("status", ["正常", "迁出"])
def test_living_members_are_not_cases(status):
    assert verdicts("2018-11-02", status=status) == []


def test_status_is_compared_after_nfkc_and_space_removal():
    assert verdicts("2018-11-02", status=" 死 亡 ") == [("error", "before_disbursement")]


def test_another_members_death_is_not_the_borrowers():
    spouse = {"id_number": make_id("19820202", "002"), "name": "李麻诺", "relation": "配偶",
              "member_status": "死亡", "status_change_date": "2018-01-01"}
    assert cases_of(RULE, loans=[SETTLED], roster=[{}, spouse]).height == 0


def test_skipped_without_the_status_columns():
    person = {k: v for k, v in PERSON.items() if k != "status_change_date"}
    result = audit_records({"as_of": "2021-06-30", "loans": [dict(LOAN)], "roster": [person]})
    assert RULE in result.skipped
