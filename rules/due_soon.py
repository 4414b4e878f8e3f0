"""即将到期预警: a loan with a balance falling due within the warning window.

## What it flags
Every loan that still has a balance (贷款余额 > 0) and whose effective due date (the
extended due date 展期到期日 when there is one, else 到期日期) falls between the data date
(数据日期) and the data date plus the policy's `due_soon_days` (90 days), both days
included. A loan due on the data date is here, not among the overdue loans: it becomes
overdue the day after. One case per loan; together they are the 到期台账, the register
of loans coming due.

## Why it matters
The county plan (陇川县2020年扶贫小额信贷实施方案 §八) asks townships and banks to survey
the loans coming due (对今后一段时期即将到期的贷款，进行全面摸底，建立台账), to know the
local repayment season and to act before loans fall overdue (到期督查, 提前预警).
银保监发〔2019〕24号 lets a household in temporary difficulty extend (展期) or renew (续贷)
a loan, but only when it is arranged before the due date; an overdue loan loses its
interest subsidy (财政贴息) and marks the household's credit record.

## How to fix
Nothing is wrong yet: this is a reminder. Tell the household its due date, check with the
bank (承贷银行) that the repayment is on its way, and for a household in difficulty help it
apply for an extension or a renewal before the date. Record the step taken; the case
disappears once the loan is repaid or its due date moves out of the window.
"""

import datetime as dt

import polars as pl

from rules._common import evidence, example, loan_cases
from rules.overdue import maturity_text, yuan

ID = "due_soon"
TITLE = "即将到期预警"
SEVERITY = "info"
PARAMS = ("due_soon_days",)
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[{"maturity_date": "2021-07-15"}]),
    "good": example(),
}


def is_due_soon(as_of: dt.date, days: int) -> pl.Expr:
    """SPEC §4: a balance, and as_of <= effective maturity <= as_of + days."""
    last = as_of + dt.timedelta(days=days)
    return (pl.col("balance") > 0) & pl.col("effective_maturity").is_between(pl.lit(as_of), pl.lit(last))


def detect(ctx) -> pl.DataFrame:
    days_left = (pl.col("effective_maturity") - pl.lit(ctx.as_of)).dt.total_days()
    when = pl.when(days_left == 0).then(pl.lit("今日")).otherwise(pl.format("将于{}天后", days_left))
    message = pl.format(
        "贷款{}到期（{}），余额{}元，请提前督促按期还款，确有困难的在到期前按规定申请展期或续贷",
        when, maturity_text(), yuan(pl.col("balance")),
    )
    return loan_cases(
        ctx.loans.filter(is_due_soon(ctx.as_of, ctx.policy.due_soon_days)),
        ID,
        SEVERITY,
        message,
        evidence(
            days_to_maturity=days_left,
            effective_maturity=pl.col("effective_maturity"),
            maturity_date=pl.col("maturity_date"),
            extended_maturity_date=pl.col("extended_maturity_date"),
            balance=pl.col("balance"),
            window_days=pl.lit(ctx.policy.due_soon_days),
        ),
    )
