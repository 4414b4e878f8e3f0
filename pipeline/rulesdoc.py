"""The rule reference, generated from the registry's docstrings (CLI and report)."""

from __future__ import annotations

import json

from loan_audit.pipeline.vocab.policy import load_policy
from loan_audit.rules import DOC_SECTIONS, REGISTRY

SECTION_TITLES = {"## What it flags": "认定标准", "## Why it matters": "政策依据", "## How to fix": "整改要求"}


def rule_entries() -> list[dict]:
    policy = load_policy().as_dict()
    return [
        {
            "id": r.id,
            "title": r.title,
            "severity": r.severity,
            "summary": r.summary,
            "params": {p: policy[p] for p in r.params},
            "columns": {t: list(c) for t, c in r.columns.items()},
            "what": r.section(DOC_SECTIONS[0]),
            "why": r.section(DOC_SECTIONS[1]),
            "fix": r.section(DOC_SECTIONS[2]),
        }
        for r in REGISTRY
    ]


def rules_text() -> str:
    return "\n".join(f"{e['id']:<30} {e['severity']:<8} {e['title']}" for e in rule_entries())


def rules_json() -> str:
    return json.dumps(rule_entries(), ensure_ascii=False, indent=2)


def rules_markdown() -> str:
    parts = ["# loan-audit 规则说明\n"]
    for e in rule_entries():
        parts.append(f"## `{e['id']}` {e['title']} ({e['severity']})\n\n{e['summary']}\n")
        for key, heading in zip(("what", "why", "fix"), SECTION_TITLES.values(), strict=True):
            parts.append(f"### {heading}\n\n{e[key]}\n")
        if e["params"]:
            params = ", ".join(f"`{k}` = {v}" for k, v in e["params"].items())
            parts.append(f"参数 parameters: {params}\n")
    return "\n".join(parts)
