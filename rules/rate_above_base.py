"""利率高于基准: a loan priced above the benchmark rate.

## What it flags
Every loan whose annual rate (年利率, percent per year) is above the policy's base rate
in force on its disbursement date (`base_rates`: the last entry starting on or before
that date; 4.75% from 2015-10-24 by default). A rate equal to the base rate is fine.
A rate or a disbursement date that cannot be read is not judged here (it is a data
finding of its own). One case per loan.

## Why it matters
扶贫小额信贷 is lent at the benchmark rate (基准利率放贷; 银监发〔2017〕42号, 银保监发〔2019〕24号)
and its interest is subsidised by the county budget (财政贴息). A higher rate charges the
household more than the policy allows and inflates the subsidy claimed: the subsidy is
computed at the benchmark rate, and the difference falls on the household.

## How to fix
Check the loan contract's rate with the lending bank. A rate keyed wrongly: have the
bank correct 年利率 in its system. A loan really priced above the benchmark: the bank
re-prices it and refunds the excess interest to the household; the township reports
the case to the county office.
"""

import polars as pl

from rules._common import evidence, example, loan_cases
from rules._keywords import day

ID = "rate_above_base"
TITLE = "利率高于基准"
SEVERITY = "error"
PARAMS = ("base_rates",)
COLUMNS = {"loans": ("annual_rate",)}
EXAMPLES = {
    "bad": example(loans=[{"annual_rate": "4.9"}]),
    "good": example(loans=[{"annual_rate": "4.75%"}]),
}


def detect(ctx) -> pl.DataFrame:
    found = ctx.loans.filter((pl.col("annual_rate") > pl.col("base_rate")).fill_null(False))
    message = pl.format(
        "执行年利率{}%高于放款日{}适用的基准利率{}%，请与承贷银行核对借款合同，多收利息应退还农户",
        "annual_rate", day("disbursement_date"), "base_rate",
    )
    return loan_cases(
        found, ID, SEVERITY, message,
        evidence(annual_rate=pl.col("annual_rate"), base_rate=pl.col("base_rate"),
                 disbursement_date=pl.col("disbursement_date")),
    )
