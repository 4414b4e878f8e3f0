"""The reports in a real browser: headless Chromium (Debian's chromium and
chromium-driver, driven by selenium), pages opened from file:// URLs.

Checks what a reader sees: no console errors, no request leaving the page, Chinese
drawn with a CJK font (not tofu), the township filter changing the visible rows (and
the full list without JavaScript), the checklist printing on landscape pages.
Screenshots go to the test's tmp folder.

Needs: pip `selenium`; apt `chromium chromium-driver fonts-noto-cjk`. Skipped with the
reason when they are absent, except under CI=true, where their absence fails.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from report_sample import sample_result

from loan_audit.reports.render import write_reports

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-extensions",
         "--disable-dev-shm-usage", "--window-size=1280,1000")


def missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    try:
        import selenium  # noqa: F401
    except ImportError:
        return "selenium is not installed (pip install selenium)"
    for exe, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not os.access(exe, os.X_OK):
            return f"{exe} not found (apt-get install {package})"
    fc = shutil.which("fc-list")
    if fc and not subprocess.run([fc, ":lang=zh"], capture_output=True, text=True).stdout.strip():
        return "no CJK font installed (apt-get install fonts-noto-cjk)"
    return None


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    reason = missing()
    if reason:
        if os.environ.get("CI") == "true":
            pytest.fail(f"browser test cannot run under CI=true: {reason}", pytrace=False)
        pytest.skip(reason)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={tmp_path_factory.mktemp('chromium-profile')}")
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    driver = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def out(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("reports")
    write_reports(sample_result(), folder)
    return folder


# What the page logged while a DevTools call was drained from Chromium's log, kept for
# console_errors: DevTools' own messages are dropped, the page's are not.
_kept_log: list[dict] = []


def browser_log(driver) -> list[dict]:
    entries = _kept_log + driver.get_log("browser")
    _kept_log.clear()
    return entries


def open_page(driver, path: Path) -> None:
    browser_log(driver)  # drop what earlier pages logged
    driver.get_log("performance")
    driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})
    driver.get(path.resolve().as_uri())


def console_errors(driver) -> list[str]:
    return [e["message"] for e in browser_log(driver) if e["level"] in ("SEVERE", "ERROR")]


def requests_made(driver, page: str) -> list[str]:
    """Every request made for the page (the browser's own chrome:// pages aside)."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message.get("params") or {}
        if message["method"] == "Network.requestWillBeSent" and params.get("documentURL") == page:
            urls.append(params["request"]["url"])
    return urls


def fonts_used(driver, selector: str) -> list[str]:
    """The platform fonts Chromium really drew the element's text with."""
    driver.execute_cdp_cmd("DOM.enable", {})
    _kept_log.extend(driver.get_log("browser"))
    driver.execute_cdp_cmd("CSS.enable", {})
    # CSS.enable makes DevTools fetch the document again for its inline stylesheets, and
    # Chromium (150) refuses that for a file: page, logging "Unsafe attempt to load URL
    # <page> from frame with URL <page>": DevTools' request, not the page's.
    page = driver.current_url
    devtools_refetch = f"Unsafe attempt to load URL {page} from frame with URL {page}."
    _kept_log.extend(e for e in driver.get_log("browser") if devtools_refetch not in e["message"])
    root = driver.execute_cdp_cmd("DOM.getDocument", {})["root"]["nodeId"]
    node = driver.execute_cdp_cmd("DOM.querySelector", {"nodeId": root, "selector": selector})["nodeId"]
    fonts = driver.execute_cdp_cmd("CSS.getPlatformFontsForNode", {"nodeId": node})["fonts"]
    return [f["familyName"] for f in fonts]


GLYPHS_DIFFER = """
const font = getComputedStyle(document.body).fontFamily;
function draw(ch) {
  const c = document.createElement("canvas"); c.width = 48; c.height = 48;
  const g = c.getContext("2d"); g.font = "40px " + font; g.fillText(ch, 2, 40);
  return c.toDataURL();
}
return [draw("扶"), draw("贫"), draw("贷"), draw("\\u0378")];
"""


def shoot(driver, path: Path) -> Path:
    height = driver.execute_script("return document.documentElement.scrollHeight")
    driver.set_window_size(1280, min(max(height, 600), 6000))
    driver.save_screenshot(str(path))
    driver.set_window_size(1280, 1000)
    assert path.stat().st_size > 10_000  # not a blank page
    return path


def assert_clean_load(driver, path: Path) -> None:
    assert console_errors(driver) == []
    page = path.resolve().as_uri()
    urls = requests_made(driver, page)
    assert page in urls and all(u.startswith(("file:", "data:")) for u in urls), urls


def assert_cjk_font(driver, selector: str) -> None:
    fonts = fonts_used(driver, selector)
    assert any(re.search(r"CJK|Han Sans|Han Serif|WenQuanYi|YaHei|PingFang|SimSun|Noto Sans SC", f) for f in fonts), fonts
    fan, pin, dai, unassigned = driver.execute_script(GLYPHS_DIFFER)
    assert len({fan, pin, dai}) == 3  # three different glyphs, not three tofu boxes
    assert fan != unassigned


def visible_rows(driver) -> list:
    return [r for r in driver.find_elements("css selector", "#case-table tbody tr") if r.is_displayed()]


def test_report_opens_clean_with_cjk_text_and_a_working_filter(browser, out, tmp_path):
    from selenium.webdriver.support.ui import Select

    open_page(browser, out / "report.html")
    assert browser.title.startswith("扶贫小额信贷数据审计报告")
    assert_clean_load(browser, out / "report.html")
    assert_cjk_font(browser, "h1")
    assert len(browser.find_elements("css selector", "svg.chart")) == 3
    shoot(browser, tmp_path / "report.png")

    everything = visible_rows(browser)
    form = browser.find_element("id", "case-filter")
    assert form.is_displayed() and len(everything) == sample_result().cases.height - 1
    Select(browser.find_element("css selector", "select[name=t]")).select_by_visible_text("陇把镇")
    town = visible_rows(browser)
    assert 0 < len(town) < len(everything)
    assert {r.get_attribute("data-t") for r in town} == {"陇把镇"}
    assert browser.find_element("id", "case-count").text == f"显示 {len(town)} / {len(everything)} 条"
    Select(browser.find_element("css selector", "select[name=s]")).select_by_value("warning")
    assert visible_rows(browser) == []  # 陇把镇 has no warning
    Select(browser.find_element("css selector", "select[name=t]")).select_by_index(0)
    Select(browser.find_element("css selector", "select[name=s]")).select_by_index(0)
    Select(browser.find_element("css selector", "select[name=r]")).select_by_value("non_poor_borrower")
    assert {r.get_attribute("data-r") for r in visible_rows(browser)} == {"non_poor_borrower"}
    browser.execute_script("document.getElementById('details').scrollIntoView()")
    browser.save_screenshot(str(tmp_path / "report-filtered.png"))
    assert console_errors(browser) == []


def test_without_javascript_the_full_list_shows(browser, out):
    open_page(browser, out / "report.html")
    browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
    browser.refresh()
    try:
        assert not browser.find_element("id", "case-filter").is_displayed()
        assert len(visible_rows(browser)) == sample_result().cases.height - 1
    finally:
        browser.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": False})


def test_checklist_page_opens_clean_and_prints_landscape(browser, out, tmp_path):
    open_page(browser, out / "checklists" / "陇把镇.html")
    assert_clean_load(browser, out / "checklists" / "陇把镇.html")
    assert_cjk_font(browser, "h1")
    assert "<script>alert(1)</script>" in browser.find_element("css selector", "table.checklist").text
    shoot(browser, tmp_path / "checklist.png")
    pdf = base64.b64decode(browser.execute_cdp_cmd("Page.printToPDF", {"preferCSSPageSize": True})["data"])
    (tmp_path / "checklist.pdf").write_bytes(pdf)
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(float(w) > float(h) for w, h in boxes)  # landscape pages
