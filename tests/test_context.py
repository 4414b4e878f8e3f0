"""The shared context of SPEC §3: households, intervals, terms, ages."""

import datetime as dt

from tests.conftest import run_rows


def loans_of(**kw):
    return run_rows(**kw).context.loans


def test_excel_damaged_ids_match_no_member_and_form_a_household_per_loan():
    damaged = "5.33124E+17"
    loans = loans_of(
        loans=[{"loan_id": "A", "borrower_id_number": damaged}, {"loan_id": "B", "borrower_id_number": damaged}],
        roster=[{}, {"id_number": damaged, "household_id": "H9", "name": "岳麻诺"}],
    )
    assert loans.get_column("household").to_list() == ["LOAN:A", "LOAN:B"]
    assert loans.get_column("in_roster").to_list() == [False, False]


def test_borrower_in_roster_takes_the_roster_household_and_place():
    row = loans_of(loans=[{"village": "迭撒村"}]).row(0, named=True)
    assert row["household"] == "5331241010010001" and row["in_roster"]
    assert row["borrower_village"] == "迭撒村委会"


def test_borrower_not_in_roster_is_a_household_of_its_own():
    row = loans_of(roster=[{"id_number": "11010519491231002X"}]).row(0, named=True)
    assert row["household"].startswith("ID:") and not row["in_roster"]
    assert row["borrower_village"] == "迭撒村"


def test_interval_end_settled_outstanding_and_repaid():
    loans = loans_of(
        loans=[
            {"loan_id": "S", "settled_date": "2020-01-01", "balance": "0"},
            {"loan_id": "O", "maturity_date": "2020-03-05", "balance": "100"},
            {"loan_id": "R", "maturity_date": "2020-03-05", "balance": "0"},
        ],
        as_of="2021-06-30",
    )
    assert loans.get_column("interval_end").to_list() == [
        dt.date(2020, 1, 1), dt.date(2021, 6, 30), dt.date(2020, 3, 5)
    ]


def test_term_months_clip_to_month_end():
    loans = loans_of(
        loans=[
            {"loan_id": "A", "disbursement_date": "2019-01-31", "maturity_date": "2019-02-28"},
            {"loan_id": "B", "disbursement_date": "2019-01-31", "maturity_date": "2019-02-27"},
            {"loan_id": "C", "disbursement_date": "2019-03-05", "maturity_date": "2022-03-05"},
        ]
    )
    assert loans.get_column("term_months").to_list() == [1, 0, 36]


def test_period_and_rate_cap_in_force_on_the_disbursement_date_for_the_term():
    loans = loans_of(loans=[
        {"loan_id": "A", "disbursement_date": "2015-10-23", "maturity_date": "2018-10-23"},
        {"loan_id": "B", "disbursement_date": "2015-10-24", "maturity_date": "2018-10-24"},
        {"loan_id": "C", "disbursement_date": "2015-10-24", "maturity_date": "2016-10-24"},
        {"loan_id": "D", "disbursement_date": "2021-03-04", "maturity_date": "2022-03-04"},
        {"loan_id": "E", "disbursement_date": "2026-01-01", "maturity_date": "2029-01-01"},
        {"loan_id": "F", "disbursement_date": "2010-01-04", "maturity_date": "2011-01-04"},
    ])
    assert loans.get_column("period").to_list() == [0, 0, 0, 2, 3, 0]
    assert loans.get_column("rate_cap").to_list() == [5.00, 4.75, 4.35, 3.85, 3.50, None]
    assert loans.get_column("rate_basis").to_list()[2:5] == ["一年以内（含）贷款基准利率", "1年期LPR", "5年期以上LPR"]
    assert [d and d.isoformat() for d in loans.get_column("rate_published")] == [
        "2015-08-26", "2015-10-24", "2015-10-24", "2020-04-20", "2025-05-20", None]


def test_ids_not_of_plain_form_still_find_their_first_member():
    # matched on their text, not on ids.match_key; the first roster row of an ID wins
    short, damaged_looking = "53312419800101001", "533124198001010000"
    loans = loans_of(
        loans=[{"loan_id": "A", "borrower_id_number": short}, {"loan_id": "B", "borrower_id_number": damaged_looking}],
        roster=[{"id_number": short, "household_id": "H1"}, {"id_number": short, "household_id": "H2"},
                {"id_number": damaged_looking, "household_id": "H3"}],
    )
    assert loans.get_column("household").to_list() == ["H1", "LOAN:B"]
    assert loans.get_column("in_roster").to_list() == [True, False]


def test_a_plain_id_takes_its_first_roster_row():
    loans = loans_of(roster=[{"household_id": "H1"}, {"household_id": "H2"}])
    assert loans.get_column("household").to_list() == ["H1"]


def test_a_repeated_loan_id_is_one_loan_its_first_record():
    result = run_rows(loans=[
        {"loan_id": "A", "amount": "10000"}, {"loan_id": "B"}, {"loan_id": "A", "amount": "20000"},
        {"loan_id": "C"}, {"loan_id": "B", "amount": "30000"},
    ])
    loans = result.context.loans
    assert loans.get_column("loan_id").to_list() == ["A", "B", "C"]
    assert loans.get_column("amount").to_list()[0] == 10000.0
    assert result.context.loan_records.height == 5


def test_id_key_is_the_id_as_one_number_also_when_typed_with_spaces():
    ctx = run_rows(
        loans=[{"borrower_id_number": "11010519491231002x"}],
        roster=[{}, {"id_number": " 533124 19850312 0175", "name": "岳麻诺"}],
    ).context
    ids = ctx.roster.get_column("id_number").to_list() + ctx.loans.get_column("borrower_id_number").to_list()
    keys = ctx.roster.get_column("id_key").to_list() + ctx.loans.get_column("borrower_id_key").to_list()
    check = {str(d): d for d in range(10)} | {"X": 10}
    assert keys == [int(i[:17]) * 11 + check[i[17]] for i in ids]
    assert "533124198503120175" in ids and "11010519491231002X" in ids
