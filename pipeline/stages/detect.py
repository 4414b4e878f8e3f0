"""Detect: every rule of the registry over one shared context → one cases frame."""

from __future__ import annotations

import hashlib
from concurrent.futures import ThreadPoolExecutor

import polars as pl

from loan_audit.pipeline.stages.context import Context
from loan_audit.pipeline.vocab.columns import TABLES
from loan_audit.pipeline.vocab.labels import SEVERITY_RANK
from loan_audit.rules import Rule
from loan_audit.rules._common import CASE_SCHEMA

CASES_SCHEMA = {"case_id": pl.Utf8, "title": pl.Utf8, **{k: v for k, v in CASE_SCHEMA.items() if k != "key"}}


def skip_reason(rule: Rule, ctx: Context) -> str | None:
    """Why a rule cannot run on these inputs (an optional column it needs is absent)."""
    for table, cols in rule.columns.items():
        absent = [c for c in cols if c not in ctx.present.get(table, set())]
        if absent:
            labels = {c.name: c.label for c in TABLES[table]}
            names = "、".join(f"{labels[c]}({c})" for c in absent)
            return f"输入缺少列 {names}，规则跳过 missing column"
    return None


def case_ids(rules: pl.Series, keys: pl.Series) -> pl.Series:
    """A case's id: stable across runs and versions (a hash of rule and key).

    sha1 of the UTF-8 text `rule|key` (a null key reads `None`, as it always has); the
    text is joined and encoded by polars, only the hashing is a Python loop.
    """
    text = pl.DataFrame({"rule": rules, "key": keys}).select(
        pl.concat_str("rule", pl.lit("|"), pl.col("key").fill_null("None")).cast(pl.Binary)
    )
    sha1 = hashlib.sha1
    ids = [h.hexdigest()[:16] for h in map(sha1, text.to_series().to_list())]
    return pl.Series("case_id", ids, dtype=pl.Utf8)


def cases(ctx: Context, rules: list[Rule]) -> tuple[pl.DataFrame, dict[str, str]]:
    """All cases in a stable order, and the rules skipped with the reason."""
    frames, skipped = [], {}
    for rule in rules:
        reason = skip_reason(rule, ctx)
        if reason:
            skipped[rule.id] = reason
            continue
        found = rule.detect(ctx)
        if found.height:
            frames.append(found.with_columns(pl.lit(rule.title).alias("title")))
    if not frames:
        return pl.DataFrame(schema=CASES_SCHEMA), skipped
    order = {r.id: i for i, r in enumerate(rules)}
    out = pl.concat(frames, how="vertical_relaxed")
    if ctx.multi_county:
        # Keys are unique within a county: across counties the county is part of the id.
        # A single-county input keeps the ids it has always had.
        out = out.with_columns(pl.concat_str(pl.col("county").fill_null(""), pl.lit("/"), pl.col("key").fill_null("None")).alias("key"))
    # The case ids are hashed in Python by a second thread while polars, which lets go
    # of the GIL, sorts the cases and their loan_ids: the hashing does not add to the sorts.
    with ThreadPoolExecutor(max_workers=1) as pool:
        ids = pool.submit(case_ids, out.get_column("rule"), out.get_column("key"))
        out = (
            out.with_row_index("_case")
            .with_columns(
                # The same order as list.sort(), which in polars 2.1 takes microseconds per list
                # of strings in some buffer layouts (lists read back from Parquet).
                pl.col("loan_ids").list.eval(pl.element().sort()),
                pl.col("rule").replace_strict(order, return_dtype=pl.Int32).alias("_order"),
            )
            .sort("_order", "county", "township", "village", "key", nulls_last=True)
        )
        ids = ids.result().gather(out.get_column("_case"))
    out = out.with_columns(ids)
    # Two cases of one rule with one key would share an id: a rule bug, caught here.
    dupes = out.filter(pl.col("case_id").is_duplicated())
    if dupes.height:
        raise AssertionError(f"rule produced duplicate case keys: {dupes.select('rule', 'key').head(3).rows()}")
    return out.select(CASES_SCHEMA.keys()), skipped


def published(cases: pl.DataFrame, ctx: Context) -> pl.DataFrame:
    """The cases as files and stdout show them: `county` only where the input has more
    than one county (a single-county input keeps SPEC §5's columns; its one county is
    `ctx.counties`). Reports and the monthly store keep the column either way."""
    return cases if ctx.multi_county else cases.drop("county", strict=False)


def at_or_above(frame: pl.DataFrame, threshold: str) -> int:
    """How many cases have a severity at or above `threshold` (`never`: none count)."""
    if threshold == "never" or frame.height == 0:
        return 0
    rank = SEVERITY_RANK[threshold]
    allowed = [s for s, r in SEVERITY_RANK.items() if r >= rank]
    return frame.filter(pl.col("severity").is_in(allowed)).height
