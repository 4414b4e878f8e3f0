"""Ingest: files → raw frames of text, headers mapped to canonical names.

Every value stays text here (IDs especially: Excel taught us why); normalise parses
them. Each frame carries `_row`, the row number a user sees in the file (the header
row is row 1 when it is the first line). Unknown columns are carried through.

Hostile and broken files (see tests/hostile/): anything that cannot be read as a
table is an InputError (one line, exit 2) naming the file; a row that was read but
cannot be trusted is kept with a reason in `RawTable.problems` and quarantined by
validate (a line in another encoding than the rest of the file, a row with more cells
than the header). Nothing is dropped without saying so.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from loan_audit.pipeline.stages.readers import PROBLEMS_SCHEMA, Grid, read_csv, read_excel, read_parquet
from loan_audit.pipeline.vocab.columns import ROW, TABLE_LABELS, TABLES, match_header
from loan_audit.pipeline.vocab.errors import InputError

CSV_SUFFIXES = {".csv", ".txt", ".tsv"}
EXCEL_SUFFIXES = {".xlsx", ".xlsm", ".xls", ".xlsb", ".ods"}
PARQUET_SUFFIXES = {".parquet", ".pq"}
# An unknown column whose header looks like an internal column name (`member_name`,
# `_row`, `amount_raw` …) gets this prefix, so a file cannot overwrite what later
# stages compute (a loans column `member_household_id` would otherwise win the join).
EXTRA_PREFIX = "extra:"
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


@dataclass
class RawTable:
    table: str  # "roster" or "loans"
    path: Path
    frame: pl.DataFrame  # canonical + extra columns, all Utf8, plus _row
    factors: dict[str, float] = field(default_factory=dict)  # 万元 columns → 10000
    headers: dict[str, str] = field(default_factory=dict)  # canonical → header as in file
    encoding: str | None = None
    # rows read but not to be trusted: _row, reason (validate quarantines them)
    problems: pl.DataFrame = field(default_factory=lambda: pl.DataFrame(schema=PROBLEMS_SCHEMA))
    # columns that arrived as dates (Parquet), as read, by name in `frame`, whose text
    # there is their ISO form: normalise takes these values rather than parsing the text
    typed: dict[str, pl.Series] = field(default_factory=dict)

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
    try:
        if suffix in CSV_SUFFIXES:
            grid, used_encoding = read_csv(path, encoding)
        elif suffix in EXCEL_SUFFIXES:
            grid = read_excel(path)
        elif suffix in PARQUET_SUFFIXES:
            grid = read_parquet(path)
        else:
            raise InputError(f"不支持的文件类型 unsupported file type '{suffix}' (csv, xlsx, xls, parquet)", path)
    except OSError as exc:  # unreadable (permissions, a device, a broken link …)
        raise InputError(f"无法读取文件 cannot read file: {exc.strerror or type(exc).__name__}", path) from None
    frame, headers, factors, typed = _map_headers(table, path, grid)
    if frame.height == 0:
        raise InputError(f"{TABLE_LABELS[table]}表头下没有数据行 no data rows below the header", path)
    return RawTable(table, path, frame, factors, headers, used_encoding, grid.problems, typed)




def _map_headers(table: str, path: Path, grid: Grid) -> tuple[pl.DataFrame, dict, dict, dict]:
    frame = grid.frame
    entries: list[tuple[str, bool]] = []  # (name, is canonical)
    headers: dict[str, str] = {}
    factors: dict[str, float] = {}
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
            entries.append((canonical, True))
        else:
            extra = " ".join(header.split()) or f"未命名列{i + 1}"
            entries.append((EXTRA_PREFIX + extra if _IDENTIFIER.match(extra) else extra, False))
    # Unknown columns never take a name already used (a repeated 备注 becomes 备注_2).
    used = {c.name for c in TABLES[table]} | {ROW}
    names = []
    for name, canonical in entries:
        candidate, n = name, 1
        while not canonical and candidate in used:
            n += 1
            candidate = f"{name}_{n}"
        used.add(candidate)
        names.append(candidate)
    missing = [c for c in TABLES[table] if c.required and c.name not in headers]
    if missing:
        col = missing[0]
        raise InputError(
            f"{TABLE_LABELS[table]}缺少必需列「{col.label}」missing required column '{col.name}'",
            path,
            col.name,
        )
    positional = [c for c in frame.columns if c != ROW]
    renamed = dict(zip(positional, names, strict=True)) if positional else {}
    typed = {renamed[c]: s for c, s in grid.typed.items()}
    if positional:
        frame = frame.rename(renamed)
    else:
        frame = pl.DataFrame({n: pl.Series([], dtype=pl.Utf8) for n in names})
    if ROW not in frame.columns:
        frame = frame.with_columns((pl.int_range(pl.len(), dtype=pl.Int64) + grid.first_row_number).alias(ROW))
    # Optional canonical columns the file lacks are added as nulls, so later stages
    # see one shape; `headers` remembers which ones the file really had.
    absent = [c.name for c in TABLES[table] if c.name not in headers]
    frame = frame.with_columns(pl.lit(None, dtype=pl.Utf8).alias(c) for c in absent)
    return frame, headers, factors, typed


def table_from_records(table: str, records: list[dict], name: str = "<memory>") -> RawTable:
    """A table given as rows of text (rule examples, tests): the same header mapping."""
    header = list(records[0]) if records else [c.name for c in TABLES[table] if c.required]
    frame = pl.DataFrame(
        {f"column_{i + 1}": [None if r.get(h) in (None, "") else str(r.get(h)) for r in records] for i, h in enumerate(header)},
        schema={f"column_{i + 1}": pl.Utf8 for i in range(len(header))},
    )
    frame, headers, factors, _ = _map_headers(table, Path(name), Grid(frame, header, 2))
    return RawTable(table, Path(name), frame, factors, headers)
