import json

from tests.conftest import cases_of, make_id

OTHER = make_id("19850312", "017")
MEMBER = {"household_id": "5331241010010001", "id_number": OTHER, "name": "排麻诺", "relation": "配偶"}
NEIGHBOUR = {"household_id": "5331241010010002", "id_number": make_id("19700101", "021"), "name": "岳麻果"}
OUTSIDER = make_id("19900101", "031")
PERSON_ID = make_id()  # the default borrower


def _loan(loan_id, start="2019-03-05", **more):
    return {"loan_id": loan_id, "amount": "20000", "balance": "20000", "disbursement_date": start, **more}


def _pairs(found):
    return [(p["loan_ids"], p["overlap_from"], p["overlap_until"]) for p in json.loads(found.get_column("evidence").item())["pairs"]]


def test_back_to_back_loans_do_not_overlap_but_one_day_does():
    first = _loan("L1", maturity_date="2020-03-05", balance="0", settled_date="2020-03-05")
    second = _loan("L2", "2020-03-05")
    assert cases_of("multiple_loans_per_household", loans=[first, second]).height == 0
    found = cases_of("multiple_loans_per_household", loans=[{**first, "settled_date": "2020-03-06"}, second])
    assert found.get_column("loan_ids").to_list() == [["L1", "L2"]]
    assert found.get_column("severity").to_list() == ["error"]
    assert _pairs(found) == [(["L1", "L2"], "2020-03-05", "2020-03-06")]


def test_the_same_person_twice_overlaps():
    found = cases_of("multiple_loans_per_household", loans=[_loan("L1"), _loan("L2", "2020-01-01")])
    row = found.row(0, named=True)
    assert (row["loan_ids"], row["household_id"], row["name"]) == (["L1", "L2"], "5331241010010001", "排麻干")
    assert row["message"].startswith("同户2笔贷款存续期重叠（L1与L2），属一户多贷；借款人：排麻干（户主）")


def test_two_members_of_one_household_overlap_and_other_households_do_not():
    found = cases_of("multiple_loans_per_household", loans=[
        _loan("L1"), _loan("L2", "2020-01-01", borrower_id_number=OTHER, borrower_name="排麻诺"),
        _loan("L3", "2020-01-01", borrower_id_number=NEIGHBOUR["id_number"], borrower_name="岳麻果"),
    ], roster=[{}, MEMBER, NEIGHBOUR])
    row = found.row(0, named=True)
    assert row["loan_ids"] == ["L1", "L2"]
    assert "借款人：排麻干（户主）、排麻诺（配偶）" in row["message"]
    assert [loan["borrower_id_number"] for loan in json.loads(row["evidence"])["loans"]] == [PERSON_ID, OTHER]


def test_a_borrower_not_in_the_roster_is_a_household_of_its_own():
    found = cases_of("multiple_loans_per_household", loans=[
        _loan("L1", borrower_id_number=OUTSIDER), _loan("L2", "2020-01-01", borrower_id_number=make_id("19900101", "053")),
        _loan("L3", borrower_id_number=PERSON_ID, maturity_date="2019-12-31", balance="0"),
    ])
    assert found.height == 0
    found = cases_of("multiple_loans_per_household", loans=[
        _loan("L1", borrower_id_number=OUTSIDER), _loan("L2", "2020-01-01", borrower_id_number=OUTSIDER),
    ])
    assert (found.get_column("loan_ids").to_list(), found.get_column("household_id").to_list()) == ([["L1", "L2"]], [None])


def test_a_settled_loan_ends_at_its_settled_date_and_an_unpaid_one_runs_to_as_of():
    paid_early = _loan("L1", maturity_date="2022-03-05", balance="0", settled_date="2019-12-01")
    assert cases_of("multiple_loans_per_household", loans=[paid_early, _loan("L2", "2020-01-01")]).height == 0
    paid_at_maturity = _loan("L1", maturity_date="2020-12-31", balance="0")
    assert cases_of("multiple_loans_per_household", loans=[paid_at_maturity, _loan("L2", "2021-03-01")]).height == 0
    unpaid = _loan("L1", maturity_date="2020-12-31")  # overdue: still active on as_of
    found = cases_of("multiple_loans_per_household", loans=[unpaid, _loan("L2", "2021-03-01")])
    assert _pairs(found) == [(["L1", "L2"], "2021-03-01", "2021-06-30")]


def test_a_chain_lists_every_loan_and_only_the_overlapping_pairs():
    found = cases_of("multiple_loans_per_household", loans=[
        _loan("L1", "2019-01-01", maturity_date="2020-06-01", balance="0"),
        _loan("L2", "2020-01-01", maturity_date="2021-01-01", balance="0"),
        _loan("L3", "2020-09-01"),
        _loan("L4", "2015-01-01", maturity_date="2016-01-01", balance="0"),
    ])
    assert found.get_column("loan_ids").to_list() == [["L1", "L2", "L3"]]
    assert _pairs(found) == [
        (["L1", "L2"], "2020-01-01", "2020-06-01"), (["L2", "L3"], "2020-09-01", "2021-01-01"),
    ]


def test_two_loans_starting_the_same_day_overlap():
    found = cases_of("multiple_loans_per_household", loans=[_loan("L1"), _loan("L2")])
    assert found.get_column("loan_ids").to_list() == [["L1", "L2"]]


def test_borrowers_whose_ids_excel_damaged_alike_are_not_one_household():
    loans = [_loan("L1", borrower_id_number="5.33124E+17", borrower_name="甲"),
             _loan("L2", "2020-01-01", borrower_id_number="5.33124E+17", borrower_name="乙")]
    assert cases_of("multiple_loans_per_household", loans=loans).height == 0
    assert cases_of("over_limit", loans=[{**loan, "amount": "30000"} for loan in loans]).height == 0


def test_a_long_loan_of_one_household_does_not_overlap_the_next_households_loans():
    # Households 0001 and 0002 are neighbours in the sweep's order: 0001's long loan L1
    # must not count as an earlier loan of 0002's L5, which overlaps none of its own.
    neighbour = {"borrower_id_number": NEIGHBOUR["id_number"], "borrower_name": "岳麻果"}
    found = cases_of("multiple_loans_per_household", loans=[
        _loan("L1", "2015-01-01", maturity_date="2024-01-01"),
        _loan("L2", "2015-06-01", maturity_date="2016-01-01", balance="0"),
        _loan("L3", "2016-01-01", maturity_date="2016-06-01", balance="0", **neighbour),
        _loan("L4", "2016-03-01", maturity_date="2016-09-01", balance="0", **neighbour),
        _loan("L5", "2019-01-01", maturity_date="2019-12-01", balance="0", **neighbour),
    ], roster=[{}, NEIGHBOUR])
    assert found.get_column("loan_ids").to_list() == [["L1", "L2"], ["L3", "L4"]]
