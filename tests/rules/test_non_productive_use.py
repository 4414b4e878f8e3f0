import json

import pytest

from loan_audit.pipeline.stages.run import audit_records
from loan_audit.pipeline.vocab.policy import load_policy
from tests.conftest import LOAN, PERSON, cases_of

RULE = "non_productive_use"


def keywords(purpose: str, policy=None) -> list[list[str]]:
    """The keywords of each case the purpose yields."""
    cases = cases_of(RULE, loans=[{"purpose": purpose}], policy=policy)
    return [json.loads(e)["keywords"] for e in cases.get_column("evidence").to_list()]


@pytest.mark.parametrize(
    ("purpose", "expected"),
    [
        ("建房", ["建房"]),
        ("结婚", ["婚"]),
        ("办丧事", ["丧"]),
        ("孩子上学交学费", ["上学", "学费"]),
        ("建房及装修", ["建房", "装修"]),
        ("买车自用", ["买车"]),
        ("借新还旧", ["借新还旧"]),
        ("归还旧贷款", ["还旧贷"]),
        ("还旧贷", ["还旧贷"]),
        ("看病治病", ["治病", "看病"]),
        ("建 房", ["建房"]),  # spaces removed before comparing
        ("购买家电", ["家电"]),
    ],
)
def test_purposes_with_a_listed_word_are_flagged_with_the_words(purpose, expected):
    assert keywords(purpose) == ([expected] if expected else [])


@pytest.mark.parametrize(
    "purpose",
    ["购买货车跑运输", "修建牛圈", "养殖肉牛", "种植甘蔗", "购买化肥种子", "农副产品加工", "开办小卖部", "购买农机", "茶叶种植", "养猪"],
)
def test_productive_purposes_do_not_trip_a_keyword(purpose):
    assert keywords(purpose) == []


def test_the_case_names_the_loan_and_the_word():
    cases = cases_of(RULE, loans=[{"loan_id": "L9", "purpose": "结婚"}])
    assert cases.select("severity", "loan_ids", "household_id").to_dicts() == [
        {"severity": "error", "loan_ids": ["L9"], "household_id": PERSON["household_id"]}
    ]
    assert json.loads(cases.get_column("evidence").item()) == {"purpose": "结婚", "keywords": ["婚"]}
    assert "「结婚」" in cases.get_column("message").item()


def test_an_empty_purpose_is_not_a_case():
    assert cases_of(RULE, loans=[{"purpose": ""}]).height == 0


def test_skipped_without_a_purpose_column():
    loan = {k: v for k, v in LOAN.items() if k != "purpose"}
    result = audit_records({"as_of": "2021-06-30", "loans": [loan], "roster": [dict(PERSON)]})
    assert RULE in result.skipped


def test_a_county_list_is_normalised_like_the_data(tmp_path):
    path = tmp_path / "policy.toml"
    path.write_text('non_productive_keywords = ["赌 博", "ＫＴＶ"]\n', encoding="utf-8")
    policy = load_policy(path)
    assert keywords("赌博", policy=policy) == [["赌博"]]
    assert keywords("KTV消费", policy=policy) == [["KTV"]]
    assert keywords("建房", policy=policy) == []
