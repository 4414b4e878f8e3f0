"""What rules share: the case schema, evidence JSON, and example-row defaults.

A rule returns a frame with any of the CASE columns (at least `key`, the stable
identity of the case within the rule, and `loan_ids` or a loan_id); `as_cases`
gives it the common shape. The detect stage adds `case_id` and `title`.
"""

from __future__ import annotations

import polars as pl

from loan_audit.pipeline.vocab.ids import check_char

CASE_SCHEMA = {
    "rule": pl.Utf8,
    "severity": pl.Utf8,
    "county": pl.Utf8,
    "township": pl.Utf8,
    "village": pl.Utf8,
    "household_id": pl.Utf8,
    "id_number": pl.Utf8,
    "name": pl.Utf8,
    "loan_ids": pl.List(pl.Utf8),
    "message": pl.Utf8,
    "evidence": pl.Utf8,
    "key": pl.Utf8,
}


def evidence(**fields: pl.Expr) -> pl.Expr:
    """The case's evidence as JSON text (dates as YYYY-MM-DD)."""
    return pl.struct(**fields).struct.json_encode()


def borrower_columns() -> list[pl.Expr]:
    """Where and who, from a loans frame of the context (the roster's place wins)."""
    return [
        pl.col("borrower_county").alias("county"),
        pl.col("borrower_township").alias("township"),
        pl.col("borrower_village").alias("village"),
        pl.col("member_household_id").alias("household_id"),
        pl.col("borrower_id_number").alias("id_number"),
        pl.col("borrower_name").alias("name"),
    ]


def loan_cases(
    loans: pl.DataFrame | pl.LazyFrame,
    rule: str,
    severity: str | pl.Expr,
    message: pl.Expr,
    evidence_expr: pl.Expr,
) -> pl.DataFrame:
    """One case per row of `loans` (already filtered to the flagged loans).

    Given a lazy frame (`ctx.loans.lazy().filter(...)`), only the columns the case reads
    are filtered: far less to copy than the context's fifty when many loans are flagged.
    """
    sev = pl.lit(severity) if isinstance(severity, str) else severity
    return as_cases(
        loans.select(
            *borrower_columns(),
            pl.concat_list(pl.col("loan_id")).alias("loan_ids"),
            message.alias("message"),
            evidence_expr.alias("evidence"),
            pl.col("loan_id").alias("key"),
            sev.alias("severity"),
        ),
        rule,
    )


def as_cases(frame: pl.DataFrame | pl.LazyFrame, rule: str, severity: str | None = None) -> pl.DataFrame:
    """`frame` in the common case shape: missing columns null, types cast (a lazy frame
    is collected here, once)."""
    columns = frame.collect_schema().names()
    if "severity" not in columns and severity is not None:
        frame = frame.with_columns(pl.lit(severity).alias("severity"))
        columns.append("severity")
    frame = frame.with_columns(pl.lit(rule).alias("rule"))
    columns.append("rule")
    out = frame.select(
        (pl.col(c) if c in columns else pl.lit(None)).cast(t).alias(c) for c, t in CASE_SCHEMA.items()
    )
    # In memory, not polars 2.1's default streaming engine: that one panics on pl.format
    # (every rule's message) after a filter over a frame of several chunks ("assertion
    # failed: i < self.len()"; tests/test_detect_lazy_cases.py). The frames are small here.
    return out.collect(engine="in-memory") if isinstance(out, pl.LazyFrame) else out


def empty_cases() -> pl.DataFrame:
    return pl.DataFrame(schema=CASE_SCHEMA)


# --- example rows: a valid person and a clean loan, which examples override --------
def make_id(birth: str = "19800101", seq: str = "001", region: str = "533124") -> str:
    body = region + birth + seq
    return body + check_char(body)


PERSON = {
    "household_id": "5331241010010001",
    "id_number": make_id(),
    "name": "排麻干",
    "relation": "户主",
    "township": "章凤镇",
    "village": "迭撒村委会",
    "household_status": "已脱贫",
    "registered_date": "2014-10-01",
    "removed_date": "",
    "member_status": "正常",
    "status_change_date": "",
}

LOAN = {
    "loan_id": "L0001",
    "borrower_name": "排麻干",
    "borrower_id_number": make_id(),
    "township": "章凤镇",
    "village": "迭撒村",
    "amount": "50000",
    "disbursement_date": "2019-03-05",
    "maturity_date": "2022-03-05",
    "extended_maturity_date": "",
    "settled_date": "",
    "annual_rate": "4.75",
    "balance": "50000",
    "purpose": "养殖",
    "usage_mode": "自主发展",
    "bank": "陇川农村商业银行章凤支行",
}

EXAMPLE_AS_OF = "2021-06-30"


def example(loans: list[dict] | None = None, roster: list[dict] | None = None, as_of: str = EXAMPLE_AS_OF) -> dict:
    """A rule's example input: loan and roster rows as overrides of LOAN and PERSON."""
    return {
        "as_of": as_of,
        "loans": [{**LOAN, **row} for row in (loans if loans is not None else [{}])],
        "roster": [{**PERSON, **row} for row in (roster if roster is not None else [{}])],
    }
