"""Detection quality: per-rule precision and recall against the generator's labels.

    .venv/bin/python bench/detection.py --households 50000 --messy

Generates the set once (cached under --cache), audits it at the generator's as_of,
and compares, per rule, the loans the cases name with the loans the labels name (a
label without a loan — a roster ID — is compared by its ID). The policy rules are
exact definitions: anything below 1.00 is a bug in the rule or in the labels.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import time
from pathlib import Path

import polars as pl

from loan_audit.pipeline.generate import generate
from loan_audit.pipeline.stages.ingest import find_inputs
from loan_audit.pipeline.stages.run import audit_files


def label_keys(labels: pl.DataFrame) -> pl.DataFrame:
    return labels.select(
        "rule",
        pl.when(pl.col("loan_id").is_not_null())
        .then(pl.lit("loan:") + pl.col("loan_id"))
        .otherwise(pl.lit("id:") + pl.col("id_number"))
        .alias("key"),
    ).unique()


def case_keys(cases: pl.DataFrame, id_rules: set[str]) -> pl.DataFrame:
    """Loans a case names; for cases without loans, and for rules whose labels are IDs
    (the person-pair rule), the IDs (evidence `id_numbers`, else `id_number`)."""
    by_loan = cases.filter(~pl.col("rule").is_in(list(id_rules)))
    with_loans = by_loan.filter(pl.col("loan_ids").list.len() > 0).explode("loan_ids")
    without = by_loan.filter(pl.col("loan_ids").is_null() | (pl.col("loan_ids").list.len() == 0))
    ids = cases.filter(pl.col("rule").is_in(list(id_rules))).with_columns(
        pl.col("evidence").str.json_path_match("$.id_numbers").str.json_decode(pl.List(pl.Utf8)).alias("ids")
    ).explode("ids")
    return pl.concat(
        [
            with_loans.select("rule", (pl.lit("loan:") + pl.col("loan_ids")).alias("key")),
            without.select("rule", (pl.lit("id:") + pl.col("id_number")).alias("key")),
            ids.select("rule", (pl.lit("id:") + pl.coalesce("ids", "id_number")).alias("key")),
        ]
    ).unique()


def scores(truth: pl.DataFrame, found: pl.DataFrame) -> pl.DataFrame:
    rules = sorted(set(truth.get_column("rule")) | set(found.get_column("rule")))
    rows = []
    for rule in rules:
        t = set(truth.filter(pl.col("rule") == rule).get_column("key"))
        f = set(found.filter(pl.col("rule") == rule).get_column("key"))
        hit = len(t & f)
        rows.append({
            "rule": rule, "labels": len(t), "found": len(f), "hits": hit,
            "precision": hit / len(f) if f else (1.0 if not t else 0.0),
            "recall": hit / len(t) if t else 1.0,
            "missed": sorted(t - f)[:3], "extra": sorted(f - t)[:3],
        })
    return pl.DataFrame(rows)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, default=50_000)
    ap.add_argument("--seed", type=int, default=11)
    ap.add_argument("--messy", action="store_true")
    ap.add_argument("--cache", type=Path, default=Path("/tmp/loan-audit-bench"))
    ap.add_argument("--data", type=Path, help="an existing generated folder instead")
    ap.add_argument("--realistic-names", action="store_true")
    ap.add_argument("--province", help="a province's counties (yunnan), realistic names")
    ap.add_argument("--counties", type=int, help="N of the province's counties")
    args = ap.parse_args()

    kind = "messy" if args.messy else "clean"
    if args.province or args.counties:
        kind += f"-{args.province or 'yunnan'}{args.counties or ''}"
    elif args.realistic_names:
        kind += "-names"
    folder = args.data or args.cache / f"h{args.households}-s{args.seed}-{kind}"
    if not (folder / "meta.json").exists():
        start = time.perf_counter()
        generate(args.households, args.seed, folder, messy=args.messy, realistic_names=args.realistic_names,
                 province=args.province, counties=args.counties)
        print(f"generated {folder} in {time.perf_counter() - start:.1f} s")
    meta = json.loads((folder / "meta.json").read_text())
    start = time.perf_counter()
    result = audit_files(*find_inputs(folder), as_of=dt.date.fromisoformat(meta["as_of"]))
    elapsed = time.perf_counter() - start
    labels = pl.read_csv(folder / "labels.csv", infer_schema=False).with_columns(
        pl.col("loan_id", "id_number").replace("", None)
    )
    id_rules = set(
        labels.group_by("rule").agg(pl.col("loan_id").is_null().all().alias("ids")).filter("ids").get_column("rule")
    )
    table = scores(label_keys(labels), case_keys(result.cases, id_rules))
    print(f"set: {folder.name}  loans: {result.validated.counts['loans']['rows_read']:,}  audit: {elapsed:.1f} s")
    print(f"{'rule':<30}{'labels':>8}{'found':>8}{'precision':>11}{'recall':>8}")
    for r in table.iter_rows(named=True):
        flag = "" if r["precision"] == 1 and r["recall"] == 1 else f"   missed {r['missed']} extra {r['extra']}"
        print(f"{r['rule']:<30}{r['labels']:>8}{r['found']:>8}{r['precision']:>11.2f}{r['recall']:>8.2f}{flag}")


if __name__ == "__main__":
    main()
