"""report.html and the checklists' .html: sections, self-contained, escaped, masked."""

from __future__ import annotations

import copy
import dataclasses
import html
import html.parser
import re
from pathlib import Path

import polars as pl
import pytest
from report_sample import AS_OF, FULL_IDS, ID_P2, INJECTED_NAME, SCRIPT_NAME, sample_result

from loan_audit.reports.model import fix_short, paragraphs
from loan_audit.reports.render import write_reports
from loan_audit.rules import DOC_SECTIONS, REGISTRY

SECTIONS = ("一、数据概况", "二、问题汇总", "三、监测指标", "四、问题明细", "五、待核实", "六、数据质量", "七、规则说明")


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    write_reports(sample_result(), folder)
    return folder


@pytest.fixture(scope="module")
def page(out) -> str:
    return (out / "report.html").read_text(encoding="utf-8")


def detail_rows(text: str) -> list[str]:
    body = text.split('id="case-table"', 1)[1].split("</table>", 1)[0]
    return re.findall(r"<tr data-t=.*?</tr>", body, flags=re.S)


def test_write_reports_returns_every_file_it_wrote(tmp_path):
    written = write_reports(sample_result(), tmp_path)
    on_disk = sorted(p for p in tmp_path.rglob("*") if p.is_file())
    assert sorted(written) == on_disk
    assert written[0] == tmp_path / "report.html"
    assert {p.suffix for p in written[1:]} == {".xlsx", ".html"}


def test_the_report_has_every_section_in_order(page):
    positions = [page.index(f"<h2>{s}") for s in SECTIONS]
    assert positions == sorted(positions)
    assert page.count('class="page"') == len(SECTIONS) - 1  # a page break before each but the first
    assert f"数据日期 {AS_OF}" in page


def test_the_report_is_self_contained(page):
    assert not re.search(r"""(src|href|action)\s*=\s*["']?\s*(https?:|//)""", page, flags=re.I)
    assert "<link" not in page and "@import" not in page and "url(" not in page
    assert "<img" not in page and "<iframe" not in page
    csp = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page).group(1)
    assert "default-src 'none'" in csp and "script-src 'sha256-" in csp
    assert page.count("<svg") == 3  # cases per township, overdue buckets, due per month
    assert page.count("<script>") == 1 and "@media print" in page


def test_hostile_values_arrive_escaped(page, out):
    assert SCRIPT_NAME not in page
    assert html.escape(SCRIPT_NAME, quote=False) in page
    checklist = (out / "checklists" / "陇把镇.html").read_text(encoding="utf-8")
    assert SCRIPT_NAME not in checklist and html.escape(SCRIPT_NAME, quote=False) in checklist
    assert INJECTED_NAME.replace('"', "&#34;") in checklist


def test_ids_are_masked_unless_asked(page, out, tmp_path):
    for text in [page, *(p.read_text(encoding="utf-8") for p in (out / "checklists").glob("*.html"))]:
        assert not any(i in text for i in FULL_IDS)
    assert f"{ID_P2[:6]}********{ID_P2[-4:]}" in page
    write_reports(sample_result(), tmp_path, mask=False)
    full = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert ID_P2 in full and "本报告含完整身份证号码" in full
    # townships always get masked IDs in the printable checklist too, when mask is on only
    assert ID_P2 in (tmp_path / "checklists" / "陇把镇.html").read_text(encoding="utf-8")


def test_details_list_every_case_but_the_namesake_groups(page):
    result = sample_result()
    rows = detail_rows(page)
    assert len(rows) == result.cases.height - 1  # the duplicate_name group is apart
    assert not any('data-r="duplicate_name"' in r for r in rows)
    # errors first, each row filterable by township, rule and severity
    severities = [re.search(r'data-s="(\w+)"', r).group(1) for r in rows]
    assert severities == sorted(severities, key=["error", "warning", "info"].index)
    assert any('data-t="（未知乡镇）"' in r for r in rows)
    assert '<form id="case-filter" class="filters" hidden>' in page  # shown by the script only


def test_namesakes_are_shown_apart_for_verification(page):
    part = page.split("<h2>五、待核实", 1)[1].split("<h2>", 1)[0]
    assert "不是违规认定" in part and "排麻干" in part
    assert part.count("533124********") == 2  # both borrowers, masked
    assert "5331241010010001" in part and "5331241010010002" in part  # their households
    assert "L1" in part and "L2" in part


def test_only_the_first_cases_are_listed_with_a_pointer_to_the_rest(tmp_path):
    write_reports(sample_result(), tmp_path, max_cases_html=2)
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert len(detail_rows(text)) == 2
    more = sample_result().cases.height - 1 - 2
    assert f"另有 {more} 条未列出" in text and 'href="cases.csv"' in text


def test_summary_monitoring_due_and_quality_figures(page):
    summary = page.split("<h2>二、问题汇总", 1)[1].split("<h2>", 1)[0]
    assert "错误</span> 按问题类型和乡镇" in summary and "警告</span>" in summary and "提示</span>" in summary
    monitoring = page.split("<h2>三、监测指标", 1)[1].split("<h2>", 1)[0]
    assert "发放率" in monitoring and "逾期率" in monitoring and "31–90天" in monitoring
    assert "逾期率预警" in monitoring  # 章凤镇: 40,000 of 70,000 overdue
    due = monitoring.split("到期台账", 1)[1]
    assert "2021年8月" in due and "30,000.00" in due and "2021年12月" in due
    quality = page.split("<h2>六、数据质量", 1)[1].split("<h2>", 1)[0]
    assert "借据号为空" in quality and "贷款金额超出合理范围" in quality


def test_every_rule_is_explained_with_its_parameters(page):
    rules = page.split("<h2>七、规则说明", 1)[1]
    for rule in REGISTRY:
        assert f'id="rule-{rule.id}"' in rules and rule.title in rules
    assert "<code>max_amount</code> = 2014-12-10起 50000；2020-07-01起 50000；2021-03-04起 50000；2026-01-01起 100000" in rules
    assert "错误" in rules and "警告" in rules and "提示" in rules


def test_the_rule_reference_is_the_docstrings_in_chinese(page):
    rules = page.split("<h2>七、规则说明", 1)[1]
    for rule in REGISTRY:
        block = rules.split(f'id="rule-{rule.id}"', 1)[1].split('<div class="rule"', 1)[0]
        short = html.escape(fix_short(rule), quote=False)
        assert html.escape(rule.summary, quote=False) in block
        assert block.count(short) == 1, rule.id  # 整改要求 once, then the rest of How to fix
        first = paragraphs(rule.section(DOC_SECTIONS[0]))[0]
        assert html.escape(first.get("text") or first["items"][0], quote=False) in block


def test_wrapped_chinese_lines_join_without_a_space():
    text = "会同承贷银行入户了解未还原因，\n制定还款计划；见 `max_amount`\nand more.\n\n- 第一项，\n  续行\n- second\n  line"
    assert paragraphs(text) == [
        {"text": "会同承贷银行入户了解未还原因，制定还款计划；见 `max_amount` and more."},
        {"items": ["第一项，续行", "second line"]},
    ]


def test_monitoring_is_rendered_whatever_keys_it_has(tmp_path):
    result = sample_result()
    partial = copy.deepcopy(result.summary)
    partial["monitoring"] = {"county": {"balance": 1234.5, "new_figure": 7}, "townships": {"章凤镇": {"overdue_rate": None}}}
    write_reports(dataclasses.replace(result, summary=partial), tmp_path / "a")
    text = (tmp_path / "a" / "report.html").read_text(encoding="utf-8")
    assert "1,234.50" in text and "new_figure" in text
    bare = copy.deepcopy(result.summary)
    del bare["monitoring"]
    write_reports(dataclasses.replace(result, summary=bare), tmp_path / "b")
    assert "本次运行没有监测指标" in (tmp_path / "b" / "report.html").read_text(encoding="utf-8")


def test_a_clean_run_says_so(tmp_path):
    from tests.conftest import run_rows

    clean = run_rows(loans=[{"maturity_date": "2023-03-05", "disbursement_date": "2020-03-05"}])
    assert clean.cases.height == 0
    written = write_reports(clean, tmp_path)
    text = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "本期未发现问题" in text and detail_rows(text) == []
    assert [p.name for p in written if p.suffix == ".html"][1:] == ["章凤镇.html"]
    assert "本期未发现问题" in (tmp_path / "checklists" / "章凤镇.html").read_text(encoding="utf-8")


def test_the_checklist_page_prints_landscape_with_page_numbers(out):
    text = (out / "checklists" / "章凤镇.html").read_text(encoding="utf-8")
    assert "size: A4 landscape" in text and "counter(page)" in text
    assert "<thead>" in text and "填报人" in text and "审核人" in text
    assert "script-src 'none'" in text
    assert text.count("data-case-id=") == 3


class _Table(html.parser.HTMLParser):
    """The header cells and the body rows' cells of <table class="checklist">, as text."""

    def __init__(self):
        super().__init__()
        self.inside, self.cell, self.head, self.rows = False, None, [], []

    def handle_starttag(self, tag, attrs):
        if tag == "table" and ("class", "checklist") in attrs:
            self.inside = True
        elif self.inside and tag == "tr":
            self.rows.append([])
        elif self.inside and tag in ("th", "td"):
            self.cell = []
        elif self.inside and tag == "br" and self.cell is not None:
            self.cell.append("\n")

    def handle_endtag(self, tag):
        if tag == "table":
            self.inside = False
        elif self.inside and tag in ("th", "td") and self.cell is not None:
            (self.head if tag == "th" else self.rows[-1]).append("".join(self.cell))
            self.cell = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell.append(data)


def test_each_checklist_cell_stands_under_its_own_header(out):
    table = _Table()
    table.feed((out / "checklists" / "陇把镇.html").read_text(encoding="utf-8"))
    rows = [dict(zip(table.head, r, strict=True)) for r in table.rows if r]
    cases = sample_result().cases.filter(pl.col("township") == "陇把镇")
    assert len(rows) == cases.height
    first = next(r for r in rows if r["问题描述"] == cases.get_column("message")[0])
    case = cases.row(0, named=True)
    assert (first["序号"], first["问题类型"], first["村"], first["严重程度"]) == ("1", case["title"], case["village"] or "",
                                                                           {"error": "错误", "warning": "警告", "info": "提示"}[case["severity"]])
    assert first["借据号"] == "\n".join(case["loan_ids"])  # one loan a line
    assert first["整改情况"] == "□已整改\n□整改中\n□无法整改"


def test_loans_falling_due_are_counted_by_month_from_the_data_date():
    from loan_audit.reports.model import due_by_month

    due = due_by_month(sample_result())
    assert [m["key"] for m in due["months"]] == ["2021-06", "2021-07", "2021-08", "2021-09", "2021-10", "2021-11", "2021-12"]
    assert due["months"][0]["label"] == "2021年6月（30日起）"
    rows = {r["name"]: r for r in due["rows"]}
    assert list(rows) == ["章凤镇"]  # L2 only: L1 is overdue, the others fall due in 2022
    assert rows["章凤镇"]["cells"][2] == {"loans": 1, "balance": 30000.0}
    assert due["county"]["total"] == {"loans": 1, "balance": 30000.0}
