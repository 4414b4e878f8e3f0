"""summary.json: what was read, what was found, per rule, severity and township."""

from __future__ import annotations

import datetime as dt

import polars as pl

from loan_audit.pipeline.stages.context import Context
from loan_audit.pipeline.stages.validate import Validated
from loan_audit.pipeline.vocab.divisions import county_full_label, county_labels, county_name_expr, place_label
from loan_audit.pipeline.vocab.labels import UNKNOWN_TOWNSHIP
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
    labels = county_labels(ctx.counties)
    if ctx.multi_county:
        town = place_label(pl.col("county"), pl.col("township"), labels, UNKNOWN_TOWNSHIP)
    else:
        town = pl.col("township").fill_null(UNKNOWN_TOWNSHIP)
    townships = _by_severity(cases.with_columns(town.alias("township")), "township")
    found = {
        "total": cases.height,
        "by_severity": {s: int(cases.filter(pl.col("severity") == s).height) for s in ("error", "warning", "info")},
        "by_rule": by_rule,
        "by_township": townships,
    }
    if ctx.multi_county:  # per county: severities and cases per rule
        named = cases.with_columns(county_name_expr(pl.col("county"), labels).alias("county"))
        found["by_county"] = _by_severity(named, "county")
        for name, rule, n in named.group_by("county", "rule").len().sort("county", "rule").rows():
            found["by_county"][name].setdefault("by_rule", {})[rule] = n
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
        "counties": [{"code": c, "name": labels[c], "full_name": county_full_label(c)} for c in ctx.counties],
        "cases": found,
        "rules_skipped": skipped,
        "monitoring": monitoring,
        "policy": ctx.policy.as_dict(),
    }


def _by_severity(cases: pl.DataFrame, by: str) -> dict[str, dict]:
    """{value of `by`: {error, warning, info, total}}, sorted by the value."""
    out: dict[str, dict] = {}
    for key, severity, n in cases.group_by(by, "severity").len().sort(by).rows():
        entry = out.setdefault(key, {"error": 0, "warning": 0, "info": 0, "total": 0})
        entry[severity] += n
        entry["total"] += n
    return out
