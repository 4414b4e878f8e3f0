"""逾期贷款: a loan with a balance after its (extended) due date.

## What it flags
Every loan that still has a balance (贷款余额 > 0) on the data date (数据日期) when the
data date is later than its effective due date: the extended due date (展期到期日) when
the loan was extended, else its due date (到期日期). A loan is overdue from the day after
it falls due; one due on the data date itself is due, not overdue (see 即将到期预警).
One case per loan, with the days overdue and the bucket: 1–30, 31–90, 91–180 or more
than 180 days. The balance decides: a loan with a settlement date (结清日期) that still
shows a balance is overdue as well, and the case says the two fields disagree.

## Why it matters
《贷款通则》第十二条: a loan not repaid when due and without an approved extension is
overdue from the next day. An overdue poverty loan loses its interest subsidy (财政贴息),
draws on the county's risk-compensation fund (风险补偿金) and marks the household's
credit record; 银保监发〔2019〕24号 asks counties to keep overdue risk under control, and in
2018 the national poverty office called in the provinces whose counties had overdue rates
above 3%. The county plan (陇川县2020年扶贫小额信贷实施方案 §八) names 信贷逾期 among the
anomalies to clear; the county report raises an alert for every township whose overdue
rate by balance is above the policy's warning line.

## How to fix
Visit the household with the lending bank (承贷银行): find out why it has not repaid
(a failed project, illness, migrant work), agree a repayment plan, or, where the policy
allows, an extension (展期) or a renewed loan (续贷); for a household that cannot repay,
start the risk-compensation procedure. Where the loan was in fact repaid or extended,
have the bank correct the balance, settlement date or extended due date in its system.
"""

import datetime as dt

import polars as pl

from rules._common import evidence, example, loan_cases

ID = "overdue"
TITLE = "逾期贷款"
SEVERITY = "error"
PARAMS = ("overdue_rate_alert",)  # the alert line, read by pipeline.monitoring
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[{"maturity_date": "2021-05-16", "balance": "30000"}]),
    "good": example(loans=[{"maturity_date": "2021-05-16", "balance": "0", "settled_date": "2021-05-16"}]),
}

# SPEC §4's buckets of days overdue: (last day of the bucket, label); beyond the last, OVER.
BUCKETS = ((30, "1–30天"), (90, "31–90天"), (180, "91–180天"))
OVER = "180天以上"
BUCKET_LABELS = (*(label for _, label in BUCKETS), OVER)


def is_overdue(as_of: dt.date) -> pl.Expr:
    """SPEC §4: a balance, and `as_of` after the effective maturity (null when unreadable)."""
    return (pl.col("balance") > 0) & (pl.col("effective_maturity") < pl.lit(as_of))


def days_overdue(as_of: dt.date) -> pl.Expr:
    """Days since the effective maturity: 1 on the day after it."""
    return (pl.lit(as_of) - pl.col("effective_maturity")).dt.total_days()


def bucket(days: pl.Expr) -> pl.Expr:
    """The label of BUCKETS a number of days overdue falls in."""
    out = pl.lit(OVER)
    for last, label in reversed(BUCKETS):
        out = pl.when(days <= last).then(pl.lit(label)).otherwise(out)
    return out


def yuan(expr: pl.Expr) -> pl.Expr:
    """Money as message text with two decimals: 30000.00."""
    return expr.round(2).cast(pl.Decimal(18, 2)).cast(pl.Utf8)


def maturity_text() -> pl.Expr:
    """`展期到期日2021-05-16` for an extended loan, else `到期日2021-05-16`."""
    label = pl.when(pl.col("extended_maturity_date").is_not_null()).then(pl.lit("展期到期日")).otherwise(pl.lit("到期日"))
    return pl.concat_str(label, pl.col("effective_maturity").dt.to_string("%Y-%m-%d"))


def detect(ctx) -> pl.DataFrame:
    days = days_overdue(ctx.as_of)
    settled_note = pl.when(pl.col("settled_date").is_not_null()).then(
        pl.format("；台账记有结清日期{}但余额未清零，请核实", pl.col("settled_date").dt.to_string("%Y-%m-%d"))
    ).otherwise(pl.lit(""))
    message = pl.format(
        "贷款已逾期{}天（{}），{}，余额{}元，请会同承贷银行催收或核实还款、展期情况{}",
        days, bucket(days), maturity_text(), yuan(pl.col("balance")), settled_note,
    )
    return loan_cases(
        ctx.loans.filter(is_overdue(ctx.as_of)),
        ID,
        SEVERITY,
        message,
        evidence(
            days_overdue=days,
            bucket=bucket(days),
            effective_maturity=pl.col("effective_maturity"),
            maturity_date=pl.col("maturity_date"),
            extended_maturity_date=pl.col("extended_maturity_date"),
            settled_date=pl.col("settled_date"),
            balance=pl.col("balance"),
        ),
    )
