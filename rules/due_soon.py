"""即将到期预警：仍有余额、将在预警期内到期的贷款。

## What it flags
仍有余额（贷款余额 > 0），且有效到期日（有展期的取展期到期日，否则取到期日期）
在数据日期至数据日期加 `due_soon_days`（90 天）之间的每笔贷款，首尾两天都包括在内。
到期日正好是数据日期的贷款列在这里，不算逾期：到期次日才算逾期。每笔贷款一条问题，
合起来就是到期台账。

## Why it matters
县实施方案（陇川县2020年扶贫小额信贷实施方案 §八）
要求乡镇和银行“对今后一段时期即将到期的贷款，进行全面摸底，建立台账”，
掌握本地的还款时段，在贷款逾期前采取措施（到期督查、提前预警）。
银保监发〔2019〕24号允许暂时困难的农户办理展期或续贷，但须在到期前办理；贷款一旦逾期，
就不再享受财政贴息，并影响农户信用记录。

## How to fix
提示性问题：告知农户到期日，与承贷银行确认还款安排；
确有困难的在到期前协助申请展期或续贷，并记录采取的措施。

目前尚无违规。贷款还清，或到期日移出预警期后，该问题自动消失。
"""

import datetime as dt

import polars as pl

from loan_audit.rules._common import evidence, example, loan_cases
from loan_audit.rules.overdue import maturity_text, yuan

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
        ctx.loans.lazy().filter(is_due_soon(ctx.as_of, ctx.policy.due_soon_days)),  # lazy: only the columns read
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
