"""超额贷款: a loan, or a household's loans at one time, above the limit.

## What it flags
Two forms, both errors:

- a loan whose amount (贷款金额) is above the policy's `max_amount` (50,000 yuan); one
  case per loan;
- a household whose loans active at one instant add up to more than `max_amount`. The
  sum is taken on the day each loan starts, over the loans' active periods
  `[disbursement_date, end)` (end: the settlement date, else for a loan with a balance
  the later of its due date and the data date, else its due date), so a loan repaid on
  the day the next one starts does not count twice. One case per household, listing
  every loan active at an instant the sum is over the limit, with the peak sum, its
  date and the loans behind it.

A household whose only loan above the limit is that one loan alone gets just the
per-loan case, not a second household case. The household is the roster's household of
the borrower; a borrower not in the roster is a household of its own.

## Why it matters
The limit is per household: 5万元以下 (国开办发〔2014〕78号, 银监发〔2017〕42号, restated in
银保监发〔2019〕24号). A larger loan, or several loans that together pass the limit, is
outside the policy: the excess earns no interest subsidy (财政贴息) and is not covered by
the risk-compensation fund (风险补偿金). The county plan (陇川县2020年扶贫小额信贷实施方案
§八) lists 贫困户超额贷款 among the anomalies to check.

## How to fix
Pull the loan contracts. Where the amount was keyed in wrongly, have the bank correct it.
Where the household really borrowed more than the limit, the bank recovers the excess
or moves it out of the subsidised programme, and the county stops the subsidy on it;
where a second loan was granted before the first was repaid, see also 一户多贷.
"""

import polars as pl

from pipeline.context import is_active_on
from rules._common import as_cases, evidence, example, loan_cases
from rules._households import active_sums, fen, household_columns, household_key, loan_details, spans
from rules.overdue import yuan

ID = "over_limit"
TITLE = "超额贷款"
SEVERITY = "error"
PARAMS = ("max_amount",)
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[
        {"loan_id": "L0001", "amount": "30000", "balance": "30000"},
        {"loan_id": "L0002", "amount": "30000", "balance": "30000", "disbursement_date": "2020-03-05"},
    ]),
    "good": example(),
}


def detect(ctx) -> pl.DataFrame:
    limit = ctx.policy.max_amount
    amount = pl.col("amount")
    per_loan = loan_cases(
        ctx.loans.filter(amount > limit),
        ID,
        SEVERITY,
        pl.format(
            "单笔贷款金额{}元，超过{}元上限（超出{}元），请核实借款合同金额，确属超额发放的由承贷银行收回超出部分",
            yuan(amount), yuan(pl.lit(limit)), yuan(amount - limit),
        ),
        evidence(amount=amount, max_amount=pl.lit(limit), excess=(amount - limit).round(2)),
    )
    return pl.concat([per_loan, _household_cases(ctx, limit)], how="vertical_relaxed")


def _household_cases(ctx, limit: float) -> pl.DataFrame:
    loans = spans(ctx).filter(pl.col("fen").is_not_null())
    over = active_sums(loans).filter(pl.col("active_fen") > fen(pl.lit(limit)))
    # A loan is involved when an over-limit instant falls in its interval: the first one
    # on or after its start comes before its end.
    involved = (
        loans.sort("disbursement_date")
        .join_asof(
            over.select("household", pl.col("day").alias("over_day")).sort("over_day"),
            left_on="disbursement_date", right_on="over_day", by="household", strategy="forward",
            check_sortedness=False,  # both sorted just above
        )
        .filter(pl.col("over_day") < pl.col("interval_end"))
        .sort("household", "disbursement_date", "loan_id")
    )
    peak = over.sort("active_fen", "day", descending=[True, False]).unique("household", keep="first")
    behind = (
        loans.join(peak, on="household")
        .filter(is_active_on(pl.col("day")))
        .group_by("household")
        .agg(
            pl.col("day").first().alias("peak_date"),
            (pl.col("active_fen").first() / 100).alias("peak_sum"),
            pl.col("loan_id").sort().alias("peak_loan_ids"),
        )
    )
    found = (
        involved.group_by("household")
        .agg(*household_columns(), loan_details().alias("loans"))
        .filter(pl.col("loan_ids").list.len() >= 2)
        .join(behind, on="household")
    )
    message = pl.format(
        "同户贷款同时存续合计超过{}元上限：{}同时存续{}笔（{}），金额合计{}元，超出{}元；涉及贷款共{}笔（{}）。"
        "请核实是否一户多贷、超额发放，督促收回超出部分",
        yuan(pl.lit(limit)), pl.col("peak_date").dt.to_string("%Y-%m-%d"), pl.col("peak_loan_ids").list.len(),
        pl.col("peak_loan_ids").list.join("、"), yuan(pl.col("peak_sum")), yuan(pl.col("peak_sum") - limit),
        pl.col("loan_ids").list.len(), pl.col("loan_ids").list.join("、"),
    )
    return as_cases(
        found.with_columns(
            message.alias("message"),
            evidence(
                max_amount=pl.lit(limit),
                peak_sum=pl.col("peak_sum"),
                peak_date=pl.col("peak_date"),
                peak_loan_ids=pl.col("peak_loan_ids"),
                loans=pl.col("loans"),
            ).alias("evidence"),
            household_key(),
        ),
        ID,
        SEVERITY,
    )
