import json

import pytest

from loan_audit.pipeline.vocab.policy import load_policy
from tests.conftest import cases_of

RULE = "term_over_limit"


def flags(disbursed: str, maturity: str, extended: str = "") -> list[dict]:
    """The evidence's verdicts and limits of each case for one loan."""
    cases = cases_of(RULE, loans=[{"disbursement_date": disbursed, "maturity_date": maturity,
                                   "extended_maturity_date": extended}])
    keep = ("term_months", "term_over", "latest_maturity", "extension_limit_months", "extension_over",
            "latest_extended_maturity")
    return [{k: json.loads(e)[k] for k in keep} for e in cases.get_column("evidence").to_list()]


def test_36_months_is_fine_36_months_and_a_day_is_not():
    assert flags("2019-03-05", "2022-03-05") == []
    assert flags("2019-03-05", "2022-03-06") == [
        {"term_months": 36, "term_over": True, "latest_maturity": "2022-03-05", "extension_limit_months": 18,
         "extension_over": False, "latest_extended_maturity": "2023-09-06"}
    ]


def test_37_months_is_over():
    assert [f["term_months"] for f in flags("2019-03-05", "2022-04-05")] == [37]


def test_31_january_plus_36_months():
    assert flags("2019-01-31", "2022-01-31") == []
    assert [f["latest_maturity"] for f in flags("2019-01-31", "2022-02-01")] == ["2022-01-31"]


def test_months_are_clipped_to_the_months_end():
    # 29 Feb 2016 + 36 months = 28 Feb 2019.
    assert flags("2016-02-29", "2019-02-28") == []
    assert [f["latest_maturity"] for f in flags("2016-02-29", "2019-03-01")] == ["2019-02-28"]
    # An 11-month loan due 31 Mar may be extended by 11 months: to 28 Feb, clipped (29 Feb
    # in a leap year; due before 2020, so no 疫情延期).
    assert flags("2018-04-30", "2019-03-31", "2020-02-29") == []
    over = flags("2018-04-30", "2019-03-31", "2020-03-01")
    assert [(f["term_months"], f["extension_limit_months"], f["latest_extended_maturity"]) for f in over] == [
        (11, 11, "2020-02-29")
    ]


@pytest.mark.parametrize(
    ("maturity", "term", "limit", "at_limit", "month_over"),
    [
        ("2020-03-05", 12, 12, "2021-03-05", "2021-04-05"),
        ("2021-03-05", 24, 12, "2022-03-05", "2022-04-05"),
        ("2022-03-05", 36, 18, "2023-09-05", "2023-10-05"),
    ],
)
def test_an_extension_at_its_limit_is_fine_a_month_over_is_not(maturity, term, limit, at_limit, month_over):
    assert flags("2019-03-05", maturity, at_limit) == []
    assert flags("2019-03-05", maturity, month_over) == [
        {"term_months": term, "term_over": False, "latest_maturity": "2022-03-05",
         "extension_limit_months": limit, "extension_over": True, "latest_extended_maturity": at_limit}
    ]


def test_a_day_over_the_extension_limit_is_over():
    assert [f["extension_over"] for f in flags("2018-03-05", "2019-03-05", "2020-03-06")] == [True]


def test_a_covid_deferral_to_the_national_end_date_is_not_over_a_day_later_is():
    # 12 months, due 2020-03-20: the 贷款通则 limit is 2021-03-20; deferred to 2021-03-31 it
    # is a 疫情延期, to 2021-04-01 it is over like any other extension
    assert flags("2019-03-20", "2020-03-20", "2021-03-31") == []
    assert [(f["extension_over"], f["latest_extended_maturity"]) for f in flags("2019-03-20", "2020-03-20",
                                                                               "2021-04-01")] == [(True, "2021-03-20")]
    # due on 2019-12-31, a day before the deferrals began: the limit applies
    assert [f["extension_over"] for f in flags("2018-12-31", "2019-12-31", "2021-03-31")] == [True]
    # due on 2020-01-01: a deferral
    assert flags("2019-01-01", "2020-01-01", "2021-03-31") == []


def test_a_deferred_loan_over_its_term_says_it_was_deferred():
    cases = cases_of(RULE, loans=[{"disbursement_date": "2017-03-01", "maturity_date": "2020-03-02",
                                   "extended_maturity_date": "2021-03-31"}])
    evidence = json.loads(cases.get_column("evidence").item())
    assert (evidence["term_over"], evidence["extension_over"], evidence["covid_deferral"]) == (True, False, True)


def test_a_term_and_extension_both_over_are_one_case():
    cases = cases_of(RULE, loans=[{"maturity_date": "2022-04-05", "extended_maturity_date": "2024-04-05"}])
    assert cases.get_column("loan_ids").to_list() == [["L0001"]]
    evidence = json.loads(cases.get_column("evidence").item())
    assert (evidence["term_over"], evidence["extension_over"]) == (True, True)
    message = cases.get_column("message").item()
    assert "超过36个月" in message and "展期到期日2024-04-05" in message


def test_unreadable_dates_are_not_judged():
    assert flags("2019-03-05", "2032-02-30") == []
    assert flags("2019-03-05", "2020-03-05", "待定") == []


def test_the_limits_come_from_the_policy(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("max_term_months = 24\nextension_full_term_up_to_months = 24\n", encoding="utf-8")
    policy = load_policy(path)
    loan = {"maturity_date": "2021-03-05", "extended_maturity_date": "2023-03-05"}
    assert cases_of(RULE, loans=[loan], policy=policy).height == 0
    loan = {"maturity_date": "2021-03-06"}
    assert cases_of(RULE, loans=[loan], policy=policy).height == 1
