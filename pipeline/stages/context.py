"""The shared context every rule reads: computed once, per SPEC §3.

`loans` has one row per loan_id (the first record of a repeated loan_id; SPEC §3),
`loan_records` every checked loan row, `roster` every checked roster row. The
derived columns below are the only place their definitions live:

loans / loan_records
    borrower_id_reason   null when the borrower ID is valid, else a key of ids.REASONS
    borrower_id_valid    bool
    birth_date           from a valid ID
    age_at_disbursement  whole years on the disbursement date
    effective_maturity   extended_maturity_date, else maturity_date
    interval_end         end of the half-open active interval [disbursement_date, end)
    term_months          original term T: largest m with disbursement + m months <= maturity
    period               the policy period the disbursement date falls in (an index into
                         policy.periods; before the first period, the first)
    rate_cap, rate_basis, rate_published
                         the rate cap for the period's rate_rule and the original term
                         (percent), which published rate it is, and the date it took effect
    in_roster            the borrower ID is a roster member's
    member_*             that member's roster row (household_id, name, relation, township,
                         village, household_status, registered_date, removed_date,
                         status, status_change_date, monitoring_category,
                         risk_eliminated, risk_identified_date, risk_eliminated_date, and
                         the *_raw text of registered, removed, status change and risk
                         eliminated dates).
                         An ID damaged by Excel matches no member: different people's
                         IDs collapse to the same damaged text.
    member_row           that member's row number in `roster` (0-based; null when none)
    household            member_household_id, else "ID:<borrower id>" (a household of its
                         own), else "LOAN:<loan_id>" when the ID is missing or Excel-damaged
    borrower_county      the roster's county when in the roster, else the loan's (below)
    borrower_township    the roster's township when in the roster, else the loan's
    borrower_village     likewise
    borrower_id_key      ids.match_key of the borrower ID: the ID as one Int64 (body × 11 +
                         check value), null when not of plain form
roster
    id_reason, id_valid, birth_date, id_key as above for id_number
    county               the county as compared (divisions.county_key): the roster's own,
                         else the GB/T 2260 code its household number starts with

Counties: a place is (county, township, village). When the inputs name one county at
most (`counties` below), every row is that county (an unknown one stays null): a
single-county input needs no county column. Several counties: a row whose county is not
known stays null, a county of its own.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import polars as pl

from loan_audit.pipeline.vocab.columns import ROW
from loan_audit.pipeline.vocab.dates import whole_months_between, whole_years_between
from loan_audit.pipeline.vocab.divisions import (
    county_from_household,
    county_full_label,
    county_key,
    county_label,
    resolve_county,
)
from loan_audit.pipeline.vocab.errors import InputError
from loan_audit.pipeline.vocab.ids import id_checks
from loan_audit.pipeline.vocab.policy import Policy, period_of, rate_cap_columns

MEMBER_COLUMNS = {
    "household_id": "member_household_id",
    "name": "member_name",
    "relation": "member_relation",
    "county": "member_county",
    "township": "member_township",
    "village": "member_village",
    "household_status": "member_household_status",
    "registered_date": "member_registered_date",
    "removed_date": "member_removed_date",
    "member_status": "member_status",
    "status_change_date": "member_status_change_date",
    "monitoring_category": "member_monitoring_category",
    "risk_eliminated": "member_risk_eliminated",
    "risk_identified_date": "member_risk_identified_date",
    "risk_eliminated_date": "member_risk_eliminated_date",
    # raw text beside the parsed roster dates: an empty date is not an unreadable one
    "registered_date_raw": "member_registered_date_raw",
    "removed_date_raw": "member_removed_date_raw",
    "status_change_date_raw": "member_status_change_date_raw",
    "risk_eliminated_date_raw": "member_risk_eliminated_date_raw",
}


@dataclass
class Context:
    as_of: dt.date
    policy: Policy
    loans: pl.DataFrame
    loan_records: pl.DataFrame
    roster: pl.DataFrame
    present: dict[str, set[str]]  # table → canonical columns the input files really have
    counties: tuple[str, ...] = ()  # the distinct known counties, sorted

    @property
    def multi_county(self) -> bool:
        return len(self.counties) > 1


def _excel_damaged() -> pl.Expr:
    return (pl.col("borrower_id_reason") == "excel_damage").fill_null(False)


def build_context(tables: dict[str, pl.DataFrame], policy: Policy, as_of: dt.date, present: dict[str, set[str]]) -> Context:
    tables = _counties(tables)
    roster_ids = id_checks(tables["roster"], "id_number_raw", "id_number", as_of)
    roster = tables["roster"].with_columns(
        roster_ids.get_column("reason").alias("id_reason"),
        roster_ids.get_column("reason").is_null().alias("id_valid"),
        roster_ids.get_column("birth_date"),
        roster_ids.get_column("key").alias("id_key"),
    )
    loans = tables["loans"]
    borrower_ids = id_checks(loans, "borrower_id_number_raw", "borrower_id_number", as_of)
    members = _members(roster, roster_ids.get_column("key"), loans, borrower_ids)
    # Only the derived columns are computed (from the few columns they read) and set
    # beside the loans' own, which are not copied: a plan over the whole frame copied
    # all of them into new chunks. They are put in one chunk like the loans' own: the
    # streaming engine's several chunks beside them made a rule's pl.format panic
    # (polars 2.1); streaming then rechunking beats the in-memory engine here.
    term = whole_months_between(pl.col("disbursement_date"), pl.col("maturity_date"))
    period = period_of(pl.col("disbursement_date"), policy)
    derived = (
        loans.hstack([borrower_ids.get_column("reason").alias("borrower_id_reason"), borrower_ids.get_column("birth_date")])
        .hstack(members.select("member_household_id", "member_county", "member_township", "member_village").get_columns())
        .lazy()
        .with_columns(pl.coalesce("extended_maturity_date", "maturity_date").alias("effective_maturity"))
        .select(
            pl.col("borrower_id_reason").is_null().alias("borrower_id_valid"),
            "effective_maturity",
            pl.when(pl.col("settled_date").is_not_null())
            .then(pl.col("settled_date"))
            .when(pl.col("balance") > 0)
            .then(pl.max_horizontal("effective_maturity", pl.lit(as_of)))
            .otherwise(pl.col("effective_maturity"))
            .alias("interval_end"),
            term.alias("term_months"),
            whole_years_between(pl.col("birth_date"), pl.col("disbursement_date")).alias("age_at_disbursement"),
            pl.col("member_household_id").is_not_null().alias("in_roster"),
            pl.coalesce(
                "member_household_id",
                pl.when(~_excel_damaged()).then(pl.lit("ID:") + pl.col("borrower_id_number")),
                pl.lit("LOAN:") + pl.col("loan_id"),
            ).alias("household"),
            pl.when(pl.col("member_household_id").is_not_null())
            .then(pl.col("member_county"))
            .otherwise(pl.col("county"))
            .alias("borrower_county"),
            pl.when(pl.col("member_household_id").is_not_null())
            .then(pl.col("member_township"))
            .otherwise(pl.col("township"))
            .alias("borrower_township"),
            pl.when(pl.col("member_household_id").is_not_null())
            .then(pl.col("member_village"))
            .otherwise(pl.col("village"))
            .alias("borrower_village"),
            period.alias("period"),
            *rate_cap_columns(pl.col("disbursement_date"), term, period, policy),
        )
        .collect()
        .rechunk()
    )
    d = derived.get_column
    records = loans.with_columns(
        borrower_ids.get_column("reason").alias("borrower_id_reason"),
        d("effective_maturity"),
        d("borrower_id_valid"),
        borrower_ids.get_column("birth_date"),
        borrower_ids.get_column("key").alias("borrower_id_key"),
        d("interval_end"),
        d("term_months"),
        d("age_at_disbursement"),
        *members.get_columns(),
        *(d(c) for c in ("in_roster", "household", "borrower_county", "borrower_township", "borrower_village",
                         "period", "rate_cap", "rate_basis", "rate_published")),
    )
    # Loan records arrive in file order (ingest numbers them, validate filters without
    # reordering) and the columns above keep it: the sort is only for frames built otherwise.
    if not records.get_column(ROW).is_sorted():
        records = records.sort(ROW)
    # The first record of each loan_id: a mask and a filter rather than `unique`, which
    # hashes the whole row's way through a gather of every column.
    first = _first_of_each(records.get_column("loan_id"))
    loans = records if first.all() else records.filter(first)
    # The counties are the roster's and the borrowers' (a bank's spelling the roster
    # overrides is no county of its own). One county: the rows that do not say it are in it.
    known = pl.concat([roster.get_column("county"), records.get_column("borrower_county")]).drop_nulls().unique().sort()
    counties = tuple(known.to_list())
    if len(counties) == 1:
        only = pl.lit(counties[0])
        roster = roster.with_columns(pl.col("county").fill_null(only))
        loans, records = (f.with_columns(pl.col("borrower_county").fill_null(only)) for f in (loans, records))
    return Context(as_of, policy, loans, records, roster, present, counties)


def _counties(tables: dict[str, pl.DataFrame]) -> dict[str, pl.DataFrame]:
    """Both tables with `county` as compared: the roster's own where given, else the code
    its household number starts with; the loans' as the bank wrote it."""
    roster = tables["roster"].with_columns(
        pl.coalesce(county_key(pl.col("county")), county_from_household(pl.col("household_id"))).alias("county")
    )
    loans = tables["loans"].with_columns(county_key(pl.col("county")).alias("county"))
    return {**tables, "roster": roster, "loans": loans}


def _first_of_each(values: pl.Series) -> pl.Series:
    """`values.is_first_distinct()`, worked out on the values' 64-bit hashes (cheaper than
    on the text). The rows whose hash repeats (their text repeats,
    or texts that share a hash) are decided again on their text: every row equal to one
    of them is among them, so that is exact."""
    hashes = values.hash()
    first = hashes.is_first_distinct()
    if first.all():
        return first
    again = hashes.is_in(hashes.filter(~first).implode()).arg_true()
    return first.scatter(again, values.gather(again).is_first_distinct())


def _members(roster: pl.DataFrame, roster_keys: pl.Series, loans: pl.DataFrame, borrower_ids: pl.DataFrame) -> pl.DataFrame:
    """The member_* columns and member_row of each loan: the first roster row whose ID
    equals the borrower's (none for an Excel-damaged ID), in the loans' order.

    Matched on ids.match_key, the ID as one Int64, rather than on 18-character text
    (hashing millions of texts is the dearer join); the few IDs not
    of plain form (no key) are matched on their text. A plain ID never equals one that
    is not, so the two matchings never miss a pair. Only the loans' position in the
    roster is joined; the member columns are then gathered from the roster in one
    frame-wide gather (polars takes the columns in parallel).
    """
    damaged = (pl.col("reason") == "excel_damage").fill_null(False)
    wanted = borrower_ids.with_columns(loans.get_column("borrower_id_number").alias("text")).select(
        pl.when(~damaged).then(pl.col("key")).alias("key"),
        pl.when(~damaged & pl.col("key").is_null()).then(pl.col("text")).alias("text"),
    )
    people = pl.DataFrame({"key": roster_keys, "text": roster.get_column("id_number")}).with_row_index("_at")
    by_key = (
        people.lazy()
        .filter(pl.col("key").is_in(wanted.get_column("key").drop_nulls().unique().implode()))
        .group_by("key")
        .agg(pl.col("_at").min())
    )
    by_text = (
        people.lazy()
        .filter(pl.col("key").is_null() & pl.col("text").is_not_null())
        .group_by("text")
        .agg(pl.col("_at").min().alias("_at_text"))
    )
    at = (
        wanted.lazy()
        .join(by_key, on="key", how="left", maintain_order="left")
        .join(by_text, on="text", how="left", maintain_order="left")
        .select(pl.coalesce("_at", "_at_text"))
        .collect()
        .to_series()
    )
    return roster.select(list(MEMBER_COLUMNS)).gather(at).rename(MEMBER_COLUMNS).with_columns(at.alias("member_row"))


def only_county(tables: dict[str, pl.DataFrame], ctx: Context, value: str) -> tuple[dict[str, pl.DataFrame], dict]:
    """`--county`: the checked tables' rows of the county `value` names (a name or a code):
    roster rows of the county, loans whose borrower is of it (the roster's county, else the
    loan's). Also how many rows lie outside. An InputError when the input has no such county."""
    wanted = resolve_county(value.strip())
    codes = [c for c in ctx.counties if c in wanted]
    if not codes:
        known = "、".join(county_label(c) or c for c in ctx.counties) or "无"
        raise InputError(f"输入中没有县 {value}（输入中的县：{known}）--county names no county of the input")
    if len(codes) > 1:
        several = "、".join(county_full_label(c) or c for c in codes)
        raise InputError(f"县名 {value} 不唯一：{several}，请用6位区划代码 --county names several counties")
    roster, loans = tables["roster"], tables["loans"]
    keep_roster = ctx.roster.get_column("county").is_in(codes)
    keep_loans = ctx.loan_records.sort(ROW).get_column("borrower_county").is_in(codes)
    if keep_roster.len() != roster.height or keep_loans.len() != loans.height:
        raise AssertionError("context rows do not match the checked tables")
    out = {**tables, "roster": roster.filter(keep_roster), "loans": loans.sort(ROW).filter(keep_loans)}
    outside = {
        "county": codes[0],
        "name": county_full_label(codes[0]),
        "roster_rows_outside": int((~keep_roster).sum()),
        "loans_rows_outside": int((~keep_loans).sum()),
    }
    return out, outside
