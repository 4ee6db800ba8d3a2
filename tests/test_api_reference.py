"""The API reference page renders the document in a real browser, from vendored files only."""
from __future__ import annotations

from browsing import ARTIFACTS, browser, live_server  # noqa: F401 (fixtures)
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait


def test_the_reference_page_lists_the_endpoints(live_server, browser):
    browser.get(f"{live_server}/api/docs")
    WebDriverWait(browser, 30).until(lambda d: d.find_elements(By.CSS_SELECTOR, "h1"))
    text = browser.find_element(By.TAG_NAME, "body").text
    assert "Tracker API" in text
    assert "Update a body's line on a task" in text and "List the plan's tasks" in text
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert not errors, "\n".join(e["message"] for e in errors)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    browser.save_screenshot(str(ARTIFACTS / "api-reference.png"))
