"""利率高于基准：贷款年利率高于基准利率。

## What it flags
年利率（年百分比）高于放款日适用的政策基准利率的每笔贷款（`base_rates`：
取开始日期在放款日期当天或之前的最后一条；默认自 2015-10-24 起为 4.75%）。
利率等于基准利率的不算问题。无法识别的利率或放款日期不在此判断（另作为数据问题报告）。
每笔贷款一条问题。

## Why it matters
扶贫小额信贷按基准利率放贷（银监发〔2017〕42号、银保监发〔2019〕24号），
利息由县财政贴息。利率偏高，使农户负担超出政策允许的利息，并虚增申请的贴息：
贴息按基准利率计算，高出部分落在农户身上。

## How to fix
与承贷银行核对合同利率：录错的由银行更正年利率；
确高于基准利率的由银行重新定价并退还多收利息，乡镇报县扶贫办。
"""

import polars as pl

from loan_audit.rules._common import evidence, example, loan_cases
from loan_audit.rules._keywords import day

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
