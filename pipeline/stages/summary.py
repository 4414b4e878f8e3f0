"""summary.json: what was read, what was found, per rule, severity and township."""

from __future__ import annotations

import datetime as dt

import polars as pl

from loan_audit.pipeline.stages.context import Context
from loan_audit.pipeline.stages.validate import Validated
from loan_audit.rules import Rule


def summary(
    ctx: Context,
    validated: Validated,
    cases: pl.DataFrame,
    skipped: dict[str, str],
    rules: list[Rule],
    inputs: dict[str, dict],
    monitoring: dict,
) -> dict:
    by_rule = {
        r.id: {"title": r.title, "error": 0, "warning": 0, "info": 0, "total": 0, "skipped": r.id in skipped}
        for r in rules
    }
    for rule, severity, n in cases.group_by("rule", "severity").len().rows():
        by_rule[rule][severity] += n
        by_rule[rule]["total"] += n
    townships = {}
    for town, severity, n in (
        cases.with_columns(pl.col("township").fill_null("（未知乡镇）")).group_by("township", "severity").len().sort("township").rows()
    ):
        entry = townships.setdefault(town, {"error": 0, "warning": 0, "info": 0, "total": 0})
        entry[severity] += n
        entry["total"] += n
    reasons = (
        validated.quarantine.explode("reasons").group_by("table", "reasons").len().sort("table", "reasons").rows()
    )
    return {
        "as_of": ctx.as_of.isoformat(),
        "run": {"generated_at": dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()},
        "inputs": {
            table: {**inputs[table], **validated.counts[table]} for table in ("roster", "loans")
        },
        "quarantine_reasons": [{"table": t, "reason": r, "rows": n} for t, r, n in reasons],
        "cases": {
            "total": cases.height,
            "by_severity": {s: int(cases.filter(pl.col("severity") == s).height) for s in ("error", "warning", "info")},
            "by_rule": by_rule,
            "by_township": townships,
        },
        "rules_skipped": skipped,
        "monitoring": monitoring,
        "policy": ctx.policy.as_dict(),
    }
