"""Atomic outputs: a run that fails or is killed while writing leaves the previous
run's files and the monthly store as they were — never a half-written file, never a
mix of two runs.

Failures are simulated two ways: a writer monkeypatched to raise (in process), and
a subprocess that calls os._exit in the middle (no clean-up runs at all).
"""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from hostile_inputs import AS_OF, PERSON, invoke, loan, make_id, write_folder

import loan_audit.pipeline.stages.outputs as outputs
from loan_audit.pipeline.stages.outputs import staged, write_outputs
from loan_audit.pipeline.vocab.files import atomic_path

REPO = Path(__file__).resolve().parents[2]
OTHER = make_id("19700101", "003")


def first_inputs(folder: Path) -> Path:
    return write_folder(folder, loans=[loan(), loan(loan_id="L2", borrower_id_number=OTHER)],
                        roster=[PERSON, {**PERSON, "household_id": "H9", "id_number": OTHER, "name": "岳麻诺"}])


def second_inputs(folder: Path) -> Path:
    """Different data: every output of a run over it differs from the first run's."""
    return write_folder(folder, loans=[loan(), loan(loan_id="L2", borrower_id_number=OTHER), loan(loan_id="L2"),
                                       loan(loan_id="L3", amount="90000", township="../../逃逸镇")])


def snapshot(out: Path) -> dict[str, bytes]:
    """Every visible file under `out` (stage folders and temporaries are hidden)."""
    return {
        str(p.relative_to(out)): p.read_bytes()
        for p in sorted(out.rglob("*"))
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(out).parts)
    }


def hidden(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in out.rglob(".*"))


def store_dump(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        return list(conn.iterdump())


@pytest.fixture
def previous_run(tmp_path):
    """A first run (with reports and the store) whose outputs must survive."""
    out, db = tmp_path / "out", tmp_path / "county.db"
    res = invoke("run", first_inputs(tmp_path / "in1"), "--out", out, "--db", db, "--as-of", AS_OF, "--quiet")
    assert res.exit_code in (0, 1), res.output
    files = snapshot(out)
    assert {"cases.parquet", "cases.csv", "summary.json", "quarantine.parquet", "report.html"} <= set(files)
    return out, db, files, store_dump(db)


def run_second(tmp_path, out, db, *extra):
    args = ["run", second_inputs(tmp_path / "in2"), "--out", out, "--as-of", AS_OF, "--quiet", *extra]
    from hostile_inputs import runner

    from loan_audit.pipeline.cli import app

    return runner.invoke(app, [str(a) for a in args])


# --- the building blocks -------------------------------------------------------------
def test_atomic_path_keeps_the_target_when_the_writer_fails(tmp_path):
    target = tmp_path / "cases.csv"
    target.write_text("old", encoding="utf-8")
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half-writt", encoding="utf-8")
            raise RuntimeError("disk full")
    assert target.read_text(encoding="utf-8") == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["cases.csv"]


def test_atomic_files_get_the_permissions_of_a_plain_open(tmp_path):
    with atomic_path(tmp_path / "a.txt") as tmp:
        tmp.write_text("x")
    (tmp_path / "b.txt").write_text("x")
    assert (tmp_path / "a.txt").stat().st_mode & 0o777 == (tmp_path / "b.txt").stat().st_mode & 0o777


def test_staged_publishes_all_or_nothing(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "a.txt").write_text("old a")
    (out / "keep.txt").write_text("not ours")
    with pytest.raises(RuntimeError):
        with staged(out) as stage:
            (stage / "a.txt").write_text("new a")
            (stage / "sub").mkdir()
            (stage / "sub" / "b.txt").write_text("new b")
            raise RuntimeError("killed")
    assert snapshot(out) == {"a.txt": b"old a", "keep.txt": b"not ours"} and hidden(out) == []
    with staged(out) as stage:
        (stage / "a.txt").write_text("new a")
        (stage / "sub").mkdir()
        (stage / "sub" / "b.txt").write_text("new b")
    assert snapshot(out) == {"a.txt": b"new a", "keep.txt": b"not ours", "sub/b.txt": b"new b"}
    assert hidden(out) == []


def test_output_folder_that_is_a_file_is_exit_2(tmp_path):
    folder = first_inputs(tmp_path / "in")
    (tmp_path / "taken").write_text("x")
    res = invoke("run", folder, "--out", tmp_path / "taken", "--as-of", AS_OF, "--no-db")
    assert res.exit_code == 2 and "不是文件夹" in res.stderr and "\n" not in res.stderr.strip()


# --- a writer raises (in process) ----------------------------------------------------------
def test_failing_machine_output_writer_leaves_previous_outputs(previous_run, tmp_path, monkeypatch):
    out, db, files, _ = previous_run

    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(outputs, "cases_for_csv", broken)  # after cases.parquet, before the other three
    res = run_second(tmp_path, out, db, "--no-db")
    assert isinstance(res.exception, OSError)
    assert snapshot(out) == files
    assert hidden(out) == []


def test_failing_checklist_writer_leaves_each_previous_report_whole(previous_run, tmp_path, monkeypatch):
    """reports/ writes every file through atomic_path: a writer that dies half-way
    leaves the township's previous checklist whole and no temporary behind."""
    out, db, files, _ = previous_run
    import loan_audit.reports.render as render

    def broken(path, *args, **kwargs):
        Path(path).write_bytes(b"PK\x03\x04 half a workbook")
        raise OSError("No space left on device")

    monkeypatch.setattr(render, "write_checklist_xlsx", broken)
    res = run_second(tmp_path, out, db, "--no-db")
    assert isinstance(res.exception, OSError)
    after = snapshot(out)
    for name, data in files.items():
        if name.startswith("checklists/"):
            assert after[name] == data, name
    assert not [h for h in hidden(out) if h.endswith(".tmp")]


def test_failing_output_writer_leaves_the_store_unchanged(previous_run, tmp_path, monkeypatch):
    out, db, files, dump = previous_run
    def broken(*args, **kwargs):
        raise OSError("No space left on device")

    monkeypatch.setattr(outputs, "cases_for_csv", broken)
    res = run_second(tmp_path, out, db, "--db", db)
    assert isinstance(res.exception, OSError)
    assert snapshot(out) == files
    assert store_dump(db) == dump


# --- killed with os._exit (subprocess: no finally, no atexit) ------------------------------
def run_killed(tmp_path, patch: str, args: list) -> subprocess.CompletedProcess:
    """`loan-audit ARGS` in a fresh interpreter after `patch` (Python) has run."""
    script = tmp_path / "killed_run.py"
    script.write_text(textwrap.dedent(patch) + textwrap.dedent(f"""
        import sys
        from loan_audit.pipeline.cli import app
        sys.argv = ["loan-audit"] + {[str(a) for a in args]!r}
        app()
    """), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, str(script)], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 9, (done.returncode, done.stderr[-2000:])
    return done


KILL_IN_STORE = """
    import os
    import loan_audit.pipeline.monthly.store as store
    _insert = store._insert_cases
    def insert_then_die(conn, rows):
        _insert(conn, rows)  # the run is half in the store, inside its transaction
        os._exit(9)
    store._insert_cases = insert_then_die
"""
KILL_IN_MACHINE_OUTPUTS = """
    import os
    import loan_audit.pipeline.stages.outputs as outputs
    _csv = outputs.cases_for_csv
    def die(cases):
        os._exit(9)  # cases.parquet is written (in the stage), cases.csv is not
    outputs.cases_for_csv = die
"""
KILL_IN_REPORTS = """
    import os
    import loan_audit.reports.render as render
    def die(path, *args, **kwargs):
        open(path, "wb").write(b"PK half a workbook")
        os._exit(9)
    render.write_checklist_xlsx = die
"""


def test_killed_inside_the_store_transaction(previous_run, tmp_path):
    out, db, files, dump = previous_run
    run_killed(tmp_path, KILL_IN_STORE, ["run", second_inputs(tmp_path / "in2"), "--out", out, "--db", db,
                                         "--as-of", AS_OF, "--quiet"])
    assert store_dump(db) == dump
    assert snapshot(out) == files


def test_killed_while_writing_machine_outputs(previous_run, tmp_path):
    out, db, files, _ = previous_run
    run_killed(tmp_path, KILL_IN_MACHINE_OUTPUTS, ["run", second_inputs(tmp_path / "in2"), "--out", out, "--no-db",
                                                   "--as-of", AS_OF, "--quiet"])
    assert snapshot(out) == files  # the stage is left hidden; nothing visible changed


def test_killed_while_writing_reports_through_the_cli(previous_run, tmp_path):
    out, db, files, dump = previous_run
    run_killed(tmp_path, KILL_IN_REPORTS, ["run", second_inputs(tmp_path / "in2"), "--out", out, "--db", db,
                                           "--as-of", AS_OF, "--quiet"])
    assert snapshot(out) == files
    assert store_dump(db) == dump


def test_killed_while_writing_reports_into_one_stage(previous_run, tmp_path):
    """The flow the CLI should use: machine outputs and reports written into one stage,
    published together — a kill anywhere leaves every previous file as it was."""
    out, db, files, _ = previous_run
    folder = second_inputs(tmp_path / "in2")
    patch = KILL_IN_REPORTS + f"""
    import datetime as dt
    from loan_audit.pipeline.stages.outputs import staged, write_outputs
    from loan_audit.pipeline.stages.run import audit_files
    from loan_audit.reports.render import write_reports
    result = audit_files({str(folder / "roster.csv")!r}, {str(folder / "loans.csv")!r}, as_of=dt.date(2021, 6, 30))
    with staged({str(out)!r}) as stage:
        write_outputs(result, stage)
        write_reports(result, stage)
    """
    run_killed(tmp_path, patch, ["--help"])
    assert snapshot(out) == files
    # …and the same flow, not killed, publishes every file of the new run
    import datetime as dt

    from loan_audit.pipeline.stages.run import audit_files
    from loan_audit.reports.render import write_reports

    result = audit_files(folder / "roster.csv", folder / "loans.csv", as_of=dt.date(2021, 6, 30))
    with staged(out) as stage:
        write_outputs(result, stage)
        write_reports(result, stage)
    after = snapshot(out)
    assert after["cases.csv"] != files["cases.csv"] and after["report.html"] != files["report.html"]
    assert [h for h in hidden(out) if not h.startswith(outputs.STAGE_PREFIX)] == []


def test_output_folder_under_a_file_is_exit_2(tmp_path):
    (tmp_path / "taken").write_text("x")
    res = invoke("run", first_inputs(tmp_path / "in"), "--out", tmp_path / "taken" / "out", "--as-of", AS_OF, "--no-db")
    assert res.exit_code == 2 and "文件" in res.stderr and "\n" not in res.stderr.strip()


def test_store_under_a_file_is_exit_2(tmp_path):
    (tmp_path / "taken").write_text("x")
    res = invoke("run", first_inputs(tmp_path / "in"), "--out", tmp_path / "out", "--db", tmp_path / "taken" / "x.db",
                 "--as-of", AS_OF)
    assert res.exit_code == 2
