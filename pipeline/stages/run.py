"""The audit, stage by stage: read_tables → normalised → validated → context → cases."""

from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl

from loan_audit.pipeline.stages.context import Context, build_context, only_county
from loan_audit.pipeline.stages.detect import cases as detect_cases
from loan_audit.pipeline.stages.detect import published
from loan_audit.pipeline.stages.ingest import RawTable, read_tables, table_from_records
from loan_audit.pipeline.stages.monitoring import monitoring
from loan_audit.pipeline.stages.normalise import normalised
from loan_audit.pipeline.stages.summary import summary as build_summary
from loan_audit.pipeline.stages.validate import Validated, validated
from loan_audit.pipeline.vocab.policy import Policy, load_policy
from loan_audit.rules import REGISTRY, Rule


@dataclass
class AuditResult:
    as_of: dt.date
    policy: Policy
    raw: dict[str, RawTable]
    validated: Validated
    context: Context
    cases: pl.DataFrame
    skipped: dict[str, str]
    summary: dict
    timings: dict[str, float] = field(default_factory=dict)
    history: object | None = None  # monthly.lifecycle.HistoryResult once remembered

    @property
    def published_cases(self) -> pl.DataFrame:
        """The cases as files and stdout show them (`county` only with several counties)."""
        return published(self.cases, self.context)


def resolve_as_of(policy: Policy, as_of: dt.date | None) -> dt.date:
    """--as-of, else the policy file's value, else today (SPEC §3)."""
    return as_of or policy.as_of or dt.date.today()


class _Stages:
    """Times each stage and tells a progress callback which one is running."""

    def __init__(self, progress: Callable[[str], None] | None):
        self.progress = progress
        self.timings: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str):
        if self.progress:
            self.progress(name)
        start = time.perf_counter()
        yield
        self.timings[name] = time.perf_counter() - start


def audit(
    raw: dict[str, RawTable],
    policy: Policy,
    as_of: dt.date,
    rules: list[Rule] = REGISTRY,
    progress: Callable[[str], None] | None = None,
    timings: dict[str, float] | None = None,
    county: str | None = None,
) -> AuditResult:
    stages = _Stages(progress)
    if timings:
        stages.timings.update(timings)
    with stages.stage("normalise"):
        norm = normalised(raw)
    with stages.stage("validate"):
        checked = validated(norm, raw)
        del norm  # the checked tables are what later stages read (the same frames when no row is quarantined)
    with stages.stage("context"):
        present = {t: r.present for t, r in raw.items()}
        ctx = build_context(checked.tables, policy, as_of, present)
        outside = None
        if county is not None:  # the county's rows, audited as if they were the whole input
            tables, outside = only_county(checked.tables, ctx, county)
            ctx = build_context(tables, policy, as_of, present)
    with stages.stage("detect"):
        found, skipped = detect_cases(ctx, rules)
    with stages.stage("summary"):
        inputs = {
            t: {"file": str(r.path), "encoding": r.encoding, "columns": sorted(r.present), "factors": r.factors}
            for t, r in raw.items()
        }
        summ = build_summary(ctx, checked, found, skipped, rules, inputs, monitoring(ctx))
        if outside is not None:
            summ["county_filter"] = outside
    return AuditResult(as_of, policy, raw, checked, ctx, found, skipped, summ, stages.timings)


def audit_files(
    roster: Path,
    loans: Path,
    policy_path: Path | None = None,
    as_of: dt.date | None = None,
    encoding: str | None = None,
    progress: Callable[[str], None] | None = None,
    county: str | None = None,
) -> AuditResult:
    policy = load_policy(policy_path)
    day = resolve_as_of(policy, as_of)
    stages = _Stages(progress)
    with stages.stage("ingest"):
        raw = read_tables(roster, loans, encoding)
    return audit(raw, policy, day, progress=progress, timings=stages.timings, county=county)


def context_files(
    roster: Path,
    loans: Path,
    policy_path: Path | None = None,
    as_of: dt.date | None = None,
    encoding: str | None = None,
) -> Context:
    """Only the shared context of the inputs (no rules): for the subsidy estimate."""
    policy = load_policy(policy_path)
    raw = read_tables(roster, loans, encoding)
    checked = validated(normalised(raw), raw)
    return build_context(checked.tables, policy, resolve_as_of(policy, as_of), {t: r.present for t, r in raw.items()})


def audit_records(example: dict, policy: Policy | None = None, rules: list[Rule] = REGISTRY) -> AuditResult:
    """An audit of rows given in memory: `{"as_of": ..., "loans": [...], "roster": [...]}`."""
    policy = policy or load_policy()
    raw = {t: table_from_records(t, example[t]) for t in ("roster", "loans")}
    return audit(raw, policy, dt.date.fromisoformat(example["as_of"]), rules)
