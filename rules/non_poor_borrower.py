"""非建档立卡户获贷: a loan to a person who was not an eligible registered household's.

## What it flags
Every loan, one case each, for any of these reasons (statuses and dates are those of
the borrower's own row in the household roster, 建档立卡户人员花名册):
- the borrower's ID number is valid but not in the roster (不在花名册); an invalid ID
  is a 身份证号码错误 case instead;
- the household is 已剔除 (removed from the register) and its 剔除日期 is empty, or on
  or before the disbursement date (removed the day after the loan: eligible);
- the household's 纳入日期 (registered_date) is after the disbursement date;
- the household is 边缘户 or 监测户 and the loan was disbursed before
  `monitored_eligible_from` (2020-07-01).
已脱贫 households stay eligible (脱贫不脱政策). Statuses are compared after NFKC and
white-space removal. A date that cannot be read is never judged. The 剔除日期 and
纳入日期 checks need those roster columns and are left out when the roster lacks them.

## Why it matters
扶贫小额信贷 is for registered poor households (建档立卡贫困户; 国开办发〔2014〕78号,
银保监发〔2019〕24号), including those that exited (已脱贫) and, from July 2020
(银保监发〔2020〕28号), near-poor households under 返贫 monitoring (边缘户/监测户). A loan to
anyone else takes subsidy (财政贴息) and the county's risk fund from those it is for; the
county plan (陇川县2020年扶贫小额信贷实施方案 §八) names 非贫困户获贷 among the anomalies.

## How to fix
Check the borrower's status and dates in the poverty information system
(全国扶贫开发信息系统) with the village. A record keyed wrongly (ID number, dates, status):
correct it in the bank's system or the roster. A borrower really not eligible on the
disbursement date: the township reports it to the county office; the subsidy stops and
the loan is converted to an ordinary loan or recovered as the county decides.
"""

import polars as pl

from pipeline.normalise import text
from rules._common import evidence, example, loan_cases
from rules._keywords import day

ID = "non_poor_borrower"
TITLE = "非建档立卡户获贷"
SEVERITY = "error"
PARAMS = ("monitored_eligible_from",)
COLUMNS = {}  # 剔除日期 and 纳入日期 are optional: their checks run when present (see detect)
EXAMPLES = {
    "bad": example(roster=[{"household_status": "已剔除", "removed_date": "2018-12-31"}]),
    "good": example(roster=[{"household_status": "已剔除", "removed_date": "2020-12-31"}]),
}

REMOVED = "已剔除"
MONITORED = ("边缘户", "监测户")


def _removed_date_missing() -> pl.Expr:
    """The member's 剔除日期 is empty (not merely unreadable: that is never judged)."""
    return pl.col("member_removed_date").is_null() & text(pl.col("member_removed_date_raw")).is_null()


def detect(ctx) -> pl.DataFrame:
    present = ctx.present.get("roster", set())
    loans = ctx.loans
    disbursed = pl.col("disbursement_date")
    status = pl.col("member_household_status")
    eligible_from = ctx.policy.monitored_eligible_from
    checks = {
        "not_in_roster": pl.col("borrower_id_valid") & ~pl.col("in_roster"),
        "removed": (status == REMOVED) & (_removed_date_missing() | (pl.col("member_removed_date") <= disbursed))
        if "removed_date" in present else pl.lit(False),
        "registered_after_disbursement": pl.col("member_registered_date") > disbursed
        if "registered_date" in present else pl.lit(False),
        "monitored_before_eligible": status.is_in(MONITORED) & (disbursed < pl.lit(eligible_from)),
    }
    texts = {
        "not_in_roster": pl.format("借款人身份证号{}不在建档立卡户花名册中", "borrower_id_number"),
        "removed": pl.when(pl.col("member_removed_date").is_null())
        .then(pl.lit("所在户已剔除且未登记剔除日期"))
        .otherwise(pl.format("所在户于{}剔除，放款日期{}不早于剔除日期", day("member_removed_date"), day(disbursed))),
        "registered_after_disbursement": pl.format(
            "纳入日期{}晚于放款日期{}", day("member_registered_date"), day(disbursed)
        ),
        "monitored_before_eligible": pl.format(
            "{}于{}放款，早于边缘户/监测户可贷日期{}", status, day(disbursed), pl.lit(eligible_from.isoformat())
        ),
    }
    flagged = loans.with_columns(
        pl.concat_list([pl.when(check.fill_null(False)).then(pl.lit(name)) for name, check in checks.items()])
        .list.drop_nulls()
        .alias("reasons"),
        pl.concat_str(
            [pl.when(checks[name].fill_null(False)).then(t) for name, t in texts.items()], separator="；", ignore_nulls=True
        ).alias("reason_text"),
    ).filter(pl.col("reasons").list.len() > 0)
    message = pl.format("{}，不符合扶贫小额信贷对象条件，请核实借款人建档立卡身份和相关日期", "reason_text")
    return loan_cases(
        flagged, ID, SEVERITY, message,
        evidence(
            reasons=pl.col("reasons"), household_status=status, disbursement_date=disbursed,
            removed_date=pl.col("member_removed_date"), registered_date=pl.col("member_registered_date"),
            monitored_eligible_from=pl.lit(eligible_from),
        ),
    )
