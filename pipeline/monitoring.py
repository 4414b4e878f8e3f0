"""月监测、月统计: the monitoring figures per township and for the county."""

from __future__ import annotations

from pipeline.context import Context


def monitoring(ctx: Context) -> dict:
    """Filled in by the policy-rules work (issue 3): 发放率, balance, overdue rate, alerts."""
    return {}
