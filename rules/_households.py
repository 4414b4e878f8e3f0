"""A household's loans on the time line, shared by over_limit and multiple_loans_per_household.

A loan's household and its half-open active interval `[disbursement_date, interval_end)`
come from the context (SPEC §3); nothing is recomputed here. A loan whose interval is
unreadable or empty (`interval_end` on or before `disbursement_date`: settled the day it
was disbursed, or dates keyed the wrong way round) is active at no instant and takes
part in neither rule; its dates are other rules' findings.

A borrower ID damaged by Excel no longer tells people apart; the context makes such a
loan a household of its own (`LOAN:<loan_id>`), so it never ties unrelated people.

Money on the time line is whole fen (Int64), so that household sums are exact:
20,000.10 + 29,999.90 is 50,000.00, not a rounding error above the limit.
"""

from __future__ import annotations

import polars as pl


def fen(expr: pl.Expr) -> pl.Expr:
    """Yuan (Float64, two decimals) as whole fen."""
    return (expr * 100).round().cast(pl.Int64)


def spans(ctx) -> pl.DataFrame:
    """The loans active at some instant, sorted by household, start and loan_id."""
    return (
        ctx.loans.filter(pl.col("interval_end") > pl.col("disbursement_date"))
        .with_columns(
            fen(pl.col("amount")).alias("fen"),
        )
        .sort("household", "disbursement_date", "loan_id")
    )


def active_sums(loans: pl.DataFrame) -> pl.DataFrame:
    """Per household and loan start date, the fen of its loans active at that instant.

    A sweep: each loan adds its amount on its start day and takes it off on its end day;
    the running total after a day's changes is what is active on that day (half-open:
    a loan ending that day is gone, one starting that day is in). Columns: household,
    day, active_fen.
    """
    changes = pl.concat([
        loans.select("household", pl.col("disbursement_date").alias("day"), pl.col("fen").alias("change"),
                     pl.lit(True).alias("starts")),
        loans.select("household", pl.col("interval_end").alias("day"), (-pl.col("fen")).alias("change"),
                     pl.lit(False).alias("starts")),
    ])
    return (
        changes.group_by("household", "day")
        .agg(pl.col("change").sum(), pl.col("starts").any())
        .sort("household", "day")
        .with_columns(pl.col("change").cum_sum().over("household").alias("active_fen"))
        .filter("starts")
        .select("household", "day", "active_fen")
    )


def overlapping() -> pl.Expr:
    """The loan overlaps another loan of its household (on a frame sorted as `spans` sorts).

    An earlier-starting loan overlaps this one when it ends after this one starts: the
    latest end among the loans before it; a later-starting one when it starts before
    this one ends: the next loan's start is the earliest of them.
    """
    before = pl.col("interval_end").shift(1).cum_max().over("household") > pl.col("disbursement_date")
    after = pl.col("disbursement_date").shift(-1).over("household") < pl.col("interval_end")
    return before.fill_null(False) | after.fill_null(False)


def household_columns() -> list[pl.Expr]:
    """Aggregations (per household) for a household case: where, who, which loans."""
    return [
        pl.col("borrower_township").drop_nulls().first().alias("township"),
        pl.col("borrower_village").drop_nulls().first().alias("village"),
        pl.col("member_household_id").drop_nulls().first().alias("household_id"),
        pl.when(pl.col("borrower_id_number").n_unique() == 1)
        .then(pl.col("borrower_id_number").first())
        .alias("id_number"),
        pl.col("borrower_name").drop_nulls().unique(maintain_order=True).str.join("、").alias("name"),
        pl.col("loan_id").sort().alias("loan_ids"),
    ]


def loan_details() -> pl.Expr:
    """Each loan of the group as evidence: who borrowed, how much, when it was active."""
    return pl.struct(
        loan_id="loan_id",
        borrower_name="borrower_name",
        borrower_id_number="borrower_id_number",
        relation="member_relation",
        amount="amount",
        balance="balance",
        start="disbursement_date",
        end="interval_end",
        effective_maturity="effective_maturity",
        settled_date="settled_date",
    )


def household_key() -> pl.Expr:
    return pl.concat_str(pl.lit("household:"), pl.col("household")).alias("key")
