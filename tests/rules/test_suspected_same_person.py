import json

import pytest

from tests.conftest import cases_of, make_id

RULE = "suspected_same_person"


def person(birth="19800101", seq="001", **kw):
    return {"id_number": make_id(birth, seq), "relation": "其他", **kw}


def test_the_same_name_born_the_same_day_in_one_village_is_one_person_suspected():
    found = cases_of(RULE, roster=[{}, person(seq="457", household_id="5331241010010009")])
    assert found.height == 1
    row = found.row(0, named=True)
    ev = json.loads(row["evidence"])
    assert row["severity"] == "warning" and row["id_number"] == make_id()
    assert (ev["same_day_village"], ev["same_name"], ev["id_signal"]) == (True, True, None)
    assert ev["id_numbers"] == sorted([make_id(), make_id(seq="457")])
    assert "出生日期相同" in row["message"] and "姓名相同" in row["message"]


@pytest.mark.parametrize(("first", "second"), [("排麻干", "排麻诺"), ("张建国", "张建军"), ("李英", "李杨")])
def test_twins_with_different_names_are_not_one_person(first, second):
    # Same birthday, same village, same household, sequence numbers one digit apart.
    roster = [{"name": first}, person(seq="003", name=second, relation="子女")]
    assert cases_of(RULE, roster=roster).height == 0


def test_a_homophone_under_an_id_one_digit_apart_in_another_village():
    found = cases_of(RULE, roster=[{}, person(seq="007", name="排麻甘", village="广山村委会", household_id="X2")])
    ev = json.loads(found.get_column("evidence").item())
    assert (ev["id_signal"], ev["same_day_village"], ev["same_sound"]) == ("digit:17", False, True)
    assert "仅第17位不同" in found.get_column("message").item()


def test_adjacent_digits_swapped_in_the_birth_date():
    found = cases_of(RULE, roster=[person("19800112", "013"), person("19800121", "013", village="广山村委会")])
    ev = json.loads(found.get_column("evidence").item())
    assert ev["id_signal"] == "swap:13-14" and "第13、14位数字颠倒" in found.get_column("message").item()


def test_a_similar_shape_name_born_the_same_day():
    found = cases_of(RULE, roster=[{"name": "王芳"}, person(seq="468", name="玉芳")])
    assert json.loads(found.get_column("evidence").item())["shape_pairs"] == ["王/玉"]


def test_a_borrower_outside_the_roster_with_a_neighbouring_id_is_compared_and_brings_its_loans():
    outside = make_id(seq="009")
    found = cases_of(RULE, loans=[{"loan_id": "L9", "borrower_id_number": outside, "borrower_name": "排麻"}])
    row = found.row(0, named=True)
    ev = json.loads(row["evidence"])
    assert row["loan_ids"] == ["L9"] and ev["in_roster"] == [True, False]
    assert ev["signals"] == ["one_char_added_or_dropped"] and "非花名册借款人" in row["message"]


def test_namesakes_born_on_other_days_with_unrelated_ids_are_not_suspected():
    assert cases_of(RULE, roster=[{}, person("19850312", "017", household_id="X2")]).height == 0


def test_the_same_id_twice_is_not_two_people():
    assert cases_of(RULE, roster=[{}, {"relation": "其他"}], loans=[{}]).height == 0


def test_one_case_per_pair_of_ids_whatever_the_signals():
    # Same day, same village AND one digit apart: one case that states both.
    found = cases_of(RULE, roster=[{}, person(seq="003", name="排麻甘")])
    assert found.height == 1
    ev = json.loads(found.get_column("evidence").item())
    assert (ev["same_day_village"], ev["id_signal"]) == (True, "digit:17")


def test_namesakes_of_two_townships_with_ids_a_digit_apart_are_a_coincidence():
    other = person("19800301", "001", township="陇把镇", village="陇把村委会", household_id="X2")
    assert cases_of(RULE, roster=[{}, other]).height == 0
    same_town = person("19800301", "001", village="广山村委会", household_id="X2")
    assert json.loads(cases_of(RULE, roster=[{}, same_town]).get_column("evidence").item())["id_signal"] == "digit:12"


def test_a_borrower_of_unknown_township_is_compared_in_every_township():
    outside = {"loan_id": "L9", "borrower_id_number": make_id(seq="009"), "township": "", "village": ""}
    found = cases_of(RULE, loans=[outside], roster=[{"township": "陇把镇"}])
    assert json.loads(found.get_column("evidence").item())["id_signal"] == "digit:17"
