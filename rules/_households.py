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

import weakref

import polars as pl


def fen(expr: pl.Expr) -> pl.Expr:
    """Yuan (Float64, two decimals) as whole fen."""
    return (expr * 100).round().cast(pl.Int64)


# What the two rules read of a loan: the time line, and the household case's columns.
SPAN_COLUMNS = (
    "household", "loan_id", "disbursement_date", "interval_end", "amount", "balance", "effective_maturity",
    "settled_date", "borrower_name", "borrower_id_number", "borrower_county", "borrower_township", "borrower_village",
    "member_household_id", "member_relation",
)


# The last spans computed, and a weak reference to the loans frame they came from: both
# rules read the same frame, so the second one takes it from here. A weak reference
# never keeps a context's loans alive, and when they go, so does the entry.
_last_spans: tuple[weakref.ref, pl.DataFrame] | None = None


def _forget_spans(ref: weakref.ref) -> None:
    global _last_spans
    if _last_spans is not None and _last_spans[0] is ref:
        _last_spans = None


def spans(ctx) -> pl.DataFrame:
    """The loans active at some instant in households with two or more of them, sorted
    by household, start and loan_id (computed once per context's loans).

    A household with a single active loan can neither overlap itself nor hold two loans
    whose sum is above the limit (a single loan above it is over_limit's per-loan case),
    so both rules look only at the others: a quarter of the loans in a province.
    """
    global _last_spans
    if _last_spans is not None and _last_spans[0]() is ctx.loans:
        return _last_spans[1]
    found = (
        ctx.loans.lazy()
        .select(SPAN_COLUMNS)
        .filter(pl.col("interval_end") > pl.col("disbursement_date"))
        .filter(pl.len().over("household") >= 2)
        .with_columns(fen(pl.col("amount")).alias("fen"))
        .sort("household", "disbursement_date", "loan_id")
        .collect()
    )
    _last_spans = (weakref.ref(ctx.loans, _forget_spans), found)
    return found


def active_sums(loans: pl.DataFrame) -> pl.DataFrame:
    """Per household and loan start date, the fen of its loans active at that instant.

    A sweep: each loan adds its amount on its start day and takes it off on its end day;
    the running total after a day's changes is what is active on that day (half-open:
    a loan ending that day is gone, one starting that day is in). Columns: household,
    day, active_fen.

    The running total is one cumulative sum over the whole sorted frame, not one per
    household: every loan's amount comes off again within its own household, so the total
    is back at zero when the next household begins (a window per household costs a small
    operation per household, several times slower at a province's 100,000s).
    """
    changes = pl.concat([
        loans.select("household", pl.col("disbursement_date").alias("day"), pl.col("fen").alias("change"),
                     pl.lit(True).alias("starts")),
        loans.select("household", pl.col("interval_end").alias("day"), (-pl.col("fen")).alias("change"),
                     pl.lit(False).alias("starts")),
    ])
    return (
        changes.lazy()
        .group_by("household", "day")
        .agg(pl.col("change").sum(), pl.col("starts").any())
        .sort("household", "day")
        .with_columns(pl.col("change").cum_sum().alias("active_fen"))
        .filter("starts")
        .select("household", "day", "active_fen")
        .collect()
    )


def overlapping() -> pl.Expr:
    """The loan overlaps another loan of its household (on a frame sorted as `spans` sorts).

    An earlier-starting loan overlaps this one when it ends after this one starts: the
    latest end among the loans before it; a later-starting one when it starts before
    this one ends: the next loan's start is the earliest of them.

    Both without a window per household (several times slower at a province's 100,000s
    of households): the next loan is the next row when it is of the same household; the
    latest earlier end is one running maximum over the whole frame of the end (as days)
    lifted by the household's number in the sort order, so that no earlier household's
    loan can be the maximum, and the lift taken off again.
    """
    same_as_previous = pl.col("household") == pl.col("household").shift(1)
    number = (~same_as_previous.fill_null(False)).cum_sum().cast(pl.Int64)
    # A Date is Int32 days, so end + 2**31 is in [0, 2**32); steps of 2**33 leave the previous
    # household's latest end, lifts taken off, below -2**31: before any date.
    lift = number * (1 << 33) + (1 << 31)
    end_days = pl.col("interval_end").cast(pl.Int32).cast(pl.Int64)
    latest_end_before = (end_days + lift).cum_max().shift(1) - lift
    before = latest_end_before > pl.col("disbursement_date").cast(pl.Int32).cast(pl.Int64)
    after = (pl.col("household").shift(-1) == pl.col("household")) & (
        pl.col("disbursement_date").shift(-1) < pl.col("interval_end")
    )
    return before.fill_null(False) | after.fill_null(False)


def household_columns() -> list[pl.Expr]:
    """Aggregations (per household) for a household case: where, who, which loans."""
    return [
        pl.col("borrower_county").drop_nulls().first().alias("county"),
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
