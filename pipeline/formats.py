"""Machine formats of an audit for stdout: text, json, junit (for a bank's CI)."""

from __future__ import annotations

import json
import re
from xml.etree import ElementTree as ET

import polars as pl

from loan_audit.pipeline.vocab.labels import SEVERITY_RANK
from loan_audit.rules import Rule

_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
MAX_LISTED = 50  # cases listed per rule in text and JUnit output; JSON lists them all


def as_json(result, rules: list[Rule]) -> str:
    cases = result.published_cases.to_dicts()
    for case in cases:
        case["evidence"] = json.loads(case["evidence"]) if case["evidence"] else None
    return json.dumps({"summary": result.summary, "cases": cases}, ensure_ascii=False, indent=2, default=str)


def as_text(result, rules: list[Rule]) -> str:
    s = result.summary
    lines = [f"数据日期 as_of: {s['as_of']}"]
    for table, info in s["inputs"].items():
        lines.append(
            f"{table}: {info['file']} 读入 {info['rows_read']} 行，检查 {info['rows_checked']} 行，"
            f"隔离 {info['rows_quarantined']} 行"
        )
    for rule in rules:
        entry = s["cases"]["by_rule"][rule.id]
        if rule.id in result.skipped:
            lines.append(f"  - {rule.id} {rule.title}: 跳过 skipped ({result.skipped[rule.id]})")
        elif entry["total"]:
            lines.append(
                f"  ✗ {rule.id} {rule.title}: {entry['total']} "
                f"(error {entry['error']}, warning {entry['warning']}, info {entry['info']})"
            )
        else:
            lines.append(f"  ✓ {rule.id} {rule.title}: 0")
    by = s["cases"]["by_severity"]
    lines.append(f"合计 total: {s['cases']['total']} (error {by['error']}, warning {by['warning']}, info {by['info']})")
    return "\n".join(lines)


def _xml_text(text: str) -> str:
    """Text XML 1.0 can hold: control characters quoted from a cell become U+FFFD."""
    return _XML_ILLEGAL.sub("\ufffd", text)


def as_junit(result, rules: list[Rule], fail_on: str) -> str:
    """One testsuite, one testcase per rule: failure when it has cases at or above
    `fail_on`, skipped when its input column is missing."""

    failing = set() if fail_on == "never" else {s for s, r in SEVERITY_RANK.items() if r >= SEVERITY_RANK[fail_on]}
    suite = ET.Element("testsuite", name="loan-audit", timestamp=result.summary["run"]["generated_at"])
    failures = skipped = 0
    for rule in rules:
        case = ET.SubElement(suite, "testcase", classname="loan-audit", name=f"{rule.id} {rule.title}")
        if rule.id in result.skipped:
            ET.SubElement(case, "skipped", message=_xml_text(result.skipped[rule.id]))
            skipped += 1
            continue
        found = result.cases.filter(pl.col("rule") == rule.id)
        bad = found.filter(pl.col("severity").is_in(list(failing)))
        listed = _xml_text("\n".join(
            f"[{r['severity']}] {r['township'] or ''}{r['village'] or ''} {';'.join(r['loan_ids'] or [])} {r['message']}"
            for r in found.head(MAX_LISTED).iter_rows(named=True)
        ))
        if found.height > MAX_LISTED:
            listed += f"\n… 共 {found.height} 个案例 (see cases.csv)"
        if bad.height:
            failures += 1
            node = ET.SubElement(case, "failure", message=f"{bad.height} 个案例 cases", type=rule.severity)
            node.text = listed
        elif found.height:
            ET.SubElement(case, "system-out").text = listed
    suite.set("tests", str(len(rules)))
    suite.set("failures", str(failures))
    suite.set("errors", "0")
    suite.set("skipped", str(skipped))
    ET.indent(suite)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suite, encoding="unicode")
