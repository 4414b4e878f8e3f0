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
from tests.libreoffice import convert
from tests.test_store import month

D = dt.date.fromisoformat
JAN, FEB = "2021-01-31", "2021-02-28"
SHEET = "整改清单"


@pytest.fixture(autouse=True)
def more_loans(monkeypatch):
    """More broken loans in 陇把镇 beside B: D, E and F."""
    from tests import test_store

    for loan, seq in (("D", "041"), ("E", "051"), ("F", "061")):
        monkeypatch.setitem(test_store.LOANS, loan, (seq, "陇把镇"))


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


def fill(path: Path, replies: dict[str, dict], added: list[dict] = (), sheet: str = SHEET) -> list[int]:
    """What a township does: fills (or edits) cells of the rows of these case_ids,
    and sometimes adds rows of its own (their row numbers are returned)."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
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


# --- the file as it really comes back: edited by hand, re-saved by another program -----
def case_rows(path: Path, sheet: str = SHEET) -> dict[str, int]:
    """case_id → its Excel row, in the sheet as it is now."""
    ws = openpyxl.load_workbook(path)[sheet]
    header, col = _layout(ws)
    return case_rows_in(ws, header, col)


def case_rows_in(ws, header: int, col: dict[str, int]) -> dict[str, int]:
    return {ws.cell(r, col["case_id"]).value: r for r in range(header + 1, ws.max_row + 1) if ws.cell(r, col["case_id"]).value}


def stored(got) -> list[tuple]:
    return got.stored.select("row", "case_id", "fix_status", "fix_measure", "fix_owner", "fix_deadline").sort("row").rows()


def test_sorted_filtered_and_deleted_rows_are_read_where_they_now_stand(db, tmp_path):
    run = month(JAN, "B", "D", "E", "F")
    case = ids(lifecycle.record_run(db, run))
    path = send(run, tmp_path / "out")["陇把镇"]
    fill(path, {case[loan]: {"整改情况": "整改中", "责任人": loan} for loan in "BDEF"})
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    header, col = _layout(ws)
    first, last = header + 1, header + 4
    block = [[c.value for c in ws[r]] for r in range(first, last + 1)]
    for r, values in zip(range(first, last + 1), reversed(block), strict=True):  # sorted Z→A
        for c, v in enumerate(values, start=1):
            ws.cell(r, c).value = v
    ws.auto_filter.add_filter_column(col["责任人"] - 1, ["B", "D", "E"])  # F filtered out: hidden, still there
    rows = {ws.cell(r, col["case_id"]).value: r for r in range(first, last + 1)}
    ws.row_dimensions[rows[case["F"]]].hidden = True
    ws.delete_rows(rows[case["D"]])  # D's row deleted
    wb.save(path)

    got = import_checklists(db, [path])

    now = case_rows(path)
    assert got.ok and got.not_replied == 0
    assert stored(got) == sorted((now[case[loan]], case[loan], "整改中", None, loan, None) for loan in "BEF")
    assert now[case["F"]] < now[case["E"]] < now[case["B"]]


def test_the_case_id_column_unhidden_and_moved_on_a_renamed_sheet(db, tmp_path):
    run = month(JAN, "B", "D")
    case = ids(lifecycle.record_run(db, run))
    path = send(run, tmp_path / "out")["陇把镇"]
    fill(path, {case["B"]: {"整改情况": "已整改"}, case["D"]: {"整改情况": "整改中", "借据号": "D9"}})
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    ws.title = "陇把镇反馈"
    ws.insert_cols(1)
    ws.move_range(f"Q1:Q{ws.max_row}", cols=-16)  # case_id (P, Q after the insert) → A
    ws.column_dimensions["A"].hidden = False
    wb.save(path)

    got = import_checklists(db, [path])

    now = case_rows(path, "陇把镇反馈")
    assert stored(got) == [(now[case["B"]], case["B"], "已整改", None, None, None)]
    assert got.refused.select("row", "reason").rows() == [(now[case["D"]], "借据号被修改：清单中为「D9」，原为「D」")]


@pytest.mark.parametrize("typed", [
    "2021.6.30", "2021/6/30", "2021年6月30日", "２０２１年６月３０日", " 2021-06-30 ",
    dt.datetime(2021, 6, 30), dt.date(2021, 6, 30), 44377, 44377.0,
])
def test_a_deadline_is_read_in_every_form_a_township_types(db, tmp_path, typed):
    run = month(JAN, "B")
    b = ids(lifecycle.record_run(db, run))["B"]
    path = send(run, tmp_path / "out")["陇把镇"]
    fill(path, {b: {"完成时限": typed, "整改情况": "整改中"}})
    got = import_checklists(db, [path])
    assert got.ok and got.stored.get_column("fix_deadline").to_list() == [D("2021-06-30")]


@pytest.mark.parametrize("typed", [" 已整改 ", "已\u3000整改", "已整改\n", "\u3000已整改\u200b"])
def test_a_status_typed_by_hand_is_read_without_its_stray_spaces(db, tmp_path, typed):
    run = month(JAN, "B")
    b = ids(lifecycle.record_run(db, run))["B"]
    path = send(run, tmp_path / "out")["陇把镇"]
    fill(path, {b: {"整改情况": typed}})
    got = import_checklists(db, [path])
    assert got.ok and got.stored.get_column("fix_status").to_list() == ["已整改"]


def merge(path: Path, ranges: list[tuple[str, str, str]], sheet: str = SHEET) -> None:
    """Merge cells as a township does: each (first column's header, last column's header,
    where) spans those columns from the row of case_id `where` down `n` more rows when
    `where` is 'case_id+n'."""
    wb = openpyxl.load_workbook(path)
    ws = wb[sheet]
    header, col = _layout(ws)
    rows = case_rows_in(ws, header, col)
    for first, last, where in ranges:
        case, _, more = where.partition("+")
        r = rows[case]
        ws.merge_cells(start_row=r, start_column=col[first], end_row=r + int(more or 0), end_column=col[last])
    wb.save(path)


def test_a_reply_in_a_merged_cell_answers_every_case_row_it_spans(db, tmp_path):
    run = month(JAN, "B", "D", "E", "F")
    lifecycle.record_run(db, run)
    path = send(run, tmp_path / "out")["陇把镇"]
    order = sorted(case_rows(path).items(), key=lambda kv: kv[1])
    (c1, r1), (c2, r2), (c3, r3), (c4, r4) = order
    fill(path, {c1: {"整改措施": "补录身份证", "责任人": "张三", "整改情况": "整改中"},
                c2: {"责任人": "李四", "整改情况": "已整改"},  # 责任人 hidden under row 1's merged cell
                c3: {"整改措施": "报县审定", "整改情况": "无法整改"},
                c4: {"整改情况": "已整改"}})
    merge(path, [("整改措施", "整改措施", f"{c1}+1"),  # one measure for rows 1–2
                 ("责任人", "责任人", f"{c1}+1"),  # 张三 shown for rows 1–2, 李四 covered
                 ("整改措施", "责任人", c3),  # measure and owner merged across: no owner
                 ("整改情况", "整改情况", f"{c4}+2"),  # into the blank rows under the table
                 ("村", "村", f"{c1}+3")])  # one village for all four: not an edit of 村

    got = import_checklists(db, [path])

    assert got.ok and got.not_replied == 0
    assert stored(got) == [
        (r1, c1, "整改中", "补录身份证", "张三", None),
        (r2, c2, "已整改", "补录身份证", "张三", None),
        (r3, c3, "无法整改", "报县审定", None, None),
        (r4, c4, "已整改", None, None, None),
    ]


def test_a_wrong_reply_in_a_merged_cell_refuses_each_row_it_spans(db, tmp_path):
    run = month(JAN, "B", "D", "E")
    lifecycle.record_run(db, run)
    path = send(run, tmp_path / "out")["陇把镇"]
    (c1, r1), (c2, r2), (c3, r3) = sorted(case_rows(path).items(), key=lambda kv: kv[1])
    fill(path, {c1: {"整改情况": "已完成"}, c3: {"整改情况": "整改中"}})
    merge(path, [("整改情况", "整改情况", f"{c1}+1")])
    got = import_checklists(db, [path])
    assert stored(got) == [(r3, c3, "整改中", None, None, None)]
    assert got.refused.select("row", "case_id").rows() == [(r1, c1), (r2, c2)]
    assert set(got.refused.get_column("reason")) == {"整改情况「已完成」不是 已整改、整改中、无法整改 之一"}


def township_return(path: Path, case: dict[str, str]) -> None:
    """陇把镇's checklist as it comes back: every edit a township makes at once. Dates
    typed in four forms, a date cell and a serial number; statuses with stray spaces; a
    measure written once in a merged cell over two rows; B's row hidden by the
    autofilter; the case_id column unhidden and moved to A; the sheet renamed."""
    fill(path, {
        case["B"]: {"整改措施": "联系银行更正", "责任人": "李四", "完成时限": dt.datetime(2021, 2, 20), "整改情况": "已整改"},
        case["D"]: {"整改措施": "核对身份证", "责任人": "王五", "完成时限": "2021.6.30", "整改情况": " 整改中 "},
        case["E"]: {"责任人": "赵六", "完成时限": "2021年6月30日", "整改情况": "整改中\u3000"},
        case["F"]: {"完成时限": 44377, "整改情况": "已整改"},
    })
    rows = case_rows(path)
    d, e = rows[case["D"]], rows[case["E"]]
    wb = openpyxl.load_workbook(path)
    ws = wb[SHEET]
    ws.title = "反馈"
    ws.insert_cols(1)  # (openpyxl moves no merged range or filter with the columns: edits below use the new layout)
    ws.move_range(f"Q1:Q{ws.max_row}", cols=-16)
    ws.column_dimensions["A"].hidden = False
    header, col = _layout(ws)
    assert e == d + 1  # the checklist lists D's and E's cases one under the other
    ws.merge_cells(start_row=d, start_column=col["整改措施"], end_row=e, end_column=col["整改措施"])
    ws.auto_filter.ref = f"A{header}:{openpyxl.utils.get_column_letter(ws.max_column)}{e + 2}"
    ws.auto_filter.add_filter_column(col["整改情况"] - 1, ["整改中"])
    ws.row_dimensions[rows[case["B"]]].hidden = True
    wb.save(path)


@pytest.mark.parametrize("kind", ["xlsx", "xls", "ods"])
def test_a_checklist_resaved_by_libreoffice_gives_the_same_replies_and_the_same_false_fixes(tmp_path, kind):
    """The township's file imported as we get it from openpyxl, and the same file after
    LibreOffice re-saved it (and then misnamed: a .xls called .xlsx): the same replies
    stored, the same 虚假整改 next month."""
    original_db, resaved_db = tmp_path / "original.db", tmp_path / "resaved.db"
    run = month(JAN, "B", "D", "E", "F")
    case = ids(lifecycle.record_run(original_db, run))
    lifecycle.record_run(resaved_db, run)
    path = send(run, tmp_path / "out")["陇把镇"]
    township_return(path, case)
    resaved = convert(path, kind, tmp_path / kind)

    original, again = import_checklists(original_db, [path]), import_checklists(resaved_db, [resaved])

    assert original.ok and again.ok, (original.refused.rows(), again.refused.rows())
    assert_frame_equal(again.stored.drop("file"), original.stored.drop("file"))
    misnamed = resaved.rename(resaved.with_name(f"陇把镇-{kind}.{'xls' if kind == 'xlsx' else 'xlsx'}"))
    assert_frame_equal(import_checklists(resaved_db, [misnamed]).stored.drop("file"), original.stored.drop("file"))
    rows = case_rows(path, "反馈")
    assert stored(original) == sorted([
        (rows[case["B"]], case["B"], "已整改", "联系银行更正", "李四", D("2021-02-20")),
        (rows[case["D"]], case["D"], "整改中", "核对身份证", "王五", D("2021-06-30")),
        (rows[case["E"]], case["E"], "整改中", "核对身份证", "赵六", D("2021-06-30")),  # the merged measure
        (rows[case["F"]], case["F"], "已整改", None, None, D("2021-06-30")),
    ])
    # February: B still there though reported fixed (虚假整改) and past its deadline; F fixed
    flags = [lifecycle.record_run(db, month(FEB, "B", "D", "E")) for db in (original_db, resaved_db)]
    seen = [(f.claimed_fixed_but_present.get_column("case_id").to_list(), f.past_deadline.get_column("case_id").to_list(),
             f.resolved.get_column("case_id").to_list()) for f in flags]
    assert seen[0] == seen[1] == ([case["B"]], [case["B"]], [case["F"]])


def test_of_a_copied_sheet_the_one_filled_in_counts_and_two_filled_in_refuse_the_file(db, tmp_path):
    run = month(JAN, "B")
    b = ids(lifecycle.record_run(db, run))["B"]
    path = send(run, tmp_path / "out")["陇把镇"]
    wb = openpyxl.load_workbook(path)
    wb.copy_worksheet(wb[SHEET]).title = "整改清单 (2)"  # after the blank original
    wb.save(path)
    fill(path, {b: {"整改情况": "已整改"}}, sheet="整改清单 (2)")
    got = import_checklists(db, [path])
    assert got.ok and stored(got) == [(case_rows(path)[b], b, "已整改", None, None, None)]

    fill(path, {b: {"整改情况": "整改中"}})  # now the original is filled in too
    got = import_checklists(db, [path])
    assert got.stored.height == 0
    assert got.refused.select("row", "reason").rows() == [
        (None, "工作簿中有 2 张清单表（整改清单、整改清单 (2)）都填写了整改情况：请只在一张表上填写，删除其余的表后重新报送")]

