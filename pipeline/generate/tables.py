"""The two tables as the pipeline sees them after normalisation: the canonical roster
and loan register (with `_pid` / `_lid` kept for the writers).
"""

from __future__ import annotations

import polars as pl

from loan_audit.pipeline.generate.setting import RELATIONS
from loan_audit.pipeline.generate.world import World

ROSTER_COLUMNS = (
    "household_id", "id_number", "name", "relation", "township", "village", "household_status",
    "registered_date", "removed_date", "member_status", "status_change_date",
)
LOAN_OUTPUT = (
    "loan_id", "borrower_name", "borrower_id_number", "township", "village", "amount", "disbursement_date",
    "maturity_date", "extended_maturity_date", "settled_date", "annual_rate", "balance", "purpose",
    "usage_mode", "bank",
)
def canonical_tables(w: World) -> tuple[pl.DataFrame, pl.DataFrame, dict[int, str]]:
    """Roster and loan records in the canonical form, with `_pid` / `_lid` kept for the
    writers; and each lid's loan_id."""
    V = w.villages
    county = "county" in V.columns  # a province: the roster names the county, the bank gives its code
    roster = (
        w.persons.filter(pl.col("hh") >= 0)
        .join(w.households.select("hh", "household_id", "status", "registered_date", "removed_date"), on="hh", how="left")
        .join(V.select("vidx", "township", "village", *(["county_name"] if county else [])), on="vidx", how="left")
        .sort("household_id", "slot", "pid")
        .select(
            pl.col("pid").alias("_pid"), "household_id", *([pl.col("county_name").alias("county")] if county else []),
            pl.col("id_text").alias("id_number"), "name",
            pl.col("rel").replace_strict(dict(enumerate(RELATIONS)), return_dtype=pl.Utf8).alias("relation"),
            "township", "village", pl.col("status").alias("household_status"), "registered_date",
            "removed_date", "member_status", "status_change_date",
        )
    )
    numbered = w.loans.sort("disb", "lid").with_columns(
        pl.concat_str(pl.lit("LCNS"), pl.col("disb").dt.strftime("%Y%m%d"),
                      (pl.int_range(pl.len()).over("disb") + 1).cast(pl.Utf8).str.zfill(5)).alias("loan_id")
    )
    lid_map = dict(zip(numbered["lid"].to_list(), numbered["loan_id"].to_list()))
    loans = (
        numbered.join(V.select("vidx", "town", "township", "bank", *(["county"] if county else [])), on="vidx", how="left")
        .with_columns(pl.int_ranges(0, pl.col("copies") + 1).alias("_copy"))
        .explode("_copy")
        .sort("town", "loan_id", "_copy")
        .select(
            pl.col("lid").alias("_lid"), "loan_id", "borrower_name", pl.col("borrower_id").alias("borrower_id_number"),
            *(["county"] if county else []), "township", pl.col("village_text").alias("village"), "amount", pl.col("disb").alias("disbursement_date"),
            pl.col("maturity").alias("maturity_date"), pl.col("extended").alias("extended_maturity_date"),
            pl.col("settled").alias("settled_date"), pl.col("rate").alias("annual_rate"), "balance", "purpose",
            "usage_mode", "bank",
        )
    )
    return roster, loans, lid_map
def unreadable_as_null(w: World, roster: pl.DataFrame, loans: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """The messy form's unreadable cells, as the pipeline parses them: null."""
    for table, _kind, ref, column, _raw in w.unreadable:
        if table == "loans":
            loans = loans.with_columns(pl.when(pl.col("_lid") == ref).then(None).otherwise(pl.col(column)).alias(column))
        else:
            roster = roster.with_columns(pl.when(pl.col("_pid") == ref).then(None).otherwise(pl.col(column)).alias(column))
    return roster, loans
