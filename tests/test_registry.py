"""The registry: every rule well-formed, registered once, its examples true."""

import re

import polars as pl
import pytest

from loan_audit.pipeline.stages.run import audit_records
from loan_audit.rules import DOC_SECTIONS, REGISTRY, SPEC_IDS


def test_rule_ids_are_unique_and_known():
    ids = [r.id for r in REGISTRY]
    assert len(ids) == len(set(ids))


def test_every_rule_documents_what_why_and_fix():
    for rule in REGISTRY:
        for heading in DOC_SECTIONS:
            assert rule.section(heading), (rule.id, heading)


CJK = re.compile(r"[\u4e00-\u9fff]")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")


def mostly_chinese(text: str) -> bool:
    """More Chinese characters than Latin words outside `code` (English with Chinese terms fails)."""
    prose = re.sub(r"`[^`]*`", "", text)
    return len(CJK.findall(prose)) > 4 * len(LATIN_WORD.findall(prose))


FIX_SHORT_MAX = 120  # characters: the 整改要求 cell of a township's checklist


@pytest.mark.parametrize("rule", REGISTRY, ids=lambda r: r.id)
def test_every_rule_is_documented_in_chinese_with_a_short_fix(rule):
    """规则说明 and the checklists' 整改要求 are read by township officers: 简体中文."""
    assert mostly_chinese(rule.summary), rule.summary
    for heading in DOC_SECTIONS:
        assert mostly_chinese(rule.section(heading)), (rule.id, heading)
    first = re.split(r"\n\s*\n", rule.section(DOC_SECTIONS[2]))[0]
    fix_short = "".join(line.strip() for line in first.splitlines())
    assert CJK.search(fix_short)
    assert len(fix_short) <= FIX_SHORT_MAX, (rule.id, len(fix_short), fix_short)


@pytest.mark.parametrize("rule", REGISTRY, ids=lambda r: r.id)
def test_bad_example_yields_a_case_and_good_yields_none(rule):
    bad = audit_records(rule.examples["bad"]).cases.filter(pl.col("rule") == rule.id)
    good = audit_records(rule.examples["good"]).cases.filter(pl.col("rule") == rule.id)
    assert bad.height >= 1
    assert good.height == 0


def test_spec_ids_all_registered_once_the_rules_work_is_done():
    registered = {r.id for r in REGISTRY}
    missing = [i for i in SPEC_IDS if i not in registered]
    # Every SPEC rule must be implemented; this fails while any is missing.
    assert not missing, f"SPEC rules not implemented yet: {missing}"
