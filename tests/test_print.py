"""Printed as a person prints: Chromium's "Save as PDF" on A4 portrait (the browser's default), read back
with poppler's pdftotext. The layout follows the sheet, not the screen: the plan prints as a table whose
column headers repeat on every page, in a few pages; the dashboard fits the sheet's width."""
from __future__ import annotations

import base64
import os
import re
import shutil
import subprocess

import pytest

from browsing import ARTIFACTS, browser, live_server, sign_in, switch_language  # noqa: F401 (fixtures)

if not shutil.which("pdftotext"):
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's poppler-utils (see .ci/run)")
    pytest.skip("poppler-utils (pdftotext) is not installed", allow_module_level=True)

from selenium.webdriver.common.print_page_options import PrintOptions  # noqa: E402

AS_OF = "2021-04-15"
A4_WIDTH_PT = 595.3


def print_a4_portrait(driver, name: str):
    """The page shown, printed to PDF on A4 portrait with the page's own margins; saved in ARTIFACTS."""
    options = PrintOptions()
    options.orientation = "portrait"
    options.page_width, options.page_height = 21.0, 29.7
    options.background = True
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.pdf"
    path.write_bytes(base64.b64decode(driver.print_page(options)))
    return path


def pages_of(pdf) -> list[str]:
    """The text of each page, laid out as printed."""
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return text.split("\f")[:-1]


def rightmost_word(pdf) -> float:
    """How far right (in points) the text of any page reaches."""
    xml = subprocess.run(["pdftotext", "-bbox", str(pdf), "-"], check=True, capture_output=True, text=True).stdout
    return max(float(x) for x in re.findall(r'xMax="([\d.]+)"', xml))


@pytest.mark.parametrize("language, headers", [
    ("vi", ["Nội dung công việc", "Chỉ đạo", "Hạn"]),
    ("en", ["Work item", "Directing", "Deadline"]),
])
def test_the_plan_prints_as_a_table_with_its_headers_on_every_page(seeded, live_server, browser, language, headers):
    sign_in(browser, live_server, "lanhdao@test.vn")
    switch_language(browser, language)
    browser.get(f"{live_server}/?as_of={AS_OF}")
    pages = pages_of(print_a4_portrait(browser, f"plan-{language}"))
    assert 2 <= len(pages) <= 5  # 27 tasks: a handful of pages, not one card a task
    for number, page in enumerate(pages, 1):
        for header in headers:
            assert header in page, (number, header)
    everything = "\n".join(pages)
    for code in ("I.1", "II.1", "XII.1"):
        assert re.search(rf"^\s*{re.escape(code)}\s", everything, re.M), code


def test_the_dashboard_prints_within_a_portrait_sheet(seeded, live_server, browser):
    sign_in(browser, live_server, "lanhdao@test.vn")
    browser.get(f"{live_server}/dashboard?as_of={AS_OF}")
    pdf = print_a4_portrait(browser, "dashboard-vi")
    text = "\n".join(pages_of(pdf))
    # The two matrices end with their totals, the trend's with its last category: all printed.
    assert text.count("Cộng") >= 2 and "Thường" in text.split("Diễn biến theo quý")[-1]
    agency = next(line for line in text.splitlines() if line.strip().startswith("Sở Kế hoạch và Đầu tư")
                  and re.search(r"\d\s*$", line))
    assert len(re.findall(r"\b\d+\b", agency)) == 7  # six categories and the total
    assert rightmost_word(pdf) <= A4_WIDTH_PT - 20  # nothing runs past the right margin
