import json

from tests.conftest import cases_of, make_id

OTHER = make_id("19850312", "017")  # a second member of the default household
MEMBER = {"household_id": "5331241010010001", "id_number": OTHER, "name": "排麻诺", "relation": "配偶"}
OUTSIDER = make_id("19900101", "031")  # not in the roster


def _loan(loan_id, amount, start="2019-03-05", **more):
    return {"loan_id": loan_id, "amount": amount, "balance": amount, "disbursement_date": start, **more}


def _household_cases(found):
    return found.filter(found["loan_ids"].list.len() > 1)


def test_a_loan_above_max_amount_by_a_fen_is_a_case_and_max_amount_is_not():
    found = cases_of("over_limit", loans=[
        _loan("L1", "50000", borrower_id_number=OTHER), _loan("L2", "50000.01", "2020-01-01"),
    ], roster=[{}, MEMBER])
    # the two loans overlap: 100,000.01 in the household, so also a household case
    single = found.filter(found["loan_ids"].list.len() == 1)
    assert single.get_column("loan_ids").to_list() == [["L2"]]
    assert json.loads(single.get_column("evidence").item()) == {"amount": 50000.01, "max_amount": 50000.0, "excess": 0.01,
                                                              "programme": "2014年12月起扶贫小额信贷"}
    assert single.get_column("message").item().startswith("单笔贷款金额50000.01元，超过50000.00元上限（超出0.01元）")


def test_a_lone_over_limit_loan_is_one_case_not_also_a_household_case():
    found = cases_of("over_limit", loans=[_loan("L1", "60000"), _loan("L2", "10000", "2015-01-01", maturity_date="2016-01-01", balance="0")])
    assert found.get_column("loan_ids").to_list() == [["L1"]]


def test_household_sum_exactly_max_amount_is_not_over_and_a_fen_more_is():
    at_limit = cases_of("over_limit", loans=[_loan("L1", "20000.10"), _loan("L2", "29999.90", "2020-01-01")])
    assert at_limit.height == 0
    over = cases_of("over_limit", loans=[_loan("L1", "20000.10"), _loan("L2", "29999.91", "2020-01-01")])
    assert over.get_column("loan_ids").to_list() == [["L1", "L2"]]
    row = over.row(0, named=True)
    evidence = json.loads(row["evidence"])
    assert (evidence["peak_sum"], evidence["peak_date"], evidence["peak_loan_ids"]) == (50000.01, "2020-01-01", ["L1", "L2"])
    assert row["household_id"] == "5331241010010001"
    assert row["severity"] == "error"
    assert "2020-01-01同时存续2笔（L1、L2），金额合计50000.01元，超出0.01元" in row["message"]


def test_back_to_back_loans_do_not_add_up_but_one_day_of_overlap_does():
    first = _loan("L1", "30000", "2019-03-05", balance="0", settled_date="2020-03-05")
    second = _loan("L2", "30000", "2020-03-05")
    assert cases_of("over_limit", loans=[first, second]).height == 0
    found = cases_of("over_limit", loans=[{**first, "settled_date": "2020-03-06"}, second])
    assert found.get_column("loan_ids").to_list() == [["L1", "L2"]]
    assert json.loads(found.get_column("evidence").item())["peak_date"] == "2020-03-05"


def test_a_settled_loan_ends_at_its_settled_date_not_its_maturity():
    settled = _loan("L1", "30000", maturity_date="2022-03-05", balance="0", settled_date="2020-01-01")
    assert cases_of("over_limit", loans=[settled, _loan("L2", "30000", "2020-06-01")]).height == 0
    unsettled = {**settled, "settled_date": ""}  # no balance, no settled date: ends at maturity
    assert cases_of("over_limit", loans=[unsettled, _loan("L2", "30000", "2020-06-01")]).height == 1


def test_every_loan_active_at_an_over_limit_instant_is_listed_with_the_peak():
    found = cases_of("over_limit", loans=[
        _loan("A", "30000", "2019-01-01", balance="0", settled_date="2020-06-01"),
        _loan("B", "30000", "2020-01-01", balance="0", settled_date="2021-01-01"),
        _loan("C", "25000", "2020-09-01"),
        _loan("D", "20000", "2021-02-01"),  # after B: C + D = 45,000
    ])
    assert found.get_column("loan_ids").to_list() == [["A", "B", "C"]]
    evidence = json.loads(found.get_column("evidence").item())
    assert (evidence["peak_sum"], evidence["peak_date"], evidence["peak_loan_ids"]) == (60000.0, "2020-01-01", ["A", "B"])
    assert [loan["loan_id"] for loan in evidence["loans"]] == ["A", "B", "C"]


def test_an_over_limit_loan_with_a_concurrent_one_is_both_a_loan_and_a_household_case():
    found = cases_of("over_limit", loans=[_loan("L1", "60000"), _loan("L2", "5000", "2020-01-01")])
    assert sorted(found.get_column("loan_ids").to_list()) == [["L1"], ["L1", "L2"]]


def test_two_members_of_one_household_add_up():
    found = cases_of("over_limit", loans=[_loan("L1", "30000"), _loan("L2", "30000", "2020-01-01", borrower_id_number=OTHER,
                                                                    borrower_name="排麻诺")],
                     roster=[{}, MEMBER])
    row = found.row(0, named=True)
    assert row["loan_ids"] == ["L1", "L2"]
    assert (row["name"], row["id_number"]) == ("排麻干、排麻诺", None)
    assert [loan["relation"] for loan in json.loads(row["evidence"])["loans"]] == ["户主", "配偶"]


def test_a_borrower_not_in_the_roster_is_a_household_of_its_own():
    other_outsider = make_id("19900101", "053")
    apart = cases_of("over_limit", loans=[
        _loan("L1", "30000", borrower_id_number=OUTSIDER), _loan("L2", "30000", "2020-01-01", borrower_id_number=other_outsider),
    ])
    assert apart.height == 0
    same = cases_of("over_limit", loans=[
        _loan("L1", "30000", borrower_id_number=OUTSIDER), _loan("L2", "30000", "2020-01-01", borrower_id_number=OUTSIDER),
    ])
    row = same.row(0, named=True)
    assert (row["loan_ids"], row["household_id"], row["id_number"]) == (["L1", "L2"], None, OUTSIDER)


def test_the_limit_is_the_periods_50000_to_2025_100000_from_2026():
    assert cases_of("over_limit", loans=[_loan("L1", "60000", "2025-12-31", maturity_date="2027-12-31")],
                    as_of="2026-06-30").height == 1
    assert cases_of("over_limit", loans=[_loan("L1", "60000", "2026-01-01", maturity_date="2028-01-01")],
                    as_of="2026-06-30").height == 0
    assert cases_of("over_limit", loans=[_loan("L1", "100000.01", "2026-01-01", maturity_date="2028-01-01")],
                    as_of="2026-06-30").height == 1


def test_a_county_allowing_top_up_loans_to_100000_from_2021(tmp_path):
    from loan_audit.pipeline.vocab.policy import load_policy

    path = tmp_path / "policy.toml"
    path.write_text("[[periods]]\nfrom = 2021-03-04\nhousehold_max_amount = 100000\n", encoding="utf-8")
    policy = load_policy(path)
    loans = [_loan("L1", "50000", "2021-06-01", maturity_date="2024-06-01"),
             _loan("L2", "40000", "2022-06-01", maturity_date="2025-06-01", borrower_id_number=OTHER)]
    roster = [{}, MEMBER]
    assert cases_of("over_limit", loans=loans, roster=roster, as_of="2022-12-31").height == 1  # default: 90,000 > 50,000
    assert cases_of("over_limit", loans=loans, roster=roster, as_of="2022-12-31", policy=policy).height == 0
    over = [*loans, _loan("L3", "20000", "2022-07-01", maturity_date="2025-07-01", borrower_id_number=OTHER)]
    found = cases_of("over_limit", loans=over, roster=roster, as_of="2022-12-31", policy=policy)
    assert json.loads(found.get_column("evidence").item())["max_amount"] == 100000.0
