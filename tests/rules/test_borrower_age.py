import json

import pytest

from loan_audit.pipeline.vocab.policy import load_policy
from tests.conftest import cases_of, make_id

RULE = "borrower_age"  # the default loan is disbursed on 2019-03-05


def ages(birth: str) -> list[int]:
    """The age in each case for a borrower born on `birth` (YYYYMMDD), in the roster."""
    borrower = make_id(birth)
    cases = cases_of(RULE, loans=[{"borrower_id_number": borrower}], roster=[{"id_number": borrower}])
    return [json.loads(e)["age"] for e in cases.get_column("evidence").to_list()]


@pytest.mark.parametrize(
    ("birth", "expected"),
    [
        ("20010306", [17]),  # 18th birthday the day after disbursement
        ("20010305", []),  # 18 on the day
        ("20010304", []),  # 18 the day before
        ("19530306", []),  # 65: 66th birthday the day after
        ("19530305", [66]),  # 66 on the day
        ("19530304", [66]),  # 66 the day before
    ],
)
def test_18_to_65_inclusive_on_the_disbursement_date(birth, expected):
    assert ages(birth) == expected


def test_the_case_says_which_limit_and_the_dates():
    borrower = make_id("20010306")
    cases = cases_of(RULE, loans=[{"borrower_id_number": borrower}], roster=[{"id_number": borrower}])
    assert cases.select("severity", "loan_ids", "id_number").to_dicts() == [
        {"severity": "error", "loan_ids": ["L0001"], "id_number": borrower}
    ]
    assert json.loads(cases.get_column("evidence").item()) == {
        "birth_date": "2001-03-06", "disbursement_date": "2019-03-05", "age": 17, "min_age": 18, "max_age": 65,
    }
    assert "未满最低年龄" in cases.get_column("message").item()


def test_a_borrower_not_in_the_roster_is_judged_too():
    assert cases_of(RULE, loans=[{"borrower_id_number": make_id("19500101")}]).height == 1


def test_an_invalid_id_is_not_judged():
    # The check character of a 1950 birth date made wrong: the ID is invalid, no age.
    good = make_id("19500101")
    bad = good[:-1] + ("0" if good[-1] != "0" else "1")
    assert cases_of(RULE, loans=[{"borrower_id_number": bad}]).height == 0


def test_an_unreadable_disbursement_date_is_not_judged():
    assert cases_of(RULE, loans=[{"borrower_id_number": make_id("19500101"), "disbursement_date": "待定"}]).height == 0


def test_the_limits_come_from_the_policy(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("min_age = 20\nmax_age = 60\n", encoding="utf-8")
    policy = load_policy(path)
    for birth, found in (("19990306", 1), ("19990305", 0), ("19580305", 1), ("19580306", 0)):
        borrower = make_id(birth)
        assert cases_of(RULE, loans=[{"borrower_id_number": borrower}], roster=[{"id_number": borrower}],
                        policy=policy).height == found, birth
