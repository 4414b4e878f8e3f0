"""逾期贷款：过了到期日（有展期的为展期到期日）仍有余额的贷款。

## What it flags
在数据日期仍有余额（贷款余额 > 0），且数据日期晚于有效到期日的每笔贷款：
有展期的以展期到期日为准，否则以到期日期为准。贷款从到期次日起逾期；
到期日正好是数据日期的贷款属于到期而非逾期（见“即将到期预警”）。每笔贷款一条问题，
注明逾期天数和区间：1–30 天、31–90 天、91–180 天或 180 天以上。以余额为准：
有结清日期但仍有余额的贷款同样算逾期，问题中注明这两个字段互相矛盾。

## Why it matters
《贷款通则》第十二条：贷款到期不能偿还、又未获准展期的，从到期次日起为逾期贷款。
扶贫小额信贷逾期后不再享受财政贴息，要动用县风险补偿金，并影响农户信用记录；
银保监发〔2019〕24号要求各县控制逾期风险，2018年国务院扶贫办约谈了所辖县逾期率超过3%的省
份。县实施方案（陇川县2020年扶贫小额信贷实施方案 §八）将“信贷逾期”列为需清理的异常；
县级报告对按余额计算的逾期率超过预警线 `overdue_rate_alert` 的每个乡镇发出预警。

## How to fix
会同承贷银行入户了解未还原因，制定还款计划，符合政策的办理展期或续贷；
确实无力偿还的启动风险补偿程序；已还款或已展期的由银行更正数据。

未还原因如项目失败、生病、外出务工等。贷款实际已还清或已展期的，
由银行在系统中更正贷款余额、结清日期或展期到期日。
"""

import datetime as dt

import polars as pl

from loan_audit.rules._common import evidence, example, loan_cases

ID = "overdue"
TITLE = "逾期贷款"
SEVERITY = "error"
PARAMS = ("overdue_rate_alert",)  # the alert line, read by stages.monitoring
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
