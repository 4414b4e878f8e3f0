"""户贷企用: household loans handed on to a company or cooperative.

## What it flags
As an error, every loan whose usage mode (使用方式) is one of the policy's
`enterprise_usage_modes` (by default 户贷企用, 户贷社管, 分贷统还), or whose purpose
(贷款用途) contains one of `enterprise_purpose_keywords` (入股, 分红, 转贷, 指标交换,
企业使用); one case per loan. As a warning, a cluster of `enterprise_cluster_min` (10)
or more loans in one village (the roster's township and village of the borrower) with
the same disbursement date, amount and purpose: the pattern of loans taken in bulk for
one enterprise even when the register calls them 自主发展; one case per cluster. A loan
can be in both (its own error and its cluster's warning). Texts are compared after NFKC
and white-space removal. Each part runs when its column is in the input: the usage
mode part needs 使用方式, the purpose part and the cluster need 贷款用途.

## Why it matters
The loan is the household's: 户借、户用、户还. Lending it on to a company or cooperative
(户贷企用, 分贷统还, 入股分红, 转贷, 指标交换) left households owing loans whose returns never
came; 银保监发〔2019〕24号 bans it for new loans and requires the existing ones to be
cleared up. The household still carries the debt and the credit record.

## How to fix
For each error, the township confirms with the household, the enterprise or
cooperative and the lending bank who holds and uses the money; a loan used by an
enterprise is brought back to the household's own production or recovered from the
enterprise when due, under a written agreement, and reported to the county office.
For a cluster, check the contracts and the households: if each household really uses
its own loan, record the facts (and correct the purpose if it was written in bulk).
"""

import polars as pl

from rules._common import as_cases, empty_cases, evidence, example, loan_cases
from rules._keywords import equals_any, matched_words

ID = "enterprise_use"
TITLE = "户贷企用"
SEVERITY = "error"
PARAMS = ("enterprise_usage_modes", "enterprise_purpose_keywords", "enterprise_cluster_min")
COLUMNS = {}  # needs 使用方式 or 贷款用途: detect checks ctx.present and runs the parts it can
EXAMPLES = {
    "bad": example(loans=[{"usage_mode": "户贷企用"}]),
    "good": example(loans=[{"usage_mode": "自主发展", "purpose": "养殖肉牛"}]),
}

CLUSTER = ["borrower_township", "borrower_village", "disbursement_date", "amount", "purpose"]


def _loan_errors(ctx, has_mode: bool, has_purpose: bool) -> pl.DataFrame:
    policy = ctx.policy
    mode_hit = equals_any(pl.col("usage_mode"), policy.enterprise_usage_modes) if has_mode else pl.lit(False)
    words = matched_words(pl.col("purpose"), policy.enterprise_purpose_keywords if has_purpose else ())
    found = ctx.loans.with_columns(mode_hit.alias("mode_hit"), words.alias("keywords")).filter(
        pl.col("mode_hit") | (pl.col("keywords").list.len() > 0)
    )
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
        ctx.loans.filter(pl.all_horizontal(pl.col(c).is_not_null() for c in CLUSTER[1:]))
        .filter(pl.len().over(CLUSTER) >= size)
        .sort("loan_id")
        .group_by(CLUSTER, maintain_order=True)
        .agg(pl.col("loan_id").alias("loan_ids"), pl.len().alias("count"))
    )
    date = pl.col("disbursement_date").dt.to_string("%Y-%m-%d")
    amount = pl.col("amount").round(2).cast(pl.Decimal(18, 2)).cast(pl.Utf8)
    return as_cases(
        groups.select(
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
