"""户贷企用：农户贷款转交企业或合作社使用。

## What it flags
错误：使用方式属于政策参数 `enterprise_usage_modes`（默认为户贷企用、户贷社管、
分贷统还）之一，或贷款用途包含 `enterprise_purpose_keywords` 中任一词语（入股、分红、
转贷、指标交换、企业使用）的每笔贷款，每笔一条问题。

警告：同一村（按花名册中借款人的乡镇和村）内放款日期、
贷款金额和贷款用途都相同的贷款达到 `enterprise_cluster_min`（10）笔及以上：
即使台账写的是“自主发展”，这也是为一家企业批量贷款的特征；每组一条问题。

一笔贷款可以同时出现在两类问题中（本身的错误和所在组的警告）。
文字在 NFKC 规范化并去除空白后比较。各部分在输入中有相应列时才运行：
使用方式部分需要“使用方式”列，用途部分和批量放款部分需要“贷款用途”列。

## Why it matters
贷款属于农户：户借、户用、户还。把贷款转给企业或合作社使用（户贷企用、分贷统还、
入股分红、转贷、指标交换），曾使许多农户背上拿不到收益的债务；
银保监发〔2019〕24号禁止新增此类贷款，并要求清理存量。债务和信用记录仍由农户承担。

## How to fix
向农户、企业（合作社）和承贷银行核实资金由谁持有和使用：企业使用的，签订书面协议，
收回农户自用或到期由企业归还，并报县扶贫办。

批量放款的警告：核对合同和农户，确为各户自用的，记录核实情况；用途系批量填写的予以更正。
"""

import polars as pl

from loan_audit.rules._common import as_cases, empty_cases, evidence, example, loan_cases
from loan_audit.rules._keywords import equals_any, matched_words

ID = "enterprise_use"
TITLE = "户贷企用"
SEVERITY = "error"
PARAMS = ("enterprise_usage_modes", "enterprise_purpose_keywords", "enterprise_cluster_min")
COLUMNS = {}  # needs 使用方式 or 贷款用途: detect checks ctx.present and runs the parts it can
EXAMPLES = {
    "bad": example(loans=[{"usage_mode": "户贷企用"}]),
    "good": example(loans=[{"usage_mode": "自主发展", "purpose": "养殖肉牛"}]),
}

# A cluster is within one place: (county, township) may be unknown, the rest may not.
PLACE = ["borrower_county", "borrower_township"]
CLUSTER = [*PLACE, "borrower_village", "disbursement_date", "amount", "purpose"]


def _loan_errors(ctx, has_mode: bool, has_purpose: bool) -> pl.DataFrame:
    policy = ctx.policy
    mode_hit = equals_any(pl.col("usage_mode"), policy.enterprise_usage_modes) if has_mode else pl.lit(False)
    words = matched_words(pl.col("purpose"), policy.enterprise_purpose_keywords if has_purpose else ())
    purpose_hit = pl.lit(False)
    if has_purpose:
        # Purposes repeat (a few dozen distinct texts in a province): matched once each.
        hits = ctx.loans.select(pl.col("purpose").unique()).filter(words.list.len() > 0).get_column("purpose")
        purpose_hit = pl.col("purpose").is_in(hits.implode()).fill_null(False)
    found = ctx.loans.filter(mode_hit | purpose_hit).with_columns(mode_hit.alias("mode_hit"), words.alias("keywords"))
    reasons = pl.concat_str(
        [
            pl.when(pl.col("mode_hit")).then(pl.format("使用方式为「{}」", "usage_mode")),
            pl.when(pl.col("keywords").list.len() > 0).then(
                pl.format("贷款用途「{}」含「{}」", "purpose", pl.col("keywords").list.join("、"))
            ),
        ],
        separator="，",
        ignore_nulls=True,
    )
    message = pl.format("{}，属户贷企用，请核实资金是否由企业或合作社使用并按规定整改（户借、户用、户还）", reasons)
    return loan_cases(
        found, ID, "error", message,
        evidence(usage_mode=pl.col("usage_mode"), purpose=pl.col("purpose"), keywords=pl.col("keywords")),
    )


def _clusters(ctx) -> pl.DataFrame:
    size = ctx.policy.enterprise_cluster_min
    groups = (
        ctx.loans.lazy()
        .select(*CLUSTER, "loan_id")
        .filter(pl.all_horizontal(pl.col(c).is_not_null() for c in CLUSTER[len(PLACE):]))
        .filter(pl.len().over(CLUSTER) >= size)
        .sort("loan_id")
        .group_by(CLUSTER, maintain_order=True)
        .agg(pl.col("loan_id").alias("loan_ids"), pl.len().alias("count"))
    )
    date = pl.col("disbursement_date").dt.to_string("%Y-%m-%d")
    amount = pl.col("amount").round(2).cast(pl.Decimal(18, 2)).cast(pl.Utf8)
    return as_cases(
        groups.select(
            pl.col("borrower_county").alias("county"),
            pl.col("borrower_township").alias("township"),
            pl.col("borrower_village").alias("village"),
            "loan_ids",
            pl.format(
                "{}同日（{}）发放{}笔同额（{}元）同用途（{}）贷款，疑似集中用于企业或合作社（户贷企用），请逐户核实资金使用情况",
                "borrower_village", date, "count", amount, "purpose",
            ).alias("message"),
            evidence(
                township=pl.col("borrower_township"), village=pl.col("borrower_village"),
                disbursement_date=pl.col("disbursement_date"), amount=pl.col("amount"), purpose=pl.col("purpose"),
                count=pl.col("count"), cluster_min=pl.lit(size),
            ).alias("evidence"),
            pl.concat_str(
                pl.lit("cluster:"), pl.col("borrower_township").fill_null(""), pl.lit("|"), "borrower_village",
                pl.lit("|"), date, pl.lit("|"), amount, pl.lit("|"), "purpose",
            ).alias("key"),
        ),
        ID,
        "warning",
    )


def detect(ctx) -> pl.DataFrame:
    present = ctx.present.get("loans", set())
    has_mode, has_purpose = "usage_mode" in present, "purpose" in present
    frames = []
    if has_mode or has_purpose:
        frames.append(_loan_errors(ctx, has_mode, has_purpose))
    if has_purpose:
        frames.append(_clusters(ctx))
    if not frames:
        return empty_cases()
    return pl.concat(frames, how="vertical_relaxed")
