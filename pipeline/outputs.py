"""Outputs of SPEC §5: cases.parquet, cases.csv, summary.json, quarantine.parquet.

Every file is written to a temporary name beside its target and renamed into place,
so an interrupted run never leaves a half-written output.
"""

from __future__ import annotations

import json
import os
import tempfile
from contextlib import contextmanager
from pathlib import Path

import polars as pl

@contextmanager
def atomic_path(target: Path):
    """A temporary path in the target's folder, renamed onto the target on success."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    try:
        yield Path(tmp)
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def neutralise_formulas(expr: pl.Expr) -> pl.Expr:
    """A text cell that a spreadsheet would run as a formula, prefixed with `'`."""
    name = expr.meta.output_name()
    risky = expr.str.contains(r"^[=+\-@\t\r]")
    return pl.when(risky).then(pl.lit("'") + expr).otherwise(expr).alias(name)


def cases_for_csv(cases: pl.DataFrame) -> pl.DataFrame:
    out = cases.with_columns(pl.col("loan_ids").list.join(";"))
    return out.with_columns(neutralise_formulas(pl.col(c)) for c, t in out.schema.items() if t == pl.Utf8)


def write_outputs(result, out: Path) -> list[Path]:
    """The machine outputs of one audit into `out`; returns the paths written."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    with atomic_path(out / "cases.parquet") as tmp:
        result.cases.write_parquet(tmp)
    written.append(out / "cases.parquet")
    with atomic_path(out / "cases.csv") as tmp:
        with open(tmp, "wb") as fh:
            fh.write("\ufeff".encode())
            cases_for_csv(result.cases).write_csv(fh)
    written.append(out / "cases.csv")
    with atomic_path(out / "quarantine.parquet") as tmp:
        result.validated.quarantine.write_parquet(tmp)
    written.append(out / "quarantine.parquet")
    with atomic_path(out / "summary.json") as tmp:
        tmp.write_text(json.dumps(result.summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    written.append(out / "summary.json")
    return written
