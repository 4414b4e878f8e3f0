"""Ingest: every file form and header form of SPEC §2 reaches the same raw frame."""

import datetime as dt

import polars as pl
import pytest
import xlsxwriter

from loan_audit.pipeline.stages.ingest import read_table
from loan_audit.pipeline.stages.normalise import normalised
from loan_audit.pipeline.vocab import values
from loan_audit.pipeline.vocab.errors import InputError
from loan_audit.rules._common import make_id

ID1 = make_id("19800101", "001")
ROSTER_HEADER = ["户编号", "证件号码", "姓名", "与户主关系", "乡(镇)", "行政村", "户状态", "备注"]
ROSTER_ROW = ["H1", ID1, "排麻干", "户主", "章凤镇", "迭撒村委会", "已脱贫", "自由文本"]


def write_csv(path, rows, encoding="utf-8", sep=","):
    path.write_bytes("\n".join(sep.join(r) for r in rows).encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_csv_in_each_encoding_reads_the_same(tmp_path, encoding):
    t = read_table("roster", write_csv(tmp_path / "r.csv", [ROSTER_HEADER, ROSTER_ROW], encoding))
    row = t.frame.row(0, named=True)
    assert row["name"] == "排麻干" and row["township"] == "章凤镇" and row["id_number"] == ID1
    assert row["_row"] == 2
    assert t.encoding in {"utf-8-sig", "gb18030"}


def test_unknown_columns_are_carried_through(tmp_path):
    t = read_table("roster", write_csv(tmp_path / "r.csv", [ROSTER_HEADER, ROSTER_ROW]))
    assert t.frame.get_column("备注").to_list() == ["自由文本"]


def test_missing_required_column_names_file_and_column(tmp_path):
    header = [h for h in ROSTER_HEADER if h != "户状态"]
    row = [v for h, v in zip(ROSTER_HEADER, ROSTER_ROW) if h != "户状态"]
    path = write_csv(tmp_path / "r.csv", [header, row])
    with pytest.raises(InputError) as err:
        read_table("roster", path)
    assert err.value.column == "household_status"
    assert "r.csv" in str(err.value) and "户状态" in str(err.value) and "\n" not in str(err.value)


def test_two_headers_for_one_column_is_an_error(tmp_path):
    header = ["借据号", "借款人姓名", "借款人身份证号", "身份证号码", "贷款金额", "放款日期", "到期日期", "贷款余额"]
    path = write_csv(tmp_path / "l.csv", [header, ["L1", "a", ID1, ID1, "1", "2019-01-01", "2020-01-01", "1"]])
    with pytest.raises(InputError, match="borrower_id_number"):
        read_table("loans", path)


def test_semicolon_separated_csv(tmp_path):
    t = read_table("roster", write_csv(tmp_path / "r.csv", [ROSTER_HEADER, ROSTER_ROW], sep=";"))
    assert t.frame.get_column("household_id").to_list() == ["H1"]


def test_title_and_blank_rows_above_the_header_are_skipped(tmp_path):
    rows = [["陇川县建档立卡户花名册"], [""], ROSTER_HEADER, ROSTER_ROW]
    t = read_table("roster", write_csv(tmp_path / "r.csv", rows))
    assert t.frame.get_column("household_id").to_list() == ["H1"]
    assert t.frame.get_column("_row").to_list() == [4]


def test_header_aliases_with_units_and_brackets(tmp_path):
    header = ["借据号", "借款人", "借款人证件号码", "贷款金额（万元）", "发放日期", "贷款到期日", "贷款余额(元)", "年利率(%)"]
    path = write_csv(tmp_path / "l.csv", [header, ["L1", "a", ID1, "4.5", "2019-01-01", "2020-01-01", "45000", "4.75"]])
    t = read_table("loans", path)
    assert t.factors == {"amount": 10000.0}
    assert {"amount", "balance", "annual_rate", "disbursement_date", "maturity_date"} <= t.present


def test_xlsx_with_real_date_cells_numbers_and_wan_column(tmp_path):
    path = tmp_path / "loans.xlsx"
    wb = xlsxwriter.Workbook(path)
    ws = wb.add_worksheet()
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.merge_range(0, 0, 0, 6, "陇川县扶贫小额信贷台账")
    header = ["借据号", "借款人姓名", "借款人身份证号", "贷款金额(万元)", "放款日期", "到期日期", "贷款余额"]
    ws.write_row(1, 0, header)
    ws.write_row(2, 0, ["L1", "排麻干", ID1])
    ws.write_number(2, 3, 4.5)
    ws.write_datetime(2, 4, dt.datetime(2019, 3, 5), date_fmt)
    ws.write_number(2, 5, 44260)  # Excel serial for 2021-03-05
    ws.write_number(2, 6, 45000)
    wb.close()
    t = read_table("loans", path)
    row = t.frame.row(0, named=True)
    assert row["_row"] == 3 and row["loan_id"] == "L1" and t.factors == {"amount": 10000.0}

    from loan_audit.pipeline.stages.normalise import normalised

    norm = normalised({"loans": t})["loans"].row(0, named=True)
    assert norm["amount"] == 45000.0
    assert norm["disbursement_date"] == dt.date(2019, 3, 5)
    assert norm["maturity_date"] == dt.date(2021, 3, 5)
    assert norm["balance"] == 45000.0


def test_parquet_with_typed_columns(tmp_path):
    path = tmp_path / "roster.parquet"
    pl.DataFrame(
        {"household_id": [1], "id_number": [ID1], "name": ["a"], "township": ["t"], "village": ["v"],
         "household_status": ["贫困户"], "registered_date": [dt.date(2015, 1, 2)]}
    ).write_parquet(path)
    t = read_table("roster", path)
    assert t.frame.row(0, named=True)["registered_date"] == "2015-01-02"
    assert t.frame.row(0, named=True)["household_id"] == "1"


@pytest.mark.parametrize(
    "days",
    [
        [dt.date(2015, 1, 2), None, dt.date(1950, 1, 1), dt.date(2100, 12, 31), dt.date(2016, 2, 29)],
        [None, None],
        [dt.date(1, 1, 1), dt.date(9999, 12, 31), None],  # the text of a range of millennia
    ],
)
def test_parquet_dates_read_as_their_iso_text_and_normalise_to_the_same_days(tmp_path, days):
    path = tmp_path / "roster.parquet"
    n = len(days)
    pl.DataFrame(
        {"household_id": ["1"] * n, "id_number": [ID1] * n, "name": ["a"] * n, "township": ["t"] * n,
         "village": ["v"] * n, "household_status": ["贫困户"] * n, "registered_date": days},
        schema_overrides={"registered_date": pl.Date},
    ).write_parquet(path)
    t = read_table("roster", path)
    assert t.frame.get_column("registered_date").to_list() == pl.Series(days, dtype=pl.Date).cast(pl.Utf8).to_list()
    # the values normalise takes from the typed column are those it would parse from the text
    parsed = t.frame.select(values.date(pl.col("registered_date"))).to_series()
    assert normalised({"roster": t})["roster"].get_column("registered_date").to_list() == parsed.to_list()


@pytest.mark.parametrize(
    "name, content, message",
    [
        ("empty.csv", b"", "文件为空"),
        ("garbage.csv", bytes(range(256)) * 4, "文本"),
        ("r.docx", b"x", "不支持"),
    ],
)
def test_unusable_files_are_one_line_errors(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(InputError, match=message):
        read_table("roster", path)


def test_folder_and_missing_file_are_errors(tmp_path):
    with pytest.raises(InputError, match="文件夹"):
        read_table("roster", tmp_path)
    with pytest.raises(InputError, match="不存在"):
        read_table("roster", tmp_path / "nope.csv")


def test_truncated_xlsx_is_an_error(tmp_path):
    path = tmp_path / "r.xlsx"
    path.write_bytes(b"PK\x03\x04" + b"\x00" * 50)
    with pytest.raises(InputError, match="Excel"):
        read_table("roster", path)


@pytest.mark.parametrize("header", ["户类型", "脱贫属性", "贫困户属性"])
def test_the_national_systems_household_type_is_the_household_status(tmp_path, header):
    # 防返贫监测 exports name it 户类型 (脱贫户 / 监测户 …)
    row = [*ROSTER_ROW[:6], "监测户", ROSTER_ROW[7]]
    t = read_table("roster", write_csv(tmp_path / "r.csv", [[*ROSTER_HEADER[:6], header, ROSTER_HEADER[7]], row]))
    assert t.frame.get_column("household_status").to_list() == ["监测户"]
