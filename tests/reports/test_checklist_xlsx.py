"""checklists/<township>.xlsx: columns, dropdown, masking, hidden case_id, print
settings, formulas kept as text, safe file names, and the import's return trip."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import openpyxl
import polars as pl
import pytest
from report_sample import AS_OF, EVIL_TOWNSHIP, FULL_IDS, ID_P2, INJECTED_NAME, sample_result

from loan_audit.pipeline.monthly import lifecycle
from loan_audit.pipeline.monthly.checklist_import import import_checklists
from loan_audit.reports.checklist import CASE_ID_COLUMN, FIRST_CASE_ROW, HEADER_ROW
from loan_audit.reports.model import fix_short
from loan_audit.reports.privacy import checklist_names, inside, safe_file_stem
from loan_audit.reports.render import write_reports
from loan_audit.rules import BY_ID

HEADERS = ["序号", "问题类型", "村", "姓名", "脱敏身份证号", "借据号", "金额（元）", "问题描述", "整改要求",
           "整改措施", "责任人", "完成时限", "整改情况", "严重程度", "户编号", "case_id"]
HEAD = HEADER_ROW + 1  # Excel row of the header
FIRST = FIRST_CASE_ROW + 1  # Excel row of the first case
COL = {h: i + 1 for i, h in enumerate(HEADERS)}


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    write_reports(sample_result(), folder)
    return folder


def sheet(out: Path, township: str):
    return openpyxl.load_workbook(out / "checklists" / f"{township}.xlsx")["整改清单"]


def case_rows(ws) -> list[list]:
    rows = []
    for r in range(FIRST, ws.max_row + 1):
        values = [ws.cell(r, c).value for c in range(1, len(HEADERS) + 1)]
        if values[COL["case_id"] - 1]:
            rows.append(values)
    return rows


def test_one_workbook_per_township_and_every_case_in_exactly_one(out):
    result = sample_result()
    files = sorted(p.name for p in (out / "checklists").glob("*.xlsx"))
    assert files == sorted(["章凤镇.xlsx", "陇把镇.xlsx", "evil.xlsx", "未知乡镇.xlsx"])
    ids = [row[COL["case_id"] - 1] for f in files for row in case_rows(sheet(out, f[:-5]))]
    assert sorted(ids) == sorted(result.cases.get_column("case_id").to_list())


def test_the_checklist_sheet_has_the_fixed_columns_and_the_data_date(out):
    wb = openpyxl.load_workbook(out / "checklists" / "陇把镇.xlsx")
    assert wb.sheetnames == ["汇总", "整改清单"]
    ws = wb["整改清单"]
    assert [ws.cell(HEAD, c).value for c in range(1, len(HEADERS) + 1)] == HEADERS
    assert ws.cell(1, 1).value == "陇把镇扶贫小额信贷问题整改清单"
    assert ws.cell(2, 1).value == f"数据日期：{AS_OF}"
    assert ws.freeze_panes == f"A{FIRST}"
    assert CASE_ID_COLUMN == "P" and ws.cell(HEAD, COL["case_id"]).column_letter == "P"
    assert ws.column_dimensions["P"].hidden
    rows = {r[COL["问题类型"] - 1]: r for r in case_rows(ws)}
    over = rows["超额贷款"]
    assert over[COL["序号"] - 1] in (1, 2, 3)
    assert over[COL["严重程度"] - 1] == "错误"
    assert over[COL["村"] - 1] == "邦瓦村"
    assert over[COL["户编号"] - 1] == "5331241020020001"
    assert over[COL["借据号"] - 1] == "L3"
    assert over[COL["金额（元）"] - 1] == 60000
    assert over[COL["问题描述"] - 1].startswith("单笔贷款金额60000.00元")
    assert over[COL["整改要求"] - 1] == fix_short(BY_ID["over_limit"])  # the docstring's, not a copy
    assert over[COL["整改要求"] - 1].startswith("调取借款合同")
    assert over[COL["整改措施"] - 1] is None and over[COL["整改情况"] - 1] is None
    result = sample_result()
    expected = result.cases.filter(pl.col("rule") == "over_limit").get_column("case_id").item()
    assert over[COL["case_id"] - 1] == expected


def test_a_group_case_lists_each_loan_amount(out):
    ws = sheet(out, "章凤镇")
    group = next(r for r in case_rows(ws) if r[COL["问题类型"] - 1] == "贷款户重名")
    assert group[COL["借据号"] - 1] == "L1\nL2"
    assert group[COL["金额（元）"] - 1] == "50,000.00\n30,000.00"


def test_status_dropdown_and_deadline_date_validation(out):
    ws = sheet(out, "陇把镇")
    last = FIRST + len(case_rows(ws)) - 1
    by_col = {str(dv.sqref): dv for dv in ws.data_validations.dataValidation}
    status = by_col[f"M{FIRST}:M{last}"]
    assert status.type == "list" and status.formula1 == '"已整改,整改中,无法整改"'
    deadline = by_col[f"L{FIRST}:L{last}"]
    assert deadline.type == "date" and deadline.operator == "greaterThanOrEqual"


def test_id_numbers_are_masked_everywhere_in_the_workbooks(out):
    for path in (out / "checklists").glob("*.xlsx"):
        wb = openpyxl.load_workbook(path)
        for ws in wb.worksheets:
            for row in ws.iter_rows(values_only=True):
                for value in row:
                    assert not any(i in str(value) for i in FULL_IDS), (path.name, value)
    ids = [r[COL["脱敏身份证号"] - 1] for r in case_rows(sheet(out, "陇把镇"))]
    assert f"{ID_P2[:6]}********{ID_P2[-4:]}" in ids
    assert all(re.fullmatch(r"\d{6}\*{8}\d{3}[\dX]", i) for i in ids)


def test_unmasked_checklists_carry_the_full_id_under_its_own_header(tmp_path):
    write_reports(sample_result(), tmp_path, mask=False)
    ws = sheet(tmp_path, "陇把镇")
    assert ws.cell(HEAD, COL["脱敏身份证号"]).value == "身份证号"
    assert ID_P2 in [r[COL["脱敏身份证号"] - 1] for r in case_rows(ws)]


def test_a_formula_in_a_name_arrives_as_text(out):
    ws = sheet(out, "陇把镇")
    names = [ws.cell(r, COL["姓名"]) for r in range(FIRST, ws.max_row + 1)]
    injected = [c for c in names if c.value == INJECTED_NAME]
    assert injected and all(c.data_type == "s" for c in injected)
    formulas = [c.coordinate for row in ws.iter_rows() for c in row if c.data_type == "f"]
    assert formulas == []


def test_print_settings(out):
    ws = sheet(out, "陇把镇")
    assert ws.page_setup.orientation == "landscape"
    assert ws.sheet_properties.pageSetUpPr.fitToPage
    # fitToWidth 1 is the file format's default, which xlsxwriter leaves out
    assert (ws.page_setup.fitToWidth or 1, ws.page_setup.fitToHeight) == (1, 0)
    assert ws.print_title_rows == f"${HEAD}:${HEAD}"
    assert "&P" in ws.oddFooter.center.text and "&N" in ws.oddFooter.center.text
    signature = [c.value for row in ws.iter_rows(min_row=FIRST) for c in row if c.value and "填报人" in str(c.value)]
    assert len(signature) == 1 and "审核人" in signature[0] and "日期" in signature[0]


def test_the_summary_sheet_counts_by_rule_and_village(out):
    ws = openpyxl.load_workbook(out / "checklists" / "章凤镇.xlsx")["汇总"]
    rows = [list(r) for r in ws.iter_rows(values_only=True)]
    header = next(r for r in rows if r and r[0] == "问题类型")
    assert header[:4] == ["问题类型", "严重程度", "迭撒村委会", "合计"]
    body = {r[0]: r[2:4] for r in rows if r and r[0] in ("逾期贷款", "即将到期预警", "贷款户重名", "合计")}
    assert body == {"逾期贷款": [1, 1], "即将到期预警": [1, 1], "贷款户重名": [1, 1], "合计": [3, 3]}
    assert not any("case_id" in str(v) for r in rows for v in r if v)  # the import must not take this sheet


def test_township_names_cannot_leave_the_checklists_folder(out):
    result = sample_result()
    assert EVIL_TOWNSHIP in result.cases.get_column("township").to_list()
    written = {p.resolve() for p in out.rglob("*") if p.is_file()}
    assert all(p.is_relative_to(out.resolve()) for p in written)
    assert (out / "checklists" / "evil.xlsx").exists()
    assert sheet(out, "evil").cell(1, 1).value == f"{EVIL_TOWNSHIP}扶贫小额信贷问题整改清单"
    assert not list(out.rglob("*.tmp"))


@pytest.mark.parametrize(
    ("name", "stem"),
    [
        ("../../etc/passwd", "etc_passwd"),
        ("..", "未知乡镇"),
        ("...", "未知乡镇"),
        ("a\\..\\b", "a_b"),
        ("章凤镇/../../x", "章凤镇_x"),
        ("CON", "_CON"),
        ("lpt1.txt", "_lpt1.txt"),
        ("\x00\x1f镇\x7f", "镇"),
        ("  .hidden", "hidden"),
        ("", "未知乡镇"),
        (None, "未知乡镇"),
        ("a:b*c?d\"e<f>g|h", "a_b_c_d_e_f_g_h"),
        ("清平乡", "清平乡"),
        ("户撒阿昌族乡", "户撒阿昌族乡"),
    ],
)
def test_safe_file_stem(name, stem):
    assert safe_file_stem(name) == stem


def test_safe_file_stem_is_short_and_never_a_path(tmp_path):
    for name in ("镇" * 500, "/" * 10, "a/" * 100, "..\\" * 50, "\u202e\u200bexe.镇"):
        stem = safe_file_stem(name)
        assert 0 < len(stem) <= 60 and "/" not in stem and "\\" not in stem and ".." not in stem
        assert inside(tmp_path, stem + ".xlsx").parent == tmp_path


def test_checklist_names_are_distinct():
    names = checklist_names(["a/b", "a_b", "A_B", None, "未知乡镇"])
    assert names == {"a/b": "a_b", "a_b": "a_b-2", "A_B": "A_B-3", None: "未知乡镇", "未知乡镇": "未知乡镇-2"}


def test_inside_refuses_an_escaping_name(tmp_path):
    with pytest.raises(ValueError):
        inside(tmp_path, "../x.xlsx")


@pytest.mark.parametrize("mask", [True, False])
def test_filled_checklists_come_back_through_the_import(tmp_path, mask):
    """The return trip: the county's checklist, filled by the township, imports cleanly."""
    result = sample_result()
    db = tmp_path / "loan-audit.db"
    lifecycle.record_run(db, result)
    write_reports(result, tmp_path / "out", mask=mask)
    files = sorted((tmp_path / "out" / "checklists").glob("*.xlsx"))
    for path in files:
        wb = openpyxl.load_workbook(path)
        ws = wb["整改清单"]
        for r in range(FIRST, ws.max_row + 1):
            if ws.cell(r, COL["case_id"]).value:
                ws.cell(r, COL["整改措施"]).value = "核实后更正"
                ws.cell(r, COL["责任人"]).value = "张三"
                ws.cell(r, COL["完成时限"]).value = dt.datetime(2021, 7, 31)
                ws.cell(r, COL["整改情况"]).value = "整改中"
        wb.save(path)
    got = import_checklists(db, files)
    assert got.refused.rows() == []
    assert sorted(got.stored.get_column("case_id").to_list()) == sorted(result.cases.get_column("case_id").to_list())
    assert set(got.stored.get_column("basis_as_of").to_list()) == {dt.date.fromisoformat(AS_OF)}


def test_workbooks_written_by_worker_processes_are_the_same_files(tmp_path):
    """A province's many cases go to worker processes (processes_from): the same paths
    and the same bytes as written in this process (the workbooks are deterministic), and
    no temporary file left behind."""
    result = sample_result()
    here = write_reports(result, tmp_path / "here")
    pooled = write_reports(result, tmp_path / "pooled", processes_from=0)
    assert [p.relative_to(tmp_path / "pooled") for p in pooled] == [p.relative_to(tmp_path / "here") for p in here]
    names = sorted(p.name for p in (tmp_path / "pooled" / "checklists").iterdir())
    assert names == sorted(p.name for p in (tmp_path / "here" / "checklists").iterdir())
    assert not [n for n in names if n.startswith(".")]
    for name in (n for n in names if n.endswith(".xlsx")):
        assert (tmp_path / "pooled" / "checklists" / name).read_bytes() == (tmp_path / "here" / "checklists" / name).read_bytes()
