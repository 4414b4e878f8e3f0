"""Rules of this checkout against the same rules of another checkout: timed on one
shared context, taking turns, and checked to give the same cases.

    git worktree add --detach /tmp/base HEAD~1
    .venv/bin/python bench/rules_ab.py /tmp/base DIR suspected_same_person,duplicate_name --repeat 4

DIR is a data folder (`loan-audit generate`, or bench/scale.py's cache under
/tmp/loan-audit-scale). The context is built once, by this checkout's stages; each
rule's `detect` of the other checkout reads it too (a rule change is compared, not a
stage change: for those, bench/stages.py). Prints per rule the fastest and every time
of each side, and whether the two case frames are equal (rows in key order). On a
shared 2-core machine compare the two sides of one run, not runs. The 1M-loan set:
run under `flock /tmp/loan-audit-1m.lock`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT / "bench") not in sys.path:
    sys.path.insert(0, str(ROOT / "bench"))


def other_detects(tree: Path, ids: list[str]) -> dict:
    """Each rule's `detect` as the other checkout's `loan_audit.rules` has it: imported
    under the same names with that tree first on the path, then this checkout's modules
    put back. Both checkouts must have the one-package layout (`loan_audit.*`)."""
    from checkouts import importable

    def ours(name: str) -> bool:
        return name == "loan_audit.rules" or name.startswith("loan_audit.rules.")

    kept = {k: v for k, v in sys.modules.items() if ours(k)}
    for name in kept:
        del sys.modules[name]
    farm = str(importable(tree))
    sys.path.insert(0, farm)
    try:
        return {rule: importlib.import_module(f"loan_audit.rules.{rule}").detect for rule in ids}
    finally:
        sys.path.remove(farm)
        for name in [k for k in sys.modules if ours(k)]:
            del sys.modules[name]
        sys.modules.update(kept)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("tree", type=Path, help="the other checkout")
    ap.add_argument("data", type=Path, help="a data folder (roster.* and loans.*)")
    ap.add_argument("rules", help="rule ids, comma-separated")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--as-of", type=dt.date.fromisoformat, default=dt.date(2020, 12, 31))
    args = ap.parse_args()

    from loan_audit.pipeline.stages.ingest import find_inputs
    from loan_audit.pipeline.stages.run import context_files
    from loan_audit.rules import BY_ID

    ids = args.rules.split(",")
    unknown = [r for r in ids if r not in BY_ID]
    if unknown:
        sys.exit(f"unknown rule ids: {', '.join(unknown)}")
    start = time.perf_counter()
    ctx = context_files(*find_inputs(args.data), as_of=args.as_of)
    print(f"context built in {time.perf_counter() - start:.1f} s ({ctx.loans.height:,} loans, "
          f"{ctx.roster.height:,} persons)")
    sides = {"other": other_detects(args.tree, ids), "this": {r: BY_ID[r].detect for r in ids}}
    for rule in ids:
        times: dict[str, list[float]] = {side: [] for side in sides}
        found = {}
        for _ in range(args.repeat):
            for side, detects in sides.items():
                start = time.perf_counter()
                found[side] = detects[rule](ctx)
                times[side].append(time.perf_counter() - start)
        same = found["other"].sort("key").equals(found["this"].sort("key"))
        cells = "   ".join(
            f"{side} {min(t):.3f} s ({' '.join(f'{x:.3f}' for x in t)})" for side, t in times.items()
        )
        print(f"{rule:<30} {cells}   cases {found['other'].height:,}/{found['this'].height:,}"
              f" {'SAME' if same else 'DIFFER'}")


if __name__ == "__main__":
    main()
