"""一户多贷: a household with two loans active at the same time.

## What it flags
Every loan whose active period overlaps that of another loan of the same household:
two loans overlap when each starts before the other ends. A loan's active period is
`[disbursement_date, end)`, where end is the settlement date (结清日期), else for a loan
with a balance the later of its due date and the data date, else its due date; so a
loan repaid on the day the next one is disbursed (续贷, back to back) does not overlap
it. Two loans of the same person count, as do loans of two members of one household
(the roster's 户编号); a borrower not in the roster is a household of its own. One case
per household, with the overlapping pairs, the period each pair overlaps, and the
members who borrowed.

## Why it matters
Poverty microcredit is granted per household: 户借、户用、户还, at most 5万元 for the
household (银监发〔2017〕42号, 银保监发〔2019〕24号). A household may borrow again once it
has repaid (续贷/复贷), but not hold two subsidised loans at once: the second loan is
outside the policy, draws a double interest subsidy (财政贴息) and often hides money
lent on to someone else. The county plan (陇川县2020年扶贫小额信贷实施方案 §八) lists
一户多人贷 among the anomalies to check.

## How to fix
Pull the contracts of the loans listed. Where a loan was in fact repaid before the next
was granted, have the bank correct the settlement date; where a member was booked to the
wrong household, correct the household number (户编号). Where the household really holds
two loans at once, the bank and the township agree how the extra loan is repaid or taken
out of the subsidised programme; where one person appears twice, check also for a loan
keyed in twice (重复录入).
"""

import polars as pl

from rules._common import as_cases, evidence, example
from rules._households import household_columns, household_key, loan_details, overlapping, spans

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
