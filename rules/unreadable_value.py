"""无法识别的数据: a value that cannot be read (a date, an amount or a rate).

## What it flags
A row whose date, amount or rate cell holds text that is none of the accepted forms
(`2019-03-05`, `2019/3/5`, `2019.3.5`, `2019年3月5日`, `20190305`, Excel serial
numbers; `50,000.00`, `50000元`, `5万`): `2019-02-30`, `五万`, `待定`. The value is kept
raw and never guessed; the row is still checked by every rule that does not need it,
and the rules that do need it stay silent on that row (SPEC §2.3).

## Why it matters
A loan without a readable maturity date cannot be checked for 逾期 or 期限; an amount
that cannot be read cannot be checked against the 5万元 limit. The plan (§八) asks the
townships and banks to make the data exact (做到数据真实) before anything else.

## How to fix
Correct the cell in the source system (the bank's loan system or the poverty
information system) and export again; do not retype it in the spreadsheet only.
"""

import polars as pl

from pipeline.columns import TABLES
from pipeline.normalise import unreadable
from rules._common import as_cases, evidence, example

ID = "unreadable_value"
TITLE = "无法识别的数据"
SEVERITY = "error"
PARAMS = ()
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[{"maturity_date": "2022-02-30"}]),
    "good": example(),
}

_WHO = {
    "loans": dict(
        township="borrower_township", village="borrower_village", household_id="member_household_id",
        id_number="borrower_id_number", name="borrower_name",
    ),
    "roster": dict(township="township", village="village", household_id="household_id",
                   id_number="id_number", name="name"),
}


def _bad_cells(frame: pl.DataFrame, table: str) -> pl.DataFrame:
    labels = {c.name: c.label for c in TABLES[table]}
    items = [
        pl.when(mask).then(pl.format("{}「{}」", pl.lit(labels[col]), pl.col(col + "_raw")))
        for col, mask in unreadable(frame, table)
    ]
    key = (
        pl.concat_str(pl.lit("loans:"), "loan_id")
        if table == "loans"
        else pl.concat_str(pl.lit("roster:"), "household_id", pl.lit(":"), pl.col("id_number_raw").fill_null(""))
    )
    # Only rows with a parsed value missing beside its raw text can hold an unreadable
    # cell: a cheap filter first, so that the masks' NFKC runs on those rows alone.
    parsed = [c.name for c in TABLES[table] if c.kind in {"date", "money", "rate"} and c.name in frame.columns]
    maybe = pl.any_horizontal(pl.col(c).is_null() & pl.col(c + "_raw").is_not_null() for c in parsed)
    return (
        frame.filter(maybe)
        .with_columns(pl.concat_list(items).list.drop_nulls().alias("cells"))
        .filter(pl.col("cells").list.len() > 0)
        .select(
            *[pl.col(src).alias(dst) for dst, src in _WHO[table].items()],
            (pl.concat_list("loan_id") if table == "loans" else pl.lit(None, dtype=pl.List(pl.Utf8))).alias("loan_ids"),
            pl.concat_str(pl.col("cells").list.join("，"), pl.lit(" 无法识别")).alias("message"),
            evidence(table=pl.lit(table), row=pl.col("_row"), cells=pl.col("cells")).alias("evidence"),
            key.alias("key"),
        )
        .unique("key", keep="first", maintain_order=True)
    )


def detect(ctx) -> pl.DataFrame:
    found = pl.concat([_bad_cells(ctx.loans, "loans"), _bad_cells(ctx.roster, "roster")], how="vertical_relaxed")
    return as_cases(found, ID, SEVERITY)
