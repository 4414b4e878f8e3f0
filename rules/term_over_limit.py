"""期限超3年: a loan term, or its extension, longer than the policy allows.

## What it flags
Every loan whose due date (到期日期) is later than the disbursement date plus
`max_term_months` (36) calendar months, and every loan whose extended due date
(展期到期日) is later than its due date plus the extension limit of 《贷款通则》第十二条:
the original term T when T is at most `extension_full_term_up_to_months` (12) months,
else T // 2 months (so 12 months for a 24-month loan, 18 for a 36-month loan). Months
are calendar months clipped to the month's end (31 Jan + 1 month = 28/29 Feb); T is
the largest number of whole months from disbursement to the due date. One case per
loan, naming the term, the limit and the dates compared.

## Why it matters
扶贫小额信贷 is lent for up to 3 years (3年期以内; 银监发〔2017〕42号, 银保监发〔2019〕24号);
a longer loan is outside the policy and its interest is not to be subsidised for the
excess. 《贷款通则》第十二条 caps extensions (展期): in total no more than the original term
for short-term loans, no more than half of it for medium-term loans; an extension
beyond that hides an overdue loan (逾期) from the county's monitoring.

## How to fix
Check the loan contract and the extension agreement (展期协议) with the lending bank.
A date keyed wrongly: have the bank correct 到期日期 or 展期到期日 in its system. A term
or extension really beyond the limit: the bank and the township report it to the
county office, which decides on the subsidy; the excess is treated as overdue.
"""

import polars as pl

from pipeline.context import add_months
from rules._common import evidence, example, loan_cases
from rules._keywords import day

ID = "term_over_limit"
TITLE = "期限超3年"
SEVERITY = "error"
PARAMS = ("max_term_months", "extension_full_term_up_to_months")
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[{"disbursement_date": "2019-03-05", "maturity_date": "2022-03-06"}]),
    "good": example(loans=[{"disbursement_date": "2019-03-05", "maturity_date": "2022-03-05",
                            "extended_maturity_date": "2023-09-05"}]),
}


def detect(ctx) -> pl.DataFrame:
    policy = ctx.policy
    term = pl.col("term_months")
    latest_maturity = add_months(pl.col("disbursement_date"), pl.lit(policy.max_term_months))
    extension_months = (
        pl.when(term <= policy.extension_full_term_up_to_months).then(term).otherwise(term // 2)
    )
    latest_extension = add_months(pl.col("maturity_date"), extension_months)
    found = ctx.loans.with_columns(
        latest_maturity.alias("latest_maturity"),
        extension_months.alias("extension_limit_months"),
        latest_extension.alias("latest_extension"),
    ).with_columns(
        (pl.col("maturity_date") > pl.col("latest_maturity")).fill_null(False).alias("term_over"),
        ((term >= 0) & (pl.col("extended_maturity_date") > pl.col("latest_extension"))).fill_null(False).alias(
            "extension_over"
        ),
    ).filter(pl.col("term_over") | pl.col("extension_over"))
    reasons = pl.concat_str(
        [
            pl.when(pl.col("term_over")).then(
                pl.format("放款日期{}、到期日期{}，贷款期限超过{}个月（最迟应于{}到期）",
                          day("disbursement_date"), day("maturity_date"), pl.lit(policy.max_term_months),
                          day("latest_maturity"))
            ),
            pl.when(pl.col("extension_over")).then(
                pl.format("展期到期日{}晚于到期日期{}加展期上限{}个月（原期限{}个月，最迟展期至{}）",
                          day("extended_maturity_date"), day("maturity_date"), pl.col("extension_limit_months"),
                          term, day("latest_extension"))
            ),
        ],
        separator="；",
        ignore_nulls=True,
    )
    message = pl.format("{}，请与承贷银行核对借款合同和展期协议，登记有误的更正日期", reasons)
    return loan_cases(
        found, ID, SEVERITY, message,
        evidence(
            disbursement_date=pl.col("disbursement_date"), maturity_date=pl.col("maturity_date"),
            extended_maturity_date=pl.col("extended_maturity_date"), term_months=term,
            max_term_months=pl.lit(policy.max_term_months), latest_maturity=pl.col("latest_maturity"),
            term_over=pl.col("term_over"), extension_limit_months=pl.col("extension_limit_months"),
            latest_extended_maturity=pl.col("latest_extension"), extension_over=pl.col("extension_over"),
        ),
    )
