"""The messy form, as a county's files arrive: the roster as GBK CSV and the register as
XLSX (a title row, Chinese headers, 万元 amounts), with mixed dates and decorated IDs
and names.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import polars as pl

from loan_audit.pipeline.generate.labels import valid_id
from loan_audit.pipeline.generate.setting import EXCEL_EPOCH
from loan_audit.pipeline.generate.tables import ROSTER_COLUMNS

FULL_WIDTH = [chr(0xFF10 + i) for i in range(10)]
DOT_VARIANTS_GBK = ("·", "．")
DOT_VARIANTS_ALL = ("·", "・", "•", "‧", "．")
DATE_FORMATS = ("%Y-%m-%d", "%Y/%-m/%-d", "%Y.%-m.%-d", "%Y年%-m月%-d日", "%Y%m%d")
ROSTER_HEADERS = ("户编号", "证件号码", "姓名", "与户主关系", "乡镇", "行政村", "户状态", "纳入日期", "剔除日期", "人员状态", "人员变动日期")
LOAN_HEADERS = (
    "借据号", "借款人姓名", "借款人身份证号", "乡镇", "行政村", "贷款金额(万元)", "放款日期", "到期日期", "展期到期日",
    "结清日期", "年利率(%)", "贷款余额(元)", "贷款用途", "使用方式", "承贷银行",
)
ROSTER_NOTES = ("已核实", "外出务工", "低保户", "五保户", "危房改造户", "易地扶贫搬迁户")
LOAN_NOTES = ("续贷", "已核实", "财政贴息", "展期")
def _pick(rng, n: int, p) -> np.ndarray:
    return rng.choice(len(p), size=n, p=np.array(p) / sum(p))
def _messy_ids(frame: pl.DataFrame, col: str, rng, valid: pl.Expr) -> pl.Expr:
    """IDs as they arrive: full-width digits, inner spaces, lower-case x, 15-digit legacy."""
    code = pl.Series(_pick(rng, frame.height, (0.80, 0.04, 0.04, 0.06, 0.06)))
    s = pl.col(col)
    legacy = s.str.slice(0, 6) + s.str.slice(8, 6) + s.str.slice(14, 3)
    c = pl.lit(code)
    return (
        pl.when(~valid).then(s)
        .when(c == 1).then(s.str.replace_many([str(i) for i in range(10)], FULL_WIDTH))
        .when(c == 2).then(s.str.slice(0, 6) + " " + s.str.slice(6, 8) + " " + s.str.slice(14))
        .when((c == 3) & s.str.ends_with("X")).then(s.str.to_lowercase())
        .when((c == 4) & (s.str.slice(6, 2) == "19")).then(legacy)
        .otherwise(s)
    )
def _messy_names(frame: pl.DataFrame, col: str, rng, dots: tuple[str, ...], zero_width: bool) -> pl.Expr:
    n = frame.height
    dot = pl.lit(pl.Series(np.array(dots)[rng.integers(0, len(dots), n)]))
    code = pl.lit(pl.Series(rng.random(n)))
    s = pl.col(col).str.replace("·", "\x00", literal=True)
    s = pl.concat_str(s.str.split("\x00").list.first(), pl.when(s.str.contains("\x00", literal=True)).then(dot).otherwise(pl.lit("")),
                      s.str.split("\x00").list.get(1, null_on_oob=True).fill_null(""))
    s = pl.when(code < 0.01).then(s.str.slice(0, 1) + " " + s.str.slice(1)).otherwise(s)
    if zero_width:
        s = pl.when((code > 0.995)).then(s.str.slice(0, 1) + "\u200b" + s.str.slice(1)).otherwise(s)
    return s
def _date_text(col: str, code: pl.Expr) -> pl.Expr:
    s = pl.col(col)
    serial = (s - pl.lit(EXCEL_EPOCH)).dt.total_days().cast(pl.Utf8)
    out = pl.when(code == 5).then(serial)
    for i, fmt in enumerate(DATE_FORMATS):
        out = out.when(code == i).then(s.dt.strftime(fmt))
    return out.otherwise(s.dt.strftime(DATE_FORMATS[0]))
def write_roster_csv(roster: pl.DataFrame, path: Path, rng, overrides: dict, as_of: dt.date) -> int:
    n = roster.height
    valid = valid_id(pl.col("id_number"), as_of)
    exprs = [pl.col("household_id"), _messy_ids(roster, "id_number", rng, valid), _messy_names(roster, "name", rng, DOT_VARIANTS_GBK, False),
             pl.col("relation"), pl.col("township"), pl.col("village")]
    pad = pl.lit(pl.Series(rng.random(n)))
    exprs.append(pl.when(pad < 0.02).then(pl.lit(" ") + pl.col("household_status")).otherwise(pl.col("household_status")))
    for col in ("registered_date", "removed_date"):
        exprs.append(_date_text(col, pl.lit(pl.Series(_pick(rng, n, (0.5, 0.15, 0.1, 0.1, 0.1, 0.05))))))
    exprs.append(pl.col("member_status"))
    exprs.append(_date_text("status_change_date", pl.lit(pl.Series(_pick(rng, n, (0.5, 0.15, 0.1, 0.1, 0.1, 0.05))))))
    note = np.where(rng.random(n) < 0.05, np.array(ROSTER_NOTES)[rng.integers(0, len(ROSTER_NOTES), n)], "")
    exprs.append(pl.lit(pl.Series(note)))
    out = roster.select([e.alias(h) for e, h in zip(exprs, (*ROSTER_HEADERS, "备注"))])
    for (pid, column), raw in overrides.items():
        header = ROSTER_HEADERS[ROSTER_COLUMNS.index(column)]
        out = out.with_columns(pl.when(roster["_pid"] == pid).then(pl.lit(raw)).otherwise(pl.col(header)).alias(header))
    text = out.write_csv(null_value="")
    path.write_bytes(text.encode("gbk"))
    return n
def write_loans_xlsx(loans: pl.DataFrame, path: Path, rng, overrides: dict, as_of: dt.date) -> int:
    import xlsxwriter

    n = loans.height
    valid = valid_id(pl.col("borrower_id_number"), as_of)
    text = loans.select(
        "loan_id", _messy_names(loans, "borrower_name", rng, DOT_VARIANTS_ALL, True).alias("borrower_name"),
        _messy_ids(loans, "borrower_id_number", rng, valid).alias("borrower_id_number"), "township", "village",
        *[_date_text(c, pl.lit(pl.Series(_pick(rng, n, (0.5, 0.15, 0.1, 0.1, 0.1, 0.05))))).alias(c)
          for c in ("disbursement_date", "maturity_date", "extended_maturity_date", "settled_date")],
        pl.when(pl.lit(pl.Series(rng.random(n))) < 0.02)
        .then(pl.col("purpose").str.slice(0, 1) + " " + pl.col("purpose").str.slice(1)).otherwise(pl.col("purpose")).alias("purpose"),
        "usage_mode", "bank",
    )
    cols = {c: text[c].to_list() for c in text.columns}
    dates = {c: loans[c].to_list() for c in ("disbursement_date", "maturity_date", "extended_maturity_date", "settled_date")}
    date_kind = {c: _pick(rng, n, (0.6, 0.3, 0.1)) for c in dates}  # text, date cell, serial number
    amount = loans["amount"].to_list()
    balance = loans["balance"].to_list()
    rate = loans["annual_rate"].to_list()
    money_kind = _pick(rng, n, (0.85, 0.10, 0.05))
    wan_text = rng.random(n) < 0.1
    rate_text = rng.random(n) < 0.1
    notes = np.where(rng.random(n) < 0.05, np.array(LOAN_NOTES)[rng.integers(0, len(LOAN_NOTES), n)], "")
    lids = loans["_lid"].to_list()

    wb = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    wb.set_properties({"created": dt.datetime(as_of.year, as_of.month, as_of.day), "title": "扶贫小额信贷台账"})
    ws = wb.add_worksheet("台账")
    date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
    ws.set_column(0, 0, 20)
    ws.set_column(2, 2, 21)
    ws.write_string(0, 0, f"陇川县扶贫小额信贷台账（数据日期：{as_of.year}年{as_of.month}月{as_of.day}日）")
    for j, h in enumerate((*LOAN_HEADERS, "备注")):
        ws.write_string(1, j, h)
    order = ("loan_id", "borrower_name", "borrower_id_number", "township", "village")
    for i in range(n):
        r = i + 2
        for j, c in enumerate(order):
            ws.write_string(r, j, cols[c][i])
        a = amount[i]
        if a is not None:
            wan = a / 10000
            if wan_text[i]:
                ws.write_string(r, 5, f"{wan:g}")
            else:
                ws.write_number(r, 5, wan)
        for j, c in zip((6, 7, 8, 9), dates):
            v = dates[c][i]
            if v is None:
                continue
            k = date_kind[c][i]
            if k == 0:
                ws.write_string(r, j, cols[c][i])
            elif k == 1:
                ws.write_datetime(r, j, dt.datetime(v.year, v.month, v.day), date_fmt)
            else:
                ws.write_number(r, j, (v - EXCEL_EPOCH).days)
        if rate[i] is not None:
            if rate_text[i]:
                ws.write_string(r, 10, f"{rate[i]:g}%")
            else:
                ws.write_number(r, 10, rate[i])
        b = balance[i]
        if b is not None:
            mk = money_kind[i]
            if mk == 0:
                ws.write_number(r, 11, b)
            elif mk == 1:
                ws.write_string(r, 11, f"{b:,.2f}")
            else:
                ws.write_string(r, 11, f"{b:g}元")
        for j, c in zip((12, 13, 14), ("purpose", "usage_mode", "bank")):
            ws.write_string(r, j, cols[c][i])
        if notes[i]:
            ws.write_string(r, 15, notes[i])
        if lids[i] in overrides:
            for column, raw in overrides[lids[i]].items():
                ws.write_string(r, 5 if column == "amount" else 6 + ("disbursement_date", "maturity_date").index(column), raw)
    wb.close()
    return n
