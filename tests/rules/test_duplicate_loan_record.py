import json

from tests.conftest import cases_of


def test_repeated_loan_id_is_one_error_listing_the_rows():
    found = cases_of("duplicate_loan_record", loans=[{"loan_id": "L1"}, {"loan_id": "L2", "amount": "10000"},
                                                      {"loan_id": "L1"}])
    errors = found.filter(found["severity"] == "error")
    assert errors.height == 1
    assert errors.get_column("loan_ids").item().to_list() == ["L1"]
    assert json.loads(errors.get_column("evidence").item())["rows"] == [2, 4]


def test_same_borrower_amount_and_date_under_two_ids_is_a_warning():
    found = cases_of("duplicate_loan_record", loans=[{"loan_id": "L1"}, {"loan_id": "L2"}])
    assert found.get_column("severity").to_list() == ["warning"]
    assert found.get_column("loan_ids").item().to_list() == ["L1", "L2"]


def test_a_day_or_a_yuan_apart_is_not_a_duplicate():
    assert cases_of("duplicate_loan_record", loans=[{"loan_id": "L1"}, {"loan_id": "L2", "disbursement_date": "2019-03-06"}]).height == 0
    assert cases_of("duplicate_loan_record", loans=[{"loan_id": "L1"}, {"loan_id": "L2", "amount": "49999"}]).height == 0


def test_a_repeated_loan_id_is_one_loan_for_the_warning_form():
    found = cases_of("duplicate_loan_record", loans=[{"loan_id": "L1"}, {"loan_id": "L1"}])
    assert found.get_column("severity").to_list() == ["error"]
