"""Cells and names that try to reach further than they should: markup into the HTML
reports, formulas into spreadsheets, township names into the file system, headers
into the pipeline's own columns, code into the policy file."""

from __future__ import annotations

import csv
import io
import re
from xml.etree import ElementTree as ET

import openpyxl
import polars as pl
import pytest
from hostile_inputs import (
    AS_OF,
    PERSON,
    assert_exit_2_one_line,
    invoke,
    loan,
    make_id,
    run_out,
    validate_json,
    write_folder,
)

FORMULAS = ['=HYPERLINK("http://evil.example","点我")', "+cmd|' /C calc'!A0", "-2+3", "@SUM(1+1)*cmd|' /C calc'!A0",
            "＝1+1", "=1+1"]
MARKUP = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "</td><svg onload=alert(1)>", "{{7*7}}",
          "{% raw %}"]
BAD_TOWNSHIPS = ["../../逃逸镇", "..", "CON", "a/b\\c:d", ".隐藏镇", "镇" * 300, "<script>alert(1)</script>", "*?|\""]
FORMULA_START = re.compile(r"^(\s*[=+\-@＝＋－＠]|[\t\r\n])")


def outsiders(values: list[str], column: str, start: int = 100) -> list[dict]:
    """One loan per value, each by a different borrower not in the roster (so each
    has a case carrying its own name, township and village)."""
    rows = []
    for i, value in enumerate(values):
        rows.append(loan(loan_id=f"X{start + i}", borrower_id_number=make_id("19700101", f"{start + i:03d}"),
                         **{column: value}))
    return rows


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    base = tmp_path_factory.mktemp("hostile")
    loans = (
        outsiders(FORMULAS, "borrower_name")
        + outsiders(MARKUP, "borrower_name", 200)
        + outsiders(MARKUP, "village", 300)
        + outsiders(BAD_TOWNSHIPS, "township", 400)
        + outsiders(FORMULAS, "township", 500)
        + outsiders([f"{m}养殖" for m in FORMULAS], "purpose", 600)
    )
    folder = write_folder(base / "in", loans=loans)
    before = sorted(p for p in base.rglob("*"))
    out = base / "out"
    res, summary = run_out(folder, out)
    assert res.exit_code == 1, res.output
    return base, out, before


def test_html_reports_escape_every_value(hostile_run):
    base, out, _ = hostile_run
    pages = [out / "report.html", *sorted((out / "checklists").glob("*.html"))]
    assert len(pages) > 5
    for page in pages:
        html = page.read_text(encoding="utf-8")
        assert "<script>alert" not in html and "<img src=x" not in html and "<svg onload" not in html, page.name
        assert len(re.findall(r"<script\b", html)) <= 1, page.name  # only the report's own filter script
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in report
    assert "{{7*7}}" in report  # shown as text, never evaluated as a template
    assert "Content-Security-Policy" in report


def test_cases_csv_neutralises_every_formula(hostile_run):
    _, out, _ = hostile_run
    text = (out / "cases.csv").read_bytes().decode("utf-8-sig")
    cells = [c for row in csv.reader(io.StringIO(text)) for c in row]
    assert [c for c in cells if FORMULA_START.match(c)] == []
    cases = pl.read_parquet(out / "cases.parquet")  # the data as it is
    values = {v for c, t in cases.schema.items() if t == pl.Utf8 for v in cases.get_column(c).drop_nulls()}
    formulas = {v for v in values if FORMULA_START.match(v)}
    assert len(formulas) >= len(FORMULAS)  # names and townships
    assert {"'" + v for v in formulas} <= set(cells)  # kept, readable, inert


def test_checklist_workbooks_hold_formulas_as_text(hostile_run):
    _, out, _ = hostile_run
    books = sorted((out / "checklists").glob("*.xlsx"))
    seen = set()
    for book in books:
        wb = openpyxl.load_workbook(book)
        for ws in wb.worksheets:
            for row in ws.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (book.name, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        seen.add(cell.value)
    assert set(FORMULAS) & seen  # the names are in the workbooks, as strings


def test_township_names_stay_inside_the_checklists_folder(hostile_run):
    base, out, before = hostile_run
    created = sorted(set(base.rglob("*")) - set(before))
    assert all(p == out or out in p.parents for p in created), [p for p in created if out not in p.parents]
    folder = out / "checklists"
    for path in folder.rglob("*"):
        assert path.parent == folder, path
        stem = path.name.rsplit(".", 1)[0]
        assert not re.search(r'[\x00-\x1f/\\:*?"<>|]', path.name) and not path.name.startswith("."), path.name
        assert stem.upper() not in {"CON", "PRN", "AUX", "NUL"} and len(stem) <= 60, path.name
    assert len({p.name.casefold() for p in folder.iterdir()}) == len(list(folder.iterdir()))


def test_headers_cannot_take_over_the_pipelines_own_columns(tmp_path):
    """Extra columns named like what later stages compute (the matched member's
    household, validity flags, the row number) change nothing."""
    rows = [loan(), loan(loan_id="L2", borrower_id_number=make_id("19700101", "003"), amount="60000")]
    hijack = {"member_household_id": "HIJACK", "household": "HIJACK", "in_roster": "true", "_row": "1",
              "borrower_id_valid": "true", "member_name": "排麻干", "borrower_township": "../x", "amount_raw": "1"}
    plain, _ = run_out(write_folder(tmp_path / "a", loans=rows), tmp_path / "oa")
    hijacked, _ = run_out(write_folder(tmp_path / "b", loans=[{**r, **hijack} for r in rows]), tmp_path / "ob")
    a = pl.read_parquet(tmp_path / "oa" / "cases.parquet")
    b = pl.read_parquet(tmp_path / "ob" / "cases.parquet")
    assert a.equals(b)
    assert "HIJACK" not in (tmp_path / "ob" / "cases.csv").read_text(encoding="utf-8-sig")


# --- the policy file: data only, typed and ranged, one line when wrong ----------------------
@pytest.mark.parametrize("text, needles", [
    ('max_amount = "五万"\n', ["max_amount", "number"]),
    ("max_amount = -50000\n", ["max_amount", "-50000"]),
    ("max_amout = 50000\n", ["max_amout"]),
    ("this is { not = toml\n", ["TOML"]),
    ("min_age = true\n", ["min_age"]),
    ("due_soon_days = 1e999\n", ["due_soon_days"]),
    ("non_productive_keywords = [1, 2]\n", ["non_productive_keywords"]),
    ("lpr_rates = [{ from = 2019-08-20, one_year = 425, five_year = 4.85 }]\n", ["lpr_rates[0].one_year", "425"]),
    ("lpr_rates = [{ from = 2019-09-20, one_year = 4.2, five_year = 4.85 },"
     " { from = 2019-08-20, one_year = 4.25, five_year = 4.85 }]\n", ["lpr_rates", "order"]),
    ('[[periods]]\nfrom = 2021-03-04\nrate_rule = "LPR+50bp"\n', ["rate_rule", "LPR+50bp"]),
    ("[[periods]]\nfrom = 2021-03-04\nmax_amount = 50000\n[[periods]]\nfrom = 2020-01-01\nmax_amount = 60000\n",
     ["periods[1].from", "2020-01-01", "not after"]),
    ("[[periods]]\nfrom = 2021-03-04\nmax_amount = 50000\n[[periods]]\nfrom = 2021-03-04\nmax_amount = 60000\n",
     ["periods[1].from", "overlaps"]),
    ("[[periods]]\nfrom = 2021-03-04\nmax_amont = 50000\n", ["periods[0].max_amont"]),
    ("[[periods]]\nmax_amount = 50000\n", ["periods[0].from"]),
])
def test_bad_policy_is_exit_2_one_line(tmp_path, text, needles):
    folder = write_folder(tmp_path / "in")
    policy = tmp_path / "policy.toml"
    policy.write_text(text, encoding="utf-8")
    res = invoke("validate", folder, "--as-of", AS_OF, "--policy", policy)
    assert_exit_2_one_line(res, "policy.toml", *needles)


def test_policy_values_are_data_not_code(tmp_path):
    folder = write_folder(tmp_path / "in", loans=[loan(purpose="__import__('os')")])
    policy = tmp_path / "policy.toml"
    policy.write_text('non_productive_keywords = ["__import__(\'os\')", "{{7*7}}"]\n', encoding="utf-8")
    res, data = validate_json(folder, "--policy", policy)
    found = [c for c in data["cases"] if c["rule"] == "non_productive_use"]
    assert len(found) == 1  # the keyword matched as text, nothing was run
    assert list(tmp_path.iterdir()) and not (tmp_path / "PWNED").exists()


def test_policy_that_is_a_folder_is_exit_2(tmp_path):
    folder = write_folder(tmp_path / "in")
    (tmp_path / "policy.toml").mkdir()
    res = invoke("validate", folder, "--as-of", AS_OF, "--policy", tmp_path / "policy.toml")
    assert_exit_2_one_line(res, "policy.toml")


# --- machine output for CI ----------------------------------------------------------------
def test_junit_stays_well_formed_with_control_characters_in_cells(tmp_path):
    folder = write_folder(tmp_path / "in", loans=[loan(borrower_id_number="53312\x0141980010100016", amount="5\x0b万")])
    res = invoke("validate", folder, "--as-of", AS_OF, "--format", "junit")
    ET.fromstring(res.stdout.encode("utf-8"))


def test_control_characters_never_reach_parsed_values(tmp_path):
    """Invisible control bytes in a name, a place or a loan number are dropped when
    parsed: the borrower matches the roster, and the loan number is clean."""
    rows = [loan(borrower_name="排\x07麻\x1b干", township="章凤\x00镇", loan_id="L\x081"), loan(loan_id="L1")]
    res, data = validate_json(write_folder(tmp_path / "in", loans=rows))
    assert {c["rule"] for c in data["cases"]} == {"duplicate_loan_record"}  # L\x081 is L1: one loan twice
    assert all(not re.search(r"[\x00-\x1f]", str(c["loan_ids"]) + str(c["name"])) for c in data["cases"])


def test_values_that_look_like_paths_in_the_run_arguments(tmp_path):
    """An output folder named like an option or with odd characters is just a folder."""
    folder = write_folder(tmp_path / "in", roster=[PERSON])
    out = tmp_path / "-- =1+1 <b>"
    res, _ = run_out(folder, out)
    assert res.exit_code == 0, res.output
    assert (out / "cases.csv").is_file()
