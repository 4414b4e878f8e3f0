import json

from loan_audit.pipeline.stages.monitoring import monitoring
from tests.conftest import make_id, run_rows

AS_OF = "2021-06-30"


def _person(household, seq, township="章凤镇", status="已脱贫"):
    return {"household_id": household, "id_number": make_id("19700101", seq), "township": township,
            "household_status": status}


ROSTER = [
    _person("H1", "011"), _person("H1", "013"),  # one household, two members
    _person("H2", "021"), _person("H3", "031"),
    _person("H4", "041", status="已剔除"),  # removed: not registered
    _person("H5", "051", township="陇把镇"),
]


def _loan(loan_id, seq, balance="20000", maturity="2022-03-05", **more):
    return {"loan_id": loan_id, "borrower_id_number": make_id("19700101", seq), "amount": "20000",
            "balance": balance, "maturity_date": maturity, **more}


def _figures(loans, roster=ROSTER):
    return monitoring(run_rows(loans=loans, roster=roster, as_of=AS_OF).context)


def test_issuance_rate_counts_registered_households_that_ever_borrowed():
    figures = _figures([
        _loan("L1", "011"), _loan("L2", "013", balance="0", settled_date="2020-01-01"),  # H1 twice
        _loan("L3", "021", balance="0", settled_date="2020-01-01"),  # H2 repaid: still borrowed
        _loan("L4", "041"),  # removed household: not registered, not counted as borrowed
    ])
    county = figures["county"]
    assert (county["registered_households"], county["borrowed_households"], county["issuance_rate"]) == (4, 2, 0.5)
    town = figures["townships"]["章凤镇"]
    assert (town["registered_households"], town["borrowed_households"], town["issuance_rate"]) == (3, 2, 0.6667)
    assert figures["townships"]["陇把镇"]["issuance_rate"] == 0.0
    # outstanding: every household with a balance, registered or not
    assert (county["outstanding_households"], county["outstanding_loans"], county["balance"]) == (2, 2, 40000.0)


def test_a_borrower_not_in_the_roster_counts_in_the_loans_township():
    figures = _figures([_loan("L1", "099", township="护国乡", maturity="2021-05-16")])
    town = figures["townships"]["护国乡"]
    assert (town["registered_households"], town["issuance_rate"], town["overdue_loans"], town["balance"]) == (0, None, 1, 20000.0)
    assert figures["county"]["overdue_loans"] == 1


def test_overdue_rate_by_balance_alerts_only_above_the_line():
    at_line = _figures([_loan("L1", "011", balance="48500"), _loan("L2", "021", balance="1500", maturity="2021-06-29")])
    county = at_line["county"]
    assert (county["overdue_loans"], county["overdue_balance"], county["overdue_rate"], county["alert"]) == (1, 1500.0, 0.03, False)
    above = _figures([_loan("L1", "011", balance="48499.99"), _loan("L2", "021", balance="1500.01", maturity="2021-06-29")])
    assert (above["county"]["overdue_rate"], above["county"]["alert"]) == (0.03, True)
    assert above["townships"]["章凤镇"]["alert"] is True
    assert above["overdue_rate_alert"] == 0.03


def test_households_count_the_same_whether_or_not_the_roster_is_in_household_order():
    # H1's members apart, the first of its rows without a township, H4 removed on every row
    shuffled = [
        {**_person("H2", "021"), "township": "陇把镇"}, {**_person("H1", "011"), "township": None},
        _person("H4", "041", status="已剔除"), _person("H1", "013"), _person("H4", "043", status="已剔除"),
    ]
    loans = [_loan("L1", "013"), _loan("L2", "041")]
    in_order = sorted(shuffled, key=lambda p: p["household_id"])
    for roster in (shuffled, in_order):
        figures = _figures(loans, roster=roster)
        assert {t: (f["registered_households"], f["borrowed_households"]) for t, f in figures["townships"].items()} == {
            "章凤镇": (1, 1), "陇把镇": (1, 0)
        }


def test_overdue_buckets_use_the_overdue_rule_and_a_loan_due_today_is_not_overdue():
    figures = _figures([
        _loan("L1", "011", maturity="2021-06-30"),  # due today
        _loan("L2", "013", maturity="2021-05-31"),  # 30 days
        _loan("L3", "021", maturity="2021-05-30"),  # 31 days
        _loan("L4", "031", maturity="2020-12-31", balance="1000.55"),  # 181 days
        _loan("L5", "051", maturity="2020-12-31", balance="0"),  # repaid
    ])
    county = figures["county"]
    assert county["overdue_buckets"] == {
        "1–30天": {"loans": 1, "balance": 20000.0},
        "31–90天": {"loans": 1, "balance": 20000.0},
        "91–180天": {"loans": 0, "balance": 0.0},
        "180天以上": {"loans": 1, "balance": 1000.55},
    }
    assert (county["overdue_loans"], county["overdue_balance"], county["balance"]) == (3, 41000.55, 61000.55)
    assert county["overdue_rate"] == round(41000.55 / 61000.55, 4)


def test_county_is_the_sum_of_townships_and_the_whole_is_plain_json():
    figures = _figures([_loan("L1", "011"), _loan("L2", "051", maturity="2021-01-01"), _loan("L3", "099", township="护国乡")])
    assert json.loads(json.dumps(figures)) == figures
    assert set(figures) == {"county", "townships", "overdue_rate_alert"}
    for key in ("registered_households", "borrowed_households", "outstanding_loans", "overdue_loans"):
        assert figures["county"][key] == sum(t[key] for t in figures["townships"].values())
    assert figures["townships"]["陇把镇"]["alert"] is True and figures["county"]["alert"] is True


def test_monitoring_reaches_the_summary():
    result = run_rows(loans=[_loan("L1", "011")], roster=ROSTER, as_of=AS_OF)
    assert result.summary["monitoring"]["county"]["borrowed_households"] == 1
