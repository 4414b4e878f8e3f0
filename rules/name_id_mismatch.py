"""姓名与身份证号不符: a loan recorded under a name that is not the ID holder's.

## What it flags
A loan whose borrower ID number is valid and belongs to a roster member, while the
borrower name on the loan (借款人姓名) is not that member's name. Names are compared
after normalisation (full-width/half-width, spaces and zero-width characters, the
middle-dot variants of minority names); a name that differs only by the middle dot
(排·麻干 / 排麻干) is the same name. One case per ID and recorded name, with all its
loans. The evidence grades the difference: 同音 (the same toneless pinyin, e.g.
张伟/张玮), 形近字 (a similar-shape character such as 王/玉, 未/末), one character
added or dropped, 近音 (n/l, zh/z … as dialect speakers confuse them), and whether the
name on the loan is another member of the same household (the loan keyed under a
family member's ID, usually the head's). A name with none of these signals is a
different person: a wrong ID, or a loan taken in someone else's name (冒名).

## Why it matters
The loan must be made to the registered household member who applies, signs and
uses it (户借、户用、户还; 银保监发〔2019〕24号). A name that does not match the ID breaks
every check that rests on the ID — eligibility (非建档立卡户获贷), one loan per household,
age — and is the mark of impersonation (冒名贷款). The county's plan (陇川县2020年方案
§八) blames most anomalies on careless entry by townships and banks: a homophone or
similar-shape character typed by a clerk is the common case.

## How to fix
Compare the loan contract's signature and the borrower's resident ID card (身份证) and
household register (户口簿) with both records. A clerk's typo (同音字/形近字): correct the
name in the bank's system or in the poverty information system, whichever is wrong.
A loan keyed under a family member's ID: correct the borrower ID. A different person:
find out who borrowed and signed; report impersonation to the county office.
"""

import polars as pl

from rules._common import as_cases, borrower_columns, empty_cases, evidence, example
from rules._identity import name_key, name_signals

ID = "name_id_mismatch"
TITLE = "姓名与身份证号不符"
SEVERITY = "error"
PARAMS = ()
COLUMNS = {}
EXAMPLES = {
    "bad": example(loans=[{"borrower_name": "排麻诺"}]),
    "good": example(loans=[{"borrower_name": "排・麻干"}], roster=[{"name": "排·麻干"}]),
}

_SIGNAL_TEXT = {
    "same_sound": "同音字", "similar_shape": "形近字", "one_char_added_or_dropped": "多字或少字",
    "near_sound": "近音字", "household_member": "该姓名为同户其他成员",
}


def detect(ctx) -> pl.DataFrame:
    loans = ctx.loans.filter(
        pl.col("borrower_id_valid") & pl.col("in_roster") & pl.col("borrower_name").is_not_null()
    ).with_columns(name_key(pl.col("borrower_name")).alias("name_a"), name_key(pl.col("member_name")).alias("name_b"))
    roster = ctx.roster.select(
        pl.col("id_number").alias("borrower_id_number"), name_key(pl.col("name")).alias("name_a"),
        pl.col("household_id").alias("member_household_id"),
    )
    # The name matches some roster row of this ID (a roster listing the ID twice): not a case.
    wrong = loans.join(roster, on=["borrower_id_number", "name_a"], how="anti").filter(
        pl.col("name_a").is_not_null() & pl.col("name_b").is_not_null()
    )
    if wrong.height == 0:
        return empty_cases()
    relative = roster.rename({"borrower_id_number": "relative_id"}).unique(["member_household_id", "name_a"], keep="first")
    groups = (
        wrong.sort("loan_id")
        .group_by("borrower_id_number", "name_a", maintain_order=True)
        .agg(pl.col("loan_id").alias("loan_ids"), pl.all().exclude("loan_id").first())
        .join(relative, on=["member_household_id", "name_a"], how="left")
    )
    scored = pl.concat(
        [groups, name_signals(groups.select("name_a", "name_b")).drop("name_a", "name_b")], how="horizontal"
    ).with_columns(
        pl.concat_list(
            "signals", pl.when(pl.col("relative_id").is_not_null()).then(pl.lit("household_member"))
        ).list.drop_nulls().alias("signals")
    )
    described = pl.col("signals").list.eval(pl.element().replace_strict(_SIGNAL_TEXT)).list.join("、")
    message = pl.format(
        "借款人姓名「{}」与花名册中身份证号{}的姓名「{}」不符（{}），请核对身份证、户口簿和借款合同签字后更正",
        "borrower_name", "borrower_id_number", "member_name",
        pl.when(pl.col("relative_id").is_not_null())
        .then(pl.format("「{}」是同户成员，其身份证号为{}，疑似借款人身份证号登记错误", "borrower_name", "relative_id"))
        .when(pl.col("signals").list.len() > 0).then(pl.format("{}，疑似录入错误", described))
        .otherwise(pl.lit("两个姓名差异大，可能是身份证号录错或冒名贷款")),
    )
    return as_cases(
        scored.select(
            *borrower_columns(),
            "loan_ids",
            message.alias("message"),
            evidence(
                borrower_name=pl.col("borrower_name"), roster_name=pl.col("member_name"),
                similarity=pl.col("char_similarity"), pinyin_similarity=pl.col("pinyin_similarity"),
                same_sound=pl.col("same_sound"), signals=pl.col("signals"), shape_pairs=pl.col("shape_pairs"),
                edit_distance=pl.col("edit_distance"), borrower_pinyin=pl.col("pinyin_a"),
                roster_pinyin=pl.col("pinyin_b"), household_member_id=pl.col("relative_id"),
            ).alias("evidence"),
            pl.concat_str("borrower_id_number", pl.lit("|"), "name_a").alias("key"),
        ),
        ID,
        SEVERITY,
    )
