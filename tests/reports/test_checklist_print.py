"""The 整改清单 as it is really printed: the sample's 章凤镇 checklist through LibreOffice
to PDF on A4 landscape, every 问题描述 whole, no ###, body text at least 9 pt; and its
.html printed by headless Chromium, at least 8 cases an A4 page."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import openpyxl
import pytest
from typer.testing import CliRunner

from loan_audit.pipeline.cli import app
from loan_audit.reports.checklist import FIRST_CASE_ROW, HEADER_ROW
from loan_audit.reports.render import PAPER_MM
from tests.libreoffice import convert, require

SAMPLE = Path(__file__).resolve().parents[2] / "sample_data"
NOTES = Path("/work/notes")
TOOLS = ("soffice", "pdftotext", "pdfinfo", "pdftoppm")


def _squash(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture(scope="module")
def sample_out(tmp_path_factory) -> Path:
    """The sample's outputs, as `loan-audit run` writes them."""
    tmp = tmp_path_factory.mktemp("sample")
    res = CliRunner().invoke(app, ["run", str(SAMPLE), "--out", str(tmp / "out"), "--as-of", "2020-12-31",
                                   "--fail-on", "never", "--db", str(tmp / "c.db")])
    assert res.exit_code == 0, res.output
    return tmp / "out"


@pytest.fixture(scope="module")
def printed(sample_out, tmp_path_factory):
    require(*TOOLS)
    tmp = tmp_path_factory.mktemp("print")
    xlsx = sample_out / "checklists" / "章凤镇.xlsx"
    pdf = convert(xlsx, "pdf", tmp)
    return xlsx, pdf, tmp


def _messages(xlsx: Path) -> list[str]:
    ws = openpyxl.load_workbook(xlsx)["整改清单"]
    head = [c.value for c in ws[HEADER_ROW + 1]]
    col = head.index("问题描述") + 1
    case_col = head.index("case_id") + 1
    return [ws.cell(r, col).value for r in range(FIRST_CASE_ROW + 1, ws.max_row + 1) if ws.cell(r, case_col).value]


def test_a4_landscape_with_a_bounded_page_count(printed):
    xlsx, pdf, _ = printed
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert abs(w - 842) <= 2 and abs(h - 595) <= 2
    pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    cases = len(_messages(xlsx))
    assert pages <= 2 + cases // 4  # 汇总 plus at least 4 cases a page


WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>')
AMOUNT = re.compile(r"^[\d,]+\.\d\d$")


def _description_text(pdf: Path) -> str:
    """The words printed in the 问题描述 column, page by page, top to bottom. The column's
    left edge is where the right-aligned amounts end; its header is centred in it."""
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    out = []
    for page in bbox.split("<page ")[1:]:
        words = [(float(x0), float(y), float(x1), w) for x0, y, x1, w in WORD.findall(page)]
        head = next(((x0, x1) for x0, _, x1, w in words if w == "问题描述"), None)
        amounts = [x1 for x0, _, x1, w in words if AMOUNT.match(w) and head and x1 < head[0]]
        if not head or not amounts:
            continue
        left = max(amounts)
        right = head[0] + head[1] - left
        inside = [(y, x0, w) for x0, y, x1, w in words if left - 1 <= x0 and x1 <= right + 1 and w != "问题描述"]
        out += [w for _, _, w in sorted(inside)]
    return "".join(out)


def test_every_description_is_printed_whole_and_no_hashes(printed):
    xlsx, pdf, _ = printed
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    assert "###" not in text
    # -layout interleaves neighbouring cells line by line: read the 问题描述 column by position
    flat = _squash(_description_text(pdf))
    messages = _messages(xlsx)
    assert messages
    missing = [m for m in messages if _squash(m) not in flat]
    assert missing == []


def test_body_text_prints_at_least_9_pt(printed):
    _, pdf, tmp = printed
    html = subprocess.run(["pdftotext", "-bbox", "-f", "2", "-l", "2", str(pdf), "-"],
                          capture_output=True, text=True, check=True).stdout
    heights = [float(y2) - float(y1) for y1, y2 in re.findall(r'yMin="([\d.]+)" xMax="[\d.]+" yMax="([\d.]+)"', html)]
    assert len(heights) > 50
    # pdftotext's word box is ~0.9 of the font size; the 9 pt note and page header are few words
    body = sorted(heights)[len(heights) // 10:]
    assert min(body) >= 9 * 0.9
    png = tmp / "page1"
    subprocess.run(["pdftoppm", "-png", "-r", "80", "-f", "2", "-l", "2", "-singlefile", str(pdf), str(png)], check=True)
    if NOTES.is_dir():
        shutil.copy(png.with_suffix(".png"), NOTES / "issue-15-page1.png")


def _printed_html(html: Path, tmp: Path) -> Path:
    """The page as Chromium prints it (its CSS @page size, no browser header or footer)."""
    require("chromium", "pdfinfo", "pdftotext")
    pdf = tmp / f"{html.stem}-html.pdf"
    subprocess.run(["chromium", "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                    "--disable-background-networking", f"--user-data-dir={tmp / 'chromium-profile'}",
                    "--no-pdf-header-footer", f"--print-to-pdf={pdf}", html.as_uri()],
                   check=True, capture_output=True, timeout=180)
    return pdf


def _seq_per_page(pdf: Path) -> list[list[int]]:
    """The 序号 printed on each page: the whole numbers in the column that starts at the 序号
    header (pdftotext runs the header on into the next one: the column is PAPER_MM wide)."""
    bbox = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    width = PAPER_MM["seq"] * 72 / 25.4
    out = []
    for page in bbox.split("<page ")[1:]:
        words = [(float(x0), float(x1), w) for x0, _, x1, w in WORD.findall(page)]
        left = next((x0 for x0, _, w in words if w.startswith("序号")), None)
        out.append([] if left is None else [int(w) for x0, x1, w in words if w.isdigit() and left - 2 <= x0 and x1 <= left + width])
    return out


def test_the_html_checklist_prints_at_least_8_cases_an_a4_landscape_page(sample_out, tmp_path):
    html = sample_out / "checklists" / "章凤镇.html"
    cases = html.read_text(encoding="utf-8").count("data-case-id=")
    assert cases >= 30
    pdf = _printed_html(html, tmp_path)
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    w, h = map(float, re.search(r"Page size:\s+([\d.]+) x ([\d.]+)", info).groups())
    assert abs(w - 842) <= 2 and abs(h - 595) <= 2
    pages = _seq_per_page(pdf)
    assert sorted(n for p in pages for n in p) == list(range(1, cases + 1))  # every case printed, once
    with_cases = [len(p) for p in pages if p]
    assert min(with_cases[:-1]) >= 8, with_cases  # the last page holds what is left
    assert len(pages) <= 1 + -(-cases // 8)  # the 问题汇总 may take the first page
