"""In a real browser (Debian's headless Chromium): an officer updates its line, the office's dashboard
moves, the office downloads the quarterly XLSX and the test opens it; screenshots at desktop and
phone widths, and the print view.

Screenshots go to $TRACKER_ARTIFACTS (default build/screenshots), for a person to look at.
"""
from __future__ import annotations

import os
import shutil
import threading
import time
from pathlib import Path

import openpyxl
import pytest

from conftest import PASSWORD, another_app
from helpers import line_id

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
AS_OF = "2021-04-15"
ARTIFACTS = Path(os.environ.get("TRACKER_ARTIFACTS", Path(__file__).parents[1] / "build" / "screenshots"))

if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium and chromium-driver (see .ci/run)")
    pytest.skip("Debian's chromium and chromium-driver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support import expected_conditions  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402


@pytest.fixture
def live_server(seeded):
    """The seeded app, with CSRF on as in production, served over HTTP by a thread."""
    from werkzeug.serving import make_server

    app = another_app(seeded, WTF_CSRF_ENABLED=True)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()


@pytest.fixture
def browser(tmp_path):
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1280,1000", "--hide-scrollbars", "--lang=vi-VN"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path),
                                              "download.prompt_for_download": False})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.downloads = tmp_path
    yield driver
    driver.quit()


def sign_in(driver, base: str, email: str) -> None:
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def matrix_cell(driver, agency: str, column: int) -> int:
    """A number in the dashboard's agency matrix (column 1 is the first category)."""
    row = driver.find_element(By.XPATH, f'//table[@id="agency-matrix"]//tr[th[@scope="row"]/a[text()="{agency}"]]')
    return int(row.find_elements(By.TAG_NAME, "td")[column - 1].text)


def screenshots(driver, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    for width in (1280, 390):
        driver.set_window_size(width, 1000)
        height = driver.execute_script("return document.documentElement.scrollHeight")
        driver.set_window_size(width, min(height, 6000))
        time.sleep(0.2)
        path = ARTIFACTS / f"{name}-{width}.png"
        driver.save_screenshot(str(path))
        assert path.stat().st_size > 10_000
    driver.set_window_size(1280, 1000)


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
