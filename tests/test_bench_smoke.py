"""bench/scale.py on a small generated set: the audit and the DuckDB rules agree loan for loan."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from pipeline.generate import MIN_HOUSEHOLDS, generate

SCALE = Path(__file__).resolve().parents[1] / "bench" / "scale.py"


def _scale():
    spec = importlib.util.spec_from_file_location("bench_scale", SCALE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_scale_bench_audit_and_duckdb_agree(tmp_path):
    scale = _scale()
    folder = tmp_path / "set"
    generate(max(MIN_HOUSEHOLDS, 2000), 11, folder)
    ours = scale.run_audit(folder, tmp_path / "out")
    theirs = scale.run_duckdb(folder)
    floor = scale.run_floor(folder)

    assert {"ingest", "normalise", "validate", "context", "outputs", "rule:overdue"} <= set(ours["stages"])
    assert floor["rows"] >= ours["loans"] > 0
    comparison = scale.compare(ours["flagged"], theirs["flagged"])
    assert all(c["n_only_ours"] == 0 and c["n_only_duckdb"] == 0 for c in comparison.values()), comparison
    # the generated set injects cases of every shared rule
    assert all(c["both"] > 0 for c in comparison.values()), comparison
