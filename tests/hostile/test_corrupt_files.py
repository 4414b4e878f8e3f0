"""Broken and odd files through the CLI, one test each: exit 2 with one line on stderr
naming the file, or the rows read with the untrusted ones quarantined with a reason —
never a traceback, never a row lost without saying so."""

from __future__ import annotations

import datetime as dt
import os

import polars as pl
import xlsxwriter
from hostile_inputs import (
    AS_OF,
    CN_LOAN_HEADER,
    LOAN,
    LOAN_KEYS,
    PERSON,
    assert_exit_2_one_line,
    csv_text,
    invoke,
    loan,
    make_id,
    quarantine_reasons,
    run_out,
    validate_json,
    write_folder,
)

CN_HEADER = ",".join(CN_LOAN_HEADER[k] for k in LOAN_KEYS)
ID2 = make_id("19700101", "003")


def cn_row(**overrides) -> str:
    return ",".join(str(v) for v in loan(**overrides).values())


def write_xlsx(path, rows: list[list], merged_title: str | None = None, blank_rows: int = 0, sheets_before=()):
    wb = xlsxwriter.Workbook(str(path))
    for name in sheets_before:
        wb.add_worksheet(name).write(0, 0, "本表说明：数据来源于核心系统")
    ws = wb.add_worksheet("台账")
    r = 0
    if merged_title:
        ws.merge_range(0, 0, 0, len(rows[0]) - 1, merged_title)
        r = 1
    r += blank_rows
    for row in rows:
        for c, value in enumerate(row):
            if isinstance(value, (int, float)):
                ws.write_number(r, c, value)
            elif value not in (None, ""):
                ws.write_string(r, c, value)
        r += 1
    wb.close()
    return path


def header_and_rows(*rows: dict) -> list[list]:
    return [[CN_LOAN_HEADER[k] for k in LOAN_KEYS], *[[r[k] for k in LOAN_KEYS] for r in rows]]


# --- unusable files: exit 2, one line -------------------------------------------------
def test_empty_file(tmp_path):
    res, _ = validate_json(write_folder(tmp_path, loans=b""))
    assert_exit_2_one_line(res, "loans.csv", "文件为空")


def test_whitespace_and_bom_only_file(tmp_path):
    res, _ = validate_json(write_folder(tmp_path, loans=b"\xef\xbb\xbf \r\n\r\n"))
    assert_exit_2_one_line(res, "loans.csv", "文件为空")


def test_header_only(tmp_path):
    res, _ = validate_json(write_folder(tmp_path, loans=CN_HEADER + "\n"))
    assert_exit_2_one_line(res, "loans.csv", "没有数据行")


def test_header_only_roster(tmp_path):
    res, _ = validate_json(write_folder(tmp_path, roster=",".join(PERSON) + "\n"))
    assert_exit_2_one_line(res, "roster.csv", "没有数据行")


def test_binary_garbage_named_csv(tmp_path):
    res, _ = validate_json(write_folder(tmp_path, loans=os.urandom(3000) + b"\x00" * 10))
    assert_exit_2_one_line(res, "loans.csv", "不是文本文件")


def test_binary_garbage_without_nul_bytes(tmp_path):
    res, _ = validate_json(write_folder(tmp_path, loans=bytes(range(1, 256)) * 20))
    assert_exit_2_one_line(res, "loans.csv", "不是文本文件")


def test_text_in_neither_utf8_nor_gbk(tmp_path):
    """High bytes that no encoding we know makes text of (0x80 alone is no GBK lead)."""
    res, _ = validate_json(write_folder(tmp_path, loans=b"loan_id,x\nL1,\x80\x80\x80\xff\xfe\n"))
    assert_exit_2_one_line(res, "loans.csv", "编码")


def test_a_line_in_no_known_encoding_inside_utf8(tmp_path):
    text = (CN_HEADER + "\n" + cn_row() + "\n").encode() + b"L1,\x80\x80\x80\xff\n"
    out = tmp_path / "out"
    res, summary = run_out(write_folder(tmp_path / "in", loans=text), out)
    assert [r for r in quarantine_reasons(out).items()] == [
        (("loans", 3), ["该行编码与文件其余部分不同（文件为 UTF-8，此行编码无法识别），未审计：请统一编码后重新导出 line in another encoding"])
    ]


def test_workbook_named_csv(tmp_path):
    book = write_xlsx(tmp_path / "book.xlsx", header_and_rows(LOAN))
    res, _ = validate_json(write_folder(tmp_path / "in", loans=book.read_bytes()))
    assert_exit_2_one_line(res, "loans.csv", "Excel")


def test_truncated_xlsx(tmp_path):
    book = write_xlsx(tmp_path / "book.xlsx", header_and_rows(LOAN))
    data = book.read_bytes()
    res, _ = validate_json(write_folder(tmp_path / "in", loans=data[: len(data) // 2], loans_name="loans.xlsx"))
    assert_exit_2_one_line(res, "loans.xlsx", "无法读取 Excel")


def test_encrypted_xlsx(tmp_path):
    """Excel saves a password-protected .xlsx as an OLE2 compound file holding an
    `EncryptedPackage` stream (faked here: the magic, and the stream's name)."""
    fake = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 1000 + "EncryptedPackage".encode("utf-16-le") + b"\x00" * 500
    res, _ = validate_json(write_folder(tmp_path, loans=fake, loans_name="loans.xlsx"))
    assert_exit_2_one_line(res, "loans.xlsx", "密码")


def test_old_xls_named_xlsx(tmp_path):
    fake = bytes.fromhex("D0CF11E0A1B11AE1") + b"\x00" * 2000
    res, _ = validate_json(write_folder(tmp_path, loans=fake, loans_name="loans.xlsx"))
    assert_exit_2_one_line(res, "loans.xlsx", ".xls")


def test_html_table_named_xls(tmp_path):
    """Bank systems' "export to Excel" often writes an HTML table with an .xls name."""
    html = "<html><body><table><tr><td>借据号</td></tr></table></body></html>".encode("gbk")
    res, _ = validate_json(write_folder(tmp_path, loans=html, loans_name="loans.xls"))
    assert_exit_2_one_line(res, "loans.xls", "HTML")


def test_path_is_a_folder(tmp_path):
    folder = write_folder(tmp_path / "in")
    (folder / "as_folder.csv").mkdir()
    res = invoke("validate", "--roster", folder / "roster.csv", "--loans", folder / "as_folder.csv", "--as-of", AS_OF)
    assert_exit_2_one_line(res, "as_folder.csv", "文件夹")


def test_folder_named_like_the_input(tmp_path):
    folder = write_folder(tmp_path / "in")
    (folder / "loans.csv").unlink()
    (folder / "loans.csv").mkdir()
    res, _ = validate_json(folder)
    assert_exit_2_one_line(res, "loans.csv", "文件夹")


def test_unsupported_suffix(tmp_path):
    folder = write_folder(tmp_path / "in")
    (folder / "x.docx").write_bytes(b"PK\x03\x04")
    res = invoke("validate", "--roster", folder / "roster.csv", "--loans", folder / "x.docx", "--as-of", AS_OF)
    assert_exit_2_one_line(res, "x.docx", "不支持")


def test_duplicated_canonical_header(tmp_path):
    text = CN_HEADER + ",借据号\n" + cn_row() + ",L9\n"
    res, _ = validate_json(write_folder(tmp_path, loans=text))
    assert_exit_2_one_line(res, "loans.csv", "[loan_id]", "借据号")


def test_two_headers_mapping_to_one_column(tmp_path):
    """借款人身份证号 and 身份证号码 are both aliases of borrower_id_number."""
    text = CN_HEADER + ",身份证号码\n" + cn_row() + f",{LOAN['borrower_id_number']}\n"
    res, _ = validate_json(write_folder(tmp_path, loans=text))
    assert_exit_2_one_line(res, "loans.csv", "[borrower_id_number]", "借款人身份证号", "身份证号码")


def test_required_column_missing_after_title_rows(tmp_path):
    text = "陇川县扶贫小额信贷台账\n\n" + CN_HEADER.replace(",贷款余额(元)", ",备注") + "\n" + cn_row() + "\n"
    res, _ = validate_json(write_folder(tmp_path, loans=text))
    assert_exit_2_one_line(res, "loans.csv", "balance", "贷款余额")


def test_stray_quotes_in_a_hand_edited_cell(tmp_path):
    """`养"牛,12"寸` unquoted: read as text, the extra cell gives the shifted row away."""
    text = CN_HEADER + "\n" + cn_row() + "\n" + cn_row(loan_id="L2", purpose='养"牛,12"寸') + "\n"
    out = tmp_path / "out"
    res, summary = run_out(write_folder(tmp_path / "in", loans=text), out)
    assert list(quarantine_reasons(out)) == [("loans", 3)]


def test_quote_left_open_to_the_end_of_the_file(tmp_path):
    text = CN_HEADER + "\n" + cn_row() + "\n" + cn_row(loan_id="L2", purpose='"养牛') + "\n" + cn_row(loan_id="L3") + "\n"
    res, _ = validate_json(write_folder(tmp_path, loans=text))
    assert_exit_2_one_line(res, "loans.csv", "第 3 行起引号不成对")


def test_undecodable_with_explicit_encoding_names_the_line(tmp_path):
    text = (CN_HEADER + "\n" + cn_row() + "\n").encode("utf-8") + cn_row(loan_id="L2", borrower_name="张三").encode("gbk")
    res, _ = validate_json(write_folder(tmp_path, loans=text), "--encoding", "utf-8")
    assert_exit_2_one_line(res, "loans.csv", "第 3 行")


def test_unknown_encoding_option(tmp_path):
    res, _ = validate_json(write_folder(tmp_path), "--encoding", "no-such-codec")
    assert_exit_2_one_line(res, "no-such-codec")


# --- odd but readable: every row read, the untrusted ones quarantined -----------------
def test_duplicated_unknown_headers_are_both_kept(tmp_path):
    text = CN_HEADER + ",备注,备注,备注_2\n" + cn_row() + ",a,b,c\n"
    res, data = validate_json(write_folder(tmp_path, loans=text))
    assert res.exit_code == 0, res.output
    assert data["summary"]["inputs"]["loans"]["rows_checked"] == 1

    from loan_audit.pipeline.stages.ingest import read_table

    frame = read_table("loans", tmp_path / "loans.csv").frame
    assert [frame[c][0] for c in ("备注", "备注_2", "备注_2_2")] == ["a", "b", "c"]


def test_mixed_encoding_line_is_quarantined(tmp_path):
    """UTF-8 with one line typed in GBK: that row is quarantined (shown readable), the
    others are audited."""
    text = (CN_HEADER + "\n" + cn_row() + "\n").encode("utf-8")
    text += (cn_row(loan_id="L2", borrower_name="张三") + "\n").encode("gbk")
    text += (cn_row(loan_id="L3") + "\n").encode("utf-8")
    out = tmp_path / "out"
    res, summary = run_out(write_folder(tmp_path / "in", loans=text), out)
    assert res.exit_code in (0, 1), res.output
    assert summary["inputs"]["loans"]["rows_read"] == 3
    reasons = quarantine_reasons(out)
    assert list(reasons) == [("loans", 3)]
    assert "编码" in reasons[("loans", 3)][0]
    raw = pl.read_parquet(out / "quarantine.parquet").get_column("raw")[0]
    assert "张三" in raw  # the user sees which row it is
    cases = pl.read_parquet(out / "cases.parquet")
    assert "L2" not in cases.get_column("loan_ids").explode().to_list()


def test_bom_with_gbk_body_reads_as_gbk(tmp_path):
    """A UTF-8 BOM in front of GBK text: the BOM is wrong, the text is GBK."""
    text = b"\xef\xbb\xbf" + (CN_HEADER + "\n" + cn_row() + "\n").encode("gbk")
    res, data = validate_json(write_folder(tmp_path, loans=text))
    assert res.exit_code == 0, res.output  # the name 排麻干 matches the roster: read right
    assert data["summary"]["inputs"]["loans"]["encoding"] == "gb18030"
    assert data["summary"]["inputs"]["loans"]["rows_checked"] == 1


def test_gbk_roster_and_utf16_register(tmp_path):
    """GBK (the poverty system's export) and UTF-16 tab-separated (Excel's Unicode text)."""
    roster = csv_text([PERSON]).encode("gbk")
    loans = csv_text([LOAN], sep="\t", header=CN_LOAN_HEADER).encode("utf-16")
    res, data = validate_json(write_folder(tmp_path, loans=loans, roster=roster))
    assert res.exit_code == 0, res.output
    assert data["summary"]["inputs"]["roster"]["encoding"] == "gb18030"
    assert data["summary"]["inputs"]["loans"]["encoding"] == "utf-16"


def test_million_character_cell(tmp_path):
    """A name or purpose of a million characters is damage, not data: the row is
    quarantined with the reason (rules' cost grows with a name's length); a long
    unknown column is only carried. The reports are written all the same."""
    out = tmp_path / "out"
    rows = [
        {**loan(purpose="养殖" + "牛" * 1_000_000), "备注": ""},
        {**loan(loan_id="L2", borrower_name="=" + "x" * 1_000_000), "备注": ""},
        {**loan(loan_id="L3", borrower_id_number=ID2), "备注": "长" * 1_000_000},
    ]
    res, summary = run_out(write_folder(tmp_path / "in", loans=rows), out)
    assert res.exit_code in (0, 1), res.output
    assert summary["inputs"]["loans"]["rows_checked"] == 1
    reasons = quarantine_reasons(out)
    assert [r[0] for r in reasons.values()] == [
        "贷款用途过长（1000002字，上限2000）cell too long",
        "借款人姓名过长（1000001字，上限64）cell too long",
    ]
    assert (out / "checklists").is_dir() and (out / "report.html").is_file()


def test_two_hundred_columns(tmp_path):
    row = {**LOAN, **{f"附加列{i}": f"v{i}" for i in range(200 - len(LOAN))}}
    res, data = validate_json(write_folder(tmp_path, loans=[row]))
    assert res.exit_code == 0, res.output
    assert data["summary"]["inputs"]["loans"]["rows_checked"] == 1


def test_ragged_rows(tmp_path):
    """A row with cells beyond the header (an unquoted comma shifted it) is quarantined;
    a short row is read with its missing cells empty."""
    lines = [CN_HEADER, cn_row(), cn_row(loan_id="L2", borrower_name="排,麻干"), cn_row(loan_id="L3"),
             ",".join(list(loan(loan_id="L4").values())[:10])]
    out = tmp_path / "out"
    res, summary = run_out(write_folder(tmp_path / "in", loans="\n".join(lines) + "\n"), out)
    assert res.exit_code in (0, 1), res.output
    assert summary["inputs"]["loans"]["rows_read"] == 4
    reasons = quarantine_reasons(out)
    assert list(reasons) == [("loans", 3)]
    assert "多于表头" in reasons[("loans", 3)][0]


def test_semicolon_delimited(tmp_path):
    text = csv_text([loan(purpose="养殖,种植"), loan(loan_id="L2", borrower_id_number=ID2)], sep=";",
                    header=CN_LOAN_HEADER)
    res, data = validate_json(write_folder(tmp_path, loans=text))
    assert data["summary"]["inputs"]["loans"]["rows_checked"] == 2
    assert "non_poor_borrower" in {c["rule"] for c in data["cases"]}  # ID2 is not in the roster


def test_cells_full_of_other_separators(tmp_path):
    """Counting separators would pick `;` here; the header says `,`."""
    text = csv_text([loan(purpose=";;;;;;;;;;;;;;;;;;;;;;;;;养殖;;;;;;;;;;;;;;;;;;;;")], header=CN_LOAN_HEADER)
    res, data = validate_json(write_folder(tmp_path, loans=text))
    assert res.exit_code == 0, res.output


def test_classic_mac_line_ends(tmp_path):
    text = csv_text([LOAN, loan(loan_id="L2", borrower_id_number=ID2)], header=CN_LOAN_HEADER).replace("\n", "\r")
    res, data = validate_json(write_folder(tmp_path, loans=text))
    assert data["summary"]["inputs"]["loans"]["rows_checked"] == 2


def test_quoted_cells_with_newlines_keep_row_numbers(tmp_path):
    """A cell with a line break is one Excel row: the next row's number is Excel's."""
    frame = pl.DataFrame([loan(purpose="养殖\n（肉牛）"), loan(loan_id="", purpose="x", borrower_id_number=ID2)])
    out = tmp_path / "out"
    res, summary = run_out(write_folder(tmp_path / "in", loans=frame.write_csv()), out)
    assert res.exit_code in (0, 1), res.output
    assert quarantine_reasons(out) == {("loans", 3): ["借据号为空（空）"]}


def test_parquet_with_text_in_the_amount_column(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "loans.csv").unlink()
    pl.DataFrame({**{k: [v] for k, v in LOAN.items()}, "amount": ["五万元"]}).write_parquet(folder / "loans.parquet")
    res, data = validate_json(folder)
    assert res.exit_code == 1
    found = [c for c in data["cases"] if c["rule"] == "unreadable_value"]
    assert len(found) == 1 and "五万元" in found[0]["message"]


def test_parquet_with_typed_and_nested_columns(tmp_path):
    folder = write_folder(tmp_path)
    (folder / "loans.csv").unlink()
    pl.DataFrame({
        **{k: [v] for k, v in LOAN.items()},
        "amount": [50000.0], "disbursement_date": [dt.date(2019, 3, 5)], "balance": [50000],
        "tags": [["a", "b"]], "meta": [{"x": 1}],
    }).write_parquet(folder / "loans.parquet")
    res, data = validate_json(folder)
    assert res.exit_code == 0, res.output


def test_taizhang_as_exported_title_blank_rows_and_totals(tmp_path):
    """The 台账 as banks export it: a merged title row, blank rows, the header, the loans,
    and a 合计 row at the bottom — which is never counted as a loan."""
    rows = header_and_rows(LOAN, loan(loan_id="L0002", amount="30000", balance="30000"))
    totals = ["合计", "", "", "", "", 80000, "", "", "", "", "", 80000]
    book = write_xlsx(tmp_path / "loans.xlsx", [*rows, totals], merged_title="陇川县扶贫小额信贷台账（2021年6月）",
                      blank_rows=2)
    folder = write_folder(tmp_path / "in", loans=book.read_bytes(), loans_name="loans.xlsx")
    out = tmp_path / "out"
    res, summary = run_out(folder, out)
    assert res.exit_code in (0, 1), res.output
    loans = summary["inputs"]["loans"]
    assert (loans["rows_read"], loans["rows_checked"], loans["rows_quarantined"]) == (3, 2, 1)
    # title row 1, blank rows 2–3, header row 4, loans rows 5–6, 合计 row 7 as Excel numbers them
    assert quarantine_reasons(out) == {("loans", 7): ["合计行，不是贷款记录 totals row"]}
    cases = pl.read_parquet(out / "cases.parquet")
    assert set(cases.get_column("loan_ids").explode().drop_nulls()) <= {"L0001", "L0002"}


def test_totals_word_in_a_remark_of_a_real_loan_is_audited(tmp_path):
    text = csv_text([{**LOAN, "备注": "合计"}], header=CN_LOAN_HEADER)
    res, data = validate_json(write_folder(tmp_path, loans=text))
    assert data["summary"]["inputs"]["loans"]["rows_checked"] == 1


def test_cover_sheet_before_the_register(tmp_path):
    book = write_xlsx(tmp_path / "loans.xlsx", header_and_rows(LOAN), sheets_before=("填表说明",))
    res, data = validate_json(write_folder(tmp_path / "in", loans=book.read_bytes(), loans_name="loans.xlsx"))
    assert res.exit_code == 0, res.output
    assert data["summary"]["inputs"]["loans"]["rows_checked"] == 1


def test_blank_rows_inside_the_data_are_quarantined_as_blank(tmp_path):
    text = CN_HEADER + "\n" + cn_row() + "\n\n" + "," * (len(LOAN_KEYS) - 1) + "\n" + cn_row(loan_id="L2") + "\n"
    out = tmp_path / "out"
    res, summary = run_out(write_folder(tmp_path / "in", loans=text), out)
    assert summary["inputs"]["loans"]["rows_read"] == 4
    assert quarantine_reasons(out) == {("loans", 3): ["空行 blank row"], ("loans", 4): ["空行 blank row"]}


def test_title_line_in_another_encoding_is_not_a_row(tmp_path):
    text = "陇川县扶贫小额信贷台账\n".encode("gbk") + (CN_HEADER + "\n" + cn_row() + "\n").encode("utf-8")
    text += (cn_row(loan_id="L2", borrower_id_number=ID2) + "\n").encode("utf-8")
    res, data = validate_json(write_folder(tmp_path, loans=text))
    loans = data["summary"]["inputs"]["loans"]
    assert (loans["rows_read"], loans["rows_checked"], loans["rows_quarantined"]) == (2, 2, 0)
