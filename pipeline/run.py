"""The audit, stage by stage: read_tables → normalised → validated → context → cases."""

from __future__ import annotations

import datetime as dt
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import polars as pl

from pipeline.context import Context, build_context
from pipeline.detect import cases as detect_cases
from pipeline.ingest import RawTable, read_tables, table_from_records
from pipeline.monitoring import monitoring
from pipeline.normalise import normalised
from pipeline.policy import Policy, load_policy
from pipeline.summary import summary as build_summary
from pipeline.validate import Validated, validated
from rules import REGISTRY, Rule


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
    history: object | None = None  # pipeline.store.HistoryResult once remembered


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
    with stages.stage("detect"):
        found, skipped = detect_cases(ctx, rules)
    with stages.stage("summary"):
        inputs = {
            t: {"file": str(r.path), "encoding": r.encoding, "columns": sorted(r.present), "factors": r.factors}
            for t, r in raw.items()
        }
        summ = build_summary(ctx, checked, found, skipped, rules, inputs, monitoring(ctx))
    return AuditResult(as_of, policy, raw, checked, ctx, found, skipped, summ, stages.timings)


def audit_files(
    roster: Path,
    loans: Path,
    policy_path: Path | None = None,
    as_of: dt.date | None = None,
    encoding: str | None = None,
    progress: Callable[[str], None] | None = None,
) -> AuditResult:
    policy = load_policy(policy_path)
    day = resolve_as_of(policy, as_of)
    stages = _Stages(progress)
    with stages.stage("ingest"):
        raw = read_tables(roster, loans, encoding)
    return audit(raw, policy, day, progress=progress, timings=stages.timings)


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


def remember(result: AuditResult, db: Path) -> AuditResult:
    """Record the run in the monthly store; the cases gain their lifecycle (status,
    first_seen, months_open, the township's reply and the 虚假整改/逾期未整改 flags)."""
    from pipeline.store import record_run

    return _with_history(result, db, record_run(db, result))


@contextmanager
def remembering(result: AuditResult, db: Path):
    """`remember`, committed only when the block (writing the outputs) succeeds."""
    from pipeline.store import recording

    with recording(db, result) as hist:
        yield _with_history(result, db, hist)


def _with_history(result: AuditResult, db: Path, hist) -> AuditResult:
    result.cases = hist.cases
    result.summary["history"] = {
        "db": str(db),
        "previous_as_of": hist.previous_as_of.isoformat() if hist.previous_as_of else None,
        "replaced": hist.replaced,
        "later_runs": [d.isoformat() for d in hist.later_runs],
        "claimed_fixed_but_present": hist.claimed_fixed_but_present.height,
        "past_deadline": hist.past_deadline.height,
    }
    result.summary["status_counts"] = hist.status_counts
    result.history = hist
    return result


def audit_records(example: dict, policy: Policy | None = None, rules: list[Rule] = REGISTRY) -> AuditResult:
    """An audit of rows given in memory: `{"as_of": ..., "loans": [...], "roster": [...]}`."""
    policy = policy or load_policy()
    raw = {t: table_from_records(t, example[t]) for t in ("roster", "loans")}
    return audit(raw, policy, dt.date.fromisoformat(example["as_of"]), rules)
