"""贷款户重名: borrowers of one village who share a name under different IDs.

## What it flags
Borrowers in the same township and village (the roster's, when the borrower is in it)
whose names on the loans are the same after normalisation (the middle dot of minority
names aside) while their valid ID numbers differ. One case per group of namesakes,
listing all their loans, each ID with its household and loans. This is a case for
verification, not an accusation: Jingpo and Dai names repeat a lot within a village
(排麻干, 岳麻诺: a clan surname and a birth-order name), so most groups are different
people who happen to share a name.

## Why it matters
The county's plan (陇川县2020年扶贫小额信贷实施方案 §八) names 贷款贫困户重名 first among
the anomalies to check: a namesake is where a loan ends up under the wrong person —
a clerk picking the wrong 排麻干 from the roster, one person borrowing twice under a
relative's ID, or a loan in the name of someone who never applied (冒名). The loan must
go to the household that applies, signs and uses it (户借、户用、户还; 银保监发〔2019〕24号).

## How to fix
For each borrower of the group, check that the ID on the loan is the borrower's own
(身份证原件), that the household number (户编号) is the borrower's household, and that
the contract was signed by that person. Record "已核实，系不同人员" when they are
different people; correct the ID or household where a loan was booked to the wrong
namesake.
"""

import polars as pl

from rules._common import as_cases, evidence, example, make_id
from rules._identity import name_key, place_key

ID = "duplicate_name"
TITLE = "贷款户重名"
SEVERITY = "warning"
PARAMS = ()
COLUMNS = {}
_OTHER = {"household_id": "5331241010010002", "id_number": make_id("19850312", "017")}
EXAMPLES = {
    "bad": example(
        loans=[{}, {"loan_id": "L0002", "borrower_id_number": _OTHER["id_number"]}],
        roster=[{}, _OTHER],
    ),
    "good": example(
        loans=[{}, {"loan_id": "L0002", "borrower_id_number": _OTHER["id_number"], "borrower_name": "排麻诺"}],
        roster=[{}, {**_OTHER, "name": "排麻诺"}],
    ),
}


def detect(ctx) -> pl.DataFrame:
    loans = ctx.loans.filter(pl.col("borrower_id_valid")).with_columns(
        name_key(pl.col("borrower_name")).alias("name_key"),
        place_key(pl.col("borrower_township"), pl.col("borrower_village")).alias("place"),
    ).filter(pl.col("name_key").is_not_null() & pl.col("place").is_not_null())
    per_id = (
        loans.filter(pl.col("borrower_id_number").n_unique().over("place", "name_key") > 1)
        .sort("loan_id")
        .group_by("place", "name_key", "borrower_id_number")
        .agg(
            pl.col("loan_id").alias("loan_ids"),
            pl.col("borrower_name").first(),
            pl.col("household").first(),
            pl.col("member_household_id").first(),
            pl.col("in_roster").first(),
            pl.col("borrower_township").first(),
            pl.col("borrower_village").first(),
        )
        .sort("borrower_id_number")
    )
    groups = (
        per_id.sort("in_roster", descending=True, maintain_order=True)
        .group_by("place", "name_key")
        .agg(
            pl.col("borrower_township").first().alias("township"),
            pl.col("borrower_village").first().alias("village"),
            pl.col("borrower_name").first().alias("name"),
            pl.struct(
                id_number="borrower_id_number", household_id="member_household_id",
                in_roster="in_roster", loan_ids="loan_ids",
            ).sort_by("borrower_id_number").alias("borrowers"),
            pl.col("loan_ids").list.explode(keep_nulls=False, empty_as_null=False).sort().alias("loan_ids"),
            pl.col("borrower_id_number").sort().alias("ids"),
            (pl.col("household").n_unique() < pl.len()).alias("shared_household"),
        )
    )
    message = pl.format(
        "{}有{}名身份证号不同的借款人同名「{}」（{}），共{}笔贷款。重名在景颇族、傣族等村寨很常见，"
        "此为核实提示而非违规认定：请逐一核对每笔贷款的身份证号是否为借款人本人、所属户编号是否正确、借款合同由谁签字{}",
        "village", pl.col("ids").list.len(), "name", pl.col("ids").list.join("、"), pl.col("loan_ids").list.len(),
        pl.when("shared_household").then(pl.lit("；其中有同户的同名人员，请重点核实是否一人多证")).otherwise(pl.lit("")),
    )
    return as_cases(
        groups.select(
            "township", "village", "name", "loan_ids",
            message.alias("message"),
            evidence(
                name=pl.col("name"), id_count=pl.col("ids").list.len(), loan_count=pl.col("loan_ids").list.len(),
                borrowers=pl.col("borrowers"), shared_household=pl.col("shared_household"),
                check=pl.lit(["身份证号是否本人", "户编号", "借款合同签字人"], dtype=pl.List(pl.Utf8)),
            ).alias("evidence"),
            pl.concat_str("place", pl.lit("|"), "name_key").alias("key"),
        ),
        ID,
        SEVERITY,
    )
