"""The store: monthly runs, case lifecycle, idempotent and out-of-order runs,
transactions, migrations, history and trend."""

from __future__ import annotations

import datetime as dt
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from loan_audit.pipeline.monthly import lifecycle, store
from loan_audit.pipeline.vocab.errors import InputError
from tests.conftest import make_id, run_rows

D = dt.date.fromisoformat
JAN, FEB, MAR = "2021-01-31", "2021-02-28", "2021-03-31"
# loan_id → (ID sequence, township): each loan, when listed in a month, carries a
# broken ID (an invalid_id_number case keyed by its loan_id); the default clean
# loan L0001 is in every month and finds nothing.
LOANS = {"A": ("011", "章凤镇"), "B": ("021", "陇把镇"), "C": ("031", "景罕镇")}


def bad_id(seq: str) -> str:
    good = make_id(seq=seq)
    return good[:-1] + ("1" if good[-1] == "0" else "0")


# far from maturity in every month the tests use: no 到期 case
TERM = {"disbursement_date": "2020-12-01", "maturity_date": "2023-12-01"}


def month(as_of: str, *bad: str):
    """An audit of the clean loan plus loans `bad` with broken borrower IDs."""
    rows = [TERM] + [
        {**TERM, "loan_id": loan, "borrower_id_number": bad_id(LOANS[loan][0]), "township": LOANS[loan][1]}
        for loan in bad
    ]
    return run_rows(loans=rows, as_of=as_of)


def life_columns(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(
        pl.col("loan_ids").list.first().alias("loan"), "status", "first_seen", "months_open"
    ).sort("loan")


def expected(rows: list[tuple]) -> pl.DataFrame:
    return pl.DataFrame(
        [(loan, status, D(first), months) for loan, status, first, months in rows],
        schema={"loan": pl.Utf8, "status": pl.Utf8, "first_seen": pl.Date, "months_open": pl.Int32},
        orient="row",
    )


def dump(db: Path) -> str:
    conn = sqlite3.connect(db)
    try:
        return "\n".join(conn.iterdump())
    finally:
        conn.close()


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "loan-audit.db"


def test_cases_appear_are_fixed_and_come_back(db):
    jan = lifecycle.record_run(db, month(JAN, "A", "B"))
    assert jan.previous_as_of is None
    assert_frame_equal(life_columns(jan.cases), expected([("A", "new", JAN, 0), ("B", "new", JAN, 0)]))
    assert jan.resolved.height == 0
    assert jan.status_counts == {"new": 2, "open": 0, "reopened": 0, "resolved": 0}

    feb = lifecycle.record_run(db, month(FEB, "A", "C"))  # B fixed, C appears
    assert feb.previous_as_of == D(JAN)
    assert_frame_equal(life_columns(feb.cases), expected([("A", "open", JAN, 1), ("C", "new", FEB, 0)]))
    assert_frame_equal(life_columns(feb.resolved), expected([("B", "resolved", JAN, 1)]))
    assert feb.status_counts == {"new": 1, "open": 1, "reopened": 0, "resolved": 1}

    mar = lifecycle.record_run(db, month(MAR, "A", "B"))  # C fixed, B comes back
    assert_frame_equal(life_columns(mar.cases), expected([("A", "open", JAN, 2), ("B", "reopened", JAN, 2)]))
    assert_frame_equal(life_columns(mar.resolved), expected([("C", "resolved", FEB, 1)]))
    assert mar.status_counts == {"new": 0, "open": 1, "reopened": 1, "resolved": 1}
    assert mar.later_runs == () and not mar.replaced


def test_history_result_keeps_the_runs_cases_and_adds_the_lifecycle(db):
    result = month(JAN, "A", "B")
    seen = lifecycle.record_run(db, result)
    assert_frame_equal(seen.cases.select(result.cases.columns), result.cases)
    assert seen.cases.columns[len(result.cases.columns):] == [
        "status", "first_seen", "months_open", "fix_status", "fix_measure", "fix_owner", "fix_deadline",
        "claimed_fixed_but_present", "past_deadline",
    ]
    assert seen.resolved.columns == seen.cases.columns


def test_months_open_counts_calendar_months_clipped_to_month_end(db):
    lifecycle.record_run(db, month("2021-01-31", "A"))
    assert lifecycle.record_run(db, month("2021-02-27", "A")).cases.get_column("months_open").to_list() == [0]
    assert lifecycle.record_run(db, month("2021-02-28", "A")).cases.get_column("months_open").to_list() == [1]
    assert lifecycle.record_run(db, month("2022-01-30", "A")).cases.get_column("months_open").to_list() == [11]
    assert lifecycle.record_run(db, month("2022-01-31", "A")).cases.get_column("months_open").to_list() == [12]


def test_recording_the_same_as_of_again_replaces_that_run(db):
    lifecycle.record_run(db, month(JAN, "A"))
    again = lifecycle.record_run(db, month(JAN, "A", "B"))
    assert again.replaced
    assert_frame_equal(life_columns(again.cases), expected([("A", "new", JAN, 0), ("B", "new", JAN, 0)]))
    assert lifecycle.history(db).get_column("as_of").to_list() == [D(JAN)]
    feb = lifecycle.record_run(db, month(FEB, "A"))
    assert feb.status_counts == {"new": 0, "open": 1, "reopened": 0, "resolved": 1}


def test_an_older_run_recorded_later_takes_its_place_by_as_of(db):
    lifecycle.record_run(db, month(JAN, "A"))
    lifecycle.record_run(db, month(MAR, "A", "C"))
    feb = lifecycle.record_run(db, month(FEB, "C"))  # the missed February, filled in
    assert feb.previous_as_of == D(JAN) and feb.later_runs == (D(MAR),)
    assert_frame_equal(life_columns(feb.cases), expected([("C", "new", FEB, 0)]))
    assert_frame_equal(life_columns(feb.resolved), expected([("A", "resolved", JAN, 1)]))
    # March is now seen against February: A came back, C was already there
    mar = lifecycle.load_run(db)
    assert mar.as_of == D(MAR) and mar.previous_as_of == D(FEB)
    assert_frame_equal(life_columns(mar.cases), expected([("A", "reopened", JAN, 2), ("C", "open", FEB, 1)]))
    assert lifecycle.history(db).get_column("as_of").to_list() == [D(JAN), D(FEB), D(MAR)]


def test_a_run_without_cases_resolves_everything(db):
    lifecycle.record_run(db, month(JAN, "A", "B"))
    clean = lifecycle.record_run(db, month(FEB))
    assert clean.cases.height == 0
    assert clean.status_counts == {"new": 0, "open": 0, "reopened": 0, "resolved": 2}


def test_a_write_that_fails_midway_leaves_the_store_as_it_was(db, monkeypatch):
    lifecycle.record_run(db, month(JAN, "A"))
    before = dump(db)
    real = store._insert_cases

    def failing(conn, rows):
        real(conn, rows[:1])
        raise RuntimeError("disk unplugged")

    monkeypatch.setattr(store, "_insert_cases", failing)
    with pytest.raises(RuntimeError):
        lifecycle.record_run(db, month(FEB, "A", "B"))
    with pytest.raises(RuntimeError):
        lifecycle.record_run(db, month(JAN, "B", "C"))  # a replacement that fails keeps the old run
    assert dump(db) == before
    monkeypatch.undo()
    assert lifecycle.load_run(db).status_counts == {"new": 1, "open": 0, "reopened": 0, "resolved": 0}


def test_a_process_killed_inside_the_write_leaves_the_store_as_it_was(db):
    lifecycle.record_run(db, month(JAN, "A"))
    before = dump(db)
    script = textwrap.dedent(
        f"""
        import os
        from pathlib import Path
        from loan_audit.pipeline.monthly import lifecycle, store
        from tests.test_store import month

        real = store._insert_cases
        def dying(conn, rows):
            real(conn, rows[:1])
            os._exit(9)  # no exception, no cleanup: as if the power went
        store._insert_cases = dying
        lifecycle.record_run(Path({str(db)!r}), month({FEB!r}, "A", "B"))
        """
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=Path(__file__).parent.parent, capture_output=True)
    assert done.returncode == 9, done.stderr.decode()
    assert dump(db) == before
    assert lifecycle.history(db).get_column("as_of").to_list() == [D(JAN)]


def test_a_version_1_store_is_upgraded_and_keeps_its_runs(db):
    conn = store.connect(db, target=1)
    result = month(JAN, "A")
    v1 = [c for c in store.CASE_COLUMNS if c not in ("county", "loan_ids")]  # run_cases as version 1 had it
    rows = result.cases.select(pl.lit(JAN).alias("as_of"), pl.int_range(pl.len()).alias("ord"), *v1, pl.struct(v=pl.col("loan_ids")).struct.json_encode().str.slice(5).str.strip_suffix("}").alias("loan_ids")).rows()
    with store.transaction(conn):
        conn.execute("INSERT INTO runs VALUES (?, '2021-02-01T00:00:00+00:00', '{}')", (JAN,))
        names = ", ".join(["as_of", "ord", *v1, "loan_ids"])
        conn.executemany(f"INSERT INTO run_cases ({names}) VALUES ({', '.join('?' * (len(v1) + 3))})", rows)
    assert store.schema_version(conn) == 1
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'replies'").fetchone() is None
    conn.close()

    feb = lifecycle.record_run(db, month(FEB, "A"))
    assert_frame_equal(life_columns(feb.cases), expected([("A", "open", JAN, 1)]))
    conn = sqlite3.connect(db)
    assert [v for (v,) in conn.execute("SELECT version FROM schema_version ORDER BY version")] == [1, 2, 3]
    assert conn.execute("SELECT name FROM sqlite_master WHERE name = 'replies'").fetchone() == ("replies",)
    indexed = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'run_cases'")}
    assert "run_cases_case_id" in indexed
    conn.close()


def test_a_store_from_a_newer_version_is_refused(db):
    store.connect(db).close()
    conn = sqlite3.connect(db)
    conn.execute("INSERT INTO schema_version VALUES (?, '2030-01-01')", (store.SCHEMA_VERSION + 1,))
    conn.commit()
    conn.close()
    with pytest.raises(InputError, match="升级 loan-audit"):
        lifecycle.history(db)


def test_a_file_that_is_not_a_store_is_an_input_error(tmp_path):
    junk = tmp_path / "cases.csv"
    junk.write_text("case_id,rule\n" * 200)
    with pytest.raises(InputError, match="不是 loan-audit 数据库"):
        lifecycle.history(junk)


def test_load_run_of_an_empty_store_is_an_input_error(db):
    with pytest.raises(InputError, match="还没有任何运行记录"):
        lifecycle.load_run(db)


def test_history_counts_each_run(db):
    lifecycle.record_run(db, month(JAN, "A", "B"))
    lifecycle.record_run(db, month(FEB, "A", "C"))
    lifecycle.record_run(db, month(MAR, "A", "B"))
    got = lifecycle.history(db).drop("recorded_at")
    want = pl.DataFrame(
        {
            "as_of": [D(JAN), D(FEB), D(MAR)],
            "cases": [2, 2, 2],
            "error": [2, 2, 2],
            "warning": [0, 0, 0],
            "info": [0, 0, 0],
            "new": [2, 1, 0],
            "open": [0, 1, 1],
            "reopened": [0, 0, 1],
            "resolved": [0, 1, 1],
            "claimed_fixed_but_present": [0, 0, 0],
            "past_deadline": [0, 0, 0],
        },
        schema={k: v for k, v in lifecycle.HISTORY_SCHEMA.items() if k != "recorded_at"},
    )
    assert_frame_equal(got, want)


def test_trend_per_rule_and_township_clearing_progress(db):
    lifecycle.record_run(db, month(JAN, "A", "B"))
    lifecycle.record_run(db, month(FEB, "A", "C"))
    lifecycle.record_run(db, month(MAR, "A", "B"))
    got = lifecycle.trend(db, last=2)
    assert got.runs == [D(FEB), D(MAR)]
    assert_frame_equal(
        got.by_rule,
        pl.DataFrame(
            {"as_of": [D(FEB), D(MAR)], "rule": ["invalid_id_number"] * 2, "title": ["身份证号码错误"] * 2, "cases": [2, 2]}
        ),
    )
    want = pl.DataFrame(
        [
            (D(FEB), "景罕镇", 1, 1, 0, 0),
            (D(FEB), "章凤镇", 1, 0, 0, 0),
            (D(FEB), "陇把镇", 0, 0, 0, 1),
            (D(MAR), "景罕镇", 0, 0, 0, 1),  # 清零
            (D(MAR), "章凤镇", 1, 0, 0, 0),
            (D(MAR), "陇把镇", 1, 0, 1, 0),
        ],
        schema={"as_of": pl.Date, "township": pl.Utf8, "cases": pl.Int64, "new": pl.Int64,
                "reopened": pl.Int64, "resolved": pl.Int64},
        orient="row",
    )
    assert got.by_township.get_column("county").unique().to_list() == ["533124"]
    assert_frame_equal(got.by_township.drop("county"), want)


def two_county_month(as_of: str, *bad: tuple[str, str]):
    """Loans of 陇川县 (533124) and 盈江县 (533123), all in a township named 章凤镇; the
    loans `bad` (loan_id, county) carry broken IDs."""
    rows = [{**TERM, "county": "533124"}] + [
        {**TERM, "county": county, "loan_id": loan, "borrower_id_number": bad_id(LOANS[loan][0]), "township": "章凤镇"}
        for loan, county in bad
    ]
    return run_rows(loans=rows, as_of=as_of)


def test_trend_keeps_same_named_townships_of_two_counties_apart(db):
    lifecycle.record_run(db, two_county_month(JAN, ("A", "533124"), ("B", "533123")))
    lifecycle.record_run(db, two_county_month(FEB, ("A", "533124"), ("C", "533123")))
    got = lifecycle.trend(db).by_township.filter(pl.col("as_of") == D(FEB)).drop("as_of")
    want = pl.DataFrame(
        # 盈江县's 章凤镇: B resolved, C new; 陇川县's: A still open
        [("533123", "章凤镇", 1, 1, 0, 1), ("533124", "章凤镇", 1, 0, 0, 0)],
        schema={"county": pl.Utf8, "township": pl.Utf8, "cases": pl.Int64, "new": pl.Int64,
                "reopened": pl.Int64, "resolved": pl.Int64},
        orient="row",
    )
    assert_frame_equal(got, want)


def test_history_and_trend_of_an_empty_store(db):
    assert lifecycle.history(db).height == 0
    assert lifecycle.history(db).schema == pl.Schema(lifecycle.HISTORY_SCHEMA)
    empty = lifecycle.trend(db)
    assert empty.runs == [] and empty.by_rule.height == 0 and empty.by_township.height == 0
