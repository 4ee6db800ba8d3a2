"""In a real browser (CSRF on): the office turns on two-factor sign-in, signs in again with a code, and reads the
administrative record; screenshots of each page at desktop and phone widths."""
from __future__ import annotations

import pyotp
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from browsing import browser, live_server, screenshots, sign_in  # noqa: F401


def test_the_office_turns_on_two_factor_sign_in_and_reads_the_record(seeded, live_server, browser):
    sign_in(browser, live_server, "vpdp@test.vn")
    browser.get(live_server + "/profile")
    browser.find_element(By.LINK_TEXT, "Bật xác thực hai lớp").click()
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".qr svg"))
    assert browser.find_element(By.CSS_SELECTOR, ".qr svg").is_displayed()
    screenshots(browser, "two-factor-setup")
    secret = browser.find_element(By.CSS_SELECTOR, "code.token").text
    browser.find_element(By.NAME, "code").send_keys(pyotp.TOTP(secret).now())
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    # A click does not wait for the next page: wait for the codes before reading them.
    WebDriverWait(browser, 10).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".recovery-codes code"))
    codes = [element.text for element in browser.find_elements(By.CSS_SELECTOR, ".recovery-codes code")]
    assert len(codes) == 10
    screenshots(browser, "two-factor-recovery-codes")

    # Signing in again asks for a code; a recovery code stands in for the phone.
    browser.find_element(By.CSS_SELECTOR, "header form[action='/logout'] button, form[action='/logout'] button").click()
    WebDriverWait(browser, 10).until(lambda d: not d.find_elements(By.CSS_SELECTOR, "form[action='/logout']"))
    browser.get(live_server + "/login")
    browser.find_element(By.NAME, "email").send_keys("vpdp@test.vn")
    from conftest import PASSWORD
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/login/two-factor"))
    screenshots(browser, "two-factor-code")
    browser.find_element(By.NAME, "code").send_keys(codes[0])
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 10).until(lambda d: "/login" not in d.current_url)

    browser.get(live_server + "/admin/audit")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.audit tbody tr, table.audit tr")
    text = browser.find_element(By.CSS_SELECTOR, "table.audit").text
    assert "Bật xác thực hai lớp" in text and "vpdp@test.vn" in text and len(rows) > 1
    screenshots(browser, "audit-record")
