import json

from tests.conftest import cases_of, make_id, run_rows

OTHER = {"household_id": "5331241010010002", "id_number": make_id("19850312", "017")}
SECOND_LOAN = {"loan_id": "L0002", "borrower_id_number": OTHER["id_number"]}


def test_two_people_of_one_name_in_one_village_are_one_group_for_verification():
    result = run_rows(loans=[{}, SECOND_LOAN], roster=[{}, OTHER])
    groups = result.cases.filter(result.cases["rule"] == "duplicate_name")
    assert groups.height == 1
    row = groups.row(0, named=True)
    assert (row["severity"], row["village"], row["name"], row["loan_ids"]) == ("warning", "迭撒村委会", "排麻干", ["L0001", "L0002"])
    for what in ("身份证号", "户编号", "签字", "核实"):
        assert what in row["message"]
    ev = json.loads(row["evidence"])
    assert [b["id_number"] for b in ev["borrowers"]] == sorted([make_id(), OTHER["id_number"]])
    assert ev["shared_household"] is False
    # Different birthdays, IDs far apart: namesakes, not one person.
    assert result.cases.filter(result.cases["rule"] == "suspected_same_person").height == 0


def test_namesakes_in_different_villages_are_not_a_group():
    found = cases_of("duplicate_name", loans=[{}, SECOND_LOAN], roster=[{}, {**OTHER, "village": "广山村委会"}])
    assert found.height == 0


def test_one_person_with_two_loans_is_not_a_group():
    assert cases_of("duplicate_name", loans=[{}, {"loan_id": "L0002"}]).height == 0


def test_the_bank_spelling_of_the_village_is_the_roster_village():
    outside = {"loan_id": "L0002", "borrower_id_number": make_id("19900705", "031"), "village": "迭撒村"}
    assert cases_of("duplicate_name", loans=[{}, outside]).get_column("loan_ids").to_list() == [["L0001", "L0002"]]


def test_middle_dot_variants_are_one_name():
    found = cases_of("duplicate_name", loans=[{"borrower_name": "排·麻干"}, {**SECOND_LOAN, "borrower_name": "排麻干"}],
                     roster=[{}, OTHER])
    assert found.height == 1


def test_every_loan_of_the_group_is_listed_and_invalid_ids_stay_out():
    loans = [{}, {"loan_id": "L0003"}, SECOND_LOAN, {"loan_id": "L0004", "borrower_id_number": "533124198001010010"}]
    found = cases_of("duplicate_name", loans=loans, roster=[{}, OTHER])
    assert found.get_column("loan_ids").to_list() == [["L0001", "L0002", "L0003"]]


def test_namesakes_of_one_household_are_pointed_out():
    found = cases_of("duplicate_name", loans=[{}, SECOND_LOAN],
                     roster=[{}, {**OTHER, "household_id": "5331241010010001"}])
    assert json.loads(found.get_column("evidence").item())["shared_household"] is True
    assert "同户" in found.get_column("message").item()


def test_the_group_shows_the_name_and_village_of_its_first_id_in_the_roster():
    # The ID outside the roster sorts first, spelt with the middle dot, at the bank's spelling of the village.
    outside = {"loan_id": "L0002", "borrower_id_number": make_id("19700101", "005"), "borrower_name": "排·麻干",
               "village": "迭撒村"}
    found = cases_of("duplicate_name", loans=[outside, {}])
    assert found.select("name", "village", "loan_ids").row(0) == ("排麻干", "迭撒村委会", ["L0001", "L0002"])
    ev = json.loads(found.get_column("evidence").item())
    assert [b["in_roster"] for b in ev["borrowers"]] == [False, True]
