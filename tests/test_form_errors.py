"""Forms that show their errors: a summary at the top that takes the focus and links each message to its
field; attachment sizes a person can read; reports, notes and comments that keep their line breaks;
agency short names written one way."""
import io
import re

import pytest
import sqlalchemy as sa
from werkzeug.test import EnvironBuilder

from helpers import line_id, post_line
from tracker.extensions import db
from tracker.files.display import file_size
from tracker.plan.models import Agency
from tracker.plan.services import AgencyDirectory, find_agency


def _summary(html: str) -> str:
    found = re.search(r'<div class="error-summary"[^>]*>.*?</div>', html, re.S)
    assert found, "no error summary on the page"
    return found.group(0)


def _main(html: str) -> str:
    return html.split("<main>", 1)[1]


def test_the_summary_comes_first_takes_the_focus_and_links_each_error_to_its_field(seeded, client, auth):
    auth.login("vpdp@test.vn")
    response = client.post("/admin/users", data={"email": "not-an-email", "agency": "", "role": "officer",
                                                 "password": "ngan"})
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = _summary(html)
    assert 'role="alert"' in summary and 'tabindex="-1"' in summary and "autofocus" in summary
    # above the page's heading and its form, so nobody has to scroll to learn the form was refused
    assert _main(html).index('class="error-summary"') < _main(html).index("<h1>")
    links = dict(re.findall(r'<a href="#([\w-]+)">([^<]+)</a>', summary))
    assert set(links) == {"email", "agency", "password"}
    assert "không hợp lệ" in links["email"] and "ít nhất 10" in links["password"]
    for field_id in links:
        assert re.search(rf'<input[^>]*id="{field_id}"', html), field_id  # each link lands on a field
        assert re.search(rf'<input[^>]*aria-invalid="true"[^>]*id="{field_id}"|<input[^>]*id="{field_id}"[^>]*aria-invalid="true"', html)
    assert "3 lỗi" in summary
    assert html.count("autofocus") == 1  # the summary, not the form's first field


def test_a_page_without_errors_has_no_summary(seeded, client, auth):
    auth.login("vpdp@test.vn")
    assert 'class="error-summary"' not in client.get("/admin/users").get_data(as_text=True)
    assert 'class="error-summary"' not in client.get("/tasks/II.1").get_data(as_text=True)


@pytest.mark.parametrize("language", ["vi", "en"])
def test_a_refused_line_update_is_summarised_at_the_top_of_the_task_page(seeded, client, auth, language):
    auth.login("khdt@test.vn")
    if language == "en":
        client.post("/language", data={"language": "en"})
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    response = post_line(client, "II.1", lid, status="paused", paused_reason="")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    summary = _summary(html)
    assert f'href="#line{lid}-paused_reason"' in summary
    assert ("Chưa lưu được: 1 lỗi cần sửa" if language == "vi" else "Not saved: 1 error(s) to correct") in summary
    assert _main(html).index('class="error-summary"') < _main(html).index("<h1>")


def test_the_other_form_pages_show_the_summary_too(seeded, client, auth, travel):
    travel(2021, 4, 20)
    auth.login("vpdp@test.vn")
    for path, data in [("/rounds/new", {"title": "", "due_on": "31/02/2021", "bodies": "Sở Y tế"}),
                       ("/tasks/II.1/deadline", {"due_on": "", "reason": ""}),
                       ("/tasks/II.1/comments", {"body": ""})]:
        response = client.post(path, data=data)
        assert response.status_code == 400, path
        assert 'href="#' in _summary(response.get_data(as_text=True)), path


@pytest.mark.parametrize(("size", "vi", "en"), [
    (0, "<1 KB", "<1 KB"), (300, "<1 KB", "<1 KB"), (1024, "1 KB", "1 KB"), (340 * 1024, "340 KB", "340 KB"),
    (int(1.2 * 1024 * 1024), "1,2 MB", "1.2 MB"), (10 * 1024 * 1024, "10 MB", "10 MB"), (1023 * 1024, "1 MB", "1 MB"),
])
def test_file_sizes_read_as_a_person_writes_them(seeded, size, vi, en):
    from flask_babel import force_locale

    with seeded.test_request_context():
        with force_locale("vi"):
            assert file_size(size) == vi
        with force_locale("en"):
            assert file_size(size) == en


def test_the_task_page_shows_attachment_sizes_in_kb_and_mb(seeded, client, auth):
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    data = {f"line{lid}-status": "in_progress", f"line{lid}-progress": "30", f"line{lid}-note": "",
            f"line{lid}-version": "1",
            f"line{lid}-attachments": [(io.BytesIO(b"%PDF-1.4\n" + b"0" * 400), "nho.pdf"),
                                       (io.BytesIO(b"%PDF-1.4\n" + b"0" * (1258291 - 9)), "lon.pdf")]}
    # A body over 500 KB is spooled to a temporary file by the test client: built here so the test closes it.
    builder = EnvironBuilder(path=f"/tasks/II.1/lines/{lid}", method="POST", data=data)
    environ = builder.get_environ()
    try:
        assert client.open(environ).status_code == 302
    finally:
        environ["wsgi.input"].close()
        builder.close()
    html = client.get("/tasks/II.1").get_data(as_text=True)
    assert re.search(r"nho\.pdf</a> <span class=\"muted\">\(&lt;1 KB,", html)
    assert re.search(r"lon\.pdf</a> <span class=\"muted\">\(1,2 MB,", html)
    assert "(0 KB" not in html


def test_notes_and_comments_keep_their_line_breaks_and_stay_escaped(seeded, client, auth):
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    note = "Đã làm:\r\n- phân bổ vốn\r\n- <b>họp</b> với huyện"
    assert post_line(client, "II.1", lid, note=note).status_code == 302
    assert client.post("/tasks/II.1/comments", data={"body": "Dòng một\nDòng hai"}).status_code == 302
    html = client.get("/tasks/II.1").get_data(as_text=True)
    assert "Đã làm:<br>\n- phân bổ vốn<br>\n- &lt;b&gt;họp&lt;/b&gt; với huyện" in html
    assert "Dòng một<br>\nDòng hai" in html
    assert "<b>họp</b>" not in html


def test_a_submitted_report_keeps_its_line_breaks_on_the_round_page(seeded, client, auth, travel):
    from tracker.reporting.models import ReportingRound

    travel(2021, 3, 10)
    with seeded.app_context():
        q1 = db.session.scalar(sa.select(ReportingRound.id).order_by(ReportingRound.due_on))
    auth.login("khdt@test.vn")
    body = "1. Kết quả: đạt\n2. Khó khăn: <thiếu vốn>\n\n3. Kiến nghị"
    assert client.post(f"/rounds/{q1}/submit", data={"body": body}, content_type="multipart/form-data").status_code == 302
    auth.logout()
    auth.login("vpdp@test.vn")
    html = client.get(f"/rounds/{q1}").get_data(as_text=True)
    assert "1. Kết quả: đạt<br>\n2. Khó khăn: &lt;thiếu vốn&gt;<br>\n<br>\n3. Kiến nghị" in html


def test_departments_short_names_are_written_one_way(seeded, client, auth):
    with seeded.app_context():
        directory = AgencyDirectory.load()
        departments = {ref.name: ref.short_name for ref in directory.refs.values() if ref.level == "department"}
        assert departments["Sở Tài chính"] == "Sở Tài chính" and departments["Sở Giao thông vận tải"] == "Sở GTVT"
        assert all(short.startswith("Sở ") for short in departments.values()), departments
        # the same on a model, and the old short name still finds its agency when importing or typing
        finance = db.session.scalar(sa.select(Agency).where(Agency.name == "Sở Tài chính"))
        assert finance.short_name == "Sở Tài chính"
        assert find_agency("TC") == finance and find_agency("Sở TC") == finance and find_agency("Nội vụ").name == "Sở Nội vụ"
    auth.login("vpdp@test.vn")
    html = client.get("/tasks/II.1").get_data(as_text=True)
    assert ">TC<" not in html and "Cập nhật tiến độ của Sở Tài chính" in html
