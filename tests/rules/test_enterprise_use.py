import json

import polars as pl
import pytest

from loan_audit.pipeline.stages.run import audit_records
from tests.conftest import LOAN, PERSON, cases_of, make_id

RULE = "enterprise_use"


def errors_and_warnings(cases: pl.DataFrame) -> list[tuple[str, list[str]]]:
    """(severity, loan_ids) of each case, errors first."""
    rows = cases.select("severity", "loan_ids").to_dicts()
    return sorted((r["severity"], r["loan_ids"]) for r in rows)


@pytest.mark.parametrize("mode", ["户贷企用", "户贷社管", "分贷统还", " 户贷 企用 ", "户贷企用\u200b"])
def test_each_enterprise_usage_mode_is_an_error(mode):
    cases = cases_of(RULE, loans=[{"usage_mode": mode}])
    assert errors_and_warnings(cases) == [("error", ["L0001"])]
    assert json.loads(cases.get_column("evidence").item()) == {
        "usage_mode": mode.replace(" ", "").replace("\u200b", ""), "purpose": "养殖", "keywords": []
    }


@pytest.mark.parametrize("mode", ["自主发展", "合作社带动", "户贷户用", ""])
def test_other_usage_modes_are_not(mode):
    assert cases_of(RULE, loans=[{"usage_mode": mode}]).height == 0


@pytest.mark.parametrize(
    ("purpose", "words"),
    [("入股合作社养牛", ["入股"]), ("入股分红", ["入股", "分红"]), ("转贷给企业", ["转贷"]),
     ("指标交换", ["指标交换"]), ("由企业使用", ["企业使用"])],
)
def test_purposes_with_an_enterprise_word_are_an_error(purpose, words):
    cases = cases_of(RULE, loans=[{"purpose": purpose}])
    assert errors_and_warnings(cases) == [("error", ["L0001"])]
    assert json.loads(cases.get_column("evidence").item())["keywords"] == words


def test_a_productive_purpose_in_a_cooperative_is_not_an_error():
    assert cases_of(RULE, loans=[{"purpose": "加入合作社养殖肉牛", "usage_mode": "合作社带动"}]).height == 0


def test_mode_and_purpose_together_are_one_case():
    cases = cases_of(RULE, loans=[{"usage_mode": "户贷企用", "purpose": "入股分红"}])
    assert errors_and_warnings(cases) == [("error", ["L0001"])]
    message = cases.get_column("message").item()
    assert "使用方式为「户贷企用」" in message and "含「入股、分红」" in message


def _loans(n: int, **overrides) -> list[dict]:
    return [{"loan_id": f"L{i:02d}", **overrides} for i in range(n)]


def test_ten_same_loans_in_a_village_are_a_cluster_warning_nine_are_not():
    cases = cases_of(RULE, loans=_loans(10))
    ids = [f"L{i:02d}" for i in range(10)]
    assert errors_and_warnings(cases) == [("warning", ids)]
    assert cases.select("township", "village", "household_id").to_dicts() == [
        {"township": "章凤镇", "village": "迭撒村委会", "household_id": None}
    ]
    assert json.loads(cases.get_column("evidence").item()) == {
        "township": "章凤镇", "village": "迭撒村委会", "disbursement_date": "2019-03-05", "amount": 50000.0,
        "purpose": "养殖", "count": 10, "cluster_min": 10,
    }
    assert cases_of(RULE, loans=_loans(9)).height == 0


@pytest.mark.parametrize("field,value", [("disbursement_date", "2019-03-06"), ("amount", "40000"), ("purpose", "种植")])
def test_one_loan_different_breaks_the_cluster(field, value):
    loans = _loans(10)
    loans[0][field] = value
    assert cases_of(RULE, loans=loans).height == 0


def test_loans_with_no_purpose_do_not_cluster():
    assert cases_of(RULE, loans=_loans(10, purpose="")).height == 0


def test_a_loan_both_in_a_cluster_and_enterprise_gets_both_cases():
    loans = _loans(10)
    loans[3]["usage_mode"] = "户贷社管"
    cases = cases_of(RULE, loans=loans)
    assert errors_and_warnings(cases) == [("error", ["L03"]), ("warning", [f"L{i:02d}" for i in range(10)])]
    assert cases.get_column("case_id").n_unique() == 2


def test_the_cluster_case_id_is_stable_across_runs_and_loan_order():
    first = cases_of(RULE, loans=_loans(10)).get_column("case_id").to_list()
    again = cases_of(RULE, loans=list(reversed(_loans(10)))).get_column("case_id").to_list()
    assert first == again


def _audit(drop: set[str], loans: list[dict]) -> pl.DataFrame:
    rows = [{k: v for k, v in {**LOAN, **row}.items() if k not in drop} for row in loans]
    result = audit_records({"as_of": "2021-06-30", "loans": rows, "roster": [dict(PERSON)]})
    assert RULE not in result.skipped
    return result.cases.filter(pl.col("rule") == RULE)


def test_without_a_purpose_column_the_usage_mode_part_still_runs():
    cases = _audit({"purpose"}, _loans(10, usage_mode="自主发展") + [{"loan_id": "X", "usage_mode": "分贷统还"}])
    assert errors_and_warnings(cases) == [("error", ["X"])]


def test_without_a_usage_mode_column_the_purpose_part_and_the_cluster_run():
    cases = _audit({"usage_mode"}, _loans(10) + [{"loan_id": "X", "purpose": "入股"}])
    assert errors_and_warnings(cases) == [("error", ["X"]), ("warning", [f"L{i:02d}" for i in range(10)])]


def test_without_either_column_nothing_is_found():
    assert _audit({"usage_mode", "purpose"}, _loans(10)).height == 0


def test_a_village_is_named_within_its_township():
    # Borrowers not in the roster: the loan's own township and village place them.
    loans = [{"loan_id": f"L{i:02d}", "borrower_id_number": make_id(seq=f"{i + 10:03d}"),
              "township": "章凤镇" if i < 5 else "陇把镇", "village": "新寨村"} for i in range(10)]
    assert cases_of(RULE, loans=loans).height == 0
    for loan in loans:
        loan["township"] = "章凤镇"
    assert errors_and_warnings(cases_of(RULE, loans=loans)) == [("warning", [f"L{i:02d}" for i in range(10)])]
