import json


from tests.conftest import cases_of, run_rows


def test_unreadable_date_and_amount_are_findings_not_guesses():
    found = cases_of("unreadable_value", loans=[{"loan_id": "L1", "maturity_date": "2022-02-30", "amount": "五万"}])
    assert found.height == 1
    ev = json.loads(found.get_column("evidence").item())
    assert ev["cells"] == ["贷款金额「五万」", "到期日期「2022-02-30」"]


def test_row_with_an_unreadable_value_is_still_checked_by_other_rules():
    result = run_rows(loans=[{"loan_id": "L1", "maturity_date": "2022-02-30"}, {"loan_id": "L1"}])
    assert result.validated.counts["loans"]["rows_checked"] == 2
    rules = set(result.cases.get_column("rule").to_list())
    assert {"unreadable_value", "duplicate_loan_record"} <= rules


def test_roster_dates_are_checked_too():
    found = cases_of("unreadable_value", roster=[{"registered_date": "去年"}])
    assert found.height == 1 and found.get_column("loan_ids").item() is None
