"""The stages before the rules (ingest, normalise, validate, context), timed, with the
process's peak RSS after each: for comparing two versions of the code in one run.

    .venv/bin/python bench/stages.py /tmp/loan-audit-scale/h147059-s7-clean
    .venv/bin/python bench/stages.py DIR --tree /tmp/old-checkout --repeat 2   # before/after

Both checkouts must have the one-package layout (`loan_audit.*`, bench/checkouts.py).
Each run is its own subprocess (so its peak RSS is its own); with --tree the same
script also runs on another checkout of the code, alternating, and prints both side
by side. Loading the 1M-loan set: run it under the shared lock
(`flock /tmp/loan-audit-1m.lock ...`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
AS_OF = dt.date(2020, 12, 31)

CHILD = r"""
import datetime as dt, json, resource, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from loan_audit.pipeline.stages.context import build_context
from loan_audit.pipeline.stages.ingest import find_inputs, read_tables
from loan_audit.pipeline.stages.normalise import normalised
from loan_audit.pipeline.vocab.policy import load_policy
from loan_audit.pipeline.stages.validate import validated

def peak():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024

out = {}
policy = load_policy()
t = time.perf_counter()
raw = read_tables(*find_inputs(Path(sys.argv[2])))
out["ingest"] = (time.perf_counter() - t, peak())
t = time.perf_counter()
norm = normalised(raw)
out["normalise"] = (time.perf_counter() - t, peak())
t = time.perf_counter()
checked = validated(norm, raw)
out["validate"] = (time.perf_counter() - t, peak())
del norm
t = time.perf_counter()
ctx = build_context(checked.tables, policy, dt.date.fromisoformat(sys.argv[3]), {k: r.present for k, r in raw.items()})
out["context"] = (time.perf_counter() - t, peak())
held = {
    "context MiB": (ctx.loans.estimated_size() + ctx.loan_records.estimated_size() + ctx.roster.estimated_size()) / 2**20,
}
print(json.dumps({"stages": out, "held": held, "rows": [ctx.loans.height, ctx.roster.height]}))
"""


def run(tree: Path, folder: Path) -> dict:
    from checkouts import importable

    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(importable(tree)), str(folder), AS_OF.isoformat()],
        check=True, capture_output=True, text=True, cwd=tree,
    )
    return json.loads(done.stdout.splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder", type=Path)
    ap.add_argument("--tree", type=Path, help="another checkout to compare with (run first)")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    trees = {"this": ROOT} if args.tree is None else {"other": args.tree, "this": ROOT}
    results: dict[str, list[dict]] = {name: [] for name in trees}
    for _ in range(args.repeat):
        for name, tree in trees.items():
            results[name].append(run(tree, args.folder))
    first = next(iter(results.values()))[0]
    print(f"{args.folder}: {first['rows'][0]:,} loans, {first['rows'][1]:,} roster rows")
    print(f"{'stage (best of ' + str(args.repeat) + ')':<24}" + "".join(f"{n + ' s':>12}{n + ' MiB':>14}" for n in trees))
    for stage in first["stages"]:
        cells = ""
        for name in trees:
            best = min(r["stages"][stage][0] for r in results[name])
            cells += f"{best:>12.2f}{results[name][0]['stages'][stage][1]:>14,.0f}"
        print(f"{stage:<24}{cells}")
    total = "".join(
        f"{min(sum(v[0] for k, v in r['stages'].items() if k != 'ingest') for r in results[n]):>12.2f}{'':>14}"
        for n in trees
    )
    print(f"{'normalise..context':<24}{total}")
    print(f"{'context MiB held':<24}" + "".join(f"{'':>12}{results[n][0]['held']['context MiB']:>14,.0f}" for n in trees))


if __name__ == "__main__":
    main()
