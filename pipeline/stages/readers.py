"""Readers of ingest: a CSV, Excel or Parquet file → a `Grid` of text cells below the
header row, the header's cells still as the file has them (ingest maps them).

Each reader finds the header among the top rows (bank exports put a title and blank
rows above it), keeps every value as text, and records rows it read but cannot trust
in `Grid.problems` (a line in another encoding, a row with more cells than the
header); anything that cannot be read as a table is an InputError naming the file.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import sys
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from loan_audit.pipeline.vocab.columns import ROW, TABLES, header_key
from loan_audit.pipeline.vocab.errors import InputError

HEADER_SCAN_ROWS = 30


MAX_COLUMNS = 16_384  # Excel's own limit


PROBLEMS_SCHEMA = {ROW: pl.Int64, "reason": pl.Utf8}


OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")  # compound file: .xls, or an encrypted .xlsx


ENCRYPTED_STREAM = "EncryptedPackage".encode("utf-16-le")


MIXED_LINE = "该行编码与文件其余部分不同（文件为 UTF-8，此行{}），未审计：请统一编码后重新导出 line in another encoding"


_KNOWN_HEADERS = {header_key(a) for cols in TABLES.values() for c in cols for a in (c.name, *c.aliases)}


RAGGED_ROW = "该行单元格多于表头（第 {} 列起），疑似未加引号的分隔符使整行错位 row has more cells than the header"


@dataclass
class Grid:
    """Rows of text below the header: positional columns, the header's cells, and the
    file row number of the first body row."""

    frame: pl.DataFrame
    header: list[str]
    first_row_number: int  # the file row number of frame's first row
    problems: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PROBLEMS_SCHEMA))
    typed: dict[str, pl.Series] = field(default_factory=dict)  # positional name → a date column as read


def _one_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0][:200] if text else type(exc).__name__


# --- CSV --------------------------------------------------------------------------
def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str, dict[int, str]]:
    """The text, the encoding used, and the lines (1-based number → what they seem to
    be) in another encoding than the rest: a UTF-8 file with a few GBK lines pasted in."""
    if encoding:
        try:
            codecs.lookup(encoding)
        except LookupError:
            raise InputError(f"未知编码 unknown encoding '{encoding}'", path) from None
        try:
            return data.decode(encoding).lstrip("\ufeff"), encoding, {}
        except UnicodeDecodeError as exc:
            line = data[: exc.start].count(b"\n") + 1
            raise InputError(f"无法按 {encoding} 解码：第 {line} 行 cannot decode line {line} as {encoding}", path) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text": UTF-16 with BOM
        try:
            return data.decode("utf-16").lstrip("\ufeff"), "utf-16", {}
        except UnicodeDecodeError:
            raise InputError("UTF-16 文件已损坏 broken UTF-16 text", path) from None
    body = data[3:] if data.startswith(codecs.BOM_UTF8) else data
    try:
        return body.decode("utf-8"), "utf-8-sig", {}
    except UnicodeDecodeError:
        pass
    lines = body.split(b"\n")
    bad = [i for i, line in enumerate(lines) if not _decodes(line, "utf-8")]
    utf8 = sum(1 for line in lines if not line.isascii() and _decodes(line, "utf-8"))
    if utf8 >= len(bad):  # mostly UTF-8: the other lines are foreign, not the file
        foreign = {i: _decodes(lines[i], "gb18030") for i in bad}  # kept readable for the quarantine, never audited
        text = "\n".join(
            line.decode("gb18030", errors="replace") if i in foreign else line.decode("utf-8")
            for i, line in enumerate(lines)
        )
        return text, "utf-8-sig", {i + 1: "疑似 GBK" if gbk else "编码无法识别" for i, gbk in foreign.items()}
    try:  # GBK/GB18030 (a UTF-8 BOM in front of GBK text is ignored)
        return body.decode("gb18030"), "gb18030", {}
    except UnicodeDecodeError as exc:
        line = body[: exc.start].count(b"\n") + 1
        raise InputError(
            f"无法识别文件编码（第 {line} 行既不是 UTF-8 也不是 GBK/GB18030）unknown text encoding; try --encoding", path
        ) from None


def _decodes(line: bytes, encoding: str) -> bool:
    try:
        line.decode(encoding)
        return True
    except UnicodeDecodeError:
        return False


def read_csv(path: Path, encoding: str | None) -> tuple[Grid, str]:
    data = path.read_bytes()
    if not data.removeprefix(codecs.BOM_UTF8).strip():
        raise InputError("文件为空 file is empty", path)
    if data.startswith((OLE2_MAGIC, b"PK\x03\x04")):
        raise InputError("这是 Excel 文件，扩展名却是 .csv：请改为 .xlsx/.xls an Excel workbook named .csv", path)
    if _looks_binary(data):
        raise InputError("不是文本文件（含二进制内容）not a text CSV file", path)
    text, used, foreign = _decode(path, data, encoding)
    if "\n" not in text and "\r" in text:  # classic Mac line ends
        text = text.replace("\r", "\n")
    lines = text.split("\n")
    separator = _sniff_separator(lines[:HEADER_SCAN_ROWS])
    frame = _parse_csv(path, text, separator, max(line.count(separator) for line in lines) + 1)
    if frame.height == 0:
        raise InputError("文件为空 file is empty", path)
    cells = frame.columns
    frame = frame.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + 1).alias(ROW))  # record n = Excel row n
    problems = [pl.DataFrame(schema=PROBLEMS_SCHEMA)]
    if foreign:
        records = len(lines) - (1 if text.endswith("\n") else 0)
        if records != frame.height:  # multi-line cells: lines are not rows, cannot say which
            raise InputError(
                f"文件编码混杂（第 {min(foreign)} 行不是 UTF-8）mixed encodings: re-save the file in one encoding", path
            )
        problems.append(pl.DataFrame(
            {ROW: list(foreign), "reason": [MIXED_LINE.format(kind) for kind in foreign.values()]}, schema=PROBLEMS_SCHEMA
        ))
    head_rows = _top_rows(frame.select(cells))
    header_at = _header_index(head_rows)
    width = _header_width(lines, header_at, separator, head_rows[header_at])
    body, beyond, ragged = _beyond_header(frame.slice(header_at + 1), cells, width)
    problems.append(ragged)
    header = head_rows[header_at][:width] + [""] * len(beyond)  # kept for the quarantine's raw text
    grid = Grid(body.select(*cells[:width], *beyond, ROW), header, header_at + 2)
    grid.problems = (
        pl.concat(problems)
        .filter(pl.col(ROW) > header_at + 1)  # a foreign title line above the header is no row
        .unique(ROW, keep="first", maintain_order=True)
        .sort(ROW)
    )
    return grid, used


def _looks_binary(data: bytes) -> bool:
    """Many control bytes (beyond tab and line ends) in the first 4 KB: not text. A stray
    NUL in a cell (fixed-width padding) is text with a bad cell, not a binary file."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):  # UTF-16 text is half NULs
        return False
    sample = data[:4096]
    controls = sum(1 for b in sample if b < 0x20 and b not in (0x09, 0x0A, 0x0D))
    return controls * 20 > len(sample)  # over 5%


def _parse_csv(path: Path, text: str, separator: str, width: int) -> pl.DataFrame:
    """Every record as text cells c0… (no header), as wide as the widest record.

    `width` is an upper bound from counting separators per line; a quoted cell that
    spans lines can hide separators from it, and a huge quoted cell can inflate it:
    then the csv module counts the fields exactly (and names the line of a broken quote).
    """
    if width > MAX_COLUMNS:
        width = max(_python_csv(path, text, separator), default=1)
    for attempt in range(2):
        if width > MAX_COLUMNS:
            raise InputError(f"列数过多（{width} 列）too many columns", path)
        try:
            return pl.read_csv(
                io.StringIO(text),
                has_header=False,
                separator=separator,
                schema={f"c{i}": pl.Utf8 for i in range(width)},
                missing_columns="insert",
                infer_schema=False,
                raise_if_empty=False,
            )
        except pl.exceptions.PolarsError as exc:
            exact = max(_python_csv(path, text, separator), default=0)
            if attempt or exact <= width:
                raise InputError(f"无法读取 CSV cannot parse CSV: {_one_line(exc)}", path) from None
            width = exact
    raise AssertionError("unreachable")


def _python_csv(path: Path, text: str, separator: str) -> list[int]:
    """Field counts per record by the csv module, which can say where a quote broke."""
    old = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    reader = csv.reader(io.StringIO(text), delimiter=separator, strict=True)
    counts, start = [], 1
    try:
        for row in reader:
            counts.append(len(row))
            start = reader.line_num + 1
        return counts
    except csv.Error as exc:
        raise InputError(
            f"CSV 第 {start} 行起引号不成对或格式错误 broken quoting from line {start}: {exc}", path
        ) from None
    finally:
        csv.field_size_limit(old)


def _header_width(lines: list[str], header_at: int, separator: str, header: list[str]) -> int:
    """How many cells the header row has, empty ones included (`a,b,c,` has four)."""
    named = max((i + 1 for i, h in enumerate(header) if h.strip()), default=1)
    if header_at >= len(lines):
        return named
    old = csv.field_size_limit()
    csv.field_size_limit(sys.maxsize)
    try:
        cells = next(csv.reader([lines[header_at].rstrip("\r")], delimiter=separator), [])
    except csv.Error:
        cells = []
    finally:
        csv.field_size_limit(old)
    # the line is the header record unless a cell above it spans lines: then trust polars
    same = [c.strip() for c in cells[:named]] == [h.strip() for h in header[:named]]
    return max(len(cells), named) if same else named


def _beyond_header(body: pl.DataFrame, cells: list[str], width: int) -> tuple[pl.DataFrame, list[str], pl.DataFrame]:
    """Text to the right of the header's last cell marks a shifted row (an unquoted
    separator moved every cell after it): such rows are flagged for the quarantine
    with the first column beyond the header. The columns there with text are kept
    (unnamed) so the quarantine shows the row whole; the empty ones are dropped."""
    has_text = {c: pl.col(c).str.strip_chars().ne("").fill_null(False) for c in cells[width:]}
    if not has_text:
        return body, [], pl.DataFrame(schema=PROBLEMS_SCHEMA)
    counts = body.select(e.any() for e in has_text.values()).row(0)
    beyond = [c for c, any_text in zip(has_text, counts, strict=True) if any_text]
    if not beyond:
        return body, [], pl.DataFrame(schema=PROBLEMS_SCHEMA)
    first = pl.coalesce(pl.when(has_text[c]).then(pl.lit(cells.index(c) + 1)) for c in beyond)
    ragged = body.select(ROW, first.alias("col")).filter(pl.col("col").is_not_null())
    return body, beyond, ragged.select(ROW, pl.format(RAGGED_ROW, "col").alias("reason"))


def _sniff_separator(lines: list[str]) -> str:
    """The separator that splits a top line into known headers, else the most frequent.

    Counting alone is fooled by cells full of `;` or tabs; the header is not.
    """
    candidates = (",", ";", "\t", "|")
    hits = {sep: max((_known_cells(line.split(sep)) for line in lines), default=0) for sep in candidates}
    best = max(candidates, key=lambda sep: hits[sep])
    if hits[best] >= 2:
        return best
    counts = {sep: sum(line.count(sep) for line in lines) for sep in candidates}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


# --- Excel ------------------------------------------------------------------------
def read_excel(path: Path) -> Grid:
    import fastexcel

    _sniff_workbook(path)
    try:
        reader = fastexcel.read_excel(str(path))
        frame = pl.DataFrame()
        for index in range(len(reader.sheet_names)):
            # keep blank top rows: row numbers as Excel shows them
            sheet = reader.load_sheet(index, header_row=None, skip_rows=0, dtypes="string").to_polars()
            if index == 0:
                frame = sheet  # read when no sheet has a header: the error names the column
            if sheet.height and _header_index(_top_rows(sheet), default=None) is not None:
                frame = sheet  # the first sheet with a header (a cover sheet 说明 may come first)
                break
    except Exception as exc:  # fastexcel raises its own types for broken or encrypted files
        raise InputError(f"无法读取 Excel 文件（损坏或加密？）cannot read workbook: {_one_line(exc)}", path) from None
    if frame.height == 0:
        raise InputError("工作表为空 the first sheet is empty", path)
    frame = frame.select(pl.col(c).cast(pl.Utf8).alias(f"c{i}") for i, c in enumerate(frame.columns))
    head_rows = _top_rows(frame)
    header_at = _header_index(head_rows)
    header = head_rows[header_at]
    body = frame.slice(header_at + 1)
    return Grid(body, header, header_at + 2)


def _top_rows(frame: pl.DataFrame) -> list[list[str]]:
    return [["" if v is None else str(v) for v in row] for row in frame.head(HEADER_SCAN_ROWS).rows()]


def _sniff_workbook(path: Path) -> None:
    """Name the usual impostors before the Excel reader gives a cryptic error."""
    with open(path, "rb") as fh:
        head = fh.read(1 << 16)
    if not head.strip():
        raise InputError("文件为空 file is empty", path)
    suffix = path.suffix.lower()
    if head.startswith(OLE2_MAGIC) and suffix in {".xlsx", ".xlsm", ".xlsb"}:
        if ENCRYPTED_STREAM in head or ENCRYPTED_STREAM in path.read_bytes():
            raise InputError("Excel 文件有密码（已加密）：请取消密码后另存为 .xlsx encrypted workbook", path)
        raise InputError("这是旧版 .xls 文件，扩展名却是 .xlsx：请改名为 .xls 或另存为 .xlsx an .xls named .xlsx", path)
    stripped = head.lstrip(codecs.BOM_UTF8).lstrip()
    if stripped[:1] == b"<":
        raise InputError("这是网页（HTML/XML）格式，不是真正的 Excel：请用 Excel 打开后另存为 .xlsx not a real workbook", path)


# --- Parquet ----------------------------------------------------------------------
def read_parquet(path: Path) -> Grid:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        raise InputError(f"无法读取 Parquet 文件 cannot read parquet: {_one_line(exc)}", path) from None
    header = list(frame.columns)
    cells, typed = [], {}
    for i, name in enumerate(header):
        dtype = frame.schema[name]
        if dtype == pl.Date:
            typed[f"c{i}"] = frame.get_column(name).rechunk()
            expr = pl.lit(_dates_as_text(typed[f"c{i}"]))
        elif isinstance(dtype, (pl.List, pl.Array)):
            expr = pl.col(name).cast(pl.List(pl.Utf8)).list.join(";")
        elif isinstance(dtype, pl.Struct):
            expr = pl.col(name).struct.json_encode()
        else:
            expr = pl.col(name).cast(pl.Utf8)
        cells.append(expr.alias(f"c{i}"))
    try:
        # One chunk per column, as the other readers give and as `_row` is: the reader
        # returns one chunk per row group, and the first frame-wide expression over a
        # frame whose columns are chunked unlike each other copies every column into one
        # chunk, later, in the context, as a copy no longer shared with the raw table.
        # Here it is the text columns only, once, shared by the raw and normalised tables.
        frame = frame.select(cells).rechunk() if cells else pl.DataFrame()
    except Exception as exc:
        raise InputError(f"Parquet 中有无法作为文本读取的列 a column cannot be read as text: {_one_line(exc)}", path) from None
    return Grid(frame, header, 2, typed=typed)


def _dates_as_text(days: pl.Series) -> pl.Series:
    """`days.cast(pl.Utf8)`, the same text: each day of the column's range formatted
    once and gathered (a province's roster has millions of dates and a few thousand days)."""
    lo, hi = days.min(), days.max()
    if lo is None or (hi - lo).days > 200_000:  # an empty column or a range of centuries
        return days.cast(pl.Utf8)
    text = pl.date_range(lo, hi, eager=True).cast(pl.Utf8)
    return text.gather(days.to_physical() - (lo - dt.date(1970, 1, 1)).days)  # a Date is days since 1970


# --- the header row ---------------------------------------------------------------
def _known_cells(row: list[str]) -> int:
    return sum(1 for cell in row if cell and header_key(cell.strip().strip('"')) in _KNOWN_HEADERS)


def _header_index(rows: list[list[str]], default: int | None = 0) -> int | None:
    """The header row: the first of the top rows naming at least two known columns.

    Bank exports put a title (merged cells) and blank rows above the header.
    """
    for i, row in enumerate(rows):
        if _known_cells(row) >= 2:
            return i
    return default
