"""checklists/<township>.xlsx: the township's 整改清单, to fill in, sign and return.

Sheets, in this order (the 整改清单 sheet opens first):
- 汇总: the township's cases by rule (rows) and village (columns), per severity,
  and its monitoring figures when the run has them.
- 整改清单: a title (row 1), `数据日期：YYYY-MM-DD` alone in cell A2 (the import reads
  the date the replies answer from it), a filling note (row 3), the header (row 4,
  HEADER_ROW), then one row per case from row 5, then a signature line.

The columns are fixed (CHECKLIST_COLUMNS; the import finds them by their header
names, so keep the names stable). The first PAPER_COLUMNS (A–M) are the print area,
sized to fill A4 landscape at 100% with wrapped cells and row heights computed from the
text (LibreOffice does not fit heights); 严重程度 and 户编号 follow, not printed.
The township fills the last four printed ones:
整改措施, 责任人, 完成时限 (a date on or after the data date), 整改情况 (a list:
已整改 / 整改中 / 无法整改). Column P (CASE_ID_COLUMN) is hidden and holds `case_id`,
the case's stable id, for the return trip (`monthly.checklist_import`).

身份证号: masked (first 6 and last 4) unless `mask=False`. The masked column is
headed 脱敏身份证号, not 身份证号: the import compares a 身份证号 column with the full
number it stored, so a masked column under that name would refuse every reply.

Safety: every text cell is written with `write_string` (a name like `=HYPERLINK(...)`
stays text, never a formula); the workbook also turns off xlsxwriter's automatic
formula and URL conversion.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from pathlib import Path

import polars as pl
import xlsxwriter

from loan_audit.pipeline.vocab.labels import FIX_STATUSES  # the dropdown and the import share one list
from loan_audit.reports.model import SEVERITY_LABELS, matrix, rules_by_id

HEADER_ROW = 3  # 0-based: Excel row 4
FIRST_CASE_ROW = HEADER_ROW + 1
CASE_ID_COLUMN = "P"
ID_HEADER = {True: "脱敏身份证号", False: "身份证号"}
# (header, field, width, kind): kind text | wrap | number | money | reply | date | status | hidden
CHECKLIST_COLUMNS = (
    ("序号", "seq", 4, "number"),
    ("问题类型", "title", 10, "wrap"),
    ("村", "village", 8, "wrap"),
    ("姓名", "name", 7, "wrap"),
    ("身份证号", "id_number", 16, "wrap"),  # header per ID_HEADER
    ("借据号", "loans_text", 14, "wrap"),  # one loan a line
    ("金额（元）", "amounts", 11, "money"),  # one amount a line
    ("问题描述", "message", 28, "wrap"),
    ("整改要求", "fix", 22, "wrap"),
    ("整改措施", "fix_measure", 11, "reply"),
    ("责任人", "fix_owner", 6, "reply"),
    ("完成时限", "fix_deadline", 9, "date"),
    ("整改情况", "fix_status", 7, "status"),
    # after the paper columns, outside the print area (the import finds them by header)
    ("严重程度", "severity_label", 9, "text"),
    ("户编号", "household_id", 18, "text"),
    ("case_id", "case_id", 18, "hidden"),
)
PAPER_COLUMNS = 13  # 序号 … 整改情况: what is printed (about 150 character units: A4 landscape at 100%, measured through LibreOffice)
LINE_HEIGHT = 13.5  # points per line of 10 pt text
assert xlsxwriter.utility.xl_col_to_name(len(CHECKLIST_COLUMNS) - 1) == CASE_ID_COLUMN
SIGNATURE = "填报人：____________　　审核人：____________　　日期：______年____月____日　　（乡镇盖章）"
NOTE = (
    "填写说明：请在黄色表头的 整改措施、责任人、完成时限、整改情况 四列填写；"
    "完成时限填日期（如 2021-07-31），整改情况从下拉列表选择。请勿修改其他列，勿删除、增加行或隐藏列，填好后原文件报回。"
)


def headers(mask: bool) -> list[str]:
    return [ID_HEADER[mask] if field == "id_number" else h for h, field, _, _ in CHECKLIST_COLUMNS]


def display_width(text: str) -> int:
    """Columns a text takes in Excel: 2 for a wide (CJK) character, 1 otherwise."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def money_text(values: list[float]) -> str:
    return "\n".join(f"{v:,.2f}" for v in values)


def lines_needed(text: str, width: float) -> int:
    """Lines a wrapped text takes in a column `width` characters wide (CJK characters count 2)."""
    usable = max(width - 1, 1)  # a 10 pt CJK character is ~1.8 width units: a little room for breaks
    return sum(max(1, -(-display_width(part) // int(usable))) for part in str(text).split("\n"))


def write_checklist_xlsx(path: Path, township: str, cases: pl.DataFrame, as_of: dt.date, mask: bool,
                         monitoring: dict | None, generated: str) -> None:
    """One township's workbook (see the module docstring)."""
    wb = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False, "strings_to_urls": False,
                                         "strings_to_numbers": False, "constant_memory": True})
    try:
        fmt = _formats(wb)
        summary = wb.add_worksheet("汇总")
        sheet = wb.add_worksheet("整改清单")
        _summary_sheet(summary, fmt, township, cases, as_of, monitoring)
        _checklist_sheet(sheet, fmt, township, cases, as_of, mask, generated)
        sheet.activate()
        # created = the data date, not now: the same inputs give the same bytes (SPEC §5, determinism)
        wb.set_properties({"title": f"{township}扶贫小额信贷问题整改清单", "subject": f"数据日期 {as_of.isoformat()}",
                           "created": dt.datetime.combine(as_of, dt.time())})
    finally:
        wb.close()


def _formats(wb) -> dict:
    base = {"font_name": "宋体", "font_size": 10, "valign": "top", "border": 1}
    head = {**base, "bold": True, "align": "center", "valign": "vcenter", "text_wrap": True}
    return {
        "title": wb.add_format({"bold": True, "font_size": 16, "font_name": "黑体", "align": "center", "valign": "vcenter"}),
        "meta": wb.add_format({"font_size": 10, "font_name": "宋体"}),
        "note": wb.add_format({"font_size": 9, "font_name": "宋体", "text_wrap": True, "font_color": "#444444", "valign": "top"}),
        "head": wb.add_format({**head, "bg_color": "#D9E1F2"}),
        "head_reply": wb.add_format({**head, "bg_color": "#FFF2CC"}),  # the columns the township fills
        "text": wb.add_format({**base}),
        "wrap": wb.add_format({**base, "text_wrap": True}),
        "number": wb.add_format({**base, "align": "center"}),
        "money": wb.add_format({**base, "num_format": "#,##0.00"}),
        "money_text": wb.add_format({**base, "align": "right", "text_wrap": True}),
        "reply": wb.add_format({**base, "text_wrap": True, "locked": False}),
        "date": wb.add_format({**base, "num_format": "yyyy-mm-dd", "locked": False}),
        "sign": wb.add_format({"font_size": 11, "font_name": "宋体", "valign": "vcenter"}),
        "cell": wb.add_format({"font_size": 10, "font_name": "宋体", "border": 1}),
        "cell_bold": wb.add_format({"font_size": 10, "font_name": "宋体", "border": 1, "bold": True, "bg_color": "#D9E1F2"}),
        "cell_money": wb.add_format({"font_size": 10, "font_name": "宋体", "border": 1, "num_format": "#,##0.00"}),
        "cell_rate": wb.add_format({"font_size": 10, "font_name": "宋体", "border": 1, "num_format": "0.00%"}),
        "h2": wb.add_format({"bold": True, "font_size": 12, "font_name": "黑体"}),
    }


def _checklist_sheet(ws, fmt: dict, township: str, cases: pl.DataFrame, as_of: dt.date, mask: bool, generated: str) -> None:
    names = headers(mask)
    last_visible = PAPER_COLUMNS - 1
    by_sev = {s: cases.filter(pl.col("severity") == s).height for s in SEVERITY_LABELS}
    ws.merge_range(0, 0, 0, last_visible, f"{township}扶贫小额信贷问题整改清单", fmt["title"])
    ws.set_row(0, 28)
    ws.write_string(1, 0, f"数据日期：{as_of.isoformat()}", fmt["meta"])
    counts = "，".join(f"{label} {by_sev[s]} 条" for s, label in SEVERITY_LABELS.items())
    ws.merge_range(1, 3, 1, last_visible, f"共 {cases.height} 条问题（{counts}）", fmt["meta"])
    ws.merge_range(2, 0, 2, last_visible, NOTE, fmt["note"])
    ws.set_row(2, 30)
    rows = cases.to_dicts()
    for col, ((_, field, width, kind), name) in enumerate(zip(CHECKLIST_COLUMNS, names, strict=True)):
        options = {"hidden": True} if kind == "hidden" else {}
        cell = {"date": fmt["date"], "reply": fmt["reply"], "status": fmt["reply"]}.get(kind)
        ws.set_column(col, col, width, cell, options)
        ws.write_string(HEADER_ROW, col, name, fmt["head_reply"] if kind in ("reply", "date", "status") else fmt["head"])
    ws.set_row(HEADER_ROW, 30)
    r = FIRST_CASE_ROW
    for i, case in enumerate(rows):
        case = {**case, "loans_text": "\n".join(case.get("loan_ids") or []) or case.get("loans_text")}
        lines = max(lines_needed(case.get(f) or "", w) if k == "wrap" else 1
                    for _, f, w, k in CHECKLIST_COLUMNS[:PAPER_COLUMNS])
        lines = max(lines, len(case.get("amounts") or []))
        ws.set_row(r, max(lines, 2) * LINE_HEIGHT + 3)  # LibreOffice does not fit heights itself
        for col, (_, field, _, kind) in enumerate(CHECKLIST_COLUMNS):
            value = i + 1 if field == "seq" else case.get(field)
            if kind == "number":
                ws.write_number(r, col, value, fmt["number"])
            elif kind == "money":
                values = value or []
                if len(values) == 1:
                    ws.write_number(r, col, values[0], fmt["money"])
                elif values:
                    ws.write_string(r, col, money_text(values), fmt["money_text"])
                else:
                    ws.write_blank(r, col, None, fmt["text"])
            elif kind in ("reply", "status"):
                ws.write_blank(r, col, None, fmt["reply"])
            elif kind == "date":
                ws.write_blank(r, col, None, fmt["date"])
            elif value is None or value == "":
                ws.write_blank(r, col, None, fmt["text"])
            else:
                ws.write_string(r, col, str(value), fmt["wrap"] if kind == "wrap" else fmt["text"])
        r += 1
    last = r - 1
    col_of = {field: i for i, (_, field, _, _) in enumerate(CHECKLIST_COLUMNS)}
    if rows:
        ws.data_validation(FIRST_CASE_ROW, col_of["fix_deadline"], last, col_of["fix_deadline"], {
            "validate": "date", "criteria": ">=", "value": as_of,
            "input_title": "完成时限", "input_message": f"填写日期，如 {as_of.year}-12-31（不早于数据日期）",
            "error_title": "完成时限应为日期", "error_message": f"请填写 {as_of.isoformat()} 或以后的日期，如 {as_of.year}-12-31",
        })
        ws.data_validation(FIRST_CASE_ROW, col_of["fix_status"], last, col_of["fix_status"], {
            "validate": "list", "source": list(FIX_STATUSES),
            "input_title": "整改情况", "input_message": "从下拉列表选择：" + "、".join(FIX_STATUSES),
            "error_title": "整改情况", "error_message": "只能填写：" + "、".join(FIX_STATUSES),
        })
        ws.autofilter(HEADER_ROW, 0, last, last_visible)
    else:
        ws.merge_range(FIRST_CASE_ROW, 0, FIRST_CASE_ROW, last_visible, "本期未发现问题。", fmt["text"])
        last = FIRST_CASE_ROW
    ws.set_row(last + 2, 24)
    ws.merge_range(last + 2, 0, last + 2, col_of["fix"], SIGNATURE, fmt["sign"])
    ws.freeze_panes(FIRST_CASE_ROW, 0)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.set_margins(left=0.4, right=0.4, top=0.6, bottom=0.6)
    ws.fit_to_pages(1, 0)
    ws.repeat_rows(HEADER_ROW)
    ws.print_area(0, 0, last + 2, last_visible)
    safe = township.replace("&", "&&")
    ws.set_header(f"&L{safe}整改清单&R数据日期 {as_of.isoformat()}")
    ws.set_footer("&C第 &P 页，共 &N 页")


def _summary_sheet(ws, fmt: dict, township: str, cases: pl.DataFrame, as_of: dt.date, monitoring: dict | None) -> None:
    ws.write_string(0, 0, f"{township}问题汇总（数据日期 {as_of.isoformat()}）", fmt["h2"])
    ws.set_column(0, 0, 22)
    ws.set_column(1, 1, 8)
    tables = matrix(cases, "village_label", rules_by_id())
    villages = sorted({c for t in tables.values() for c in t["columns"]}, key=lambda v: (v.startswith("（"), v))
    ws.set_column(2, 2 + len(villages), 12)
    r = 2
    ws.write_string(r, 0, "问题类型", fmt["cell_bold"])
    ws.write_string(r, 1, "严重程度", fmt["cell_bold"])
    for j, v in enumerate(villages):
        ws.write_string(r, 2 + j, v, fmt["cell_bold"])
    ws.write_string(r, 2 + len(villages), "合计", fmt["cell_bold"])
    r += 1
    totals = [0] * len(villages)
    for table in tables.values():
        for row in table["rows"]:
            cells = dict(zip(table["columns"], row["cells"], strict=True))
            ws.write_string(r, 0, row["title"], fmt["cell"])
            ws.write_string(r, 1, table["label"], fmt["cell"])
            for j, v in enumerate(villages):
                ws.write_number(r, 2 + j, cells.get(v, 0), fmt["cell"])
                totals[j] += cells.get(v, 0)
            ws.write_number(r, 2 + len(villages), row["total"], fmt["cell"])
            r += 1
    ws.write_string(r, 0, "合计", fmt["cell_bold"])
    ws.write_blank(r, 1, None, fmt["cell_bold"])
    for j, n in enumerate(totals):
        ws.write_number(r, 2 + j, n, fmt["cell_bold"])
    ws.write_number(r, 2 + len(villages), sum(totals), fmt["cell_bold"])
    r += 2
    if monitoring:
        from loan_audit.reports.model import MONITORING_LABELS, kind_of

        ws.write_string(r, 0, "监测指标", fmt["h2"])
        r += 1
        for key, value in monitoring.items():
            if isinstance(value, (dict, list)) or key == "alert":
                continue
            ws.write_string(r, 0, MONITORING_LABELS.get(key, key), fmt["cell"])
            kind = kind_of(key)
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                ws.write_number(r, 1, value, {"rate": fmt["cell_rate"], "money": fmt["cell_money"]}.get(kind, fmt["cell"]))
            else:
                ws.write_string(r, 1, "—" if value is None else str(value), fmt["cell"])
            r += 1
        if "alert" in monitoring:
            ws.write_string(r, 0, MONITORING_LABELS.get("alert", "alert"), fmt["cell"])
            ws.write_string(r, 1, "预警" if monitoring["alert"] else "正常", fmt["cell"])
            r += 1
        for label, entry in (monitoring.get("overdue_buckets") or {}).items():
            if isinstance(entry, dict):
                ws.write_string(r, 0, f"逾期 {label}（笔数 / 金额）", fmt["cell"])
                ws.write_number(r, 1, entry.get("loans") or 0, fmt["cell"])
                ws.write_number(r, 2, entry.get("balance") or 0, fmt["cell_money"])
                r += 1
    ws.set_column(1, 2, max(8, _number_width(monitoring)))  # wide enough that no ### shows
    ws.set_landscape()
    ws.set_paper(9)
    ws.fit_to_pages(1, 0)
    ws.set_footer("&C第 &P 页，共 &N 页")


def _number_width(monitoring: dict | None) -> int:
    """Columns the widest monitoring figure takes as shown (#,##0.00), plus room."""
    values = [v for v in (monitoring or {}).values() if isinstance(v, (int, float)) and not isinstance(v, bool)]
    for entry in (monitoring or {}).get("overdue_buckets", {}).values() if monitoring else ():
        if isinstance(entry, dict):
            values += [entry.get("balance") or 0, entry.get("loans") or 0]
    return max((len(f"{v:,.2f}") for v in values), default=0) + 4
