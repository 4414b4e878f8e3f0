"""The rule reference, generated from the registry's docstrings (CLI and report)."""

from __future__ import annotations

import json

from loan_audit.pipeline.vocab.policy import Policy, load_policy
from loan_audit.rules import DOC_SECTIONS, REGISTRY

SECTION_TITLES = {"## What it flags": "认定标准", "## Why it matters": "政策依据", "## How to fix": "整改要求"}


PERIOD_HEADERS = {
    "from": "放款日期自", "programme": "项目", "max_amount": "单笔上限(元)", "household_max_amount": "户同时存续上限(元)",
    "max_term_months": "期限上限(月)", "rate": "利率上限", "monitored": "边缘户/监测户", "subsidy": "贴息",
}


def subsidy_rate_text(period) -> str:
    """A period's 贴息利率 in words: its percent, or the loan's rate cap (LPR by tenor)."""
    if period.subsidy_rate == "rate_cap":
        return "按利率上限（期限12个月以内用1年期LPR，更长用5年期以上LPR）" if period.rate_rule == "lpr" else "按利率上限"
    return f"{period.subsidy_rate:g}%"


def period_rows(policy: Policy) -> list[dict]:
    """The policy's periods as 规则说明 shows them (Chinese cells, PERIOD_HEADERS' keys)."""
    rows = []
    for p in policy.periods:
        rate = ("不高于放款日前最近公布的LPR（期限12个月以内用1年期，更长用5年期以上）" if p.rate_rule == "lpr"
                else "不高于放款日适用的贷款基准利率（期限12个月以内用一年以内，更长用一至五年）")
        monitored = "不可贷" if not p.monitored_eligible else (
            "可贷（含风险已消除的）" if p.risk_eliminated_eligible else "可贷（风险消除后不可贷）")
        shares = "、".join(f"{s.from_year}年起{s.share:.0%}" for s in p.subsidy_shares)
        rows.append({
            "from": p.start.isoformat(), "programme": p.programme, "max_amount": f"{p.max_amount:,.0f}",
            "household_max_amount": f"{p.household_max_amount:,.0f}", "max_term_months": str(p.max_term_months),
            "rate": rate, "monitored": monitored,
            "subsidy": f"{subsidy_rate_text(p)}，本金{p.subsidy_max_amount:,.0f}元以内，比例{shares}",
        })
    return rows


def periods_markdown(policy: Policy) -> str:
    head = list(PERIOD_HEADERS.values())
    lines = ["## 政策时期 periods\n", "贷款按放款日期所属时期判断（早于第一个时期的按第一个时期）。\n",
             "| " + " | ".join(head) + " |", "|" + " --- |" * len(head)]
    lines += ["| " + " | ".join(r[k] for k in PERIOD_HEADERS) + " |" for r in period_rows(policy)]
    return "\n".join(lines) + "\n"


def rule_entries(policy: Policy | None = None) -> list[dict]:
    policy = (policy or load_policy()).as_dict()
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


def rules_text(policy: Policy | None = None) -> str:
    return "\n".join(f"{e['id']:<30} {e['severity']:<8} {e['title']}" for e in rule_entries(policy))


def rules_json(policy: Policy | None = None) -> str:
    return json.dumps(rule_entries(policy), ensure_ascii=False, indent=2)


def rules_markdown(policy: Policy | None = None) -> str:
    policy = policy or load_policy()
    parts = ["# loan-audit 规则说明\n", periods_markdown(policy)]
    for e in rule_entries(policy):
        parts.append(f"## `{e['id']}` {e['title']} ({e['severity']})\n\n{e['summary']}\n")
        for key, heading in zip(("what", "why", "fix"), SECTION_TITLES.values(), strict=True):
            parts.append(f"### {heading}\n\n{e[key]}\n")
        if e["params"]:
            params = ", ".join(f"`{k}` = {v}" for k, v in e["params"].items())
            parts.append(f"参数 parameters: {params}\n")
    return "\n".join(parts)
