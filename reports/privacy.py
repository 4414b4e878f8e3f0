"""What a township or a reader of the report may see, and where a file may be written.

ID numbers (身份证号) are personal data: everything a township receives, and
report.html unless `mask=False`, shows them as the first 6 and last 4 characters
(`533124********1234`); only cases.parquet / cases.csv hold them in full.

- `masked_id`: an ID column. 15 characters or more: first 6, a `*` per hidden
  character, last 4. Shorter (a broken ID): every character a `*`, so that the length
  still shows but no digits do.
- `masked_text`: free text (case messages, quarantined rows' raw JSON) in which the
  rules and ingest quote IDs. Every run of 15–18 digits (the last may be `X`; single
  spaces or hyphens inside allowed, full-width digits too) that stands alone (no
  letter or digit either side) becomes `first 6 + ******** + last 4`. A 16-digit 户编号
  inside a message is masked with it: harmless, the 户编号 column carries it in full.
  Runs of 19 digits or more (bank account numbers) are left alone.

Township names become file names with `checklist_names`: a name is data, and
`../../etc` or `CON` must not write outside `out/checklists/`.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import polars as pl

ID_TEXT = r"(^|[^\dA-Za-z])(\d{6})((?:[ \-]?\d){5,8})((?:[ \-]?\d){3}[ \-]?[\dXx])([^\dA-Za-z]|$)"
ID_TEXT_MASKED = "${1}${2}********${4}${5}"
UNKNOWN_TOWNSHIP_FILE = "未知乡镇"
_WINDOWS_RESERVED = {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(1, 10)), *(f"LPT{i}" for i in range(1, 10))}
_UNSAFE = re.compile(r'[\x00-\x1f\x7f-\x9f/\\:*?"<>|]')
MAX_NAME_CHARS = 60


def masked_id(expr: pl.Expr) -> pl.Expr:
    """An ID column as shown to townships: 533124********1234."""
    n = expr.str.len_chars()
    hidden = expr.str.slice(6, n - 10).str.replace_all(".", "*")
    return (
        pl.when(n >= 15)
        .then(pl.concat_str(expr.str.head(6), hidden, expr.str.tail(4)))
        .otherwise(expr.str.replace_all(".", "*"))
    )


def mask_id(value: str | None) -> str | None:
    """`masked_id` for one value (the few IDs read from a case's evidence)."""
    if value is None:
        return None
    return value[:6] + "*" * (len(value) - 10) + value[-4:] if len(value) >= 15 else "*" * len(value)


def masked_text(expr: pl.Expr) -> pl.Expr:
    """Free text with every ID-like number in it masked (see the module docstring).

    Applied twice: a match takes the character after the number with it, so of two
    numbers separated by one character (`…0016、5331…`) the first pass masks the first.
    """
    return expr.str.replace_all(ID_TEXT, ID_TEXT_MASKED).str.replace_all(ID_TEXT, ID_TEXT_MASKED)


def safe_file_stem(name: str | None) -> str:
    """A township name as a file name stem that stays inside its folder.

    Control characters and path or shell-special characters become `_`; leading and
    trailing dots and spaces go (no `..`, no hidden files); Windows device names get a
    `_` prefix; at most MAX_NAME_CHARS characters; empty becomes 未知乡镇.
    """
    text = unicodedata.normalize("NFKC", name or "")
    text = _UNSAFE.sub("_", "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf", "Zl", "Zp")))
    text = re.sub(r"[._]*\.\.[._]*", "_", re.sub(r"\s+", " ", text))  # no `..` left, however spelt
    text = re.sub(r"_{2,}", "_", text).strip(" ._")[:MAX_NAME_CHARS].strip(" .")
    if not text:
        return UNKNOWN_TOWNSHIP_FILE
    if text.split(".")[0].upper() in _WINDOWS_RESERVED:
        text = "_" + text
    return text


def checklist_names(townships: list[str | None]) -> dict[str | None, str]:
    """Each township (None: unknown) → a distinct safe file stem, in the order given."""
    out: dict[str | None, str] = {}
    used: set[str] = set()
    for town in townships:
        stem = UNKNOWN_TOWNSHIP_FILE if town is None else safe_file_stem(town)
        candidate, n = stem, 2
        while candidate.casefold() in used:
            candidate, n = f"{stem}-{n}", n + 1
        used.add(candidate.casefold())
        out[town] = candidate
    return out


def inside(folder: Path, name: str) -> Path:
    """`folder / name`, refused (ValueError) if it would resolve outside `folder`."""
    target = (folder / name).resolve()
    if target.parent != folder.resolve():
        raise ValueError(f"unsafe file name {name!r}")
    return folder / name
