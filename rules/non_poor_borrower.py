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
  花名册有“监测对象类型”（易返贫致贫户(监测对象)类型）列时，户类型为一般农户而类型为边缘易致贫户、
  突发严重困难户的，也按监测对象判断；
- 户类型为一般农户（一般户、非贫困户），且不是监测对象；
- 监测对象（非脱贫户）的风险识别时间晚于放款日期（放款时尚未纳入监测）；
- 监测对象（非脱贫户）的风险已消除（风险是否消除为“是”），风险消除时间为空或在放款日期当天或之前，
  且该时期不允许风险已消除的户贷款（`risk_eliminated_eligible`：默认不允许，消除风险后不再是监测对象）。

已脱贫户仍符合条件（脱贫不脱政策）。人员状态在 NFKC 规范化并去除空白后比较。
无法识别的日期不作判断。剔除日期、纳入日期、风险识别时间和风险是否消除的检查需要花名册中的相应列，
缺列时不做这些检查。

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
PARAMS = ("monitored_eligible", "risk_eliminated_eligible")
COLUMNS = {}  # 剔除日期, 纳入日期 and the 监测 columns are optional: their checks run when present (see detect)
EXAMPLES = {
    "bad": example(roster=[{"household_status": "已剔除", "removed_date": "2018-12-31"}]),
    "good": example(roster=[{"household_status": "已剔除", "removed_date": "2020-12-31"}]),
}

REMOVED = "已剔除"
# not 脱贫不稳定户: a 脱贫户 under monitoring, a 建档立卡 household (eligible in every period)
MONITORED = ("边缘户", "监测户", "监测对象", "边缘易致贫户", "突发严重困难户")
# 户类型 of a household outside 建档立卡 (the 防返贫监测 system's export lists 监测对象 who were
# never poor as 一般农户, with their category beside it)
NON_POOR = ("一般农户", "一般户", "非贫困户")
# 监测对象类型 values that make a 一般农户 a 监测对象
MONITORED_CATEGORIES = ("边缘易致贫户", "突发严重困难户", "边缘户", "边缘易致贫户(监测对象)")
YES = ("是", "已消除", "风险已消除", "Y", "y", "1")


def _removed_date_missing() -> pl.Expr:
    """The member's 剔除日期 is empty (not merely unreadable: that is never judged)."""
    return pl.col("member_removed_date").is_null() & text(pl.col("member_removed_date_raw")).is_null()


def _kind(status: pl.Expr, category: pl.Expr) -> pl.Expr:
    """How a message names the household: its status, with a 一般农户's category beside it."""
    return pl.when(status.is_in(NON_POOR) & category.is_not_null()).then(pl.format("{}（{}）", status, category)).otherwise(status)


def detect(ctx) -> pl.DataFrame:
    present = ctx.present.get("roster", set())
    loans = ctx.loans
    disbursed = pl.col("disbursement_date")
    status = pl.col("member_household_status")
    policy = ctx.policy
    programme = policy.by_period("label")
    category = pl.col("member_monitoring_category")
    # a 监测对象 that is not a 建档立卡 household: by its status, or a 一般农户 by its category
    monitored = status.is_in(MONITORED) | (status.is_in(NON_POOR) & category.is_in(MONITORED_CATEGORIES))
    identified = pl.col("member_risk_identified_date")
    eliminated = pl.col("member_risk_eliminated_date")
    eliminated_blank = eliminated.is_null() & text(pl.col("member_risk_eliminated_date_raw")).is_null()
    risk_gone = pl.col("member_risk_eliminated").is_in(YES) & (eliminated_blank | (eliminated <= disbursed))
    checks = {
        "not_in_roster": pl.col("borrower_id_valid") & ~pl.col("in_roster"),
        "removed": (status == REMOVED) & (_removed_date_missing() | (pl.col("member_removed_date") <= disbursed))
        if "removed_date" in present else pl.lit(False),
        "registered_after_disbursement": pl.col("member_registered_date") > disbursed
        if "registered_date" in present else pl.lit(False),
        "monitored_before_eligible": monitored & ~policy.by_period("monitored_eligible"),
        "non_poor_household": status.is_in(NON_POOR) & ~category.is_in(MONITORED_CATEGORIES).fill_null(False),
        "monitoring_after_disbursement": monitored & (identified > disbursed)
        if "risk_identified_date" in present else pl.lit(False),
        "risk_eliminated": monitored & policy.by_period("monitored_eligible") & risk_gone
        & ~policy.by_period("risk_eliminated_eligible")
        if "risk_eliminated" in present else pl.lit(False),
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
            "{}于{}放款，按{}政策，边缘户/监测户不在贷款对象内", _kind(status, category), day(disbursed), programme
        ),
        "non_poor_household": pl.format("户类型为{}，不是脱贫户或监测对象", status),
        "monitoring_after_disbursement": pl.format(
            "风险识别时间{}晚于放款日期{}，放款时尚未纳入监测", day(identified), day(disbursed)
        ),
        "risk_eliminated": pl.when(eliminated.is_null())
        .then(pl.format("监测对象风险已消除且未登记风险消除时间，按{}政策不再是贷款对象", programme))
        .otherwise(pl.format(
            "监测对象于{}风险消除，放款日期{}不早于消除时间，按{}政策不再是贷款对象", day(eliminated), day(disbursed), programme
        )),
    }
    # The checks' texts and lists only for the few loans any check can flag (a 已剔除
    # household's are all candidates: whether its date is blank needs the NFKC of the raw text).
    candidates = loans.filter(
        pl.any_horizontal(
            checks["not_in_roster"], status == REMOVED, checks["registered_after_disbursement"],
            checks["monitored_before_eligible"], checks["non_poor_household"],
            checks["monitoring_after_disbursement"], monitored & pl.col("member_risk_eliminated").is_in(YES),
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
            # the 监测 columns where the roster has them (the evidence of other inputs unchanged)
            **{k: v for k, v in (("monitoring_category", category), ("risk_eliminated", pl.col("member_risk_eliminated")),
                                 ("risk_identified_date", identified), ("risk_eliminated_date", eliminated))
               if k in present},
        ),
    )
