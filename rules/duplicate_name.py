"""贷款户重名：同一村中姓名相同、身份证号不同的借款人。

## What it flags
同一乡镇、同一村（借款人在花名册中的，按花名册的乡镇和村）中，
贷款上的姓名规范化后相同（少数民族姓名中的间隔点不计）而有效身份证号码不同的借款人。
每组重名人员一条问题，列出其全部贷款，以及每个身份证号对应的户和贷款。这是待核实事项，
不是违规认定：景颇族、傣族姓名在一个村内重复很多（如排麻干、岳麻诺，
由家族姓氏和排行名组成），多数重名组确是恰好同名的不同人员。

## Why it matters
县实施方案（陇川县2020年扶贫小额信贷实施方案 §八）
把“贷款贫困户重名”列为需核查的异常之首：
重名正是贷款容易记错人的地方——经办人员从花名册中选错了“排麻干”，
一人借用亲属的身份证号再次借款，或以从未申请的人的名义放款（冒名）。贷款必须由申请、
签字并使用贷款的那一户承担（户借、户用、户还；银保监发〔2019〕24号）。

## How to fix
逐一核对每名借款人的身份证原件、户编号和合同签字人；系不同人员的注明“已核实，
系不同人员”；贷款记到同名他人名下的更正身份证号或户编号。

核对要点：贷款上的身份证号是否为借款人本人的，户编号是否为借款人所在的户，
合同是否由本人签字。
"""

import polars as pl

from loan_audit.rules._common import as_cases, evidence, example, make_id
from loan_audit.rules._identity.names import name_key, place_key

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
    loans = ctx.loans.lazy().filter(pl.col("borrower_id_valid")).select(
        "loan_id", "borrower_id_number", "borrower_name", "household", "member_household_id", "in_roster",
        "borrower_county", "borrower_township", "borrower_village",
    )
    # The keys are worked out once per distinct name / place and joined on as categories
    # (as `person_keys` does): the windows and group_bys below then hash numbers, not text.
    names = ctx.loans.lazy().select("borrower_name").unique().with_columns(
        name_key(pl.col("borrower_name")).cast(pl.Categorical).alias("name_key"))
    # A place is (county, township, village): `where` groups, `place` (no county) is the
    # case key's text, which a single-county run keeps as it always was.
    place = place_key(pl.col("borrower_township"), pl.col("borrower_village"))
    places = ctx.loans.lazy().select("borrower_county", "borrower_township", "borrower_village").unique().with_columns(
        place.alias("place"),
        pl.concat_str(pl.col("borrower_county").fill_null(""), pl.lit("|"), place).cast(pl.Categorical).alias("where"))
    loans = (
        loans.join(names, on="borrower_name", how="left", maintain_order="left")
        .join(places, on=["borrower_county", "borrower_township", "borrower_village"], how="left", nulls_equal=True,
              maintain_order="left")
        .filter(pl.col("name_key").is_not_null() & pl.col("where").is_not_null())
    )
    # One number per (where, name_key): hashed and sorted faster than the two categories.
    same = (pl.col("where").to_physical().cast(pl.UInt64) * (1 << 32) + pl.col("name_key").to_physical()).alias("same")
    # A group of one loan has one ID: the exact distinct-ID count runs on the rest only.
    loans = loans.with_columns(same).filter(pl.len().over("same") > 1).filter(
        pl.col("borrower_id_number").n_unique().over("same") > 1)
    per_id = (
        loans.sort("loan_id")
        .group_by("same", "borrower_id_number")
        .agg(
            pl.col("loan_id").alias("loan_ids"),
            *(pl.col(c).first() for c in ("place", "name_key", "borrower_name", "household", "member_household_id",
                                          "in_roster", "borrower_county", "borrower_township", "borrower_village")),
        )
        .sort("same", "borrower_id_number")  # far faster than by the ID text alone (polars 2.1)
    )
    # In ID order within a group; where and who as of the group's first ID in the roster, else its first ID.
    shown = pl.col("in_roster").arg_max()
    groups = per_id.group_by("same").agg(
        pl.col("place").first(),
        pl.col("name_key").first(),
        pl.col("borrower_county").get(shown).alias("county"),
        pl.col("borrower_township").get(shown).alias("township"),
        pl.col("borrower_village").get(shown).alias("village"),
        pl.col("borrower_name").get(shown).alias("name"),
        pl.struct(
            id_number="borrower_id_number", household_id="member_household_id", in_roster="in_roster", loan_ids="loan_ids",
        ).alias("borrowers"),
        pl.col("loan_ids").list.explode(keep_nulls=False, empty_as_null=False).sort().alias("loan_ids"),
        pl.col("borrower_id_number").alias("ids"),
        (pl.col("household").n_unique() < pl.len()).alias("shared_household"),
    )
    message = pl.format(
        "{}有{}名身份证号不同的借款人同名「{}」（{}），共{}笔贷款。重名在景颇族、傣族等村寨很常见，"
        "此为核实提示而非违规认定：请逐一核对每笔贷款的身份证号是否为借款人本人、所属户编号是否正确、借款合同由谁签字{}",
        "village", pl.col("ids").list.len(), "name", pl.col("ids").list.join("、"), pl.col("loan_ids").list.len(),
        pl.when("shared_household").then(pl.lit("；其中有同户的同名人员，请重点核实是否一人多证")).otherwise(pl.lit("")),
    )
    return as_cases(
        groups.select(
            "county", "township", "village", "name", "loan_ids",
            message.alias("message"),
            evidence(
                name=pl.col("name"), id_count=pl.col("ids").list.len(), loan_count=pl.col("loan_ids").list.len(),
                borrowers=pl.col("borrowers"), shared_household=pl.col("shared_household"),
                check=pl.lit(["身份证号是否本人", "户编号", "借款合同签字人"], dtype=pl.List(pl.Utf8)),
            ).alias("evidence"),
            pl.concat_str("place", pl.lit("|"), pl.col("name_key").cast(pl.Utf8)).alias("key"),
        ),
        ID,
        SEVERITY,
    )
