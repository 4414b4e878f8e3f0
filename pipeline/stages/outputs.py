"""Outputs of SPEC §5: cases.parquet, cases.csv, summary.json, quarantine.parquet.

Every file is written to a temporary name beside its target and renamed into place,
so an interrupted run never leaves a half-written output. The four files of one run
are renamed together at the end (`staged`): a run that fails or is killed while
writing leaves the previous run's files as they were, never a mix of the two.
A caller that writes more files (reports) can put them in the same stage:

    with staged(out) as stage:
        write_outputs(result, stage)
        write_reports(result, stage)
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import polars as pl

from loan_audit.pipeline.vocab.errors import InputError
from loan_audit.pipeline.vocab.files import FILE_MODE

STAGE_PREFIX = ".loan-audit-stage-"
# A cell a spreadsheet would run as a formula (OWASP's list, plus leading white space
# and the full-width forms some input methods type).
FORMULA_START = r"^(\s*[=+\-@＝＋－＠]|[\t\r\n])"


STALE_STAGE_SECONDS = 3600


def _output_folder(out: Path) -> Path:
    """`out`, created if needed; an InputError (exit 2) when it cannot be a folder."""
    out = Path(out)
    try:
        out.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise InputError("输出路径已存在且不是文件夹 --out is a file, not a folder", out) from None
    except NotADirectoryError:
        raise InputError("输出路径的上级是文件，不是文件夹 a parent of --out is a file", out) from None
    except OSError as exc:
        raise InputError(f"无法创建输出文件夹 cannot create the output folder: {exc.strerror}", out) from None
    if not out.is_dir():
        raise InputError("输出路径已存在且不是文件夹 --out is a file, not a folder", out)
    return out


@contextmanager
def staged(out: Path):
    """A hidden folder inside `out` to write a run's files into; on success every file
    in it is renamed onto its place in `out` (sub-folders kept), on failure it is
    removed and `out` is untouched. Files of `out` not written in the stage stay."""
    out = _output_folder(out)
    _remove_stale_stages(out)
    stage = Path(tempfile.mkdtemp(prefix=STAGE_PREFIX, dir=out))
    try:
        yield stage
        _publish(stage, out)
    finally:
        shutil.rmtree(stage, ignore_errors=True)


def _remove_stale_stages(out: Path) -> None:
    """Stages left by killed runs (a kill skips the clean-up), once they are old."""
    now = time.time()
    for old in out.glob(STAGE_PREFIX + "*"):
        try:
            if old.is_dir() and now - old.stat().st_mtime > STALE_STAGE_SECONDS:
                shutil.rmtree(old, ignore_errors=True)
        except OSError:
            pass


def _publish(stage: Path, out: Path) -> None:
    """Rename the stage's files into `out`; hidden files (temporaries) stay behind."""
    files = sorted(
        p for p in stage.rglob("*")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(stage).parts)
    )
    for path in files:  # folders first, so the renames that follow are all quick
        (out / path.relative_to(stage)).parent.mkdir(parents=True, exist_ok=True)
    for path in files:
        os.replace(path, out / path.relative_to(stage))


def neutralise_formulas(expr: pl.Expr) -> pl.Expr:
    """A text cell that a spreadsheet would run as a formula, prefixed with `'`."""
    name = expr.meta.output_name()
    risky = expr.str.contains(FORMULA_START)
    return pl.when(risky).then(pl.lit("'") + expr).otherwise(expr).alias(name)


def cases_for_csv(cases: pl.DataFrame) -> pl.DataFrame:
    out = cases.with_columns(pl.col("loan_ids").list.join(";"))
    return out.with_columns(neutralise_formulas(pl.col(c)) for c, t in out.schema.items() if t == pl.Utf8)


def write_outputs(result, out: Path) -> list[Path]:
    """The machine outputs of one audit into `out`; returns the paths written."""
    out = _output_folder(out)
    names = ("cases.parquet", "cases.csv", "quarantine.parquet", "summary.json")
    # cases.parquet is written by a second thread while this one writes cases.csv:
    # polars lets go of the GIL while it writes, and the two overlap. zstd at level 1:
    # cases (repetitive JSON and IDs) compress no smaller at the default level 3.
    cases = result.published_cases
    with staged(out) as stage, ThreadPoolExecutor(max_workers=1) as pool:
        parquet = pool.submit(cases.write_parquet, stage / "cases.parquet", compression_level=1)
        with open(stage / "cases.csv", "wb") as fh:
            fh.write("\ufeff".encode())
            cases_for_csv(cases).write_csv(fh)
        parquet.result()
        result.validated.quarantine.write_parquet(stage / "quarantine.parquet")
        (stage / "summary.json").write_text(
            json.dumps(result.summary, ensure_ascii=False, indent=2, default=str), encoding="utf-8"
        )
        for name in names:
            os.chmod(stage / name, FILE_MODE)
            with open(stage / name, "rb") as fh:
                os.fsync(fh.fileno())
    return [out / name for name in names]
