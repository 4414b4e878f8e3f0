"""非建档立卡户获贷：借款人不属于符合条件的建档立卡户。

## What it flags
符合下列任一情形的每笔贷款，每笔一条问题（人员状态和日期均取借款人本人在建档立卡户人员花
名册中的记录）：
- 借款人身份证号码有效，但不在花名册中（不在花名册）；
  号码无效的作为“身份证号码错误”报告；
- 该户已剔除，且剔除日期为空，或在放款日期当天或之前（放款次日才剔除的，
  放款时仍符合条件）；
- 该户纳入日期（`registered_date`）晚于放款日期；
- 该户为边缘户、监测户或监测对象（边缘易致贫户、突发严重困难户；脱贫不稳定户属脱贫户，始终符合），且放款日期
  所属政策时期不允许其贷款（`monitored_eligible`：默认 2020-07-01 起允许，银保监发〔2020〕28号）。

已脱贫户仍符合条件（脱贫不脱政策）。人员状态在 NFKC 规范化并去除空白后比较。
无法识别的日期不作判断。剔除日期和纳入日期的检查需要花名册中的相应列，
缺列时不做这两项检查。

## Why it matters
扶贫小额信贷面向建档立卡贫困户（国开办发〔2014〕78号、银保监发〔2019〕24号），
包括已脱贫户；自2020年7月起（银保监发〔2020〕28号）也包括纳入防返贫监测的边缘户、
监测户。向其他人放款，挤占了本应给予这些农户的财政贴息和县风险补偿金；
县实施方案（陇川县2020年扶贫小额信贷实施方案 §八）将“非贫困户获贷”列为需核查的异常。

## How to fix
会同村委会在全国扶贫开发信息系统核实借款人身份、户状态和日期：录入错误的予以更正；
放款时确不符合条件的报县扶贫办，停止贴息，转为普通贷款或收回。

录入错误（身份证号、日期、状态）在银行系统或花名册中更正。放款日确不符合条件的，
由乡镇报县扶贫办，停止贴息，按县里决定转为普通贷款或收回贷款。
"""

import polars as pl

from loan_audit.pipeline.vocab.values import text
from loan_audit.rules._common import evidence, example, loan_cases
from loan_audit.rules._keywords import day

ID = "non_poor_borrower"
TITLE = "非建档立卡户获贷"
SEVERITY = "error"
PARAMS = ("monitored_eligible",)
COLUMNS = {}  # 剔除日期 and 纳入日期 are optional: their checks run when present (see detect)
EXAMPLES = {
    "bad": example(roster=[{"household_status": "已剔除", "removed_date": "2018-12-31"}]),
    "good": example(roster=[{"household_status": "已剔除", "removed_date": "2020-12-31"}]),
}

REMOVED = "已剔除"
# not 脱贫不稳定户: a 脱贫户 under monitoring, a 建档立卡 household (eligible in every period)
MONITORED = ("边缘户", "监测户", "监测对象", "边缘易致贫户", "突发严重困难户")


def _removed_date_missing() -> pl.Expr:
    """The member's 剔除日期 is empty (not merely unreadable: that is never judged)."""
    return pl.col("member_removed_date").is_null() & text(pl.col("member_removed_date_raw")).is_null()


def detect(ctx) -> pl.DataFrame:
    present = ctx.present.get("roster", set())
    loans = ctx.loans
    disbursed = pl.col("disbursement_date")
    status = pl.col("member_household_status")
    policy = ctx.policy
    programme = policy.by_period("label")
    checks = {
        "not_in_roster": pl.col("borrower_id_valid") & ~pl.col("in_roster"),
        "removed": (status == REMOVED) & (_removed_date_missing() | (pl.col("member_removed_date") <= disbursed))
        if "removed_date" in present else pl.lit(False),
        "registered_after_disbursement": pl.col("member_registered_date") > disbursed
        if "registered_date" in present else pl.lit(False),
        "monitored_before_eligible": status.is_in(MONITORED) & ~policy.by_period("monitored_eligible"),
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
            "{}于{}放款，按{}政策，边缘户/监测户不在贷款对象内", status, day(disbursed), programme
        ),
    }
    # The checks' texts and lists only for the few loans any check can flag (a 已剔除
    # household's are all candidates: whether its date is blank needs the NFKC of the raw text).
    candidates = loans.filter(
        pl.any_horizontal(
            checks["not_in_roster"], status == REMOVED, checks["registered_after_disbursement"],
            checks["monitored_before_eligible"],
        ).fill_null(False)
    )
    flagged = candidates.with_columns(
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
            programme=programme, period_from=policy.by_period("start"),
        ),
    )
