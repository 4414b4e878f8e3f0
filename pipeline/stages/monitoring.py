"""月监测、月统计: the monitoring figures per township and for the county.

For the county and for each township (a household's roster township; for a loan, the
borrower's township of the context: the roster's, else the loan's; `（未知乡镇）` when
neither is known):

registered_households   roster households not removed (removed: every member row 已剔除)
borrowed_households     of those, the households with a loan in the register (ever borrowed)
issuance_rate           发放率 = borrowed_households / registered_households (the seed's 68.74%)
outstanding_households  households, in the roster or not, with a loan whose balance > 0
outstanding_loans       loans whose balance > 0
balance                 their balance (贷款余额)
overdue_loans           loans overdue as rules.overdue defines it (its expression, not a copy)
overdue_balance         their balance
overdue_rate            逾期率 by balance: overdue_balance / balance
overdue_buckets         {bucket label: {"loans", "balance"}}, 1–30天 … 180天以上
alert                   overdue_rate above policy.overdue_rate_alert (SPEC §4, overdue)

Plain JSON types. Money is summed exactly in fen and given in yuan with 2 decimals;
rates are fractions with 4 decimals (the alert compares the exact ratio), null when
there is nothing to divide by.
"""

from __future__ import annotations

import polars as pl

from loan_audit.pipeline.stages.context import Context
from loan_audit.pipeline.vocab.divisions import county_labels, county_name, place_label
from loan_audit.pipeline.vocab.labels import UNKNOWN_TOWNSHIP
from loan_audit.rules._households import fen
from loan_audit.rules.overdue import BUCKET_LABELS, bucket, days_overdue, is_overdue

REMOVED = "已剔除"


def monitoring(ctx: Context) -> dict:
    households = _households(ctx).lazy()
    loans = ctx.loans.lazy().select(
        pl.col("borrower_county").alias("county"),
        _township(ctx, pl.col("borrower_county"), pl.col("borrower_township")),
        "household",
        (pl.col("balance") > 0).fill_null(False).alias("outstanding"),
        is_overdue(ctx.as_of).fill_null(False).alias("overdue"),
        bucket(days_overdue(ctx.as_of)).alias("bucket"),
        fen(pl.col("balance")).fill_null(0).alias("fen"),
    )
    per_household = [pl.len().alias("registered_households"), pl.col("borrowed").sum().alias("borrowed_households")]
    per_loan = [
        pl.col("household").filter("outstanding").n_unique().alias("outstanding_households"),
        pl.col("outstanding").sum().alias("outstanding_loans"),
        pl.col("fen").filter("outstanding").sum().alias("balance"),
        pl.col("overdue").sum().alias("overdue_loans"),
        pl.col("fen").filter("overdue").sum().alias("overdue_balance"),
        *[
            expr
            for label in BUCKET_LABELS
            for expr in (
                (pl.col("overdue") & (pl.col("bucket") == label)).sum().alias(f"loans|{label}"),
                pl.col("fen").filter(pl.col("overdue") & (pl.col("bucket") == label)).sum().alias(f"balance|{label}"),
            )
        ],
    ]
    county = pl.concat([households.select(per_household), loans.select(per_loan)], how="horizontal")
    townships = (
        households.group_by("township")
        .agg(per_household)
        .join(loans.group_by("township").agg(per_loan), on="township", how="full", coalesce=True)
        .fill_null(0)
        .sort("township")
    )
    counties = (
        households.group_by("county")
        .agg(per_household)
        .join(loans.group_by("county").agg(per_loan), on="county", how="full", coalesce=True, nulls_equal=True)
        .fill_null(0)
        .sort("county", nulls_last=True)
    )
    # One collect for every scope: the loans frame is computed once.
    county, townships, counties = pl.collect_all([county, townships, counties])
    line = ctx.policy.overdue_rate_alert
    out = {
        "county": _figures(county.row(0, named=True), line),
        "townships": {row.pop("township"): _figures(row, line) for row in townships.to_dicts()},
        "overdue_rate_alert": line,
    }
    if ctx.multi_county:  # the scope "county" is then the whole input; each county on its own
        labels = county_labels(ctx.counties)
        out["counties"] = {}
        for row in counties.to_dicts():
            out["counties"][county_name(row.pop("county"), labels)] = _figures(row, line)
    return out


def _township(ctx: Context, county: pl.Expr, township: pl.Expr) -> pl.Expr:
    """The township as the figures name it: its name, `县/乡镇` when there are several counties."""
    if ctx.multi_county:
        return place_label(county, township, county_labels(ctx.counties), UNKNOWN_TOWNSHIP).alias("township")
    return township.fill_null(UNKNOWN_TOWNSHIP).alias("township")


def _households(ctx: Context) -> pl.DataFrame:
    """Registered (not removed) roster households: township, and whether it ever borrowed
    (a member of it is a loan's borrower: the loan's member_row).

    A roster sorted by household_id (as the register exports it) is marked sorted, so
    that polars groups its runs of equal IDs instead of hashing a province's millions of
    IDs; any other roster is grouped by hashing them."""
    borrowers = ctx.loans.get_column("member_row").drop_nulls()
    roster = ctx.roster.select(
        "household_id",
        "county",
        "township",
        (pl.col("household_status") == REMOVED).fill_null(False).alias("removed"),
        pl.repeat(False, ctx.roster.height, dtype=pl.Boolean, eager=True).scatter(borrowers, True).alias("borrowed"),
    )
    ids = roster.get_column("household_id")
    if ids.null_count() == 0 and ids.is_sorted():
        roster = roster.with_columns(ids.set_sorted())
    return (
        roster.lazy()
        .group_by("household_id")
        .agg(
            pl.col("county").first(ignore_nulls=True),
            pl.col("township").first(ignore_nulls=True),
            pl.col("removed").all(),
            pl.col("borrowed").any(),
        )
        .filter(~pl.col("removed"))
        .select("county", _township(ctx, pl.col("county"), pl.col("township")), "borrowed")
        .collect()
    )


def _figures(row: dict, alert_line: float) -> dict:
    """One scope's aggregate row (money in fen) as the JSON figures."""
    overdue_rate = row["overdue_balance"] / row["balance"] if row["balance"] else None
    return {
        "registered_households": int(row["registered_households"]),
        "borrowed_households": int(row["borrowed_households"]),
        "issuance_rate": _rate(row["borrowed_households"], row["registered_households"]),
        "outstanding_households": int(row["outstanding_households"]),
        "outstanding_loans": int(row["outstanding_loans"]),
        "balance": _yuan(row["balance"]),
        "overdue_loans": int(row["overdue_loans"]),
        "overdue_balance": _yuan(row["overdue_balance"]),
        "overdue_rate": _rate(row["overdue_balance"], row["balance"]),
        "overdue_buckets": {
            label: {"loans": int(row[f"loans|{label}"]), "balance": _yuan(row[f"balance|{label}"])}
            for label in BUCKET_LABELS
        },
        "alert": overdue_rate is not None and overdue_rate > alert_line,
    }


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _yuan(fen_total: int) -> float:
    return round(fen_total / 100, 2)
