"""The checklist's return trip: townships' filled 整改清单 back into the store.

A township receives `checklists/<township>.xlsx` (reports/checklist.py: sheet 整改清单,
`数据日期：…` in A2, the header in row 4, one row per case, `case_id` in hidden column
P), fills in 整改措施 / 责任人 / 完成时限 / 整改情况 and sends it back.
`import_checklists` reads those files and stores each reply against its case, the
latest import winning. The file comes back written by Excel, WPS or LibreOffice, not by
us, so nothing is taken from its layout:
- .xlsx, .xls and .ods alike (fastexcel/calamine), told apart by their content (a file
  renamed from .xls to .xlsx is read all the same);
- the sheet is any one whose header row (in the top HEADER_SCAN_ROWS) has a `case_id`
  cell, whatever it is called; of several such (a copy of the sheet), the one filled
  in, and the file is refused when more than one is (its row numbers would be
  ambiguous); the columns are found by their headers, so a case_id column unhidden or
  moved, and added or moved columns, do no harm;
- row numbers are Excel's as the file stands: rows sorted, deleted or hidden by a
  filter are read where they now are (a hidden row is still a reply);
- a merged cell's value (calamine has it in the top-left cell only) is read for every
  case row the range covers (`_as_shown` says why), the ranges from merged_cells;
- dates in the forms of SPEC §2.3 or as date cells; 整改情况 after NFKC and without
  white space (stray spaces, full-width or ideographic spaces).

A row is refused, with the file, its Excel row number and the reason in Chinese, when
it cannot be trusted:
- its case_id is empty (a row added by hand) or unknown to the store;
- a case column was edited: 借据号, 问题类型, 姓名, 身份证号, 户编号, 村, 乡镇 — each one
  the sheet has — differs from the case as the store recorded it (借据号 compared as a
  set of numbers, text after NFKC and without spaces). A masked 脱敏身份证号 column and
  the 问题描述 (its wording changes from month to month) are not compared;
- 完成时限 is filled but not a date (the forms of SPEC §2.3 and Excel date cells);
- 整改情况 is empty or not one of 已整改, 整改中, 无法整改;
- the case_id was already answered by an earlier row of this import.
A row with a case_id and none of the four reply cells filled is not a reply yet: it is
skipped and counted, not refused. Rows without a case_id and without a reply (blank
lines, the 填报人 line under the table) are ignored.

Decision: the trusted rows are stored even when other rows of the same file are
refused (one typo must not lose a township's other 200 replies); the refusal list
says which rows to correct, and importing the corrected file again is harmless (each
reply replaces the case's previous one). All the trusted rows of one call are stored
in one transaction.

Which run a reply answers (its basis, for 虚假整改 in monthly.lifecycle): the latest
recorded run that had the case, no later than the checklist's 数据日期 when the sheet
states one above its header ("数据日期：2021-01-31"). The case columns are compared
with the case as that run recorded it.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

import polars as pl

from loan_audit.pipeline.monthly import store
from loan_audit.pipeline.monthly.merged_cells import Range, merged_ranges
from loan_audit.pipeline.vocab.labels import FIX_STATUSES
from loan_audit.pipeline.vocab.values import date, text

HEADER_SCAN_ROWS = 30
CASE_ID_HEADERS = ("case_id", "案例编号")
# header (NFKC, no spaces, bracketed notes removed) → the reply field it holds
REPLY_HEADERS = {"整改措施": "fix_measure", "责任人": "fix_owner", "完成时限": "fix_deadline", "整改情况": "fix_status"}
# case columns a township must not edit: case field → the headers that name it
CASE_HEADERS = {
    "loan_ids": ("借据号", "借据号码", "贷款编号"),
    "title": ("问题类型", "问题名称"),
    "name": ("姓名", "借款人姓名", "借款人"),
    "id_number": ("身份证号", "证件号码", "身份证号码", "借款人身份证号", "公民身份号码"),
    "household_id": ("户编号", "户码"),
    "village": ("村", "行政村", "村委会"),
    "township": ("乡镇", "乡镇名称"),
}
_NOTES = re.compile(r"[（(【\[][^)）】\]]*[)）】\]]")
_AS_OF = re.compile(r"数据日期\s*[:：]\s*(\S+)")
LOAN_SEPARATORS = r"[;；,，、\s]+"

REFUSED_SCHEMA = {"file": pl.Utf8, "row": pl.Int64, "case_id": pl.Utf8, "reason": pl.Utf8}
STORED_SCHEMA = {
    "file": pl.Utf8,
    "row": pl.Int64,
    "case_id": pl.Utf8,
    **store.REPLY_COLUMNS,
    "basis_as_of": pl.Date,
}


@dataclass
class ImportResult:
    stored: pl.DataFrame  # file, row, case_id, fix_status, fix_measure, fix_owner, fix_deadline, basis_as_of
    refused: pl.DataFrame  # file, row (null: the whole file), case_id, reason (Chinese)
    not_replied: int  # rows with a case_id and no reply filled in yet

    @property
    def ok(self) -> bool:
        return self.refused.height == 0


def header_key(cell: object) -> str:
    """A checklist header as matched: NFKC, no spaces, bracketed notes removed."""
    return _NOTES.sub("", re.sub(r"\s+", "", unicodedata.normalize("NFKC", str(cell or ""))))


# --- reading one workbook ------------------------------------------------------------
@dataclass
class _Sheet:
    rows: pl.DataFrame  # file, row, case_id, and the mapped columns present, all text
    as_of: dt.date | None  # the 数据日期 stated above the header
    headers: dict[str, str]  # field → its header in the sheet (named in the reasons)


def _parse_date(value: str) -> dt.date | None:
    return pl.select(date(pl.lit(value, dtype=pl.Utf8))).item()


def _read_workbook(path: Path) -> _Sheet:
    """The checklist sheet of a workbook (ValueError with the reason in Chinese if none)."""
    import fastexcel

    try:
        reader = fastexcel.read_excel(path.read_bytes())  # from bytes calamine goes by content, not by name
        # skip_rows=0 keeps leading blank rows, so that frame row i is Excel row i + 1; the
        # columns start at the first one with a value (absolute_index: its Excel column)
        sheets = [reader.load_sheet(n, header_row=None, skip_rows=0, dtypes="string") for n in reader.sheet_names]
        grids = [(s.name, s.to_polars(), [c.absolute_index for c in s.available_columns()]) for s in sheets]
    except Exception as exc:  # fastexcel raises its own types for broken or encrypted files
        raise ValueError(f"无法读取该文件（不是 Excel 工作簿，或已损坏、加密）：{_first_line(exc)}") from None
    found: list[tuple[str, _Sheet]] = []
    for name, grid, columns in grids:
        header_at = _header_row(grid)
        if header_at is None:
            continue
        try:
            merges = merged_ranges(path, name)
        except Exception as exc:  # a part fastexcel did not need is broken
            raise ValueError(f"无法读取工作表「{name}」的合并单元格：{_first_line(exc)}") from None
        found.append((name, _checklist_sheet(grid, header_at, dict(zip(grid.columns, columns, strict=True)), merges, path)))
    if not found:
        raise ValueError("找不到 case_id 列：请在下发的原清单上填写，不要删除隐藏列或复制到新表")
    # a copy of the sheet (WPS and Excel make one in two clicks): the one filled in counts
    filled = [(name, sheet) for name, sheet in found if sheet.rows.filter(_replied()).height]
    if len(filled) > 1:
        raise ValueError(f"工作簿中有 {len(filled)} 张清单表（{'、'.join(n for n, _ in filled)}）都填写了整改情况："
                         "请只在一张表上填写，删除其余的表后重新报送")
    return (filled or found)[0][1]


def _first_line(exc: Exception) -> str:
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__


def _field(header: str) -> str | None:
    if header.lower() in CASE_ID_HEADERS:
        return "case_id"
    return REPLY_HEADERS.get(header) or next((f for f, aliases in CASE_HEADERS.items() if header in aliases), None)


def _header_row(grid: pl.DataFrame) -> int | None:
    """The frame row of the header: the first row (of the top ones) with a case_id cell.
    Found on any sheet, whatever its name (a township may rename it)."""
    top = grid.head(HEADER_SCAN_ROWS).rows()
    return next((i for i, row in enumerate(top) if any(header_key(v).lower() in CASE_ID_HEADERS for v in row)), None)


def _checklist_sheet(grid: pl.DataFrame, header_at: int, columns: dict[str, int], merges: list[Range],
                     path: Path) -> _Sheet:
    """The rows below the header, columns named by field, merged cells read as shown."""
    names: dict[str, str] = {}  # grid column → field
    headers: dict[str, str] = {}  # field → header
    for col, cell in zip(grid.columns, grid.row(header_at), strict=True):
        header = header_key(cell)
        field = _field(header)
        if field and field not in headers:
            names[col], headers[field] = field, header
    title = " ".join(str(v) for row in grid.head(header_at).rows() for v in row if v)
    stated = _AS_OF.search(re.sub(r"\s+", " ", title))
    rows = (
        grid.with_row_index("row", offset=1)
        .slice(header_at + 1)
        .select(pl.lit(str(path)).alias("file"), pl.col("row").cast(pl.Int64), *[pl.col(c).alias(f) for c, f in names.items()])
        .with_columns(pl.lit(None, dtype=pl.Utf8).alias(f) for f in ("case_id", *REPLY_HEADERS.values()) if f not in names.values())
        .with_columns(text(pl.col("case_id")).alias("case_id"))
    )
    field_at = {columns[c]: f for c, f in names.items() if f != "case_id"}  # Excel column (0-based) → field
    rows = _as_shown(rows, _covered(grid, columns, field_at, merges))
    return _Sheet(rows, _parse_date(stated.group(1)) if stated else None, headers)


def _covered(grid: pl.DataFrame, columns: dict[str, int], field_at: dict[int, str], merges: list[Range]) -> pl.DataFrame:
    """(row, field, value) for every cell of a merged range but its top-left one, in a
    column the import reads: the range's value in the range's first column, none in the
    others (the reply the sheet shows there). Merged ranges are few: a plain loop."""
    grid_col = {a: c for c, a in columns.items()}
    out = []
    for r0, c0, r1, c1 in merges:
        if r0 >= grid.height or c0 not in grid_col:
            value = None  # the top-left cell is blank (past the last row or column with a value)
        else:
            value = grid.item(r0, grid_col[c0])
        for c in range(c0, c1 + 1):
            if c in field_at:
                out += [(r + 1, field_at[c], value if c == c0 else None)
                        for r in range(r0, min(r1, grid.height - 1) + 1) if (r, c) != (r0, c0)]
    return pl.DataFrame(out, schema={"row": pl.Int64, "field": pl.Utf8, "value": pl.Utf8}, orient="row")


def _as_shown(rows: pl.DataFrame, covered: pl.DataFrame) -> pl.DataFrame:
    """Each covered cell of a row with a case_id takes the value its merged range shows.

    Decision: a reply written once in a merged cell answers every case row the cell
    spans. A township officer who merges 责任人 over one village's rows and writes 张三
    once, or 整改情况 已整改 over three loans of one household, sees, prints and signs
    that reply for each of those rows; refusing them would ask for the same words to be
    typed again. Covered cells of a row without a case_id (a range reaching into the
    填报人 line) stay as they are, so that a merge adds no row to refuse."""
    for field, part in covered.partition_by("field", as_dict=True).items():
        name = field[0]
        part = part.select("row", pl.col("value").alias("_shown"), pl.lit(True).alias("_covered"))
        rows = (
            rows.join(part, on="row", how="left", maintain_order="left")
            .with_columns(
                pl.when(pl.col("_covered") & pl.col("case_id").is_not_null()).then(pl.col("_shown"))
                .otherwise(pl.col(name)).alias(name)
            )
            .drop("_shown", "_covered")
        )
    return rows


# --- checking the rows against the store ------------------------------------------------
def _written(column: str) -> pl.Expr:
    """Free text as the township wrote it, trimmed (NFKC would rewrite its punctuation)."""
    out = pl.col(column).str.strip_chars()
    return pl.when(out == "").then(None).otherwise(out)


def _blank(column: str) -> pl.Expr:
    return _written(column).is_null()


def _replied() -> pl.Expr:
    """A row with at least one of the four reply cells filled in."""
    return ~pl.all_horizontal(_blank(c) for c in REPLY_HEADERS.values())


def _loan_set(cell: pl.Expr) -> pl.Expr:
    """A 借据号 cell as the sorted list of the loan numbers in it."""
    parts = cell.str.normalize("NFKC").str.replace_all(LOAN_SEPARATORS, ";").str.split(";")
    return parts.list.eval(pl.element().filter(pl.element() != "")).list.sort()


def _checked(sheet: _Sheet, versions: pl.DataFrame) -> pl.DataFrame:
    """The sheet's replied rows with their basis run and the reasons each is refused
    (empty: trusted). `versions`: every recorded (as_of, case) with the case columns."""
    rows = sheet.rows
    eligible = pl.lit(True) if sheet.as_of is None else pl.col("as_of") <= sheet.as_of
    joined = (
        rows.join(versions, on="case_id", how="left")
        .with_columns(pl.when(eligible).then(pl.col("as_of")).alias("as_of"))
        .sort("row", "as_of", nulls_last=False)
        .unique("row", keep="last", maintain_order=True)
    )
    known = pl.col("as_of").is_not_null()
    deadline = date(pl.col("fix_deadline"))
    status = text(pl.col("fix_status"))
    reasons = [
        pl.when(pl.col("case_id").is_null()).then(pl.lit("没有案例编号（case_id 为空）：可能是手工新增的行，请在原清单的行内填写")),
        pl.when(pl.col("case_id").is_not_null() & ~known).then(
            pl.format("未知的案例编号 {}：数据库中没有这个案例（不是本县下发的清单，或数据日期不符）", "case_id")
        ),
        pl.when(~_blank("fix_deadline") & deadline.is_null()).then(
            pl.format("完成时限「{}」不是日期（应如 2021-03-31）", "fix_deadline")
        ),
        pl.when(status.is_null()).then(pl.lit("整改情况未填写（应为 已整改、整改中 或 无法整改）")),
        pl.when(status.is_not_null() & ~status.is_in(FIX_STATUSES)).then(
            pl.format("整改情况「{}」不是 已整改、整改中、无法整改 之一", "fix_status")
        ),
    ]
    for field in CASE_HEADERS:
        if field not in sheet.headers:
            continue
        if field == "loan_ids":
            same = _loan_set(pl.col(field)).list.join(";").fill_null("") == (
                pl.col("loan_ids_case").list.sort().list.join(";").fill_null("")
            )
            original = pl.col("loan_ids_case").list.join("、")
        else:
            same = text(pl.col(field)).eq_missing(text(pl.col(f"{field}_case")))
            original = pl.col(f"{field}_case")
        reasons.append(
            pl.when(known & ~same).then(
                pl.format("{}被修改：清单中为「{}」，原为「{}」", pl.lit(sheet.headers[field]), pl.col(field).fill_null(""), original.fill_null(""))
            )
        )
    return joined.select(
        "file",
        "row",
        "case_id",
        status.alias("fix_status"),
        _written("fix_measure").alias("fix_measure"),
        _written("fix_owner").alias("fix_owner"),
        deadline.alias("fix_deadline"),
        pl.col("as_of").alias("basis_as_of"),
        pl.concat_list(reasons).list.drop_nulls().alias("reasons"),
    )


def _refusal(path: Path, reason: str) -> pl.DataFrame:
    return pl.DataFrame([(str(path), None, None, reason)], schema=REFUSED_SCHEMA, orient="row")


def import_checklists(db: Path, files: list[Path]) -> ImportResult:
    """Store the trusted replies of the townships' returned checklists; list the rest."""
    refused, sheets = [], []
    for path in map(Path, files):
        try:
            sheets.append(_read_workbook(path))
        except ValueError as exc:
            refused.append(_refusal(path, str(exc)))
    replied = _replied()
    not_replied = sum(s.rows.filter(~replied & pl.col("case_id").is_not_null()).height for s in sheets)
    sheets = [_Sheet(s.rows.filter(replied), s.as_of, s.headers) for s in sheets]
    ids = {i for s in sheets for i in s.rows.get_column("case_id").drop_nulls().to_list()}
    with closing(store.connect(db)) as conn:
        versions = store.case_versions(conn, sorted(ids)).rename(
            lambda c: c if c in ("case_id", "as_of") else f"{c}_case"
        )
        checked = pl.concat(
            [_checked(s, versions) for s in sheets] or [pl.DataFrame(schema={**STORED_SCHEMA, "reasons": pl.List(pl.Utf8)})],
            how="vertical_relaxed",
        ).with_columns(
            pl.when(pl.col("case_id").is_not_null() & ~pl.col("case_id").is_first_distinct())
            .then(pl.col("reasons").list.concat(pl.format("案例编号 {} 在本次导入中已出现过，只采用第一次出现的行", "case_id")))
            .otherwise(pl.col("reasons"))
            .list.join("；")
            .alias("reason")
        )
        trusted = checked.filter(pl.col("reason") == "").select(STORED_SCHEMA.keys())
        store.save_replies(conn, trusted)
    refused.append(checked.filter(pl.col("reason") != "").select(REFUSED_SCHEMA.keys()))
    order = {str(Path(p)): i for i, p in enumerate(files)}  # the files in the order given, rows in order
    refused = pl.concat(refused, how="vertical_relaxed").sort(
        pl.col("file").replace_strict(order, return_dtype=pl.Int64), pl.col("row"), nulls_last=False
    )
    return ImportResult(trusted, refused, not_replied)


def format_import(result: ImportResult) -> str:
    """What was stored and, row by row, what was refused: for the CLI's stdout."""
    lines = [f"已导入 {result.stored.height} 条整改情况；{result.not_replied} 行尚未填写整改情况。"]
    if result.refused.height:
        lines.append(f"以下 {result.refused.height} 行未导入，请修改后重新报送：")
        lines += [
            f"  {Path(f).name} {'第' + str(r) + '行' if r is not None else '整个文件'}"
            f"{'（' + c + '）' if c else ''}：{reason}"
            for f, r, c, reason in result.refused.iter_rows()  # the refusal list: a handful of lines
        ]
    return "\n".join(lines)
