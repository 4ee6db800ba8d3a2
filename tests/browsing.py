"""A real browser for the tests that need one: Debian's headless Chromium through Selenium and Debian's
chromedriver, against the seeded app served over HTTP by a thread (CSRF on, as in production).

Test modules import the fixtures (`from browsing import browser, live_server`); without Chromium the
module is skipped, except under CI, which must install it (see .ci/run).
"""
from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from conftest import PASSWORD, another_app
from helpers import serving

CHROMIUM, DRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
ARTIFACTS = Path(os.environ.get("TRACKER_ARTIFACTS", Path(__file__).parents[1] / "build" / "screenshots"))
PHONE, DESKTOP = (390, 844), (1280, 1000)  # CSS pixels; 390 × 844 is a common phone's first screen

if not (os.path.exists(CHROMIUM) and os.path.exists(DRIVER)):
    if os.environ.get("CI"):
        raise RuntimeError("CI must install Debian's chromium and chromium-driver (see .ci/run)")
    pytest.skip("Debian's chromium and chromium-driver are not installed", allow_module_level=True)

from selenium import webdriver  # noqa: E402
from selenium.webdriver.chrome.options import Options  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.support.ui import WebDriverWait  # noqa: E402


@pytest.fixture
def live_server(seeded):
    """The seeded app, with CSRF on as in production, served over HTTP by a thread."""
    with serving(another_app(seeded, WTF_CSRF_ENABLED=True)) as base:
        yield base


@pytest.fixture
def browser(tmp_path):
    """Headless Chromium, 1280 px wide, asking for Vietnamese; downloads land in `driver.downloads`."""
    options = Options()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}", "--hide-scrollbars", "--lang=vi-VN"):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {"download.default_directory": str(tmp_path),
                                              "download.prompt_for_download": False,
                                              "intl.accept_languages": "vi-VN,vi"})
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.downloads = tmp_path
    yield driver
    driver.quit()


def sign_in(driver, base: str, email: str) -> None:
    """Sign in through the form, as a person would, from a browser with no cookies."""
    driver.delete_all_cookies()
    driver.get(base + "/login")
    driver.find_element(By.NAME, "email").send_keys(email)
    driver.find_element(By.NAME, "password").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(driver, 10).until(lambda d: "/login" not in d.current_url)


def page_language(driver) -> str:
    """The `lang` of the page shown, once it has finished loading."""
    WebDriverWait(driver, 10).until(lambda d: d.execute_script("return document.readyState") == "complete")
    return driver.execute_script("return document.documentElement.lang")


def switch_language(driver, language: str) -> None:
    """Press the header's language switch if the page is not already in `language`."""
    if page_language(driver) != language:
        driver.find_element(By.CSS_SELECTOR, f'header.top button[lang="{language}"]').click()
        WebDriverWait(driver, 10).until(lambda d: d.execute_script(
            "return document.readyState == 'complete' && document.documentElement.lang") == language)


def viewport(driver, width: int, height: int) -> None:
    """Make the page's viewport (not the window, whose frame takes some height) width × height CSS px."""
    driver.set_window_size(width, height)
    frame = driver.execute_script("return window.outerHeight - window.innerHeight")
    if frame:
        driver.set_window_size(width, height + frame)


def screenshot(driver, name: str, width: int, whole_page: bool = True) -> Path:
    """The page at `width` CSS pixels (all of it, or the phone's first screen) into ARTIFACTS."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    viewport(driver, width, PHONE[1] if width <= PHONE[0] else DESKTOP[1])
    if whole_page:
        height = driver.execute_script("return document.documentElement.scrollHeight")
        viewport(driver, width, min(height, 6000))
    time.sleep(0.2)
    path = ARTIFACTS / f"{name}-{width}.png"
    driver.save_screenshot(str(path))
    return path


def screenshots(driver, name: str) -> None:
    """Whole-page screenshots at desktop and phone widths."""
    for width in (DESKTOP[0], PHONE[0]):
        assert screenshot(driver, name, width).stat().st_size > 10_000
    driver.set_window_size(*DESKTOP)
