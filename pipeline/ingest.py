"""Ingest: files → raw frames of text, headers mapped to canonical names.

Every value stays text here (IDs especially: Excel taught us why); normalise parses
them. Each frame carries `_row`, the row number a user sees in the file (the header
row is row 1 when it is the first line). Unknown columns are carried through.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from pipeline.columns import TABLE_LABELS, TABLES, header_key, match_header
from pipeline.errors import InputError

ROW = "_row"
CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
HEADER_SCAN_ROWS = 30


@dataclass
class RawTable:
    table: str  # "roster" or "loans"
    path: Path
    frame: pl.DataFrame  # canonical + extra columns, all Utf8, plus _row
    factors: dict[str, float] = field(default_factory=dict)  # 万元 columns → 10000
    headers: dict[str, str] = field(default_factory=dict)  # canonical → header as in file
    encoding: str | None = None

    @property
    def present(self) -> set[str]:
        """Canonical columns the file has."""
        return set(self.headers)


def find_inputs(folder: Path) -> tuple[Path, Path]:
    """roster.* and loans.* in a folder (the `run DIR` form)."""
    if not folder.is_dir():
        raise InputError("不是文件夹 not a folder", folder)
    found = {}
    for table in ("roster", "loans"):
        matches = sorted(
            p for p in folder.iterdir()
            if p.stem == table and p.suffix.lower() in CSV_SUFFIXES | EXCEL_SUFFIXES | PARQUET_SUFFIXES
        )
        if not matches:
            raise InputError(f"文件夹中没有 {table}.csv/.xlsx/.parquet: no {table} file found", folder)
        if len(matches) > 1:
            names = ", ".join(p.name for p in matches)
            raise InputError(f"文件夹中有多个 {table} 文件 ({names}): keep one", folder)
        found[table] = matches[0]
    return found["roster"], found["loans"]


def read_tables(roster: Path, loans: Path, encoding: str | None = None) -> dict[str, RawTable]:
    """Both input tables, read and mapped to canonical columns."""
    return {"roster": read_table("roster", roster, encoding), "loans": read_table("loans", loans, encoding)}


def read_table(table: str, path: Path, encoding: str | None = None) -> RawTable:
    path = Path(path)
    if not path.exists():
        raise InputError("文件不存在 file not found", path)
    if path.is_dir():
        raise InputError("这是文件夹，不是文件 path is a folder, not a file", path)
    suffix = path.suffix.lower()
    used_encoding = None
    if suffix in CSV_SUFFIXES:
        grid, used_encoding = _read_csv(path, encoding)
    elif suffix in EXCEL_SUFFIXES:
        grid = _read_excel(path)
    elif suffix in PARQUET_SUFFIXES:
        grid = _read_parquet(path)
    else:
        raise InputError(f"不支持的文件类型 unsupported file type '{suffix}' (csv, xlsx, xls, parquet)", path)
    frame, headers, factors = _map_headers(table, path, grid)
    return RawTable(table, path, frame, factors, headers, used_encoding)


# --- readers: each returns a frame of text cells with header candidates unresolved ---
@dataclass
class _Grid:
    """Rows of text below the header: positional columns, the header's cells, and the
    file row number of the first body row."""

    frame: pl.DataFrame
    header: list[str]
    first_row_number: int  # the file row number of frame's first row


def _decode(path: Path, data: bytes, encoding: str | None) -> tuple[str, str]:
    if encoding:
        try:
            return data.decode(encoding), encoding
        except LookupError:
            raise InputError(f"未知编码 unknown encoding '{encoding}'", path) from None
        except UnicodeDecodeError as exc:
            raise InputError(f"无法按 {encoding} 解码 cannot decode as {encoding}: byte {exc.start}", path) from None
    for candidate in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(candidate), candidate
        except UnicodeDecodeError:
            continue
    raise InputError("无法识别文件编码（不是 UTF-8 或 GBK/GB18030）unknown text encoding; try --encoding", path)


def _read_csv(path: Path, encoding: str | None) -> tuple[_Grid, str]:
    data = path.read_bytes()
    if not data.strip():
        raise InputError("文件为空 file is empty", path)
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError("不是文本文件（含二进制内容）not a text CSV file", path)
    text, used = _decode(path, data, encoding)
    text = text.lstrip("\ufeff")
    lines = text.splitlines()
    separator = _sniff_separator(lines[:HEADER_SCAN_ROWS])
    head_rows = list(csv.reader(lines[:HEADER_SCAN_ROWS], delimiter=separator))
    header_at = _header_index(head_rows)
    try:
        frame = pl.read_csv(
            io.StringIO(text),
            has_header=False,
            skip_rows=header_at + 1,
            separator=separator,
            infer_schema=False,
            truncate_ragged_lines=True,
        )
    except pl.exceptions.NoDataError:
        frame = pl.DataFrame()
    except pl.exceptions.PolarsError as exc:
        first = str(exc).splitlines()[0]
        raise InputError(f"无法读取 CSV cannot parse CSV: {first}", path) from None
    header = head_rows[header_at] if header_at < len(head_rows) else []
    frame = _fit_width(frame, len(header))
    return _Grid(frame, header, header_at + 2), used


def _sniff_separator(lines: list[str]) -> str:
    counts = {sep: sum(line.count(sep) for line in lines) for sep in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def _read_excel(path: Path) -> _Grid:
    import fastexcel

    try:
        reader = fastexcel.read_excel(str(path))
        sheet = reader.load_sheet(0, header_row=None, skip_rows=0, dtypes="string")  # keep blank top rows: row numbers
        frame = sheet.to_polars()
    except Exception as exc:  # fastexcel raises its own types for broken or encrypted files
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"无法读取 Excel 文件（损坏或加密？）cannot read workbook: {first}", path) from None
    if frame.height == 0:
        raise InputError("工作表为空 the first sheet is empty", path)
    frame = frame.select(pl.all().cast(pl.Utf8))
    head_rows = [["" if v is None else str(v) for v in row] for row in frame.head(HEADER_SCAN_ROWS).rows()]
    header_at = _header_index(head_rows)
    header = head_rows[header_at]
    body = frame.slice(header_at + 1)
    return _Grid(body, header, header_at + 2)


def _read_parquet(path: Path) -> _Grid:
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"无法读取 Parquet 文件 cannot read parquet: {first}", path) from None
    header = list(frame.columns)
    frame = frame.select(
        pl.col(c).cast(pl.Utf8) if not isinstance(frame.schema[c], pl.List) else pl.col(c).list.join(";")
        for c in header
    )
    frame.columns = [f"column_{i + 1}" for i in range(len(header))]
    return _Grid(frame, header, 2)


def _header_index(rows: list[list[str]]) -> int:
    """The header row: the first of the top rows naming at least two known columns.

    Bank exports put a title (merged cells) and blank rows above the header.
    """
    known = {header_key(a) for cols in TABLES.values() for c in cols for a in (c.name, *c.aliases)}
    for i, row in enumerate(rows):
        hits = sum(1 for cell in row if cell and header_key(cell) in known)
        if hits >= 2:
            return i
    return 0


def _fit_width(frame: pl.DataFrame, width: int) -> pl.DataFrame:
    """Pad or trim positional columns to the header's width (ragged rows)."""
    cols = [f"column_{i + 1}" for i in range(width)]
    frame = frame.rename({old: new for old, new in zip(frame.columns, cols, strict=False)})
    missing = [c for c in cols if c not in frame.columns]
    if missing:
        frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c) for c in missing)
    return frame.select(cols)


def _map_headers(table: str, path: Path, grid: _Grid) -> tuple[pl.DataFrame, dict, dict]:
    frame = grid.frame
    names: list[str] = []
    headers: dict[str, str] = {}
    factors: dict[str, float] = {}
    seen_extra: dict[str, int] = {}
    for i, raw_header in enumerate(grid.header):
        header = "" if raw_header is None else str(raw_header).strip()
        match = match_header(table, header) if header else None
        if match:
            canonical, factor = match
            if canonical in headers:
                raise InputError(
                    f"两列都对应 {canonical}（'{headers[canonical]}' 和 '{header}'）：请删除或改名其中一列 "
                    f"two columns map to {canonical}",
                    path,
                    canonical,
                )
            headers[canonical] = header
            if factor != 1.0:
                factors[canonical] = factor
            names.append(canonical)
        else:
            extra = header or f"未命名列{i + 1}"
            if extra in seen_extra or extra == ROW:
                seen_extra[extra] = seen_extra.get(extra, 1) + 1
                extra = f"{extra}_{seen_extra[extra]}"
            else:
                seen_extra[extra] = 1
            names.append(extra)
    missing = [c for c in TABLES[table] if c.required and c.name not in headers]
    if missing:
        col = missing[0]
        raise InputError(
            f"{TABLE_LABELS[table]}缺少必需列「{col.label}」missing required column '{col.name}'",
            path,
            col.name,
        )
    if frame.width:
        frame = frame.rename(dict(zip(frame.columns, names, strict=True)))
    else:
        frame = pl.DataFrame({n: pl.Series([], dtype=pl.Utf8) for n in names})
    frame = frame.with_columns(
        (pl.int_range(pl.len(), dtype=pl.Int64) + grid.first_row_number).alias(ROW)
    )
    # Optional canonical columns the file lacks are added as nulls, so later stages
    # see one shape; `headers` remembers which ones the file really had.
    absent = [c.name for c in TABLES[table] if c.name not in headers]
    frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c) for c in absent)
    return frame, headers, factors



def table_from_records(table: str, records: list[dict], name: str = "<memory>") -> RawTable:
    """A table given as rows of text (rule examples, tests): the same header mapping."""
    header = list(records[0]) if records else [c.name for c in TABLES[table] if c.required]
    frame = pl.DataFrame(
        {f"column_{i + 1}": [None if r.get(h) in (None, "") else str(r.get(h)) for r in records] for i, h in enumerate(header)},
        schema={f"column_{i + 1}": pl.Utf8 for i in range(len(header))},
    )
    frame, headers, factors = _map_headers(table, Path(name), _Grid(frame, header, 2))
    return RawTable(table, Path(name), frame, factors, headers)
