"""Determinism: the same inputs and as_of give byte-identical cases.parquet, cases.csv,
quarantine.parquet and checklists — on another day, with another hash seed, with
another number of threads. The time of the run belongs in summary.json's `run` only.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest
import xlsxwriter
from hostile_inputs import AS_OF, CN_LOAN_HEADER, LOAN_KEYS, PERSON, csv_text, invoke, loan, make_id

REPO = Path(__file__).resolve().parents[2]
MACHINE = ("cases.parquet", "cases.csv", "quarantine.parquet")

IDS = {n: make_id(b, s) for n, (b, s) in {
    "yue": ("19750505", "013"), "pai2": ("19850312", "017"), "lei": ("19400101", "021"),
    "dead": ("19600606", "033"), "outside": ("19700707", "025"), "young": ("20050101", "041"),
}.items()}
ROSTER = [
    PERSON,
    {**PERSON, "household_id": "5331241020020001", "id_number": IDS["yue"], "name": "岳麻诺", "township": "陇把镇",
     "village": "邦瓦村"},
    {**PERSON, "household_id": "5331241010010002", "id_number": IDS["pai2"], "name": "排麻干"},
    {**PERSON, "household_id": "5331241030030001", "id_number": IDS["lei"], "name": "雷腊", "township": "户撒阿昌族乡",
     "village": "户早村", "household_status": "已剔除", "removed_date": "2018-01-01"},
    {**PERSON, "household_id": "5331241030030002", "id_number": IDS["dead"], "name": "曹老三", "township": "户撒阿昌族乡",
     "village": "户早村", "member_status": "死亡", "status_change_date": "2018-05-01"},
    {**PERSON, "household_id": "5331241030030003", "id_number": IDS["young"], "name": "赖小", "township": "景罕镇",
     "village": "景罕村"},
    {**PERSON, "household_id": "", "id_number": "53312419800101001", "name": "无户号"},
]
LOANS = [
    loan(loan_id="L01", maturity_date="2021-05-01", balance="40000"),
    loan(loan_id="L02", borrower_id_number=IDS["pai2"], amount="30000", balance="30000",
         disbursement_date="2020-08-15", maturity_date="2021-08-15"),
    loan(loan_id="L03", borrower_name="岳麻糯", borrower_id_number=IDS["yue"], township="陇把镇", village="邦瓦村",
         amount="60000", balance="60000", purpose="建房"),
    loan(loan_id="L04", borrower_name="雷腊", borrower_id_number=IDS["lei"], township="户撒阿昌族乡", village="户早村",
         usage_mode="户贷企用", annual_rate="6.5"),
    loan(loan_id="L05", borrower_name="曹老三", borrower_id_number=IDS["dead"], township="户撒阿昌族乡",
         village="户早村", disbursement_date="2019-01-05", maturity_date="2023-01-05"),
    loan(loan_id="L06", borrower_name="外来人", borrower_id_number=IDS["outside"], township="清平乡", village="清平村"),
    loan(loan_id="L06", borrower_name="外来人", borrower_id_number=IDS["outside"], township="清平乡", village="清平村"),
    loan(loan_id="L07", borrower_name="赖小", borrower_id_number=IDS["young"], township="景罕镇", village="景罕村"),
    loan(loan_id="L08", borrower_id_number="5.33124E+17", amount="5万", balance="50,000.00元"),
    loan(loan_id="L09", borrower_name="=HYPERLINK(\"http://x\",\"y\")", borrower_id_number=IDS["yue"],
         township="陇把镇", disbursement_date="2019年3月5日", maturity_date="20220305", balance="abc"),
    loan(loan_id="L10", township="../../逃逸镇", borrower_id_number=make_id("19900101", "051"), amount="-5"),
]


def write_inputs(folder: Path) -> Path:
    """A GBK roster CSV and an .xlsx register with a title, blank rows and a 合计 row."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "roster.csv").write_bytes(("陇川县建档立卡户人员花名册\n\n" + csv_text(ROSTER)).encode("gbk"))
    wb = xlsxwriter.Workbook(str(folder / "loans.xlsx"))
    ws = wb.add_worksheet()
    ws.merge_range(0, 0, 0, len(LOAN_KEYS) - 1, "陇川县扶贫小额信贷台账")
    ws.write_row(2, 0, [CN_LOAN_HEADER[k] for k in LOAN_KEYS])
    for r, row in enumerate(LOANS, start=3):
        for c, k in enumerate(LOAN_KEYS):
            if row[k]:
                ws.write_string(r, c, row[k])
    ws.write_row(3 + len(LOANS), 0, ["合计"])
    wb.close()
    return folder


@pytest.fixture(scope="module")
def inputs(tmp_path_factory) -> Path:
    return write_inputs(tmp_path_factory.mktemp("det") / "in")


class _AnyDatetime(type):
    def __instancecheck__(cls, obj):  # xlsxwriter asks isinstance(created, datetime)
        return isinstance(obj, dt.datetime)


class _Later(dt.datetime, metaclass=_AnyDatetime):
    """The clock of a run made the next day."""

    @classmethod
    def now(cls, tz=None):
        return dt.datetime.now(tz) + dt.timedelta(days=1, hours=3, minutes=7)


def run_cli(inputs: Path, out: Path, *extra: str):
    res = invoke("run", inputs, "--out", out, "--as-of", AS_OF, "--quiet", *extra)
    assert res.exit_code == 1, res.output
    return out


@pytest.fixture(scope="module")
def two_days(inputs, tmp_path_factory):
    """The same run today and (by the clock) tomorrow, into two folders."""
    base = tmp_path_factory.mktemp("runs")
    today = run_cli(inputs, base / "today", "--db", base / "today.db")
    mp = pytest.MonkeyPatch()
    import xlsxwriter.core

    import loan_audit.pipeline.stages.summary as summary_stage

    mp.setattr(summary_stage, "dt", types.SimpleNamespace(datetime=_Later, timezone=dt.timezone, date=dt.date))
    mp.setattr(xlsxwriter.core, "datetime", _Later)
    try:
        tomorrow = run_cli(inputs, base / "tomorrow", "--db", base / "tomorrow.db")
    finally:
        mp.undo()
    return today, tomorrow


def files(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_machine_outputs_are_byte_identical_on_another_day(two_days):
    today, tomorrow = two_days
    for name in MACHINE:
        assert (today / name).read_bytes() == (tomorrow / name).read_bytes(), name
    assert json.loads((today / "summary.json").read_text())["run"] != json.loads(
        (tomorrow / "summary.json").read_text())["run"]


def test_summary_differs_only_in_its_run_metadata(two_days):
    today, tomorrow = two_days
    a, b = (json.loads((o / "summary.json").read_text(encoding="utf-8")) for o in two_days)
    for s in (a, b):
        s.pop("run")
        s.get("history", {}).pop("db", None)
    assert a == b


def test_the_run_finds_what_the_inputs_hold(two_days):
    """Guard: the determinism above is over a run with many rules firing."""
    import polars as pl

    cases = pl.read_parquet(two_days[0] / "cases.parquet")
    assert cases.get_column("rule").n_unique() >= 8
    assert cases.get_column("township").n_unique() >= 4


_STAMP = re.compile(r"生成时间[：:\s]*\d{4}-\d{2}-\d{2} \d{2}:\d{2}")
_CORE_TIMES = re.compile(r"(<dcterms:(created|modified)[^>]*>)[^<]*(</dcterms:\2>)")


def without_time_stamps(name: str, data: bytes) -> dict[str, str] | str:
    """A checklist with the run's time stamps blanked: its sheets' XML or its HTML."""
    if name.endswith(".xlsx"):
        import io

        with zipfile.ZipFile(io.BytesIO(data)) as z:
            return {n: _CORE_TIMES.sub(r"\1T\3", _STAMP.sub("生成时间 T", z.read(n).decode("utf-8")))
                    for n in sorted(z.namelist())}
    return _STAMP.sub("生成时间 T", data.decode("utf-8"))


def test_checklists_are_identical_but_for_their_time_stamps(two_days):
    today, tomorrow = (files(o / "checklists") for o in two_days)
    assert set(today) == set(tomorrow) and len(today) >= 8
    for name in today:
        assert without_time_stamps(name, today[name]) == without_time_stamps(name, tomorrow[name]), name


def test_checklists_are_byte_identical_on_another_day(two_days):
    today, tomorrow = (files(o / "checklists") for o in two_days)
    assert today == tomorrow


def test_other_hash_seed_and_thread_count_give_the_same_bytes(inputs, tmp_path):
    """Set iteration order (PYTHONHASHSEED) and polars' thread pool must not show."""
    outs = []
    for seed, threads in (("0", "1"), ("4242", "2")):
        out = tmp_path / f"seed{seed}"
        env = {**os.environ, "PYTHONHASHSEED": seed, "POLARS_MAX_THREADS": threads, "PYTHONPATH": str(REPO)}
        done = subprocess.run(
            [sys.executable, "-c", "from loan_audit.pipeline.cli import app; app()", "run", str(inputs), "--out", str(out),
             "--as-of", AS_OF, "--no-db", "--quiet"],
            env=env, capture_output=True, text=True, timeout=120,
        )
        assert done.returncode == 1, done.stderr[-2000:]
        outs.append(out)
    for name in MACHINE:
        assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    a, b = (files(o / "checklists") for o in outs)
    assert set(a) == set(b)
    for name in a:
        assert without_time_stamps(name, a[name]) == without_time_stamps(name, b[name]), name
