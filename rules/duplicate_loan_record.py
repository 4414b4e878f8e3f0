"""重复录入: a loan recorded twice.

## What it flags
As an error, a 借据号 (loan_id) that appears on more than one row of the register: it
is one loan for every other rule, and the case lists the rows. As a warning, two
different loan_ids with the same borrower ID, amount and disbursement date: perhaps
one loan keyed in twice under two numbers, perhaps two real loans.

## Why it matters
A loan counted twice inflates the county's balance, the 贴息 claimed from the budget
and the household's total; the plan (§八) asks for exact data (做到数据真实). Two loans
of the same amount on the same day to one person are also the pattern of a forged
contract written to claim subsidy.

## How to fix
For a repeated 借据号, delete the extra row in the bank's export (or correct its
number if it is a different loan). For the warning, pull both contracts: if they are
one loan, delete one record; if two, the household is also a 一户多贷 case.
"""

import polars as pl

from rules._common import as_cases, borrower_columns, evidence, example

ID = "duplicate_loan_record"
TITLE = "重复录入"
SEVERITY = "error"
PARAMS = ()
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[{"loan_id": "L1"}, {"loan_id": "L1"}]),
    "good": example(loans=[{"loan_id": "L1"}, {"loan_id": "L2", "disbursement_date": "2019-03-06"}]),
}


def detect(ctx) -> pl.DataFrame:
    repeated = (
        ctx.loan_records.filter(pl.col("loan_id").is_duplicated())
        .group_by("loan_id", maintain_order=True)
        .agg(pl.col("_row"), pl.all().exclude("_row").first())
        .select(
            *borrower_columns(),
            pl.concat_list("loan_id").alias("loan_ids"),
            pl.format("借据号{}在台账中出现{}次（第{}行）", "loan_id", pl.col("_row").list.len(),
                      pl.col("_row").cast(pl.List(pl.Utf8)).list.join("、")).alias("message"),
            evidence(loan_id=pl.col("loan_id"), rows=pl.col("_row"), count=pl.col("_row").list.len()).alias("evidence"),
            pl.concat_str(pl.lit("loan_id:"), "loan_id").alias("key"),
            pl.lit("error").alias("severity"),
        )
    )
    group = ["borrower_id_number", "amount", "disbursement_date"]
    same = (
        ctx.loans.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in group))
        .filter(pl.len().over(group) > 1)
        .sort("loan_id")
        .group_by(group, maintain_order=True)
        .agg(pl.col("loan_id").alias("loan_ids"), pl.all().exclude("loan_id").first())
        .select(
            *borrower_columns(),
            "loan_ids",
            pl.format("同一借款人同日同额两笔以上贷款（借据号 {}，{}元，{}放款），请核实是否重复录入",
                      pl.col("loan_ids").list.join("、"), "amount", "disbursement_date").alias("message"),
            evidence(loan_ids=pl.col("loan_ids"), amount=pl.col("amount"),
                     disbursement_date=pl.col("disbursement_date")).alias("evidence"),
            pl.concat_str(pl.lit("same:"), pl.col("loan_ids").list.join(";")).alias("key"),
            pl.lit("warning").alias("severity"),
        )
    )
    return as_cases(pl.concat([repeated, same], how="vertical_relaxed"), ID)
