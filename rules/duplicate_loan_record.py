"""重复录入：同一笔贷款被录入两次。

## What it flags
错误：同一借据号（`loan_id`）在贷款台账中出现在多行；其他规则都把它当作一笔贷款，
问题中列出这些行。警告：两个不同的借据号，借款人身份证号、贷款金额和放款日期都相同：
可能是同一笔贷款以两个编号重复录入，也可能确是两笔贷款。

## Why it matters
一笔贷款重复计算，会虚增全县贷款余额、向财政申请的贴息和该户的贷款总额；
县实施方案（§八）要求做到数据真实。同一人同一天两笔金额相同的贷款，
也是伪造合同套取贴息的典型特征。

## How to fix
借据号重复的删除银行导出中的多余行（系另一笔贷款的更正其编号）；警告类调取两份合同，
系同一笔的删除一条，确为两笔的同时按一户多贷处理。
"""

import polars as pl

from loan_audit.rules._common import as_cases, borrower_columns, evidence, example

ID = "duplicate_loan_record"
TITLE = "重复录入"
SEVERITY = "error"
PARAMS = ()
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[{"loan_id": "L1"}, {"loan_id": "L1"}]),
    "good": example(loans=[{"loan_id": "L1"}, {"loan_id": "L2", "disbursement_date": "2019-03-06"}]),
}


BORROWER = ("borrower_county", "borrower_township", "borrower_village", "member_household_id", "borrower_id_number", "borrower_name")


def detect(ctx) -> pl.DataFrame:
    frames = []
    # The context keeps the first record of each loan_id in `loans`: the records it left
    # out are the repeats, and their loan_ids the repeated ones (a tenth of the time of
    # hashing every loan_id of a province for `is_duplicated`).
    if ctx.loan_records.height > ctx.loans.height:
        left_out = ctx.loan_records.filter(~pl.col("_row").is_in(ctx.loans.get_column("_row").implode()))
        frames.append(
            ctx.loan_records.lazy()
            .select("loan_id", "_row", *BORROWER)
            .filter(pl.col("loan_id").is_in(left_out.get_column("loan_id").implode()))
            .group_by("loan_id", maintain_order=True)
            .agg(pl.col("_row"), pl.col(BORROWER).first())
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
    frames.append(
        ctx.loans.lazy()
        .select("loan_id", *BORROWER, "amount", "disbursement_date")
        .filter(pl.all_horizontal(pl.col(c).is_not_null() for c in group))
        .filter(pl.len().over(group) > 1)
        .sort("loan_id")
        .group_by(group, maintain_order=True)
        .agg(pl.col("loan_id").alias("loan_ids"), pl.all().exclude("loan_id", *group).first())
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
    return as_cases(pl.concat(frames, how="vertical_relaxed"), ID)
