import json

import pytest

from tests.conftest import cases_of, make_id

RULE = "name_id_mismatch"


def one_case(**loan):
    found = cases_of(RULE, loans=[loan])
    assert found.height == 1
    row = found.row(0, named=True)
    return row, json.loads(row["evidence"])


def test_a_homophone_typo_is_an_error_that_says_the_names_sound_alike():
    row, ev = one_case(borrower_name="排麻甘")
    assert row["severity"] == "error" and row["loan_ids"] == ["L0001"]
    assert (ev["roster_name"], ev["same_sound"], ev["signals"], ev["similarity"]) == ("排麻干", True, ["same_sound"], 66.7)
    assert "同音字" in row["message"] and "排麻干" in row["message"]


@pytest.mark.parametrize(("roster_name", "loan_name", "pair"), [("王芳", "玉芳", "玉/王"), ("李未", "李末", "末/未")])  # loan/roster
def test_a_similar_shape_typo_names_the_pair(roster_name, loan_name, pair):
    found = cases_of(RULE, loans=[{"borrower_name": loan_name}], roster=[{"name": roster_name}])
    ev = json.loads(found.get_column("evidence").item())
    assert ev["signals"] == ["similar_shape"] and ev["shape_pairs"] == [pair] and ev["same_sound"] is False
    assert "形近字" in found.get_column("message").item()


def test_a_character_dropped_is_graded():
    row, ev = one_case(borrower_name="排干")
    assert ev["signals"] == ["one_char_added_or_dropped"] and "多字或少字" in row["message"]


def test_an_unrelated_name_is_still_a_case_pointing_at_impersonation():
    row, ev = one_case(borrower_name="张伟")
    assert ev["signals"] == [] and ev["same_sound"] is False
    assert "冒名" in row["message"]


@pytest.mark.parametrize("variant", ["排・麻干", "排•麻干", "排．麻干", "排麻干", " 排·麻干　"])
def test_middle_dot_and_space_variants_are_the_same_name(variant):
    assert cases_of(RULE, loans=[{"borrower_name": variant}], roster=[{"name": "排·麻干"}]).height == 0


def test_full_width_id_digits_still_find_the_member():
    full = make_id().translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert cases_of(RULE, loans=[{"borrower_id_number": full}]).height == 0
    assert cases_of(RULE, loans=[{"borrower_id_number": full, "borrower_name": "排麻甘"}]).height == 1


def test_a_family_members_name_points_at_the_wrong_id():
    spouse = make_id("19820304", "022")
    found = cases_of(RULE, loans=[{"borrower_name": "岳麻诺"}],
                     roster=[{}, {"id_number": spouse, "name": "岳麻诺", "relation": "配偶"}])
    ev = json.loads(found.get_column("evidence").item())
    assert ev["household_member_id"] == spouse and "household_member" in ev["signals"]
    assert "同户成员" in found.get_column("message").item()


def test_all_loans_under_one_id_and_name_are_one_case():
    found = cases_of(RULE, loans=[{"borrower_name": "排麻甘"}, {"loan_id": "L2", "borrower_name": "排麻甘"},
                                  {"loan_id": "L3"}])
    assert found.get_column("loan_ids").to_list() == [["L0001", "L2"]]


def test_no_case_without_a_valid_id_in_the_roster():
    assert cases_of(RULE, loans=[{"borrower_name": "张伟", "borrower_id_number": "533124198001010010"}]).height == 0
    assert cases_of(RULE, loans=[{"borrower_name": "张伟", "borrower_id_number": make_id(seq="333")}]).height == 0


def test_a_name_matching_any_roster_row_of_the_id_is_not_a_case():
    assert cases_of(RULE, loans=[{"borrower_name": "排麻甘"}], roster=[{}, {"name": "排麻甘"}]).height == 0


def test_a_name_of_only_a_middle_dot_is_no_name_and_no_crash():
    assert cases_of(RULE, loans=[{"borrower_name": "·"}]).height == 0
    assert cases_of(RULE, loans=[{}], roster=[{"name": "・"}]).height == 0
