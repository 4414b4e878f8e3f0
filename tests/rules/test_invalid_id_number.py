import json


from loan_audit.rules._common import make_id
from tests.conftest import cases_of

GOOD = make_id("19800101", "001")


def test_valid_ids_in_both_tables_give_no_case():
    assert cases_of("invalid_id_number").height == 0


def test_bad_check_digit_in_the_register_names_the_loan_and_reason():
    bad = GOOD[:17] + ("0" if GOOD[17] != "0" else "1")
    found = cases_of("invalid_id_number", loans=[{"loan_id": "L9", "borrower_id_number": bad}])
    assert found.height == 1
    case = found.row(0, named=True)
    assert case["loan_ids"] == ["L9"] and case["severity"] == "error"
    assert json.loads(case["evidence"])["reason"] == "check_digit"
    assert json.loads(case["evidence"])["table"] == "loans"
    assert "校验码" in case["message"]


def test_excel_damage_in_the_roster_is_reported_never_repaired():
    found = cases_of("invalid_id_number", roster=[{}, {"id_number": "5.33124E+17", "name": "岳麻诺"}])
    assert found.height == 1
    ev = json.loads(found.get_column("evidence").item())
    assert ev == {"table": "roster", "row": 3, "raw": "5.33124E+17", "normalised": "5.33124E+17",
                  "reason": "excel_damage", "reason_text": ev["reason_text"]}
    assert found.get_column("loan_ids").item() is None


def test_messy_but_valid_forms_are_not_cases():
    messy = " " + GOOD[:6] + " " + GOOD[6:].lower()
    assert cases_of("invalid_id_number", loans=[{"borrower_id_number": messy}]).height == 0


def test_a_missing_borrower_id_is_a_case():
    found = cases_of("invalid_id_number", loans=[{"borrower_id_number": ""}])
    assert json.loads(found.get_column("evidence").item())["reason"] == "missing"
