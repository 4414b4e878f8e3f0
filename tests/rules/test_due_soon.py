import dataclasses
import datetime as dt
import json

from loan_audit.pipeline.vocab.policy import load_policy
from tests.conftest import cases_of

AS_OF = dt.date(2021, 6, 30)


def _in(days: int) -> str:
    return (AS_OF + dt.timedelta(days=days)).isoformat()


def test_window_runs_from_as_of_to_as_of_plus_due_soon_days():
    found = cases_of("due_soon", as_of=AS_OF.isoformat(), loans=[
        {"loan_id": "yesterday", "maturity_date": _in(-1)},
        {"loan_id": "today", "maturity_date": _in(0)},
        {"loan_id": "day90", "maturity_date": _in(90)},
        {"loan_id": "day91", "maturity_date": _in(91)},
    ])
    assert sorted(found.get_column("loan_ids").to_list()) == [["day90"], ["today"]]
    assert set(found.get_column("severity")) == {"info"}
    days = {r["loan_ids"][0]: json.loads(r["evidence"])["days_to_maturity"] for r in found.to_dicts()}
    assert days == {"today": 0, "day90": 90}


def test_a_loan_due_on_as_of_is_due_not_overdue():
    loans = [{"maturity_date": AS_OF.isoformat()}]
    assert cases_of("overdue", loans=loans, as_of=AS_OF.isoformat()).height == 0
    found = cases_of("due_soon", loans=loans, as_of=AS_OF.isoformat())
    assert found.get_column("message").item().startswith("贷款今日到期（到期日2021-06-30），余额50000.00元")


def test_message_counts_the_days_left():
    found = cases_of("due_soon", loans=[{"maturity_date": "2021-07-15", "balance": "12345.6"}])
    assert found.get_column("message").item().startswith("贷款将于15天后到期（到期日2021-07-15），余额12345.60元")


def test_extension_and_repayment_take_a_loan_out_of_the_window():
    found = cases_of("due_soon", loans=[
        {"loan_id": "extended", "maturity_date": "2021-07-15", "extended_maturity_date": "2022-01-15"},
        {"loan_id": "repaid", "maturity_date": "2021-07-15", "balance": "0", "settled_date": "2021-06-01"},
        {"loan_id": "extended_into", "maturity_date": "2021-05-15", "extended_maturity_date": "2021-08-15"},
    ])
    assert found.get_column("loan_ids").to_list() == [["extended_into"]]
    assert "展期到期日2021-08-15" in found.get_column("message").item()


def test_window_comes_from_the_policy():
    policy = dataclasses.replace(load_policy(), due_soon_days=10)
    found = cases_of("due_soon", loans=[
        {"loan_id": "day10", "maturity_date": _in(10)}, {"loan_id": "day11", "maturity_date": _in(11)},
    ], as_of=AS_OF.isoformat(), policy=policy)
    assert found.get_column("loan_ids").to_list() == [["day10"]]
