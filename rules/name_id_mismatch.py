"""姓名与身份证号不符：贷款登记的借款人姓名不是该身份证号持有人的姓名。

## What it flags
借款人身份证号码有效且属于花名册中的某一成员，
而贷款上的借款人姓名与该成员姓名不同的贷款。姓名经规范化后比较（全角/半角、
空格和零宽字符、少数民族姓名间隔点的各种写法）；只差间隔点的姓名（排·麻干 / 排麻干）
视为同名。每个身份证号与登记姓名的组合一条问题，列出其全部贷款。

证据中标明差异类型：同音（不计声调的拼音相同，如 张伟/张玮）、形近字（如 王/玉、
未/末）、多一字或少一字、近音（n/l、zh/z 等方言易混的读音），
以及贷款上的姓名是否为同户另一成员（贷款登记在家庭成员、通常是户主的身份证号下）。
没有任何上述特征的，是另一个人：身份证号错误，或冒用他人名义借款（冒名）。

## Why it matters
贷款必须发放给申请、签字并使用贷款的在册家庭成员（户借、户用、户还；
银保监发〔2019〕24号）。姓名与身份证号不符，
会使所有以身份证号为依据的检查失效——建档立卡身份（非建档立卡户获贷）、一户一贷、
年龄——也是冒名贷款的标志。县实施方案（陇川县2020年方案 §八）
将多数异常归因于乡镇和银行录入不认真：经办人员录入同音字或形近字是最常见的情况。

## How to fix
核对借款合同签字、借款人身份证和户口簿：同音字、
形近字等录入错误的在出错的系统中更正姓名；用家庭成员身份证号登记的更正借款人身份证号；
冒名的报县扶贫办。

确为另一个人的，查清实际借款人和签字人；属冒名贷款的报告县扶贫办。
"""

import polars as pl

from loan_audit.rules._common import as_cases, borrower_columns, empty_cases, evidence, example
from loan_audit.rules._identity.names import name_key
from loan_audit.rules._identity.scoring import name_signals

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
    # Only a loan whose name differs from its member's (the ID's first roster row) can be
    # a case: the rest of the roster is read for those few loans only. Lazy: only the
    # columns the case shows are filtered, not the context's fifty.
    loans = (
        ctx.loans.lazy()
        .filter(pl.col("borrower_id_valid") & pl.col("in_roster") & pl.col("borrower_name").is_not_null())
        .select(
            "loan_id", "borrower_id_number", "borrower_name", "member_name", "member_household_id",
            "borrower_county", "borrower_township", "borrower_village",
            name_key(pl.col("borrower_name")).alias("name_a"), name_key(pl.col("member_name")).alias("name_b"),
        )
        .filter(pl.col("name_a").is_not_null() & pl.col("name_b").is_not_null() & (pl.col("name_a") != pl.col("name_b")))
        .collect()
    )
    if loans.height == 0:
        return empty_cases()
    ids, households = loans["borrower_id_number"].implode(), loans["member_household_id"].implode()
    # lazy: only these three of the roster's columns are filtered
    roster = ctx.roster.lazy().filter(pl.col("id_number").is_in(ids) | pl.col("household_id").is_in(households)).select(
        pl.col("id_number").alias("borrower_id_number"), name_key(pl.col("name")).alias("name_a"),
        pl.col("household_id").alias("member_household_id"),
    ).collect()
    # The name matches some roster row of this ID (a roster listing the ID twice): not a case.
    wrong = loans.join(roster, on=["borrower_id_number", "name_a"], how="anti")
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
