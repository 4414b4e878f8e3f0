"""The merged ranges of one sheet of a returned workbook (.xlsx, .xls or .ods).

fastexcel (calamine) gives a merged range's value in its top-left cell only and does
not say which cells the range covers; the checklist import needs the ranges to read a
reply the way the sheet shows it. Read here from the file itself: the `mergeCell`
elements of the sheet's XML (xlsx, as Excel, WPS and LibreOffice write it), the
`table:number-rows-spanned` / `number-columns-spanned` cells of content.xml (ods), and
xlrd's reading of the MERGEDCELLS records (xls). The kind is told by the file's first
bytes, not by its name (a township may rename a .xls to .xlsx).
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from pathlib import Path
from xml.etree import ElementTree

Range = tuple[int, int, int, int]  # first row, first column, last row, last column (0-based, inclusive)

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the compound file of .xls (BIFF8)
_CELL = re.compile(r"^\$?([A-Z]{1,3})\$?(\d+)$")
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"


def merged_ranges(path: Path, sheet: str) -> list[Range]:
    """The merged ranges of `sheet` ([] for a kind of file without them)."""
    with open(path, "rb") as fh:
        magic = fh.read(len(OLE_MAGIC))
    if magic == OLE_MAGIC:
        return _xls(path, sheet)
    if not zipfile.is_zipfile(path):
        return []
    with zipfile.ZipFile(path) as z:
        names = set(z.namelist())
        if "xl/workbook.xml" in names:
            return _xlsx(z, sheet)
        if "content.xml" in names:
            return _ods(z, sheet)
    return []


def _column(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - ord("A") + 1
    return n - 1


def _cell(ref: str) -> tuple[int, int]:
    m = _CELL.match(ref.upper())
    if m is None:
        raise ValueError(f"merged cell reference {ref!r}")
    return int(m.group(2)) - 1, _column(m.group(1))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xlsx(z: zipfile.ZipFile, sheet: str) -> list[Range]:
    """workbook.xml names the sheet's relationship id; its rels file the sheet's part."""
    rel_id = next(
        (next((v for k, v in el.attrib.items() if _local(k) == "id"), None)
         for el in ElementTree.fromstring(z.read("xl/workbook.xml")).iter() if _local(el.tag) == "sheet"
         and el.get("name") == sheet),
        None,
    )
    rels = {el.get("Id"): el.get("Target", "") for el in ElementTree.fromstring(z.read("xl/_rels/workbook.xml.rels")).iter()
            if _local(el.tag) == "Relationship"}
    target = rels.get(rel_id)
    if target is None:
        return []
    part = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
    out = []
    with z.open(part) as fh:
        for _, el in ElementTree.iterparse(fh):
            if _local(el.tag) == "mergeCell":
                first, _, last = el.get("ref", "").partition(":")
                (r0, c0), (r1, c1) = _cell(first), _cell(last or first)
                out.append((r0, c0, r1, c1))
            elif _local(el.tag) == "row":
                el.clear()  # a long sheet's cells are not kept
    return out


def _ods(z: zipfile.ZipFile, sheet: str) -> list[Range]:
    """Rows and cells counted with their repeat attributes; a spanned cell starts a range."""
    out: list[Range] = []
    inside, row, col = False, 0, 0
    with z.open("content.xml") as fh:
        for event, el in ElementTree.iterparse(fh, ("start", "end")):
            tag = el.tag
            if tag == _TABLE + "table":
                if event == "start" and not inside:
                    inside, row = el.get(_TABLE + "name") == sheet, 0
                elif event == "end" and inside:
                    return out
            elif not inside:
                if event == "end" and tag == _TABLE + "table-row":
                    el.clear()
            elif tag == _TABLE + "table-row":
                if event == "start":
                    col = 0
                else:
                    row += int(el.get(_TABLE + "number-rows-repeated", "1"))
                    el.clear()
            elif tag in (_TABLE + "table-cell", _TABLE + "covered-table-cell"):
                if event == "start":
                    rows = int(el.get(_TABLE + "number-rows-spanned", "1"))
                    cols = int(el.get(_TABLE + "number-columns-spanned", "1"))
                    if rows > 1 or cols > 1:
                        out.append((row, col, row + rows - 1, col + cols - 1))
                else:
                    col += int(el.get(_TABLE + "number-columns-repeated", "1"))
    return out


def _xls(path: Path, sheet: str) -> list[Range]:
    import xlrd  # reads the BIFF records calamine reads too, and keeps the merges

    book = xlrd.open_workbook(str(path), formatting_info=True, on_demand=True)
    try:
        if sheet not in book.sheet_names():
            return []
        # xlrd's ranges are half-open: (first row, row after, first column, column after)
        return [(r0, c0, r1 - 1, c1 - 1) for r0, r1, c0, c1 in book.sheet_by_name(sheet).merged_cells]
    finally:
        book.release_resources()
