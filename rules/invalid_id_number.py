"""身份证号码错误: an ID number, in either table, that is not a valid resident ID.

## What it flags
Every roster person and every loan whose ID number, after normalisation (NFKC, no
spaces, upper-case X, 15-digit legacy numbers upgraded to 18), is not a valid
GB 11643-1999 number. The case says which part is wrong: length, characters, birth
date (not a real date, before 1900 or after the data date), the ISO 7064 MOD 11-2
check character, or Excel damage (scientific notation such as `5.33124E+17`, or the
last three digits turned to `000`: Excel keeps only 15 significant digits).

## Why it matters
Every check of eligibility (建档立卡身份), household (一户多贷) and identity rests on the
ID; the county's plan (陇川县2020年方案 §八) blames careless data entry in townships and
banks for many of the anomalies. An ID damaged by Excel cannot be repaired from the
file: the lost digits are gone.

## How to fix
Check the ID against the person's resident ID card or household register (户口簿) and
correct it in the bank's system or the poverty information system. For Excel damage,
re-export the column as text from the source system; never guess the lost digits.
"""

import polars as pl

from pipeline.ids import REASONS
from rules._common import as_cases, evidence, example

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
    loans = ctx.loans.filter(~pl.col("borrower_id_valid")).select(
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
        ctx.roster.filter(~pl.col("id_valid"))
        .select(
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
