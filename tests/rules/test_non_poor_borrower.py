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


# --- the 防返贫监测 export's columns: 户类型, 监测对象类型, 风险识别/消除 --------------------
LATE_LOAN = [{"disbursement_date": "2022-05-10", "maturity_date": "2025-05-10"}]
MONITORED_FARMER = {"household_status": "一般农户", "monitoring_category": "边缘易致贫户"}


@pytest.mark.parametrize(("category", "flagged"), [(None, True), ("", True), ("边缘易致贫户", False),
                                                   ("突发严重困难户", False)])
def test_a_general_farmer_is_eligible_only_as_a_monitored_household(category, flagged):
    row = {"household_status": "一般农户"} | ({} if category is None else {"monitoring_category": category})
    assert found(loans=LATE_LOAN, roster=[row]) == ([("L0001", ["non_poor_household"])] if flagged else [])


def test_a_general_farmer_under_monitoring_follows_the_monitored_dates():
    early = [{"disbursement_date": "2020-06-30", "maturity_date": "2023-06-30"}]
    cases = cases_of(RULE, loans=early, roster=[MONITORED_FARMER])
    assert json.loads(cases.get_column("evidence").item())["reasons"] == ["monitored_before_eligible"]
    assert "一般农户（边缘易致贫户）于2020-06-30放款" in cases.get_column("message").item()


@pytest.mark.parametrize(("identified", "flagged"), [("2022-05-11", True), ("2022-05-10", False), ("", False)])
def test_monitoring_identified_after_disbursement_is_flagged_on_the_day_is_not(identified, flagged):
    row = MONITORED_FARMER | {"risk_identified_date": identified}
    assert found(loans=LATE_LOAN, roster=[row]) == ([("L0001", ["monitoring_after_disbursement"])] if flagged else [])


@pytest.mark.parametrize(("eliminated", "flagged"), [("2022-05-09", True), ("2022-05-10", True), ("2022-05-11", False),
                                                     ("", True)])
def test_a_monitored_household_whose_risk_was_eliminated_by_the_loan_is_flagged(eliminated, flagged):
    row = MONITORED_FARMER | {"risk_eliminated": "是", "risk_eliminated_date": eliminated}
    cases = cases_of(RULE, loans=LATE_LOAN, roster=[row])
    assert cases.height == int(flagged)
    if flagged:
        evidence = json.loads(cases.get_column("evidence").item())
        assert evidence["reasons"] == ["risk_eliminated"] and evidence["monitoring_category"] == "边缘易致贫户"
        assert "按2021年3月起脱贫人口小额信贷政策不再是贷款对象" in cases.get_column("message").item()


@pytest.mark.parametrize("status", ["已脱贫", "脱贫不稳定户"])
def test_an_exited_household_stays_eligible_when_its_risk_is_eliminated(status):
    row = {"household_status": status, "monitoring_category": "脱贫不稳定户", "risk_eliminated": "是",
           "risk_eliminated_date": "2021-01-01"}
    assert found(loans=LATE_LOAN, roster=[row]) == []


def test_risk_not_eliminated_or_an_unreadable_elimination_date_is_not_flagged():
    assert found(loans=LATE_LOAN, roster=[MONITORED_FARMER | {"risk_eliminated": "否", "risk_eliminated_date": ""}]) == []
    row = MONITORED_FARMER | {"risk_eliminated": "是", "risk_eliminated_date": "待核实"}
    assert found(loans=LATE_LOAN, roster=[row]) == []


def test_a_county_may_keep_households_whose_risk_was_eliminated_eligible(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text("risk_eliminated_eligible = true\n", encoding="utf-8")
    row = MONITORED_FARMER | {"risk_eliminated": "是", "risk_eliminated_date": "2021-01-01"}
    assert cases_of(RULE, loans=LATE_LOAN, roster=[row], policy=load_policy(path)).height == 0
    assert cases_of(RULE, loans=LATE_LOAN, roster=[row]).height == 1


def test_the_export_headers_are_read(tmp_path):
    """A roster as the 防返贫监测 system exports it: its own headers, read through the aliases."""
    from typer.testing import CliRunner

    from loan_audit.pipeline.cli import app

    person = PERSON | {"household_status": "一般农户"}
    headers = {"household_id": "户编号", "id_number": "证件号码", "name": "姓名", "relation": "与户主关系",
               "township": "乡(镇)", "village": "行政村", "household_status": "户类型"}
    extra = {"易返贫致贫户(监测对象)类型": "边缘易致贫户", "风险是否消除": "是", "风险消除时间": "2022-01-01",
             "识别监测时间": "2021-06-01"}
    roster = pl.DataFrame([{headers[k]: v for k, v in person.items() if k in headers} | extra])
    loans = pl.DataFrame([LOAN | LATE_LOAN[0]])
    roster.write_csv(tmp_path / "roster.csv")
    loans.write_csv(tmp_path / "loans.csv")
    out = tmp_path / "out"
    result = CliRunner().invoke(app, ["run", str(tmp_path), "--out", str(out), "--as-of", "2022-12-31", "--fail-on", "never"])
    assert result.exit_code == 0, result.output
    cases = pl.read_parquet(out / "cases.parquet").filter(pl.col("rule") == RULE)
    evidence = json.loads(cases.get_column("evidence").item())
    assert evidence["reasons"] == ["risk_eliminated"]
    assert (evidence["risk_identified_date"], evidence["risk_eliminated_date"]) == ("2021-06-01", "2022-01-01")
