"""Identity rules bench: precision/recall per rule on a labelled set, wall time, peak memory.

    .venv/bin/python bench/identity.py --households 100000 [--seed 7] [--messy] [--repeat 3]
    .venv/bin/python bench/identity.py --data DIR      # any folder with roster.*, loans.*, labels.csv

Generates the set once with `pipeline.generate.generate` (cached under --cache), runs
ingest → normalise → validate → context (timed apart, not the subject here), then
name_id_mismatch, duplicate_name and suspected_same_person, each timed on its own.
Labels (labels.csv: rule, table, loan_id, id_number, note) are compared per rule:
loan_ids for name_id_mismatch and duplicate_name, the IDs of the pair for
suspected_same_person. Prints precision and recall per rule, duplicate_name groups per
10,000 borrowers (distinct valid borrower IDs), wall time and peak RSS.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import time
from pathlib import Path

import polars as pl

from loan_audit.pipeline.stages.context import build_context
from loan_audit.pipeline.stages.ingest import find_inputs, read_tables
from loan_audit.pipeline.stages.normalise import normalised
from loan_audit.pipeline.stages.validate import validated
from loan_audit.pipeline.vocab.policy import load_policy
from loan_audit.rules import BY_ID

RULES = ("name_id_mismatch", "duplicate_name", "suspected_same_person")
BY_LOAN = {"name_id_mismatch", "duplicate_name"}


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def predicted(rule: str, cases: pl.DataFrame) -> set[str]:
    if rule in BY_LOAN:
        return set(cases.get_column("loan_ids").explode().drop_nulls().to_list())
    return {i for ev in cases.get_column("evidence").to_list() for i in json.loads(ev)["id_numbers"]}


def expected(rule: str, labels: pl.DataFrame) -> set[str]:
    rows = labels.filter(pl.col("rule") == rule)
    if rule in BY_LOAN:
        return set(rows.get_column("loan_id").drop_nulls().to_list()) - {""}
    return {i for v in rows.get_column("id_number").drop_nulls().to_list() for i in _split(v)}


def _split(value: str) -> list[str]:
    return [p for p in value.replace(";", " ").replace(",", " ").replace("|", " ").split() if p]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--messy", action="store_true")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/loan-audit-bench"))
    ap.add_argument("--repeat", type=int, default=1, help="time each rule this many times, keep the best")
    ap.add_argument("--data", type=Path, help="a folder with roster.*, loans.* and labels.csv (skips generation)")
    args = ap.parse_args()

    folder = args.data or args.cache / f"h{args.households}-s{args.seed}-{'messy' if args.messy else 'clean'}"
    if args.data is None and not (folder / "meta.json").exists():
        from loan_audit.pipeline.generate import generate

        start = time.perf_counter()
        generate(args.households, args.seed, folder, messy=args.messy, as_of=dt.date(2020, 12, 31))
        print(f"generated {folder} in {time.perf_counter() - start:.1f} s")
    labels = pl.read_csv(folder / "labels.csv", infer_schema=False)

    start = time.perf_counter()
    raw = read_tables(*find_inputs(folder))
    checked = validated(normalised(raw), raw)
    ctx = build_context(checked.tables, load_policy(), dt.date(2020, 12, 31), {k: v.present for k, v in raw.items()})
    prepare, rss_before = time.perf_counter() - start, peak_mib()

    persons, loans = ctx.roster.height, ctx.loans.height
    borrowers = ctx.loans.filter(pl.col("borrower_id_valid")).get_column("borrower_id_number").n_unique()
    print(f"set: {folder.name}  roster persons {persons:,}  loans {loans:,}  valid borrower IDs {borrowers:,}")
    print(f"ingest → context: {prepare:.1f} s (not counted below), peak RSS so far {rss_before:,.0f} MiB")
    print(f"{'rule':<24}{'seconds':>9}{'cases':>9}{'flagged':>9}{'labelled':>9}{'precision':>11}{'recall':>8}")
    total = 0.0
    for rule in RULES:
        secs = float("inf")
        for _ in range(args.repeat):
            start = time.perf_counter()
            cases = BY_ID[rule].detect(ctx)
            secs = min(secs, time.perf_counter() - start)
        total += secs
        got, want = predicted(rule, cases), expected(rule, labels)
        hit = len(got & want)
        precision = hit / len(got) if got else float("nan")
        recall = hit / len(want) if want else float("nan")
        print(f"{rule:<24}{secs:>9.2f}{cases.height:>9,}{len(got):>9,}{len(want):>9,}{precision:>11.3f}{recall:>8.3f}")
        if rule == "duplicate_name":
            groups = cases.height
    print(f"duplicate_name groups per 10,000 borrowers: {groups / borrowers * 10_000:.1f}")
    best = " (best of each rule's runs)" if args.repeat > 1 else ""
    print(f"identity rules wall time{best}: {total:.2f} s  ({total / persons * 1e6:.2f} µs per roster person)")
    print(f"peak RSS: {peak_mib():,.0f} MiB (before the identity rules: {rss_before:,.0f} MiB)")


if __name__ == "__main__":
    main()
