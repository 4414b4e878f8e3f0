"""身份证号码错误：花名册或贷款台账中不是有效居民身份证号码的号码。

## What it flags
花名册中的每个人员和每笔贷款，其身份证号码规范化后（NFKC、去除空格、
末位 x 改为大写 X、15 位旧号码升为 18 位）不是符合 GB 11643-1999 的有效号码。
问题中说明错在哪里：位数、字符、出生日期（不是真实日期、
早于 1900 年或晚于数据日期）、ISO 7064 MOD 11-2 校验码，或被 Excel 损坏（科学计数法，
如 `5.33124E+17`；或末三位变成 `000`：Excel 只保留 15 位有效数字）。

## Why it matters
建档立卡身份、一户多贷和身份核对等各项检查都以身份证号码为依据；
县实施方案（陇川县2020年方案 §八）指出，许多异常源于乡镇和银行录入数据不认真。
被 Excel 损坏的号码无法从文件中恢复：丢失的数字已经找不回来。

## How to fix
对照居民身份证或户口簿核对号码，在银行系统或扶贫信息系统中更正；Excel 损坏的号码从源系统
按文本重新导出，不得猜补。
"""

import polars as pl

from loan_audit.pipeline.vocab.ids import REASONS
from loan_audit.rules._common import as_cases, evidence, example

ID = "invalid_id_number"
TITLE = "身份证号码错误"
SEVERITY = "error"
PARAMS = ()
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[{"borrower_id_number": "533124198001010010"}]),
    "good": example(),
}

_REASON_TEXT = pl.col("reason").replace_strict(REASONS, default=pl.col("reason"))


def detect(ctx) -> pl.DataFrame:
    # The filters by polars' default (streaming) engine: a province's roster comes in
    # many chunks, which it filters in parallel where an eager filter does not.
    loans = ctx.loans.lazy().filter(~pl.col("borrower_id_valid")).collect().select(
        pl.col("borrower_county").alias("county"),
        pl.col("borrower_township").alias("township"),
        pl.col("borrower_village").alias("village"),
        pl.col("member_household_id").alias("household_id"),
        pl.col("borrower_id_number").alias("id_number"),
        pl.col("borrower_name").alias("name"),
        pl.concat_list("loan_id").alias("loan_ids"),
        pl.lit("loans").alias("table"),
        pl.col("_row").alias("row"),
        pl.col("borrower_id_number_raw").alias("raw"),
        pl.col("borrower_id_reason").alias("reason"),
        pl.concat_str(pl.lit("loans:"), "loan_id").alias("key"),
        pl.lit("借款人身份证号").alias("field"),
    )
    roster = (
        ctx.roster.lazy()
        .filter(~pl.col("id_valid"))
        .collect()
        .select(
            "county",
            "township",
            "village",
            "household_id",
            "id_number",
            "name",
            pl.lit(None, dtype=pl.List(pl.Utf8)).alias("loan_ids"),
            pl.lit("roster").alias("table"),
            pl.col("_row").alias("row"),
            pl.col("id_number_raw").alias("raw"),
            pl.col("id_reason").alias("reason"),
            pl.concat_str(
                pl.lit("roster:"), "household_id", pl.lit(":"),
                pl.col("id_number_raw").fill_null(""), pl.lit(":"), pl.col("name").fill_null(""),
            ).alias("key"),
            pl.lit("花名册证件号码").alias("field"),
        )
        .unique("key", keep="first", maintain_order=True)
    )
    found = pl.concat([loans, roster], how="vertical_relaxed")
    return as_cases(
        found.with_columns(
            pl.concat_str(
                pl.col("field"), pl.lit("「"), pl.col("raw").fill_null(""), pl.lit("」"), _REASON_TEXT
            ).alias("message"),
            evidence(
                table=pl.col("table"),
                row=pl.col("row"),
                raw=pl.col("raw"),
                normalised=pl.col("id_number"),
                reason=pl.col("reason"),
                reason_text=_REASON_TEXT,
            ).alias("evidence"),
        ),
        ID,
        SEVERITY,
    )
