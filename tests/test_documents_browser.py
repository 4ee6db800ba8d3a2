"""In a real browser: the office uploads a scanned plan, the reader reads it, the office corrects a flagged cell on
the review screen and imports; screenshots of the review screen at a 1366 px laptop's width and a phone's."""
from __future__ import annotations

import sqlalchemy as sa
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from browsing import ARTIFACTS, PHONE, browser, live_server, screenshot, sign_in  # noqa: F401
from docrender import degrade, known_table, to_docx, to_scan, to_text_pdf
from tracker.documents.models import PlanDocument
from tracker.documents.reading import read_waiting_documents
from tracker.extensions import db
from tracker.plan.models import Plan, Task

LAPTOP = 1366


def small_scan(folder):
    """The appendix's first two sections (II.2's timeline illegible in the original) as a one-page scanned PDF."""
    table = known_table()
    rows = table[:1] + [row for row in table[1:6]]
    pdf = to_text_pdf(to_docx(rows, folder / "ke-hoach.docx"), folder)
    [page] = to_scan(pdf, 300)
    scanned = degrade(page, seed=7, rotate=0.6, blur=0.5, noise=6, jpeg=80)
    path = folder / "ke-hoach-2022-scan.pdf"
    scanned.save(path, "PDF", resolution=300)
    return path, rows


def test_the_office_uploads_a_scan_corrects_a_flagged_cell_and_imports(seeded, live_server, browser, tmp_path):
    path, rows = small_scan(tmp_path)
    sign_in(browser, live_server, "vpdp@test.vn")
    browser.get(f"{live_server}/plans/2022/documents")
    browser.find_element(By.NAME, "file").send_keys(str(path))
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    # A click does not wait for the next page: wait for it before reading it.
    WebDriverWait(browser, 10).until(lambda d: "Đang chờ đọc" in d.page_source)
    with seeded.app_context():  # the scheduler's job, in this process
        assert read_waiting_documents() == 1
        document = db.session.scalar(sa.select(PlanDocument))
        assert document.status == "ready", document.error
        document_id = document.id
        db.session.remove()
    browser.get(f"{live_server}/plans/2022/documents/{document_id}")
    assert "Cần xem lại" in browser.page_source
    assert browser.find_elements(By.CSS_SELECTOR, ".doc-row-image"), "each row beside the scan's strip of it"

    # II.2's timeline was illegible in the original: it is flagged; the office types the quarter it learnt.
    flagged = browser.find_element(By.XPATH, '//article[contains(@class, "doc-row-flagged")]'
                                             '[.//textarea[contains(., "Kiểm tra công tác phân bổ")]]')
    timeline = flagged.find_element(By.CSS_SELECTOR, "input[name$='-timeline']")
    assert "doc-cell-flagged" in timeline.find_element(By.XPATH, "..").get_attribute("class")
    screenshot(browser, "ra-soat-tai-lieu", LAPTOP)
    screenshot(browser, "ra-soat-tai-lieu", PHONE[0], whole_page=False)
    timeline.clear()
    timeline.send_keys("Quý III")
    flagged.find_element(By.CSS_SELECTOR, "input[name$='-confirm']").click()
    WebDriverWait(browser, 10).until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "Đã lưu"))

    browser.find_element(By.LINK_TEXT, "Xem trước và nhập kế hoạch").click()
    WebDriverWait(browser, 10).until(lambda d: "Công việc mới" in d.page_source)
    screenshot(browser, "nhap-ke-hoach", LAPTOP)
    browser.find_element(By.XPATH, '//button[text()="Xác nhận nhập kế hoạch"]').click()
    WebDriverWait(browser, 10).until(expected_conditions.text_to_be_present_in_element((By.CSS_SELECTOR, ".flash"), "Đã nhập"))
    with seeded.app_context():
        plan = db.session.scalar(sa.select(Plan).where(Plan.year == 2022))
        tasks = {t.code: t for t in db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id))}
        assert set(tasks) == {"I.1", "II.1", "II.2"}
        assert tasks["II.2"].timeline == "Quý III"
        assert tasks["II.1"].executing_text == rows[4][3]  # "Sở KH&ĐT, TC và VPĐP", read from the scan
