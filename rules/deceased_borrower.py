"""已故人员贷款: a loan to a person the roster records as deceased.

## What it flags
Loans whose borrower's own roster row has 人员状态 死亡 (deceased), one case per loan:
- an error when the death (人员变动日期) is on or before the disbursement date: a loan
  made in a dead person's name;
- a warning when the death falls strictly after disbursement and before the end of
  the loan's active interval (its settlement date, else its due date or the data date
  while a balance remains): the household must settle the loan of a deceased borrower;
- a warning (死亡日期不详) when the status is 死亡 but the 人员变动日期 is empty, since it
  cannot be told whether the death came before the loan.
A death after the loan ended is not a case. A date that cannot be read is never judged
(it is a data finding of its own). Statuses are compared after NFKC and white-space
removal. The rule needs the roster's 人员状态 and 人员变动日期 columns.

## Why it matters
Only a living registered member of working age can borrow and sign (银保监发〔2019〕24号);
a loan in a dead person's name is the clearest sign of a loan taken by someone else
(冒名贷款) or of a forged contract written to claim subsidy (财政贴息). A borrower who dies
during the loan leaves a debt the household, the bank and the county's
risk-compensation fund (风险补偿金) must settle, often by insurance or write-off.

## How to fix
Check the death record (死亡证明, 户籍注销) with the village and the police station. A
status or date keyed wrongly: correct it in the poverty information system. A loan
made after the death: find out who borrowed and signed; report it to the county office.
A death during the loan: the bank and the township agree with the household how it is
repaid (heirs, insurance) or start the risk-compensation procedure. For an unknown
date, fill in 人员变动日期 and run the check again.
"""

import polars as pl

from pipeline.normalise import text
from rules._common import evidence, example, loan_cases
from rules._keywords import day

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
