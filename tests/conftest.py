"""Shared test helpers: tiny hand-made inputs run through the real pipeline."""

from __future__ import annotations

import polars as pl
import pytest

from loan_audit.pipeline.stages.run import AuditResult, audit_records
from loan_audit.rules._common import LOAN, PERSON, example, make_id  # noqa: F401  (re-exported for tests)


def run_rows(loans=None, roster=None, as_of="2021-06-30", policy=None) -> AuditResult:
    """Audit loan/roster rows given as overrides of the default clean loan and person."""
    return audit_records(example(loans=loans, roster=roster, as_of=as_of), policy=policy)


def cases_of(rule: str, loans=None, roster=None, as_of="2021-06-30", policy=None) -> pl.DataFrame:
    """The cases one rule finds in the given rows."""
    result = run_rows(loans, roster, as_of, policy)
    return result.cases.filter(pl.col("rule") == rule)


@pytest.fixture
def tmp_out(tmp_path):
    return tmp_path / "out"
