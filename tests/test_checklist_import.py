"""The checklist's return trip: townships fill their 整改清单 in Excel, the county
imports them, and the next run flags 虚假整改 and missed 完成时限."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from pipeline import store
from pipeline.checklist_import import format_import, import_checklists
from tests.conftest import run_rows
from tests.test_store import month

D = dt.date.fromisoformat
JAN, FEB = "2021-01-31", "2021-02-28"
# the checklist layout: a title, the data date, then the header; case_id hidden
HEADER = ["序号", "问题类型", "行政村", "姓名", "证件号码", "借据号", "问题描述",
          "整改措施", "责任人", "完成时限", "整改情况（已整改/整改中/无法整改）", "case_id"]
COL = {h.split("（")[0]: i + 1 for i, h in enumerate(HEADER)}
FIRST_ROW = 4  # Excel row of the first case


@pytest.fixture(autouse=True)
def more_loans(monkeypatch):
    """A fourth broken loan, D, in 陇把镇 beside B."""
    from tests import test_store

    monkeypatch.setitem(test_store.LOANS, "D", ("041", "陇把镇"))


def write_checklist(path: Path, cases: pl.DataFrame, township: str, as_of: str) -> Path:
    """A township's checklist as the county sends it."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append([f"{township}扶贫小额信贷问题整改清单"])
    ws.append([f"数据日期：{as_of}"])
    ws.append(HEADER)
    town = cases.filter(pl.col("township") == township)
    for i, c in enumerate(town.iter_rows(named=True)):
        ws.append([i + 1, c["title"], c["village"], c["name"], c["id_number"], "、".join(c["loan_ids"]),
                   c["message"], None, None, None, None, c["case_id"]])
    ws.column_dimensions["L"].hidden = True
    wb.save(path)
    return path


def row_of(ws, loan: str) -> int:
    return next(r for r in range(FIRST_ROW, ws.max_row + 1) if ws.cell(r, COL["借据号"]).value == loan)


def fill(path: Path, replies: dict[str, dict], edits: dict[str, dict] | None = None, added: list[dict] = ()) -> None:
    """What the township does: fills reply cells by 借据号, sometimes edits a case
    cell or adds a row of its own."""
    wb = openpyxl.load_workbook(path)
    ws = wb.active
    for loan, cells in {**replies, **(edits or {})}.items():
        r = row_of(ws, loan)
        for header, value in cells.items():
            ws.cell(r, COL[header]).value = value
    for cells in added:
        r = ws.max_row + 1
        for header, value in cells.items():
            ws.cell(r, COL[header]).value = value
    wb.save(path)


def case_id(result, loan: str) -> str:
    return result.cases.filter(pl.col("loan_ids").list.first() == loan).get_column("case_id").item()


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "loan-audit.db"


@pytest.fixture
def january(db, tmp_path):
    """The January run and the three townships' checklists, as sent out."""
    jan = store.record_run(db, month(JAN, "A", "B", "C", "D"))
    files = {t: write_checklist(tmp_path / f"{t}.xlsx", jan.cases, t, JAN) for t in ("章凤镇", "陇把镇", "景罕镇")}
    return jan, files


def test_filled_checklists_are_stored_bad_rows_refused_and_false_fixes_flagged(db, january, tmp_path):
    jan, files = january
    fill(files["章凤镇"], {"A": {"整改措施": "核对身份证，更正借据信息", "责任人": "张三",
                                "完成时限": dt.datetime(2021, 2, 15), "整改情况": "已整改"}})
    fill(
        files["陇把镇"],
        {"B": {"整改措施": "联系银行更正", "责任人": "李四", "完成时限": "2021年2月20日", "整改情况": " 整改中 "}},
        edits={"D": {"借据号": "D、X9", "整改情况": "整改中"}},
        added=[{"姓名": "岳麻诺", "整改情况": "已整改"}],
    )
    fill(files["景罕镇"], {"C": {"完成时限": "月底", "整改情况": "已完成"}},
         added=[{"case_id": "ffffffffffffffff", "整改情况": "已整改"}])
    junk = tmp_path / "notes.xlsx"
    openpyxl.Workbook().save(junk)

    got = import_checklists(db, [files["章凤镇"], files["陇把镇"], files["景罕镇"], junk])

    assert_frame_equal(
        got.stored,
        pl.DataFrame(
            [
                (str(files["章凤镇"]), FIRST_ROW, case_id(jan, "A"), "已整改", "核对身份证，更正借据信息", "张三", D("2021-02-15"), D(JAN)),
                (str(files["陇把镇"]), FIRST_ROW, case_id(jan, "B"), "整改中", "联系银行更正", "李四", D("2021-02-20"), D(JAN)),
            ],
            schema={"file": pl.Utf8, "row": pl.Int64, "case_id": pl.Utf8, "fix_status": pl.Utf8, "fix_measure": pl.Utf8,
                    "fix_owner": pl.Utf8, "fix_deadline": pl.Date, "basis_as_of": pl.Date},
            orient="row",
        ),
    )
    assert got.refused.select("file", "row", "case_id").rows() == [
        (str(files["陇把镇"]), FIRST_ROW + 1, case_id(jan, "D")),
        (str(files["陇把镇"]), FIRST_ROW + 2, None),
        (str(files["景罕镇"]), FIRST_ROW, case_id(jan, "C")),
        (str(files["景罕镇"]), FIRST_ROW + 1, "ffffffffffffffff"),
        (str(junk), None, None),
    ]
    reasons = got.refused.get_column("reason").to_list()
    assert reasons[0] == "借据号被修改：清单中为「D、X9」，原为「D」"
    assert reasons[1].startswith("没有案例编号")
    assert reasons[2] == "完成时限「月底」不是日期（应如 2021-03-31）；整改情况「已完成」不是 已整改、整改中、无法整改 之一"
    assert reasons[3].startswith("未知的案例编号 ffffffffffffffff")
    assert reasons[4].startswith("找不到 case_id 列")
    assert not got.ok and got.not_replied == 0
    text = format_import(got)
    assert text.splitlines()[0] == "已导入 2 条整改情况；0 行尚未填写整改情况。"
    assert f"陇把镇.xlsx 第{FIRST_ROW + 1}行（{case_id(jan, 'D')}）：借据号被修改" in text
    assert "notes.xlsx 整个文件：找不到 case_id 列" in text

    # the claim answers January: January itself is not flagged
    assert store.load_run(db, D(JAN)).cases.filter(pl.col("claimed_fixed_but_present")).height == 0

    # February: A still there though reported fixed; B past its deadline; C fixed
    feb = store.record_run(db, month(FEB, "A", "B", "D"))
    flags = feb.cases.select(
        pl.col("loan_ids").list.first().alias("loan"), "status", "fix_status", "fix_owner", "fix_deadline",
        "claimed_fixed_but_present", "past_deadline",
    ).sort("loan")
    assert flags.rows() == [
        ("A", "open", "已整改", "张三", D("2021-02-15"), True, True),
        ("B", "open", "整改中", "李四", D("2021-02-20"), False, True),
        ("D", "open", None, None, None, False, False),
    ]
    assert feb.claimed_fixed_but_present.get_column("case_id").to_list() == [case_id(jan, "A")]
    assert feb.past_deadline.height == 2
    assert feb.resolved.get_column("loan_ids").to_list() == [["C"]]
    hist = store.history(db).select("as_of", "claimed_fixed_but_present", "past_deadline").rows()
    assert hist == [(D(JAN), 0, 0), (D(FEB), 1, 2)]


def test_rows_not_yet_filled_in_are_counted_not_refused(db, january):
    _, files = january
    fill(files["陇把镇"], {"B": {"整改情况": "无法整改", "整改措施": "借款人已故，报县审定"}})
    got = import_checklists(db, [files["陇把镇"]])
    assert got.ok and got.stored.height == 1 and got.not_replied == 1  # D left blank
    assert got.stored.get_column("fix_deadline").to_list() == [None]


def test_a_corrected_file_imported_again_replaces_the_reply(db, january):
    jan, files = january
    fill(files["章凤镇"], {"A": {"整改情况": "整改中", "完成时限": "2021-03-31"}})
    import_checklists(db, [files["章凤镇"]])
    fill(files["章凤镇"], {"A": {"整改情况": "已整改", "完成时限": None}})
    again = import_checklists(db, [files["章凤镇"]])
    assert again.ok
    seen = store.load_run(db).cases.filter(pl.col("case_id") == case_id(jan, "A"))
    assert seen.select("fix_status", "fix_deadline").row(0) == ("已整改", None)


def test_a_case_answered_twice_in_one_import_keeps_the_first_row(db, january, tmp_path):
    jan, files = january
    fill(files["章凤镇"], {"A": {"整改情况": "整改中"}})
    copy = tmp_path / "章凤镇(2).xlsx"
    copy.write_bytes(files["章凤镇"].read_bytes())
    fill(copy, {"A": {"整改情况": "已整改"}})
    got = import_checklists(db, [files["章凤镇"], copy])
    assert got.stored.select("file", "fix_status").rows() == [(str(files["章凤镇"]), "整改中")]
    assert got.refused.select("file", "row").rows() == [(str(copy), FIRST_ROW)]
    assert "在本次导入中已出现过" in got.refused.get_column("reason").item()


def test_loan_numbers_may_be_reordered_or_separated_differently(db, tmp_path):
    # a case with two loans: the same borrower, amount and date twice
    run = run_rows(loans=[{"loan_id": "E2"}, {"loan_id": "E1"}], as_of=JAN)
    seen = store.record_run(db, run)
    twin = seen.cases.filter(pl.col("rule") == "duplicate_loan_record")
    assert twin.get_column("loan_ids").to_list() == [["E1", "E2"]]
    path = write_checklist(tmp_path / "章凤镇.xlsx", twin, "章凤镇", JAN)
    fill(path, {"E1、E2": {"借据号": "E2; E1", "整改情况": "整改中"}})
    assert import_checklists(db, [path]).ok


def test_the_reply_answers_the_checklists_own_data_date(db, tmp_path):
    # January's checklist comes back after February was recorded: the claim answers
    # January (the date the sheet states), so February's data already contradicts it
    jan = store.record_run(db, month(JAN, "A"))
    store.record_run(db, month(FEB, "A"))
    path = write_checklist(tmp_path / "章凤镇.xlsx", jan.cases, "章凤镇", JAN)
    fill(path, {"A": {"整改情况": "已整改"}})
    assert import_checklists(db, [path]).stored.get_column("basis_as_of").to_list() == [D(JAN)]
    assert store.load_run(db).claimed_fixed_but_present.height == 1


def test_without_a_stated_date_the_reply_answers_the_latest_run_with_the_case(db, tmp_path):
    jan = store.record_run(db, month(JAN, "A"))
    store.record_run(db, month(FEB, "A"))
    path = write_checklist(tmp_path / "章凤镇.xlsx", jan.cases, "章凤镇", JAN)
    wb = openpyxl.load_workbook(path)
    wb.active.cell(2, 1).value = None  # no 数据日期 line
    wb.save(path)
    fill(path, {"A": {"整改情况": "已整改"}})
    assert import_checklists(db, [path]).stored.get_column("basis_as_of").to_list() == [D(FEB)]
    assert store.load_run(db).claimed_fixed_but_present.height == 0


def test_a_case_recorded_only_after_the_checklists_date_is_unknown_to_it(db, tmp_path):
    store.record_run(db, month(JAN))
    feb = store.record_run(db, month(FEB, "A"))
    path = write_checklist(tmp_path / "章凤镇.xlsx", feb.cases, "章凤镇", JAN)
    fill(path, {"A": {"整改情况": "已整改"}})
    got = import_checklists(db, [path])
    assert got.stored.height == 0
    assert got.refused.get_column("reason").item().startswith("未知的案例编号")
