import datetime as dt
import json

import pytest

from tests.conftest import cases_of

AS_OF = dt.date(2021, 6, 30)


def _due(days_before_as_of: int) -> str:
    return (AS_OF - dt.timedelta(days=days_before_as_of)).isoformat()


def _by_loan(found):
    return {row["loan_ids"][0]: row for row in found.to_dicts()}


def test_overdue_from_the_day_after_maturity_not_on_it():
    found = cases_of("overdue", as_of=AS_OF.isoformat(), loans=[
        {"loan_id": "before", "maturity_date": _due(1)},
        {"loan_id": "on", "maturity_date": _due(0)},
        {"loan_id": "after", "maturity_date": _due(-1)},
    ])
    assert found.get_column("loan_ids").to_list() == [["before"]]
    assert found.get_column("severity").to_list() == ["error"]
    assert json.loads(found.get_column("evidence").item())["days_overdue"] == 1


def test_message_and_evidence_name_days_bucket_maturity_and_balance():
    found = cases_of("overdue", loans=[{"maturity_date": "2021-05-16", "balance": "30000"}])
    row = found.row(0, named=True)
    assert row["message"].startswith("贷款已逾期45天（31–90天），到期日2021-05-16，余额30000.00元")
    assert json.loads(row["evidence"]) == {
        "days_overdue": 45, "bucket": "31–90天", "effective_maturity": "2021-05-16",
        "maturity_date": "2021-05-16", "extended_maturity_date": None, "settled_date": None, "balance": 30000.0,
    }
    assert (row["township"], row["household_id"], row["name"]) == ("章凤镇", "5331241010010001", "排麻干")


def test_an_extension_moves_the_maturity():
    found = cases_of("overdue", loans=[
        {"loan_id": "extended_past", "maturity_date": "2021-05-16", "extended_maturity_date": "2021-08-16"},
        {"loan_id": "extended_short", "maturity_date": "2021-05-16", "extended_maturity_date": "2021-06-01"},
    ])
    assert found.get_column("loan_ids").to_list() == [["extended_short"]]
    row = found.row(0, named=True)
    assert "贷款已逾期29天（1–30天），展期到期日2021-06-01" in row["message"]
    assert json.loads(row["evidence"])["effective_maturity"] == "2021-06-01"


@pytest.mark.parametrize(
    ("days", "bucket"),
    [(30, "1–30天"), (31, "31–90天"), (90, "31–90天"), (91, "91–180天"), (180, "91–180天"), (181, "180天以上")],
)
def test_bucket_boundaries(days, bucket):
    found = cases_of("overdue", as_of=AS_OF.isoformat(), loans=[{"maturity_date": _due(days)}])
    evidence = json.loads(found.get_column("evidence").item())
    assert (evidence["days_overdue"], evidence["bucket"]) == (days, bucket)
    assert f"贷款已逾期{days}天（{bucket}）" in found.get_column("message").item()


def test_no_balance_is_not_overdue_and_the_balance_decides_over_a_settled_date():
    found = cases_of("overdue", loans=[
        {"loan_id": "repaid", "maturity_date": "2021-05-16", "balance": "0", "settled_date": "2021-05-16"},
        {"loan_id": "settled_with_balance", "maturity_date": "2021-05-16", "balance": "100",
         "settled_date": "2021-05-16"},
    ])
    assert found.get_column("loan_ids").to_list() == [["settled_with_balance"]]
    assert "台账记有结清日期2021-05-16但余额未清零" in found.get_column("message").item()


def test_unreadable_maturity_or_balance_never_fires():
    found = cases_of("overdue", loans=[
        {"loan_id": "no_date", "maturity_date": "不详"},
        {"loan_id": "no_balance", "maturity_date": "2021-05-16", "balance": "不详"},
    ])
    assert found.height == 0
