"""贴息测算: the interest-subsidy estimate for one year, per disbursement-year cohort
and per quarter, as the seed plan budgets it (陇川县2020年方案 §三).

For each loan and each period (a quarter of `year`, or the whole year):

    贴息 = min(principal, subsidy_max_amount) × min(annual_rate, subsidy rate) / 100
           × months active / 12 × share

Each loan by the policy period of its disbursement date (rules/policy.toml): the subsidy
rate is the period's `subsidy_rate` (4.75 to 2021-03-03), or with `"rate_cap"` the loan's
own rate cap (from 2021-03-04: the LPR by tenor of the contract date); principal above
the period's `subsidy_max_amount` (50,000) earns nothing (追加贷款); `share` is the period's
`subsidy_shares` entry for `year` (e.g. 100% to 2023, 70% from 2024 where a county says so).

principal
    `balance` when the loan still has one on the data date; a loan already settled
    (balance 0, `settled_date` filled) was outstanding for its full `amount` until it
    was repaid (到期还本: these loans repay the principal in one go), so `amount`.
annual_rate
    the loan's rate, capped by the subsidy rate; a loan without a readable rate is
    estimated at the subsidy rate (`rate_estimated` counts them, the table says so).
months active
    The loan earns subsidy on `[disbursement_date, end)`, where `end` is the earlier of
    its active interval's end (context: `settled_date`, …) and its effective maturity:
    an overdue loan loses its subsidy from the day after maturity (DOMAIN: overdue and
    misused loans lose it). The interval is half-open — 算头不算尾, the repayment day
    earns no interest. Within it, each calendar month counts for the share of its days
    that are active: a loan active all year has 12 months, one repaid on 2020-07-01
    (active through 30 June) exactly 6, one repaid on 2020-06-30 5 + 29/30.
    With that, 29,271,600 元 at 4.75% all of 2020 gives 1,390,401.00 元 (the seed's
    2019 cohort), and a quarter gives 347,600.25 元.

Loans without a readable disbursement date cannot be placed and are left out (they
have an `unreadable_value` case). Money is Float64 yuan, each figure rounded to two
decimals from its exact sum: the four quarters may differ from the year by a fen.
"""

from __future__ import annotations

import datetime as dt
import unicodedata

import polars as pl

from loan_audit.pipeline.vocab.policy import Policy

QUARTERS = ("q1", "q2", "q3", "q4")
MONEY = ("principal", *QUARTERS, "total")
HEADERS = {
    "cohort": "放款年度",
    "loans": "笔数",
    "principal": "本金(元)",
    "q1": "一季度(元)",
    "q2": "二季度(元)",
    "q3": "三季度(元)",
    "q4": "四季度(元)",
    "total": "全年贴息(元)",
}


def _position(day: pl.Expr) -> pl.Expr:
    """A day as a count of months: each day is 1/(days in its month) of one month."""
    return (
        day.dt.year().cast(pl.Float64) * 12
        + day.dt.month().cast(pl.Float64)
        - 1
        + (day.dt.day().cast(pl.Float64) - 1) / day.dt.days_in_month().cast(pl.Float64)
    )


def months_active(start: pl.Expr, end: pl.Expr, period_start: dt.date, period_end: dt.date) -> pl.Expr:
    """Months of `[start, end)` inside `[period_start, period_end)`, months counted by days."""
    s = pl.max_horizontal(start, pl.lit(period_start))
    e = pl.min_horizontal(end, pl.lit(period_end))
    return pl.when(e > s).then(_position(e) - _position(s)).otherwise(0.0)


def _periods(year: int) -> dict[str, tuple[dt.date, dt.date]]:
    starts = [dt.date(year, m, 1) for m in (1, 4, 7, 10)] + [dt.date(year + 1, 1, 1)]
    return {q: (starts[i], starts[i + 1]) for i, q in enumerate(QUARTERS)}


def subsidy(loans: pl.DataFrame, year: int, policy: Policy) -> pl.DataFrame:
    """The `year`'s subsidy per disbursement-year cohort: one row per cohort with a loan
    earning subsidy in the year (cohort, loans, rate_estimated, principal, q1..q4, total)."""
    period = pl.col("period")
    fixed = {i: p.subsidy_rate for i, p in enumerate(policy.periods) if p.subsidy_rate != "rate_cap"}
    cap = period.replace_strict(fixed, default=pl.col("rate_cap"), return_dtype=pl.Float64)
    share = period.replace_strict({i: p.share_in(year) for i, p in enumerate(policy.periods)}, return_dtype=pl.Float64)
    end = pl.min_horizontal("interval_end", "effective_maturity")
    principal = (
        pl.when(pl.col("balance") > 0)
        .then(pl.col("balance"))
        .when(pl.col("settled_date").is_not_null())
        .then(pl.col("amount"))
        .otherwise(0.0)
    )
    subsidised = pl.min_horizontal(principal, policy.by_period("subsidy_max_amount"))
    yearly = subsidised * pl.min_horizontal(pl.col("annual_rate").fill_null(cap), cap) / 100 / 12 * share
    per_loan = (
        loans.lazy()
        .filter(pl.col("disbursement_date").is_not_null() & end.is_not_null())
        .select(
            pl.col("disbursement_date").dt.year().alias("cohort"),
            principal.alias("principal"),
            pl.col("annual_rate").is_null().alias("rate_estimated"),
            *[
                (yearly * months_active(pl.col("disbursement_date"), end, p0, p1)).alias(q)
                for q, (p0, p1) in _periods(year).items()
            ],
            months_active(pl.col("disbursement_date"), end, dt.date(year, 1, 1), dt.date(year + 1, 1, 1)).alias("_months"),
        )
        .filter(pl.col("_months") > 0)
    )
    return (
        per_loan.group_by("cohort")
        .agg(
            pl.len().cast(pl.Int64).alias("loans"),
            pl.col("rate_estimated").sum().cast(pl.Int64),
            pl.col("principal").sum(),
            *[pl.col(q).sum() for q in QUARTERS],
            pl.sum_horizontal(QUARTERS).sum().alias("total"),
        )
        .with_columns(pl.lit(year, dtype=pl.Int32).alias("year"), pl.col(MONEY).round(2))
        .select("year", pl.col("cohort").cast(pl.Int32), "loans", "rate_estimated", *MONEY)
        .sort("cohort")
        .collect()
    )


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def format_subsidy(frame: pl.DataFrame) -> str:
    """The estimate as a printable table with Chinese headers and a 合计 row."""
    year = frame.get_column("year")[0] if frame.height else None
    title = f"{year}年贴息测算（按放款年度、季度；元）" if year else "贴息测算：该年度没有应贴息的贷款"
    if not frame.height:
        return title
    totals = frame.select(pl.col("loans").sum(), *[pl.col(c).sum().round(2) for c in MONEY])
    rows = [
        [str(r["cohort"]) + "年", f"{r['loans']:,}", *[f"{r[c]:,.2f}" for c in MONEY]]
        for r in frame.iter_rows(named=True)  # one row per cohort: a handful
    ]
    t = totals.row(0, named=True)
    rows.append(["合计", f"{t['loans']:,}", *[f"{t[c]:,.2f}" for c in MONEY]])
    header = list(HEADERS.values())
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0] + " " * (widths[0] - _width(cells[0]))
        rest = [" " * (w - _width(c)) + c for c, w in zip(cells[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    out = [title, line(header), "  ".join("-" * w for w in widths), *[line(r) for r in rows]]
    estimated = int(frame.get_column("rate_estimated").sum())
    if estimated:
        out.append(f"注：{estimated} 笔贷款缺少年利率，按所属政策时期的贴息利率估算。")
    out.append("说明：贴息 = min(本金, 贴息本金上限) × min(执行利率, 贴息利率) × 当期计息月数 / 12 × 贴息比例；"
               "贴息利率、上限和比例按放款日所属政策时期（2021年3月4日起为按期限的LPR）；逾期部分不贴息；"
               "各数分别四舍五入到分。")
    return "\n".join(out)
