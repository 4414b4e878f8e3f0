"""已故人员贷款：借款人在花名册中记录为已死亡的贷款。

## What it flags
借款人本人在花名册中的人员状态为“死亡”的贷款，每笔贷款一条问题：
- 错误：死亡日期（人员变动日期）在放款日期当天或之前，即以已故人员名义放款；
- 警告：死亡日期严格晚于放款日期、且早于贷款存续期结束（结清日期；
  无结清日期而仍有余额的，取到期日期与数据日期中较晚者，否则取到期日期）：
  借款人在贷款期间死亡，需由家庭处理还款；
- 警告（死亡日期不详）：人员状态为“死亡”但人员变动日期为空，无法判断死亡是否在放款之前。

贷款结束后才死亡的不算问题。无法识别的日期不作判断（另作为数据问题报告）。
人员状态在 NFKC 规范化并去除空白后比较。
本规则需要花名册的“人员状态”和“人员变动日期”两列。

## Why it matters
只有在世的在册家庭成员、且处于劳动年龄的，才能借款和签字（银保监发〔2019〕24号）；
以已故人员名义放款，是冒名贷款或伪造合同套取财政贴息最明显的迹象。借款人在贷款期间死亡，
留下的债务需由家庭、承贷银行和县风险补偿金处理，通常通过保险理赔或核销解决。

## How to fix
会同村委会和派出所核实死亡记录：录错的在扶贫信息系统更正；
死亡后放款的查清谁借款签字并报县扶贫办；贷款期间死亡的商定还款或启动风险补偿。

核实依据为死亡证明、户籍注销记录。死亡后放款的，查清实际借款人和签字人，报县扶贫办。
贷款期间死亡的，由承贷银行、乡镇与家庭商定还款方式（继承人偿还、保险理赔），
或启动风险补偿程序。死亡日期不详的，补填人员变动日期后重新运行检查。
"""

import polars as pl

from loan_audit.pipeline.vocab.values import text
from loan_audit.rules._common import evidence, example, loan_cases
from loan_audit.rules._keywords import day

ID = "deceased_borrower"
TITLE = "已故人员贷款"
SEVERITY = "error"
PARAMS = ()
COLUMNS = {"roster": ("member_status", "status_change_date")}
EXAMPLES = {
    "bad": example(roster=[{"member_status": "死亡", "status_change_date": "2018-11-02"}]),
    "good": example(roster=[{"member_status": "死亡", "status_change_date": "2023-11-02"}]),
}

DECEASED = "死亡"


def detect(ctx) -> pl.DataFrame:
    died = pl.col("member_status_change_date")
    disbursed = pl.col("disbursement_date")
    kind = (
        pl.when(died.is_null() & text(pl.col("member_status_change_date_raw")).is_null()).then(pl.lit("date_unknown"))
        .when(died <= disbursed).then(pl.lit("before_disbursement"))
        .when((disbursed < died) & (died < pl.col("interval_end"))).then(pl.lit("during_loan"))
    )
    found = (
        ctx.loans.filter(pl.col("member_status") == DECEASED)
        .with_columns(kind.alias("kind"))
        .filter(pl.col("kind").is_not_null())
    )
    message = (
        pl.when(pl.col("kind") == "before_disbursement")
        .then(pl.format("借款人已于{}死亡，不晚于放款日期{}，疑似冒名贷款，请核实借款人身份和借款合同签字",
                        day(died), day(disbursed)))
        .when(pl.col("kind") == "during_loan")
        .then(pl.format("借款人于{}死亡（放款日期{}，死亡时贷款尚未结清），请与承贷银行和家属商定还款或启动风险补偿",
                        day(died), day(disbursed)))
        .otherwise(pl.format("花名册记载借款人已死亡但死亡日期不详（放款日期{}），请补录人员变动日期并核实贷款", day(disbursed).fill_null("不详")))
    )
    severity = pl.when(pl.col("kind") == "before_disbursement").then(pl.lit("error")).otherwise(pl.lit("warning"))
    return loan_cases(
        found, ID, severity, message,
        evidence(kind=pl.col("kind"), member_status=pl.col("member_status"), death_date=died,
                 disbursement_date=disbursed, interval_end=pl.col("interval_end")),
    )
