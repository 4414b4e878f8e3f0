"""期限超3年：贷款期限或展期期限超过政策规定。

## What it flags
到期日期晚于放款日期加 `max_term_months`（36）个日历月的每笔贷款，
以及展期到期日晚于到期日期加《贷款通则》第十二条展期限额的每笔贷款。展期限额：
原期限 T 不超过 `extension_full_term_up_to_months`（12）个月的，为 T；
否则为 T // 2 个月（24 个月的贷款为 12 个月，36 个月的贷款为 18 个月）。
月份按日历月计算，超出月末的取月末（1月31日加 1 个月为 2月28/29日）；T 为放款日期到到期
日期之间最大的整月数。每笔贷款一条问题，注明期限、限额和所比较的日期。

疫情延期不算超限展期：原到期日期在 `covid_deferral_due_from`（2020-01-01）当天或之后、
展期到期日不晚于 `covid_deferral_until`（2021-03-31）的展期，按疫情期间的延期政策处理；
展期晚于该日期的仍按上述限额判断。贷款因期限超限另有问题时，证据中注明是否属疫情延期。

## Why it matters
扶贫小额信贷期限在3年以内（3年期以内；银监发〔2017〕42号、银保监发〔2019〕24号）；
期限更长的贷款不符合政策，超出部分不应贴息。《贷款通则》第十二条限制展期：
短期贷款展期累计不得超过原贷款期限，中期贷款展期累计不得超过原贷款期限的一半；
超出限额的展期会把逾期贷款隐藏起来，逃避县里的监测。疫情期间，2020年1月1日起到期、
借款人受疫情影响还款困难的扶贫小额信贷，可按原合同条件延期（2020年2月先延期6个月，
2020年7月起延至2021年3月31日），不作逾期记录。

## How to fix
与承贷银行核对借款合同和展期协议：日期录错的由银行更正到期日期或展期到期日；
期限或展期确超规定的报县扶贫办决定贴息处理，超出部分按逾期处理。
"""

import polars as pl

from loan_audit.pipeline.vocab.dates import add_months
from loan_audit.rules._common import evidence, example, loan_cases
from loan_audit.rules._keywords import day

ID = "term_over_limit"
TITLE = "期限超3年"
SEVERITY = "error"
PARAMS = ("max_term_months", "extension_full_term_up_to_months", "covid_deferral_due_from", "covid_deferral_until")
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[{"disbursement_date": "2019-03-05", "maturity_date": "2022-03-06"}]),
    "good": example(loans=[{"disbursement_date": "2019-03-05", "maturity_date": "2022-03-05",
                            "extended_maturity_date": "2023-09-05"}]),
}


def detect(ctx) -> pl.DataFrame:
    policy = ctx.policy
    term = pl.col("term_months")
    max_term = policy.by_period("max_term_months")
    latest_maturity = add_months(pl.col("disbursement_date"), max_term)
    extension_months = (
        pl.when(term <= policy.extension_full_term_up_to_months).then(term).otherwise(term // 2)
    )
    latest_extension = add_months(pl.col("maturity_date"), extension_months)
    # 疫情延期: originally due from covid_deferral_due_from, extended to no later than covid_deferral_until
    deferral = (
        (pl.col("maturity_date") >= pl.lit(policy.covid_deferral_due_from))
        & (pl.col("extended_maturity_date") <= pl.lit(policy.covid_deferral_until))
    ).fill_null(False)
    # The extension limit (months as text per row for offset_by) only for extended loans.
    candidates = ctx.loans.lazy().filter(
        (pl.col("maturity_date") > latest_maturity).fill_null(False) | pl.col("extended_maturity_date").is_not_null()
    )
    found = candidates.with_columns(
        latest_maturity.alias("latest_maturity"),
        extension_months.alias("extension_limit_months"),
        latest_extension.alias("latest_extension"),
    ).with_columns(
        (pl.col("maturity_date") > pl.col("latest_maturity")).fill_null(False).alias("term_over"),
        ((term >= 0) & (pl.col("extended_maturity_date") > pl.col("latest_extension")) & ~deferral).fill_null(
            False).alias("extension_over"),
        deferral.alias("covid_deferral"),
    ).filter(pl.col("term_over") | pl.col("extension_over"))
    reasons = pl.concat_str(
        [
            pl.when(pl.col("term_over")).then(
                pl.format("放款日期{}、到期日期{}，贷款期限超过{}个月（最迟应于{}到期）",
                          day("disbursement_date"), day("maturity_date"), max_term, day("latest_maturity"))
            ),
            pl.when(pl.col("extension_over")).then(
                pl.format("展期到期日{}晚于到期日期{}加展期上限{}个月（原期限{}个月，最迟展期至{}）",
                          day("extended_maturity_date"), day("maturity_date"), pl.col("extension_limit_months"),
                          term, day("latest_extension"))
            ),
            pl.when(pl.col("covid_deferral")).then(
                pl.format("展期至{}属疫情延期（原到期日{}起、展期不晚于{}），不计为展期超限",
                          day("extended_maturity_date"), pl.lit(policy.covid_deferral_due_from.isoformat()),
                          pl.lit(policy.covid_deferral_until.isoformat()))
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
            max_term_months=max_term, latest_maturity=pl.col("latest_maturity"),
            term_over=pl.col("term_over"), extension_limit_months=pl.col("extension_limit_months"),
            latest_extended_maturity=pl.col("latest_extension"), extension_over=pl.col("extension_over"),
            covid_deferral=pl.col("covid_deferral"),
        ),
    )
