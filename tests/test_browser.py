"""In a real browser (Debian's headless Chromium): an officer updates its line, the office's dashboard
moves, the office downloads the quarterly XLSX and the test opens it; a phone's first screen shows what
is late and the charts' text is readable; screenshots at desktop and phone widths, and the print view
(printed PDFs: test_print.py). The browser and the live server come from browsing.py.

Screenshots go to $TRACKER_ARTIFACTS (default build/screenshots), for a person to look at.
"""
from __future__ import annotations

import shutil
import time

import openpyxl
import pytest

from browsing import (ARTIFACTS, PHONE, browser, live_server, screenshot, screenshots, sign_in,  # noqa: F401
                      switch_language, viewport)
from helpers import line_id
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

AS_OF = "2021-04-15"


def matrix_cell(driver, agency: str, column: int) -> int:
    """A number in the dashboard's agency matrix (column 1 is the first category)."""
    row = driver.find_element(By.XPATH, f'//table[@id="agency-matrix"]//tr[th[@scope="row"]/a[text()="{agency}"]]')
    return int(row.find_elements(By.TAG_NAME, "td")[column - 1].text)


def test_an_update_moves_the_dashboard_and_the_quarterly_xlsx_opens(seeded, live_server, browser):
    base, agency = live_server, "Sở Kế hoạch và Đầu tư"
    sign_in(browser, base, "vpdp@test.vn")
    browser.get(f"{base}/dashboard?as_of={AS_OF}")
    done_before, overdue_before = matrix_cell(browser, agency, 1), matrix_cell(browser, agency, 4)

    sign_in(browser, base, "khdt@test.vn")
    assert browser.current_url.endswith("/my")
    browser.find_element(By.LINK_TEXT, "II.1").click()
    lid = line_id(seeded, "II.1", agency)
    browser.find_element(By.XPATH, f'//form[contains(@action, "/lines/{lid}")]/ancestor::details/summary').click()
    Select(browser.find_element(By.NAME, f"line{lid}-status")).select_by_value("done")
    browser.execute_script(f"document.getElementsByName('line{lid}-completed_on')[0].value = '2021-03-25'")
    browser.find_element(By.NAME, f"line{lid}-note").send_keys("Đã trình UBND tỉnh phân bổ vốn.")
    browser.find_element(By.XPATH, f'//form[contains(@action, "/lines/{lid}")]//button[@type="submit"]').click()
    WebDriverWait(browser, 10).until(expected_conditions.text_to_be_present_in_element(
        (By.CSS_SELECTOR, ".flash"), "Đã"))

    sign_in(browser, base, "vpdp@test.vn")
    browser.get(f"{base}/dashboard?as_of={AS_OF}")
    assert matrix_cell(browser, agency, 1) == done_before + 1
    assert matrix_cell(browser, agency, 4) == overdue_before - 1
    screenshots(browser, "dashboard")

    browser.find_element(By.LINK_TEXT, "Excel").click()
    deadline = time.monotonic() + 20
    while not list(browser.downloads.glob("*.xlsx")) and time.monotonic() < deadline:
        time.sleep(0.1)
    [downloaded] = list(browser.downloads.glob("*.xlsx"))
    rows = [[c.value for c in row] for row in openpyxl.load_workbook(downloaded)["Phụ lục"].iter_rows(min_row=5)]
    line = next(r for r in rows if r[0] == "II.1" and r[8] == agency)
    assert line[10] == "Hoàn thành" and line[12] == "25/03/2021" and line[13] == "Đã trình UBND tỉnh phân bổ vốn."
    shutil.copy(downloaded, ARTIFACTS / "bao-cao-quy.xlsx")


def test_the_print_view_drops_the_navigation_and_repeats_table_headers(seeded, live_server, browser):
    sign_in(browser, live_server, "lanhdao@test.vn")
    for path in (f"/dashboard?as_of={AS_OF}", "/"):
        browser.get(live_server + path)
        assert browser.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        assert not browser.find_element(By.CSS_SELECTOR, "header.top").is_displayed()
        assert not browser.find_element(By.CSS_SELECTOR, "form.filters").is_displayed()
        head = browser.find_element(By.CSS_SELECTOR, "main table thead")
        assert head.value_of_css_property("display") == "table-header-group"
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def test_my_work_reads_on_a_phone(seeded, live_server, browser):
    sign_in(browser, live_server, "dinhlap@test.vn")
    browser.get(f"{live_server}/my?as_of={AS_OF}")
    browser.set_window_size(390, 900)
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 390  # nothing wider than the phone: no sideways scrolling
    screenshots(browser, "my-work")


# The size each chart's text is drawn at: its font size times the scale its SVG is drawn at.
CHART_TEXT_SIZES = """return [...document.querySelectorAll('svg.chart text')].map(
    t => parseFloat(getComputedStyle(t).fontSize) * t.getScreenCTM().a)"""


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_phones_first_screen_shows_what_is_late(seeded, live_server, browser, language):
    sign_in(browser, live_server, "lanhdao@test.vn")
    switch_language(browser, language)
    browser.get(f"{live_server}/dashboard?as_of={AS_OF}")
    viewport(browser, *PHONE)
    tile = browser.find_element(By.CSS_SELECTOR, ".tiles .cat-overdue")
    assert tile.rect["y"] + tile.rect["height"] <= PHONE[1] and tile.find_element(By.TAG_NAME, "strong").text == "3"
    sizes = browser.execute_script(CHART_TEXT_SIZES)
    assert len(sizes) > 20 and min(sizes) >= 11
    screenshot(browser, f"dashboard-first-screen-{language}", PHONE[0], whole_page=False)
    screenshots(browser, f"dashboard-{language}")
    browser.get(f"{live_server}/?as_of={AS_OF}")
    screenshots(browser, f"plan-{language}")

    sign_in(browser, live_server, "khdt@test.vn")
    switch_language(browser, language)
    browser.get(f"{live_server}/my?as_of={AS_OF}")
    viewport(browser, *PHONE)
    first = browser.find_element(By.CSS_SELECTOR, 'section[aria-labelledby="h-overdue"] table.lines tbody tr')
    assert "II.1" in first.text and first.rect["y"] + first.rect["height"] <= PHONE[1]
    screenshot(browser, f"my-work-first-screen-{language}", PHONE[0], whole_page=False)
    screenshots(browser, f"my-work-khdt-{language}")
