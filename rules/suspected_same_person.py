"""疑似一人多证：同一人以两个身份证号码登记。

## What it flags
两个不同的有效身份证号码（花名册成员，以及不在花名册中的借款人）很可能属于同一人：
姓名相近（相同、不计声调的拼音相同如 张伟/张玮、一个形近字如 王/玉、或多一字少一字），
并且或者两人在同一村、同一天出生，或者在同一乡镇、
两个号码的前 17 位只有一位不同或相邻两位颠倒。

一个字不同、但既不同音也不形近的不算：兄弟姐妹的名字就是这样区别的（张建国/张建军）；
双胞胎（同一天出生、同一村、号码只差顺序码）不能当作一个人。不同乡镇的同名人员、
号码恰好只差一位的也不算：一个县里景颇族姓名重复成百上千次，这样的组合属于巧合。
每对号码一条问题，列出两个号码名下的贷款。

## Why it matters
同一人登记两次（新旧两个号码，或号码录错后作为新人员录入），在花名册中被计算两次，
也可以借款两次：每户5万元的限额和一户一贷（银保监发〔2019〕24号）按身份证号检查，
第二个号码就能绕过这些检查。全国建档立卡信息的准确（精准识别）是各项扶贫政策的基础；
县实施方案（§八）要求乡镇清理的正是这类录入错误。

## How to fix
核对身份证和户口簿，或向派出所核实哪个号码有效：系一人多证的更正错误号码的记录，
将其贷款移到正确号码名下；系不同人员的注明“已核实，系不同人员”。

系同一人的：在扶贫信息系统删除或更正错误号码的花名册记录，
由银行在系统中将其名下贷款移到正确号码，并核查该户贷款合计是否超限。不同人员包括双胞胎、
同名人员。
"""

import polars as pl

from loan_audit.rules._common import as_cases, evidence, example, make_id
from loan_audit.rules._identity.blocking import candidate_pairs, people, person_keys
from loan_audit.rules._identity.scoring import name_signals

ID = "suspected_same_person"
TITLE = "疑似一人多证"
SEVERITY = "warning"
PARAMS = ()
COLUMNS = {}
EXAMPLES = {
    "bad": example(roster=[{}, {"id_number": make_id(seq="457"), "name": "排麻甘", "relation": "其他"}]),
    "good": example(roster=[{}, {"id_number": make_id(seq="003"), "name": "排麻诺", "relation": "兄弟"}]),
}

_NAME_TEXT = (
    pl.when("same_name").then(pl.lit("姓名相同"))
    .when("same_sound").then(pl.lit("姓名同音"))
    .when("similar_shape").then(pl.format("姓名有一字形近（{}）", pl.col("shape_pairs").list.join("、")))
    .otherwise(pl.lit("姓名相差一字"))
)
_ID_PART = pl.col("id_signal").str.split(":").list
_ID_TEXT = pl.concat_list(
    pl.when("same_day_village").then(pl.lit("出生日期相同且在同一村")),
    pl.when(_ID_PART.first() == "digit").then(pl.format("两个身份证号仅第{}位不同", _ID_PART.last()))
    .when(_ID_PART.first() == "swap").then(pl.format("两个身份证号第{}位数字颠倒", _ID_PART.last().str.replace("-", "、"))),
).list.drop_nulls().list.join("，")


def _where(side: str) -> pl.Expr:
    return pl.when(pl.col(f"in_roster_{side}")).then(pl.format("户编号{}", f"household_id_{side}")).otherwise(
        pl.lit("非花名册借款人"))


def detect(ctx) -> pl.DataFrame:
    persons = person_keys(ctx)
    pairs = candidate_pairs(persons)
    # from here on only the persons, namesakes and loans of the IDs paired (few of all)
    paired_ids = pl.concat([pairs["id_a"], pairs["id_b"]]).unique()
    paired = paired_ids.implode()
    same_name_place = pl.struct(pl.col("place", "name_key").to_physical()).hash()
    wanted = persons.filter(pl.col("id_number").is_in(paired)).select(same_name_place.alias("h"))["h"].unique()
    namesakes = (
        persons.filter(same_name_place.is_in(wanted.implode())).group_by("place", "name_key").len("namesakes")
        .with_columns(pl.col("place", "name_key").cast(pl.Utf8))
    )
    involved = people(ctx, ids=paired_ids).join(namesakes, on=["place", "name_key"], how="left", nulls_equal=True)
    side = {s: involved.select(pl.all().name.suffix(f"_{s}")) for s in ("a", "b")}
    pairs = (
        pairs.join(side["a"].rename({"id_number_a": "id_a"}), on="id_a")
        .join(side["b"].rename({"id_number_b": "id_b"}), on="id_b")
    )
    names = pairs.select(pl.col("name_key_a").alias("name_a"), pl.col("name_key_b").alias("name_b")).unique()
    scored = name_signals(names).rename({"name_a": "name_key_a", "name_b": "name_key_b"})
    loans = (
        ctx.loans.filter(pl.col("borrower_id_number").is_in(paired))
        .sort("loan_id")
        .group_by("borrower_id_number")
        .agg(pl.col("loan_id").alias("loan_ids"))
    )
    found = (
        pairs.join(scored, on=["name_key_a", "name_key_b"])
        .filter("similar")
        .sort(["same_name", "same_sound", "char_similarity"], descending=True)
        .unique(["id_a", "id_b"], keep="first", maintain_order=True)
        .join(loans.rename({"borrower_id_number": "id_a", "loan_ids": "loans_a"}), on="id_a", how="left")
        .join(loans.rename({"borrower_id_number": "id_b", "loan_ids": "loans_b"}), on="id_b", how="left")
    )
    message = pl.format(
        "身份证号{}（{}，{}）与{}（{}，{}）疑似同一人：{}，{}{}。请核对身份证和户口簿或向派出所核实；"
        "如为一人多证，更正或删除错误证件号的记录，并核查其名下贷款是否超过一户限额",
        "id_a", "name_a", _where("a"), "id_b", "name_b", _where("b"), _NAME_TEXT, _ID_TEXT,
        pl.when(pl.col("same_name") & (pl.col("namesakes_a") > 2))
        .then(pl.format("（本村同名共{}人，也可能只是同名巧合）", "namesakes_a")).otherwise(pl.lit("")),
    )
    return as_cases(
        found.select(
            pl.coalesce("county_a", "county_b").alias("county"),
            pl.coalesce("township_a", "township_b").alias("township"),
            pl.coalesce("village_a", "village_b").alias("village"),
            pl.coalesce("household_id_a", "household_id_b").alias("household_id"),
            pl.col("id_a").alias("id_number"),
            pl.col("name_a").alias("name"),
            pl.concat_list(pl.col("loans_a").fill_null([]), pl.col("loans_b").fill_null([])).alias("loan_ids"),
            message.alias("message"),
            evidence(
                id_numbers=pl.concat_list("id_a", "id_b"), names=pl.concat_list("name_a", "name_b"),
                in_roster=pl.concat_list("in_roster_a", "in_roster_b"),
                household_ids=pl.concat_list("household_id_a", "household_id_b"),
                birth_dates=pl.concat_list("birth_date_a", "birth_date_b"),
                same_day_village=pl.col("same_day_village"), id_signal=pl.col("id_signal"),
                namesakes_in_village=pl.col("namesakes_a"),
                same_name=pl.col("same_name"), same_sound=pl.col("same_sound"), signals=pl.col("signals"),
                shape_pairs=pl.col("shape_pairs"), similarity=pl.col("char_similarity"),
                pinyin_similarity=pl.col("pinyin_similarity"), pinyin=pl.concat_list("pinyin_a", "pinyin_b"),
            ).alias("evidence"),
            pl.concat_str("id_a", pl.lit("|"), "id_b").alias("key"),
        ),
        ID,
        SEVERITY,
    )
