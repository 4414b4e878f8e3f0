"""The checklist's return trip: the county sends each township its 整改清单 (the
reports' writer), the township fills it in Excel (openpyxl here), the county imports
it, and the next run flags 虚假整改 and missed 完成时限."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from polars.testing import assert_frame_equal

from loan_audit.pipeline.monthly import lifecycle
from loan_audit.pipeline.monthly.checklist_import import format_import, import_checklists
from loan_audit.reports.render import write_reports
from tests.conftest import run_rows
from tests.test_store import month

D = dt.date.fromisoformat
JAN, FEB = "2021-01-31", "2021-02-28"
SHEET = "整改清单"


@pytest.fixture(autouse=True)
def more_loans(monkeypatch):
    """A fourth broken loan, D, in 陇把镇 beside B."""
    from tests import test_store

    monkeypatch.setitem(test_store.LOANS, "D", ("041", "陇把镇"))


def send(result, folder: Path, mask: bool = True) -> dict[str, Path]:
    """The townships' checklists as the county sends them (reports' writer)."""
    write_reports(result, folder, mask=mask)
    return {p.stem: p for p in (folder / "checklists").glob("*.xlsx")}


def _layout(ws) -> tuple[int, dict[str, int]]:
    """The header row and each header's column (found like the import does)."""
    for r in range(1, 30):
        cells = {str(c.value).split("（")[0]: c.column for c in ws[r] if c.value is not None}
        if "case_id" in cells:
            return r, cells
    raise AssertionError("no case_id header")


def row_of(path: Path, case: str) -> int:
    ws = openpyxl.load_workbook(path)[SHEET]
    header, col = _layout(ws)
    return next(r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, col["case_id"]).value == case)


def fill(path: Path, replies: dict[str, dict], added: list[dict] = ()) -> list[int]:
    """What a township does: fills (or edits) cells of the rows of these case_ids,
    and sometimes adds rows of its own (their row numbers are returned)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    header, col = _layout(ws)
    rows = {ws.cell(r, col["case_id"]).value: r for r in range(header + 1, ws.max_row + 1)}
    for case, cells in replies.items():
        for name, value in cells.items():
            ws.cell(rows[case], col[name]).value = value
    new_rows = []
    for cells in added:
        r = ws.max_row + 1
        for name, value in cells.items():
            ws.cell(r, col[name]).value = value
        new_rows.append(r)
    wb.save(path)
    return new_rows


def ids(result) -> dict[str, str]:
    """loan → case_id of its invalid_id_number case."""
    cases = result.cases.filter(pl.col("rule") == "invalid_id_number")
    return dict(zip(cases.get_column("loan_ids").list.first(), cases.get_column("case_id"), strict=True))


@pytest.fixture
def db(tmp_path) -> Path:
    return tmp_path / "loan-audit.db"


def test_filled_checklists_are_stored_bad_rows_refused_and_false_fixes_flagged(db, tmp_path):
    run = month(JAN, "A", "B", "C", "D")
    case = ids(lifecycle.record_run(db, run))
    files = send(run, tmp_path / "out")
    fill(files["章凤镇"], {case["A"]: {"整改措施": "核对身份证，更正借据信息", "责任人": "张三",
                                      "完成时限": dt.datetime(2021, 2, 15), "整改情况": "已整改"}})
    (added,) = fill(
        files["陇把镇"],
        {case["B"]: {"整改措施": "联系银行更正", "责任人": "李四", "完成时限": "2021年2月20日", "整改情况": " 整改中 "},
         case["D"]: {"借据号": "D、X9", "整改情况": "整改中"}},
        added=[{"姓名": "岳麻诺", "整改情况": "已整改"}],
    )
    (stranger,) = fill(files["景罕镇"], {case["C"]: {"完成时限": "月底", "整改情况": "已完成"}},
                       added=[{"case_id": "ffffffffffffffff", "整改情况": "已整改"}])
    junk = tmp_path / "notes.xlsx"
    openpyxl.Workbook().save(junk)

    got = import_checklists(db, [files["章凤镇"], files["陇把镇"], files["景罕镇"], junk])

    assert_frame_equal(
        got.stored,
        pl.DataFrame(
            [
                (str(files["章凤镇"]), row_of(files["章凤镇"], case["A"]), case["A"], "已整改", "核对身份证，更正借据信息",
                 "张三", D("2021-02-15"), D(JAN)),
                (str(files["陇把镇"]), row_of(files["陇把镇"], case["B"]), case["B"], "整改中", "联系银行更正", "李四",
                 D("2021-02-20"), D(JAN)),
            ],
            schema={"file": pl.Utf8, "row": pl.Int64, "case_id": pl.Utf8, "fix_status": pl.Utf8, "fix_measure": pl.Utf8,
                    "fix_owner": pl.Utf8, "fix_deadline": pl.Date, "basis_as_of": pl.Date},
            orient="row",
        ),
    )
    assert got.refused.select("file", "row", "case_id").rows() == [
        (str(files["陇把镇"]), row_of(files["陇把镇"], case["D"]), case["D"]),
        (str(files["陇把镇"]), added, None),
        (str(files["景罕镇"]), row_of(files["景罕镇"], case["C"]), case["C"]),
        (str(files["景罕镇"]), stranger, "ffffffffffffffff"),
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
    assert f"陇把镇.xlsx 第{row_of(files['陇把镇'], case['D'])}行（{case['D']}）：借据号被修改" in text
    assert "notes.xlsx 整个文件：找不到 case_id 列" in text

    # the claim answers January: January itself is not flagged
    assert lifecycle.load_run(db, D(JAN)).claimed_fixed_but_present.height == 0

    # February: A still there though reported fixed; B past its deadline; C fixed
    feb = lifecycle.record_run(db, month(FEB, "A", "B", "D"))
    flags = feb.cases.select(
        pl.col("loan_ids").list.first().alias("loan"), "status", "fix_status", "fix_owner", "fix_deadline",
        "claimed_fixed_but_present", "past_deadline",
    ).sort("loan")
    assert flags.rows() == [
        ("A", "open", "已整改", "张三", D("2021-02-15"), True, True),
        ("B", "open", "整改中", "李四", D("2021-02-20"), False, True),
        ("D", "open", None, None, None, False, False),
    ]
    assert feb.claimed_fixed_but_present.get_column("case_id").to_list() == [case["A"]]
    assert feb.past_deadline.height == 2
    assert feb.resolved.get_column("loan_ids").to_list() == [["C"]]
    hist = lifecycle.history(db).select("as_of", "claimed_fixed_but_present", "past_deadline").rows()
    assert hist == [(D(JAN), 0, 0), (D(FEB), 1, 2)]


def test_rows_not_yet_filled_in_are_counted_not_refused(db, tmp_path):
    run = month(JAN, "B", "D")
    jan = lifecycle.record_run(db, run)
    files = send(run, tmp_path / "out")
    fill(files["陇把镇"], {ids(jan)["B"]: {"整改情况": "无法整改", "整改措施": "借款人已故，报县审定"}})
    got = import_checklists(db, [files["陇把镇"]])
    assert got.ok and got.stored.height == 1 and got.not_replied == 1  # D left blank
    assert got.stored.get_column("fix_deadline").to_list() == [None]


def test_a_corrected_file_imported_again_replaces_the_reply(db, tmp_path):
    jan = lifecycle.record_run(db, month(JAN, "A"))
    a = ids(jan)["A"]
    files = send(month(JAN, "A"), tmp_path / "out")
    fill(files["章凤镇"], {a: {"整改情况": "整改中", "完成时限": "2021-03-31"}})
    import_checklists(db, [files["章凤镇"]])
    fill(files["章凤镇"], {a: {"整改情况": "已整改", "完成时限": None}})
    assert import_checklists(db, [files["章凤镇"]]).ok
    seen = lifecycle.load_run(db).cases.filter(pl.col("case_id") == a)
    assert seen.select("fix_status", "fix_deadline").row(0) == ("已整改", None)


def test_a_case_answered_twice_in_one_import_keeps_the_first_row(db, tmp_path):
    jan = lifecycle.record_run(db, month(JAN, "A"))
    a = ids(jan)["A"]
    files = send(month(JAN, "A"), tmp_path / "out")
    fill(files["章凤镇"], {a: {"整改情况": "整改中"}})
    copy = tmp_path / "章凤镇(2).xlsx"
    copy.write_bytes(files["章凤镇"].read_bytes())
    fill(copy, {a: {"整改情况": "已整改"}})
    got = import_checklists(db, [files["章凤镇"], copy])
    assert got.stored.select("file", "fix_status").rows() == [(str(files["章凤镇"]), "整改中")]
    assert got.refused.select("file", "row").rows() == [(str(copy), row_of(copy, a))]
    assert "在本次导入中已出现过" in got.refused.get_column("reason").item()


def test_loan_numbers_may_be_reordered_or_separated_differently(db, tmp_path):
    # a case with two loans: the same borrower, amount and date twice
    run = run_rows(loans=[{"loan_id": "E2"}, {"loan_id": "E1"}], as_of=JAN)
    seen = lifecycle.record_run(db, run)
    twin = seen.cases.filter(pl.col("rule") == "duplicate_loan_record")
    assert twin.get_column("loan_ids").to_list() == [["E1", "E2"]]
    files = send(run, tmp_path / "out")
    fill(files["章凤镇"], {twin.get_column("case_id").item(): {"借据号": "E2; E1", "整改情况": "整改中"}})
    assert import_checklists(db, [files["章凤镇"]]).ok


def test_an_unmasked_checklist_has_its_id_numbers_checked(db, tmp_path):
    jan = lifecycle.record_run(db, month(JAN, "A", "B"))
    case = ids(jan)
    files = send(month(JAN, "A", "B"), tmp_path / "out", mask=False)
    fill(files["章凤镇"], {case["A"]: {"整改情况": "整改中"}})
    fill(files["陇把镇"], {case["B"]: {"身份证号": "533124198001010011", "整改情况": "已整改"}})
    got = import_checklists(db, [files["章凤镇"], files["陇把镇"]])
    assert got.stored.get_column("case_id").to_list() == [case["A"]]
    assert got.refused.get_column("reason").item().startswith("身份证号被修改：清单中为「533124198001010011」")


def test_the_reply_answers_the_checklists_own_data_date(db, tmp_path):
    # January's checklist comes back after February was recorded: the claim answers
    # January (the date the sheet states), so February's data already contradicts it
    lifecycle.record_run(db, month(JAN, "A"))
    lifecycle.record_run(db, month(FEB, "A"))
    files = send(month(JAN, "A"), tmp_path / "out")
    fill(files["章凤镇"], {ids(month(JAN, "A"))["A"]: {"整改情况": "已整改"}})
    assert import_checklists(db, [files["章凤镇"]]).stored.get_column("basis_as_of").to_list() == [D(JAN)]
    assert lifecycle.load_run(db).claimed_fixed_but_present.height == 1


def test_without_a_stated_date_the_reply_answers_the_latest_run_with_the_case(db, tmp_path):
    lifecycle.record_run(db, month(JAN, "A"))
    lifecycle.record_run(db, month(FEB, "A"))
    files = send(month(JAN, "A"), tmp_path / "out")
    wb = openpyxl.load_workbook(files["章凤镇"])
    wb[SHEET]["A2"].value = None  # the 数据日期 line deleted
    wb.save(files["章凤镇"])
    fill(files["章凤镇"], {ids(month(JAN, "A"))["A"]: {"整改情况": "已整改"}})
    assert import_checklists(db, [files["章凤镇"]]).stored.get_column("basis_as_of").to_list() == [D(FEB)]
    assert lifecycle.load_run(db).claimed_fixed_but_present.height == 0


def test_a_case_recorded_only_after_the_checklists_date_is_unknown_to_it(db, tmp_path):
    lifecycle.record_run(db, month(JAN))
    feb = lifecycle.record_run(db, month(FEB, "A"))
    files = send(month(FEB, "A"), tmp_path / "out")
    wb = openpyxl.load_workbook(files["章凤镇"])
    wb[SHEET]["A2"].value = f"数据日期：{JAN}"
    wb.save(files["章凤镇"])
    fill(files["章凤镇"], {ids(feb)["A"]: {"整改情况": "已整改"}})
    got = import_checklists(db, [files["章凤镇"]])
    assert got.stored.height == 0
    assert got.refused.get_column("reason").item().startswith("未知的案例编号")


def test_any_layout_with_the_headers_is_read_with_excel_row_numbers(db, tmp_path):
    """Columns found by header, moved or extra; blank rows above keep Excel numbering."""
    jan = lifecycle.record_run(db, month(JAN, "A"))
    c = jan.cases.row(0, named=True)
    path = tmp_path / "手工清单.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws["A3"] = "数据日期： 2021年1月31日"
    ws.append(["case_id", "整改情况（已整改/整改中/无法整改）", "备注", "借 据 号", "完成时限(年-月-日)", "问题类型"])
    ws.append([c["case_id"], "整改中", "另附说明", "A", 44286, c["title"]])  # 44286: an Excel serial date
    wb.save(path)
    got = import_checklists(db, [path])
    assert got.ok
    assert got.stored.select("row", "fix_status", "fix_deadline", "basis_as_of").row(0) == (
        5, "整改中", D("2021-03-31"), D(JAN))
