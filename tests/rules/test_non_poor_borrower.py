import json

import polars as pl
import pytest

from loan_audit.pipeline.stages.run import audit_records
from loan_audit.pipeline.vocab.policy import load_policy
from tests.conftest import LOAN, PERSON, cases_of, make_id

RULE = "non_poor_borrower"  # the default loan is disbursed on 2019-03-05


def found(**kw) -> list[tuple[str, list[str]]]:
    """(loan_id, reasons) of each case."""
    cases = cases_of(RULE, **kw)
    return [(ids[0], json.loads(ev)["reasons"])
            for ids, ev in zip(cases["loan_ids"].to_list(), cases["evidence"].to_list(), strict=True)]


@pytest.mark.parametrize(("removed", "flagged"), [("2019-03-04", True), ("2019-03-05", True), ("2019-03-06", False)])
def test_a_household_removed_on_or_before_disbursement_is_flagged_after_is_not(removed, flagged):
    result = found(roster=[{"household_status": "已剔除", "removed_date": removed}])
    assert result == ([("L0001", ["removed"])] if flagged else [])


def test_removed_household_without_a_removed_date_is_flagged_and_says_so():
    cases = cases_of(RULE, roster=[{"household_status": "已剔除"}])
    assert cases.get_column("loan_ids").to_list() == [["L0001"]]
    assert "未登记剔除日期" in cases.get_column("message").item()
    assert json.loads(cases.get_column("evidence").item()) == {
        "reasons": ["removed"], "household_status": "已剔除", "disbursement_date": "2019-03-05",
        "removed_date": None, "registered_date": "2014-10-01", "programme": "2014年12月起扶贫小额信贷",
        "period_from": "2014-12-10",
    }


def test_an_unreadable_removed_date_is_not_judged():
    assert found(roster=[{"household_status": "已剔除", "removed_date": "待定"}]) == []


def test_status_is_compared_after_nfkc_and_space_removal():
    assert found(roster=[{"household_status": " 已 剔除 ", "removed_date": "2019-03-05"}]) == [("L0001", ["removed"])]


@pytest.mark.parametrize("status", ["已脱贫", "贫困户"])
def test_exited_and_poor_households_are_eligible(status):
    assert found(roster=[{"household_status": status}]) == []


@pytest.mark.parametrize("status", ["边缘户", "监测户", "边缘易致贫户", "突发严重困难户"])
@pytest.mark.parametrize(("disbursed", "flagged"), [("2020-06-30", True), ("2020-07-01", False), ("2021-03-04", False),
                                                    ("2026-01-01", False)])
def test_monitored_households_are_eligible_from_the_policy_date(status, disbursed, flagged):
    result = found(loans=[{"disbursement_date": disbursed, "maturity_date": "2023-06-30"}],
                   roster=[{"household_status": status}])
    assert result == ([("L0001", ["monitored_before_eligible"])] if flagged else [])


@pytest.mark.parametrize(("registered", "flagged"), [("2019-03-06", True), ("2019-03-05", False)])
def test_registered_after_disbursement_is_flagged_on_the_day_is_not(registered, flagged):
    result = found(roster=[{"registered_date": registered}])
    assert result == ([("L0001", ["registered_after_disbursement"])] if flagged else [])


def test_a_valid_borrower_id_not_in_the_roster_is_flagged():
    other = make_id(seq="003")
    cases = cases_of(RULE, loans=[{"borrower_id_number": other}])
    assert cases.select("household_id", "id_number", "loan_ids").to_dicts() == [
        {"household_id": None, "id_number": other, "loan_ids": ["L0001"]}
    ]
    assert json.loads(cases.get_column("evidence").item())["reasons"] == ["not_in_roster"]


def test_an_invalid_id_not_in_the_roster_is_not_this_rule():
    assert found(loans=[{"borrower_id_number": "533124198001010010"}]) == []


def test_the_members_own_row_decides_not_another_members():
    child = make_id("20000101", "002")
    result = found(roster=[{"household_status": "已脱贫"},
                           {"id_number": child, "name": "排麻诺", "household_status": "已剔除", "removed_date": "2018-01-01"}])
    assert result == []


def test_several_reasons_make_one_case_per_loan():
    result = found(loans=[{"loan_id": "L1"}, {"loan_id": "L2", "disbursement_date": "2020-08-01",
                                               "maturity_date": "2023-08-01"}],
                   roster=[{"household_status": "边缘户", "registered_date": "2020-01-01"}])
    assert sorted(result) == [("L1", ["registered_after_disbursement", "monitored_before_eligible"])]


def _without(columns: set[str], **overrides) -> dict:
    person = {k: v for k, v in {**PERSON, **overrides}.items() if k not in columns}
    return {"as_of": "2021-06-30", "loans": [dict(LOAN)], "roster": [person]}


def test_without_a_removed_date_column_only_that_check_is_skipped():
    data = _without({"removed_date"}, household_status="已剔除")
    result = audit_records(data)
    assert result.cases.filter(pl.col("rule") == RULE).height == 0
    assert RULE not in result.skipped
    data = _without({"removed_date"}, household_status="边缘户")
    assert audit_records(data).cases.filter(pl.col("rule") == RULE).height == 1


def test_without_the_optional_date_columns_the_other_checks_still_run():
    data = _without({"registered_date", "removed_date"}, household_status="已剔除")
    assert audit_records(data).cases.filter(pl.col("rule") == RULE).height == 0
    data = _without({"registered_date", "removed_date"})
    data["loans"][0]["borrower_id_number"] = make_id(seq="003")
    assert audit_records(data).cases.filter(pl.col("rule") == RULE).get_column("loan_ids").to_list() == [["L0001"]]


def test_a_unstable_exited_household_is_eligible_in_every_period():
    # 脱贫不稳定户: a 建档立卡 household under monitoring
    assert found(loans=[{"disbursement_date": "2019-06-30", "maturity_date": "2022-06-30"}],
                 roster=[{"household_status": "脱贫不稳定户"}]) == []


def test_a_county_period_may_keep_monitored_households_out(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("[[periods]]\nfrom = 2026-01-01\nmonitored_eligible = false\n", encoding="utf-8")
    policy = load_policy(path)
    loans = [{"disbursement_date": "2026-01-01", "maturity_date": "2028-01-01"}]
    cases = cases_of(RULE, loans=loans, roster=[{"household_status": "边缘易致贫户"}], as_of="2026-06-30", policy=policy)
    assert "按2026年1月起帮扶小额信贷政策" in cases.get_column("message").item()
    assert cases_of(RULE, loans=loans, roster=[{"household_status": "边缘易致贫户"}], as_of="2026-06-30").height == 0
