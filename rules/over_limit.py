"""超额贷款：单笔贷款或一户同一时间的贷款合计超过限额。

## What it flags
两种情形，均为错误：

- 贷款金额超过政策参数 `max_amount`（50,000 元）的贷款，每笔一条问题；
- 同一时刻存续的贷款合计超过 `max_amount` 的农户。在每笔贷款开始的当天计算合计，
  贷款存续期为 `[disbursement_date, end)`（end 为结清日期；无结清日期的，
  有余额的贷款取到期日期与数据日期中较晚者，否则取到期日期），
  因此在下一笔放款当天还清的贷款不重复计算。每户一条问题，列出合计超限时存续的每笔贷款，
  以及合计的峰值、峰值日期和构成峰值的贷款。

户内超限仅由单独一笔超额贷款造成的，只报单笔问题，不再另报户问题。
户按借款人在花名册中的户确定；不在花名册中的借款人单独成户。

## Why it matters
限额按户计算：5万元以下（国开办发〔2014〕78号、银监发〔2017〕42号，
银保监发〔2019〕24号重申）。单笔超额，或几笔合计超过限额，都不符合政策：
超出部分不享受财政贴息，也不在风险补偿金的保障范围内。
县实施方案（陇川县2020年扶贫小额信贷实施方案 §八）将“贫困户超额贷款”列为需核查的异常。

## How to fix
调取借款合同：金额录错的由银行更正；确属超额的由银行收回超出部分或移出贴息范围，
县里停止对超出部分贴息。

前一笔未还清又发放第二笔的，同时按一户多贷处理。
"""

import polars as pl

from loan_audit.pipeline.vocab.dates import is_active_on
from loan_audit.pipeline.vocab.policy import period_of
from loan_audit.rules._common import as_cases, evidence, example, loan_cases
from loan_audit.rules._households import active_sums, fen, household_columns, household_key, loan_details, spans
from loan_audit.rules.overdue import yuan

ID = "over_limit"
TITLE = "超额贷款"
SEVERITY = "error"
PARAMS = ("max_amount", "household_max_amount")
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[
        {"loan_id": "L0001", "amount": "30000", "balance": "30000"},
        {"loan_id": "L0002", "amount": "30000", "balance": "30000", "disbursement_date": "2020-03-05"},
    ]),
    "good": example(),
}


def detect(ctx) -> pl.DataFrame:
    policy = ctx.policy
    amount = pl.col("amount")
    limit = policy.by_period("max_amount")
    per_loan = loan_cases(
        ctx.loans.filter(amount > limit),
        ID,
        SEVERITY,
        pl.format(
            "单笔贷款金额{}元，超过{}元上限（超出{}元），请核实借款合同金额，确属超额发放的由承贷银行收回超出部分",
            yuan(amount), yuan(limit), yuan(amount - limit),
        ),
        evidence(amount=amount, max_amount=limit, excess=(amount - limit).round(2),
                 programme=policy.by_period("label")),
    )
    return pl.concat([per_loan, _household_cases(ctx)], how="vertical_relaxed")


def _household_cases(ctx) -> pl.DataFrame:
    """Every instant (a loan's start) whose active sum is above the household limit of the
    period in force on that day (追加贷款 settings raise it), and the loans active then."""
    policy = ctx.policy
    loans = spans(ctx).filter(pl.col("fen").is_not_null())
    sums = active_sums(loans).with_columns(
        policy.by_period("household_max_amount", period_of(pl.col("day"), policy)).alias("limit"))
    over = sums.filter(pl.col("active_fen") > fen(pl.col("limit")))
    loans = loans.filter(pl.col("household").is_in(over.get_column("household").implode()))  # the rest: no case
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
            pl.col("limit").first(),
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
        yuan(pl.col("limit")), pl.col("peak_date").dt.to_string("%Y-%m-%d"), pl.col("peak_loan_ids").list.len(),
        pl.col("peak_loan_ids").list.join("、"), yuan(pl.col("peak_sum")), yuan(pl.col("peak_sum") - pl.col("limit")),
        pl.col("loan_ids").list.len(), pl.col("loan_ids").list.join("、"),
    )
    return as_cases(
        found.with_columns(
            message.alias("message"),
            evidence(
                max_amount=pl.col("limit"),
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
