"""一户多贷：同一户同时有两笔贷款未结清。

## What it flags
存续期与同户另一笔贷款重叠的每笔贷款：两笔贷款各自的开始日期都早于对方的结束日期，
即为重叠。贷款存续期为 `[disbursement_date, end)`（含放款日期，不含结束日期），
结束日期 end 为结清日期；无结清日期的，有余额的贷款取到期日期与数据日期中较晚者，
否则取到期日期。因此，在下一笔放款当天还清的贷款（续贷，前后衔接）不算重叠。
同一人的两笔贷款算，同户（花名册户编号）两名成员的贷款也算；
不在花名册中的借款人单独成户。每户一条问题，列出重叠的贷款对、
每对重叠的期间和借款的成员。

## Why it matters
扶贫小额信贷按户发放：户借、户用、户还，每户不超过5万元（银监发〔2017〕42号、
银保监发〔2019〕24号）。农户还清后可以再次借款（续贷/复贷），
但不能同时持有两笔贴息贷款：第二笔贷款不符合政策，重复享受财政贴息，
还常常掩盖把钱转借他人的情况。县实施方案（陇川县2020年扶贫小额信贷实施方案 §八）
将“一户多人贷”列为需核查的异常。

## How to fix
调取所列贷款合同：前笔已结清的由银行更正结清日期；户编号错的更正户编号；确属同时多笔的，
由银行与乡镇商定多出贷款的偿还或移出贴息范围。

同一人重复出现的，同时核查是否重复录入。
"""

import polars as pl

from loan_audit.rules._common import as_cases, evidence, example
from loan_audit.rules._households import household_columns, household_key, loan_details, overlapping, spans

ID = "multiple_loans_per_household"
TITLE = "一户多贷"
SEVERITY = "error"
PARAMS = ()
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[
        {"loan_id": "L0001", "amount": "20000", "balance": "20000"},
        {"loan_id": "L0002", "amount": "20000", "balance": "20000", "disbursement_date": "2020-03-05"},
    ]),
    "good": example(loans=[
        {"loan_id": "L0001", "maturity_date": "2020-03-05", "balance": "0", "settled_date": "2020-03-05"},
        {"loan_id": "L0002", "disbursement_date": "2020-03-05", "maturity_date": "2023-03-05"},
    ]),
}


def detect(ctx) -> pl.DataFrame:
    loans = spans(ctx).filter(overlapping())
    side = loans.select("household", "loan_id", "disbursement_date", "interval_end")
    pairs = (
        side.join(side, on="household", suffix="_b")
        .filter(
            (pl.col("loan_id") < pl.col("loan_id_b"))
            & (pl.col("disbursement_date") < pl.col("interval_end_b"))
            & (pl.col("disbursement_date_b") < pl.col("interval_end"))
        )
        .sort("household", "loan_id", "loan_id_b")
        .group_by("household", maintain_order=True)
        .agg(
            pl.struct(
                loan_ids=pl.concat_list("loan_id", "loan_id_b"),
                overlap_from=pl.max_horizontal("disbursement_date", "disbursement_date_b"),
                overlap_until=pl.min_horizontal("interval_end", "interval_end_b"),
            ).alias("pairs"),
            pl.format("{}与{}", "loan_id", "loan_id_b").str.join("、").alias("pair_text"),
        )
    )
    member = pl.concat_str(
        "borrower_name",
        pl.when(pl.col("member_relation").is_not_null()).then(pl.format("（{}）", "member_relation")).otherwise(pl.lit("")),
    )
    found = (
        loans.group_by("household", maintain_order=True)
        .agg(
            *household_columns(),
            member.drop_nulls().unique(maintain_order=True).str.join("、").alias("members"),
            loan_details().alias("loans"),
        )
        .join(pairs, on="household")
    )
    message = pl.format(
        "同户{}笔贷款存续期重叠（{}），属一户多贷；借款人：{}。请核实各笔贷款的结清日期和户编号，"
        "确属同时持有多笔贷款的，督促结清多出的贷款",
        pl.col("loan_ids").list.len(), "pair_text", "members",
    )
    return as_cases(
        found.with_columns(
            message.alias("message"),
            evidence(pairs=pl.col("pairs"), loans=pl.col("loans")).alias("evidence"),
            household_key(),
        ),
        ID,
        SEVERITY,
    )
