"""bench/scale.py on a small generated set: the audit and the DuckDB rules agree loan for loan."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

pytest.importorskip("duckdb")

from loan_audit.pipeline.generate import MIN_HOUSEHOLDS, generate

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


def test_fast_id_reasons_equal_invalid_reason():
    """vocab.ids.id_reasons (the context's fast path) gives invalid_reason's values."""
    import datetime as dt

    import polars as pl

    from loan_audit.pipeline.vocab.ids import id_reasons, invalid_reason
    from loan_audit.pipeline.vocab.values import id_number

    raws = ["", None, " 533124198001010016", "53312419800101001x", "5.33124E+17", "533124800101001",
            "533124198001010000", "53312419800101001X", "533124198013010016", "533124198001010016",
            "５３３１２４１９８００１０１００１６", "533124198001010016.0", "abc", "53312419800101٠016",
            "533124190001010016", "53312418991231001X", "533124202101010016", "53312420201231001X",
            # 18 bytes but not PLAIN: a sign (Int64 parsing takes one), a multi-byte character
            "+33124198001010016", "-33124198001010016", "5331241980010100+6", "53312419800101001-",
            "5331241980010100é", "+3312419800101001X"]
    frame = pl.DataFrame({"raw": raws}).with_columns(id_number(pl.col("raw")).alias("norm"))
    as_of = dt.date(2020, 12, 31)
    expected = frame.select(invalid_reason(pl.col("raw"), pl.col("norm"), as_of)).to_series().to_list()
    assert id_reasons(frame, "raw", "norm", as_of).to_list() == expected
    assert None in expected and "check_digit" in expected and "birth_date" in expected


def test_rules_ab_finds_a_checkout_the_same_as_itself_and_tells_a_changed_rule(tmp_path, capsys, monkeypatch):
    import shutil
    import sys

    root = SCALE.parents[1]
    folder = tmp_path / "set"
    generate(MIN_HOUSEHOLDS, 5, folder)
    spec = importlib.util.spec_from_file_location("bench_rules_ab", root / "bench" / "rules_ab.py")
    ab = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(ab)

    monkeypatch.setattr(sys, "argv", ["rules_ab", str(root), str(folder), "overdue,duplicate_name", "--repeat", "1"])
    ab.main()
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].startswith("context built") and len(lines) == 3
    assert all(line.endswith("SAME") for line in lines[1:]), lines

    other = tmp_path / "other"  # a checkout whose overdue rule finds nothing
    shutil.copytree(root / "rules", other / "rules")
    module = other / "rules" / "overdue.py"
    module.write_text(module.read_text(encoding="utf-8").replace("def detect(ctx)", "def _detect(ctx)")
                      + "\n\ndef detect(ctx):\n    return _detect(ctx).clear()\n", encoding="utf-8")
    monkeypatch.setattr(sys, "argv", ["rules_ab", str(other), str(folder), "overdue", "--repeat", "1"])
    ab.main()
    assert capsys.readouterr().out.splitlines()[1].endswith("DIFFER")
