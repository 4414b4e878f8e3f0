"""The rule registry: every non-underscore module of this package is one rule.

A rule module declares ID (SPEC §4's id), TITLE (Chinese), SEVERITY (its most
severe form), PARAMS (policy keys it reads), COLUMNS (optional input columns it
needs, per table), EXAMPLES ({"bad": ..., "good": ...} built with
`rules._common.example`), a docstring with the sections `## What it flags`,
`## Why it matters`, `## How to fix`, and `detect(ctx) -> cases frame`.
Adding a rule is adding one file; the registry refuses a malformed one loudly.
"""

from __future__ import annotations

import importlib
import pkgutil
from dataclasses import dataclass, fields
from types import ModuleType
from typing import Callable

from loan_audit.pipeline.vocab.columns import TABLES
from loan_audit.pipeline.vocab.labels import SEVERITIES
from loan_audit.pipeline.vocab.policy import PERIOD_KEYS, Policy

# SPEC §4's ids in its order, then the data-quality findings SPEC §2.3 asks for.
SPEC_IDS = (
    "overdue",
    "due_soon",
    "over_limit",
    "multiple_loans_per_household",
    "non_poor_borrower",
    "non_productive_use",
    "enterprise_use",
    "term_over_limit",
    "rate_above_base",
    "borrower_age",
    "deceased_borrower",
    "invalid_id_number",
    "duplicate_loan_record",
    "name_id_mismatch",
    "duplicate_name",
    "suspected_same_person",
)
EXTRA_IDS = ("unreadable_value",)
DOC_SECTIONS = ("## What it flags", "## Why it matters", "## How to fix")


class RegistryError(Exception):
    """A rule module breaks the registry's contract (a bug, not a user error)."""


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    severity: str
    params: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]
    examples: dict
    doc: str
    detect: Callable
    module: str

    def section(self, heading: str) -> str:
        """The text under one of DOC_SECTIONS (without the heading)."""
        start = self.doc.index(heading) + len(heading)
        rest = self.doc[start:]
        end = rest.find("\n## ")
        return (rest if end < 0 else rest[:end]).strip()

    @property
    def summary(self) -> str:
        return self.doc.strip().splitlines()[0]


def check_module(module: ModuleType) -> Rule:
    name = module.__name__
    missing = [a for a in ("ID", "TITLE", "SEVERITY", "PARAMS", "COLUMNS", "EXAMPLES", "detect") if not hasattr(module, a)]
    if missing:
        raise RegistryError(f"{name}: missing {', '.join(missing)}")
    if module.ID not in SPEC_IDS + EXTRA_IDS:
        raise RegistryError(f"{name}: ID {module.ID!r} is not a SPEC rule id")
    if module.SEVERITY not in SEVERITIES:
        raise RegistryError(f"{name}: SEVERITY {module.SEVERITY!r} not in {SEVERITIES}")
    doc = module.__doc__ or ""
    absent = [s for s in DOC_SECTIONS if s not in doc]
    if absent:
        raise RegistryError(f"{name}: docstring lacks {', '.join(absent)}")
    policy_keys = {f.name for f in fields(Policy)} | set(PERIOD_KEYS)
    unknown = [p for p in module.PARAMS if p not in policy_keys]
    if unknown:
        raise RegistryError(f"{name}: PARAMS not in the policy: {unknown}")
    for table, cols in module.COLUMNS.items():
        known = {c.name for c in TABLES.get(table, ())}
        if not known or set(cols) - known:
            raise RegistryError(f"{name}: COLUMNS {table}:{cols} are not input columns")
    if set(module.EXAMPLES) != {"bad", "good"}:
        raise RegistryError(f"{name}: EXAMPLES must have exactly 'bad' and 'good'")
    return Rule(
        module.ID,
        module.TITLE,
        module.SEVERITY,
        tuple(module.PARAMS),
        dict(module.COLUMNS),
        module.EXAMPLES,
        doc,
        module.detect,
        name,
    )


def discover() -> list[Rule]:
    """Every rule module of this package, checked, in SPEC order."""
    found: dict[str, Rule] = {}
    for info in pkgutil.iter_modules(__path__):
        if info.name.startswith("_"):
            continue
        rule = check_module(importlib.import_module(f"{__name__}.{info.name}"))
        if rule.id in found:
            raise RegistryError(f"rule id {rule.id!r} registered twice: {found[rule.id].module} and {rule.module}")
        found[rule.id] = rule
    order = {rid: i for i, rid in enumerate(SPEC_IDS + EXTRA_IDS)}
    return sorted(found.values(), key=lambda r: order[r.id])


REGISTRY: list[Rule] = discover()
BY_ID: dict[str, Rule] = {r.id: r for r in REGISTRY}
