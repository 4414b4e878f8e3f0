"""Validate: nothing lost — rows read = rows checked + rows quarantined, with reasons."""

import json

import polars as pl

from loan_audit.pipeline.stages.ingest import table_from_records
from loan_audit.pipeline.stages.normalise import normalised
from loan_audit.pipeline.stages.validate import validated
from loan_audit.rules._common import LOAN, PERSON


def run(loans, roster=None):
    raw = {
        "roster": table_from_records("roster", roster or [PERSON]),
        "loans": table_from_records("loans", [{**LOAN, **r} for r in loans]),
    }
    return validated(normalised(raw), raw)


def test_messy_rows_are_each_checked_or_quarantined_with_a_reason():
    blank = {k: "" for k in LOAN}
    totals = {**blank, "loan_id": "合计", "amount": "150000", "balance": "150000"}
    rows = [
        {"loan_id": "L1"},
        {"loan_id": "L2", "disbursement_date": "2019-02-30"},  # unreadable: checked, a finding
        {"loan_id": ""},  # no loan id: quarantined
        {"loan_id": "L4", "amount": "-5000"},  # negative: quarantined
        blank,  # blank row: quarantined
        {"loan_id": "L5", "balance": "五万"},  # unreadable: checked
        {"loan_id": "L1"},  # repeated loan_id: checked (duplicate_loan_record reports it)
        totals,  # 合计 row: quarantined
    ]
    v = run(rows)
    counts = v.counts["loans"]
    assert counts == {"rows_read": 8, "rows_checked": 4, "rows_quarantined": 4}
    assert counts["rows_read"] == counts["rows_checked"] + counts["rows_quarantined"]
    q = v.quarantine.filter(pl.col("table") == "loans")
    assert q.get_column("row").to_list() == [4, 5, 6, 9]
    reasons = dict(zip(q.get_column("row").to_list(), q.get_column("reasons").to_list()))
    assert "借据号为空" in reasons[4][0]
    assert "贷款金额" in reasons[5][0] and "-5000" in reasons[5][0]
    assert reasons[6] == ["空行 blank row"]
    assert reasons[9][0].startswith("合计行")
    assert json.loads(q.filter(pl.col("row") == 5).get_column("raw").item())["amount"] == "-5000"


def test_roster_row_without_household_is_quarantined():
    v = run([{}], roster=[PERSON, {**PERSON, "household_id": " "}])
    assert v.counts["roster"] == {"rows_read": 2, "rows_checked": 1, "rows_quarantined": 1}


def test_failure_table_shape_of_pinned_pandera():
    """pandera's SchemaErrors.failure_cases columns, which validate relies on."""
    import pandera.polars as pa

    from loan_audit.pipeline.stages.schemas import LoanSchema

    frame = normalised({"loans": table_from_records("loans", [{**LOAN, "loan_id": ""}])})["loans"]
    try:
        LoanSchema.validate(frame, lazy=True)
    except pa.errors.SchemaErrors as exc:
        assert {"failure_case", "schema_context", "column", "check", "check_number", "index"} <= set(
            exc.failure_cases.columns
        )
    else:
        raise AssertionError("an empty loan_id must fail the schema")
