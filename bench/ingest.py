"""Ingest + validation throughput, and the whole audit against it, on a generated set.

    .venv/bin/python bench/ingest.py --households 100000 [--messy] [--repeat 3]

Generates the set once (cached under --cache), then times read_tables, normalised,
validated and the context build, and prints rows/s per stage and the slowest stage.
On a shared 2-core machine compare the ratios within one run, not absolute times.
"""

from __future__ import annotations

import argparse
import datetime as dt
import resource
import time
from pathlib import Path

from loan_audit.pipeline.generate import generate
from loan_audit.pipeline.stages.context import build_context
from loan_audit.pipeline.stages.detect import cases
from loan_audit.pipeline.stages.ingest import find_inputs, read_tables
from loan_audit.pipeline.stages.normalise import normalised
from loan_audit.pipeline.stages.validate import validated
from loan_audit.pipeline.vocab.policy import load_policy
from loan_audit.rules import REGISTRY


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--messy", action="store_true")
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--cache", type=Path, default=Path("/tmp/loan-audit-bench"))
    args = ap.parse_args()

    folder = args.cache / f"h{args.households}-s{args.seed}-{'messy' if args.messy else 'clean'}"
    if not (folder / "meta.json").exists():
        start = time.perf_counter()
        generate(args.households, args.seed, folder, messy=args.messy)
        print(f"generated {folder} in {time.perf_counter() - start:.1f} s")
    roster_path, loans_path = find_inputs(folder)
    policy = load_policy()
    as_of = dt.date(2020, 12, 31)

    best: dict[str, float] = {}
    for _ in range(args.repeat):
        t = {}
        start = time.perf_counter()
        raw = read_tables(roster_path, loans_path)
        t["ingest"] = time.perf_counter() - start
        start = time.perf_counter()
        norm = normalised(raw)
        t["normalise"] = time.perf_counter() - start
        start = time.perf_counter()
        checked = validated(norm, raw)
        t["validate"] = time.perf_counter() - start
        start = time.perf_counter()
        ctx = build_context(checked.tables, policy, as_of, {k: v.present for k, v in raw.items()})
        t["context"] = time.perf_counter() - start
        start = time.perf_counter()
        cases(ctx, REGISTRY)
        t["detect"] = time.perf_counter() - start
        for k, v in t.items():
            best[k] = min(best.get(k, v), v)

    rows = sum(c["rows_read"] for c in checked.counts.values())
    total = best["ingest"] + best["normalise"] + best["validate"]
    print(f"set: {folder.name}  rows: roster {checked.counts['roster']['rows_read']:,} + "
          f"loans {checked.counts['loans']['rows_read']:,} = {rows:,}  (best of {args.repeat})")
    print(f"{'stage':<12}{'seconds':>10}{'rows/s':>14}{'share':>8}")
    for stage, secs in best.items():
        print(f"{stage:<12}{secs:>10.3f}{rows / secs:>14,.0f}{secs / total:>8.0%}")
    print(f"{'ingest+validate':<12}{total:>7.3f}{rows / total:>14,.0f}")
    audit = sum(best.values())
    print(f"{'whole audit':<12}{audit:>10.3f}{rows / audit:>14,.0f}   = {audit / total:.2f}x ingest+validate")
    slowest = max(("ingest", "normalise", "validate"), key=best.get)
    print(f"slowest stage: {slowest}")
    print(f"peak RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:,.0f} MiB")


if __name__ == "__main__":
    main()
