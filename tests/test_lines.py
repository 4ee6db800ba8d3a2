"""Status lines: one per executing body, updates, derived categories, history, conflicts, uploads."""
import io
import re
import json
import urllib.parse

import pytest
import sqlalchemy as sa

from helpers import issue_token, line_id, line_of, post_line, task_of
from tracker.extensions import db
from tracker.plan.models import Agency, Task
from tracker.files.models import Attachment
from tracker.progress.models import HistoryIsImmutable, StatusLine, TaskEvent

PDF = b"%PDF-1.4\n% test\n"


def events(app, code, kind=None):
    with app.app_context():
        query = sa.select(TaskEvent).join(Task, Task.id == TaskEvent.task_id).where(Task.code == code)
        if kind:
            query = query.where(TaskEvent.kind == kind)
        return [(e.kind, e.before_value, e.after_value, e.user.email if e.user else None, e.reason)
                for e in db.session.scalars(query.order_by(TaskEvent.id))]


def test_every_executing_body_has_its_own_line(seeded):
    with seeded.app_context():
        assert [l.agency.name for l in task_of("II.1").lines] == [
            "Sở Kế hoạch và Đầu tư", "Sở Tài chính", "Văn phòng Điều phối Chương trình xây dựng NTM tỉnh"]
        district_lines = task_of("IX.2").lines  # "BCĐ, BQL xây dựng NTM cấp huyện, xã": eleven districts
        assert len(district_lines) == 11 and {l.agency.level for l in district_lines} == {"district"}
        assert task_of("IV.6").lines == []  # "Các cơ quan liên quan": no members until the office decides


def test_officer_updates_own_line_and_task_state_is_derived(seeded, client, auth, travel):
    travel(2021, 2, 15)
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    response = post_line(client, "II.1", lid, status="in_progress", progress="40", note="Đã trình dự thảo.")
    assert response.status_code == 302
    data = client.get("/api/v1/tasks/II.1?as_of=2021-03-01").get_json()
    lines = {l["agency"]: l for l in data["lines"]}
    mine = lines["Sở Kế hoạch và Đầu tư"]
    assert (mine["status"], mine["progress"], mine["note"], mine["version"]) == ("in_progress", 40, "Đã trình dự thảo.", 2)
    assert mine["category"] == "in_progress"
    assert lines["Sở Tài chính"]["category"] == "not_started"
    assert data["category"] == "in_progress"  # one body started: the task is in progress
    assert client.get("/api/v1/tasks/II.1?as_of=2021-04-01").get_json()["category"] == "overdue"


def test_task_is_done_only_when_every_body_is_done(seeded, client, auth, travel):
    travel(2021, 4, 20)
    for email, agency in [("khdt@test.vn", "Sở Kế hoạch và Đầu tư"), ("taichinh@test.vn", "Sở Tài chính"),
                          ("vpdp@test.vn", "Văn phòng Điều phối Chương trình xây dựng NTM tỉnh")]:
        auth.login(email)
        lid = line_id(seeded, "II.1", agency)
        completed = "2021-04-05" if agency == "Sở Tài chính" else "2021-03-20"
        assert post_line(client, "II.1", lid, status="done", progress="100", completed_on=completed).status_code == 302
        assert client.get("/api/v1/tasks/II.1?as_of=2021-06-01").get_json()["category"] == (
            "done_late" if agency.startswith("Văn phòng") else "overdue")
        auth.logout()
    auth.login("lanhdao@test.vn")
    lines = {l["agency"]: l["category"] for l in client.get("/api/v1/tasks/II.1?as_of=2021-06-01").get_json()["lines"]}
    assert lines["Sở Tài chính"] == "done_late" and lines["Sở Kế hoạch và Đầu tư"] == "done_on_time"


def test_category_filter_makes_overdue_work_one_click_away(seeded, client, auth, travel):
    travel(2021, 2, 15)
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    post_line(client, "II.1", lid, status="in_progress", progress="20")
    overdue = client.get("/api/v1/tasks?category=overdue&as_of=2021-04-15").get_json()
    codes = [t["code"] for t in overdue["items"]]
    assert "II.1" in codes and "IV.1" in codes  # Quý I items not done by mid-April
    assert "IV.4" not in codes  # Tháng 3-10: still within its deadline
    assert "I.1" not in codes  # Thường xuyên: ongoing, never overdue
    in_progress = [t["code"] for t in client.get("/api/v1/tasks?category=in_progress&as_of=2021-03-01").get_json()["items"]]
    assert in_progress == ["II.1"]
    page = client.get("/?category=overdue&as_of=2021-04-15").get_data(as_text=True)
    assert "/tasks/II.1" in page and "/tasks/IV.4" not in page
    assert client.get("/api/v1/tasks?category=late&as_of=2021-04-15").status_code == 400
    assert client.get("/api/v1/tasks?as_of=31/02/2021").status_code == 400  # no such day (15/04/2021 reads)


def test_ongoing_task_says_when_it_was_last_updated(seeded, client, auth, travel):
    travel(2021, 5, 3, hour=23)  # late evening in Việt Nam: still 3 May there, though 16:00 UTC
    auth.login("dinhlap@test.vn")
    lid = line_id(seeded, "IX.2", "UBND huyện Đình Lập")
    post_line(client, "IX.2", lid, status="in_progress", progress="10")
    page = client.get("/tasks/IX.2").get_data(as_text=True)
    assert "Thường xuyên, không có hạn cố định" in page and "cập nhật 0 ngày trước" in page
    travel(2021, 5, 10)
    assert "cập nhật 7 ngày trước" in client.get("/tasks/IX.2").get_data(as_text=True)


BAD_UPDATES = [
    ({"status": "paused", "paused_reason": ""}, "paused_reason", "Tạm dừng cần nêu lý do."),
    ({"status": "not_started", "progress": "20"}, "progress", "Chưa thực hiện thì tiến độ phải là 0%."),
    ({"progress": "140"}, "progress", "Tiến độ từ 0 đến 100%."),
    ({"progress": "abc"}, "progress", "Không phải số nguyên."),
    ({"progress": ""}, "progress", "Nhập tiến độ từ 0 đến 100."),
    ({"status": "done", "completed_on": "2999-01-01"}, "completed_on", "Ngày hoàn thành không thể sau hôm nay."),
    ({"status": "done", "completed_on": "31/02/2021"}, "completed_on",
     "Ngày không hợp lệ; viết dạng dd/mm/yyyy, ví dụ 15/04/2021."),
    ({"status": "in_progress", "completed_on": "2021-03-01"}, "completed_on",
     "Chỉ nhập ngày hoàn thành khi trạng thái là Hoàn thành."),
    ({"status": "finished"}, "status", "Lựa chọn không hợp lệ."),
    ({"note": "x" * 5001}, "note", "Không dài quá 5000 ký tự."),
    ({"version": "abc"}, "version", "Phiên bản của dòng không hợp lệ; tải lại trang."),
]


@pytest.mark.parametrize(("fields", "field", "message"), BAD_UPDATES)
def test_bad_update_gets_a_message_and_changes_nothing(seeded, client, auth, fields, field, message):
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    response = post_line(client, "II.1", lid, **fields)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    with seeded.app_context():
        line = db.session.get(StatusLine, lid)
        assert (line.status, line.progress, line.version) == ("not_started", 0, 1)
    assert events(seeded, "II.1") == []


@pytest.mark.parametrize(("fields", "field", "message"), BAD_UPDATES)
def test_the_api_says_the_same_as_the_page(seeded, client, fields, field, message):
    """One schema for the operation: the same bad value gets the same message from the API."""
    token = issue_token(seeded, "khdt@test.vn")
    # A JSON client sends numbers as numbers.
    as_json = {k: int(v) if k == "progress" and v.isdigit() else v for k, v in fields.items()}
    body = {"agency": "Sở KH&ĐT", "status": "in_progress", "progress": 30, "note": "", "version": 1, **as_json}
    response = client.post("/api/v1/tasks/II.1/updates", json=body, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 400
    assert response.get_json()["errors"][field] == [message]
    assert events(seeded, "II.1") == []


def test_history_records_each_kind_of_change(seeded, client, auth):
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    post_line(client, "II.1", lid, status="in_progress", progress="30", note="Bắt đầu.")
    post_line(client, "II.1", lid, version=2, status="paused", progress="30", note="Bắt đầu.", paused_reason="Chờ vốn TW")
    client.post("/tasks/II.1/comments", data={"body": "Đề nghị Sở Tài chính phối hợp."})
    auth.logout()
    auth.login("vpdp@test.vn")
    client.post("/tasks/II.1/deadline", data={"due_on": "2021-04-30", "reason": "UBND tỉnh cho lùi hạn"})
    client.post("/tasks/II.1/assignments", data={"agency": "Sở Nội vụ", "role": "coordinating"})

    history = events(seeded, "II.1")
    by_kind = {}
    for kind, before, after, who, reason in history:
        by_kind.setdefault(kind, []).append((before, after, who, reason))
    assert by_kind["status"] == [("not_started", "in_progress", "khdt@test.vn", ""),
                                 ("in_progress", "paused", "khdt@test.vn", "")]
    assert by_kind["progress"] == [(0, 30, "khdt@test.vn", "")]
    assert by_kind["note"] == [("", "Bắt đầu.", "khdt@test.vn", "")]
    assert by_kind["paused_reason"] == [("", "Chờ vốn TW", "khdt@test.vn", "")]
    assert by_kind["comment"] == [(None, "Đề nghị Sở Tài chính phối hợp.", "khdt@test.vn", "")]
    assert by_kind["deadline"] == [("2021-03-31", "2021-04-30", "vpdp@test.vn", "UBND tỉnh cho lùi hạn")]
    assert by_kind["assignment"] == [(None, {"role": "coordinating", "agency": "Sở Nội vụ"}, "vpdp@test.vn", "")]
    page = client.get("/tasks/II.1").get_data(as_text=True)
    assert "Đang thực hiện → Tạm dừng" in page and "31/03/2021 → 30/04/2021" in page and "Lý do: <span lang=\"vi\">UBND tỉnh cho lùi hạn</span>" in page


def test_removing_an_assignment_is_recorded_and_adding_an_executing_group_adds_lines(seeded, client, auth):
    auth.login("vpdp@test.vn")
    client.post("/tasks/IV.6/assignments", data={"agency": "Các huyện biên giới", "role": "executing"})
    with seeded.app_context():
        task = task_of("IV.6")
        assert len(task.lines) == 5
        assignment = next(a for a in task.assignments if a.agency.name.startswith("BCĐ cấp huyện, 18"))
        aid = assignment.id
    client.post(f"/tasks/IV.6/assignments/{aid}/delete")
    with seeded.app_context():
        assert task_of("IV.6").lines == []
    kinds = [(k, b, a) for k, b, a, _, _ in events(seeded, "IV.6", "assignment")]
    assert kinds[1] == ("assignment", {"role": "executing", "agency": "BCĐ cấp huyện, 18 xã đặc biệt khó khăn"}, None)


def test_deadline_change_needs_a_reason(seeded, client, auth):
    auth.login("vpdp@test.vn")
    response = client.post("/tasks/II.2/deadline", data={"due_on": "2021-06-30", "reason": ""})
    assert response.status_code == 400 and "Đổi hạn cần nêu lý do." in response.get_data(as_text=True)
    client.post("/tasks/II.2/deadline", data={"due_on": "2021-06-30", "reason": "VPĐP xác định từ văn bản gốc"})
    with seeded.app_context():
        task = task_of("II.2")
        assert str(task.due_on) == "2021-06-30" and task.needs_date is False


def test_history_cannot_be_edited_or_deleted(seeded, client, auth):
    auth.login("khdt@test.vn")
    post_line(client, "II.1", line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư"))
    with seeded.app_context():
        entry = db.session.scalar(sa.select(TaskEvent))
        entry.after = json.dumps("forged")
        with pytest.raises(HistoryIsImmutable):
            db.session.flush()
        db.session.rollback()
        entry = db.session.scalar(sa.select(TaskEvent))
        db.session.delete(entry)
        with pytest.raises(HistoryIsImmutable):
            db.session.flush()


def test_stale_form_gets_a_conflict_with_the_newer_state(seeded, client, auth, app):
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    auth.login("khdt@test.vn")
    first = post_line(client, "II.1", lid, version=1, progress="50", note="Bản của anh A")
    assert first.status_code == 302
    second = post_line(client, "II.1", lid, version=1, progress="10", note="Bản của chị B")
    assert second.status_code == 409
    html = second.get_data(as_text=True)
    assert "vừa được người khác cập nhật" in html and "Bản của anh A" in html
    # Chị B's own values stay in the form, which now carries the newer version: one more click saves them.
    assert re.search(r'<textarea[^>]*name="line%d-note"[^>]*>\s*Bản của chị B</textarea>' % lid, html)
    assert re.search(r'<input[^>]*name="line%d-progress"[^>]*value="10"' % lid, html)
    assert re.search(r'<input[^>]*name="line%d-version"[^>]*value="2"' % lid, html)
    with seeded.app_context():
        line = db.session.get(StatusLine, lid)
        assert (line.progress, line.note, line.version) == (50, "Bản của anh A", 2)
    assert post_line(client, "II.1", lid, version=2, progress="10", note="Bản của chị B").status_code == 302


def test_concurrent_save_loses_nothing(seeded):
    """Two sessions read version 1; the second flush finds the row changed and is refused."""
    from sqlalchemy.orm.exc import StaleDataError

    from tracker.progress.services import LineChange, update_line
    from datetime import date

    with seeded.app_context():
        lid = line_of("II.1", "Sở Kế hoạch và Đầu tư").id
        other = db.session.session_factory()  # a second, independent session
        stale = other.get(StatusLine, lid)
        update_line(db.session.get(StatusLine, lid), LineChange("in_progress", 60, "A"), None, 1, date(2021, 3, 1))
        db.session.commit()
        stale.progress = 5
        with pytest.raises(StaleDataError):
            other.flush()
        other.rollback()
        other.close()
        assert db.session.get(StatusLine, lid).progress == 60


def _upload(client, seeded, name, content, **extra):
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    data = {f"line{lid}-status": "in_progress", f"line{lid}-progress": "30", f"line{lid}-version": "1",
            f"line{lid}-attachments": (io.BytesIO(content), name)}
    return client.post(f"/tasks/II.1/lines/{lid}", data=data, content_type="multipart/form-data", **extra)


def test_upload_keeps_the_vietnamese_name_for_download(seeded, client, auth, tmp_path):
    auth.login("khdt@test.vn")
    name = "Báo cáo tiến độ Quý I - Đình Lập.pdf"
    assert _upload(client, seeded, name, PDF).status_code == 302
    with seeded.app_context():
        attachment = db.session.scalar(sa.select(Attachment))
        assert attachment.original_name == name
        assert attachment.stored_name != name and "/" not in attachment.stored_name
        aid = attachment.id
    assert (tmp_path / "uploads" / attachment.stored_name).read_bytes() == PDF
    auth.logout()
    auth.login("lanhdao@test.vn")
    with client.get(f"/attachments/{aid}") as download:
        assert download.status_code == 200 and download.data == PDF
        disposition = download.headers["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert urllib.parse.unquote(disposition.split("filename*=UTF-8''")[1]) == name
    auth.logout()
    assert client.get(f"/attachments/{aid}").status_code == 302  # signed out: to the login page


@pytest.mark.parametrize(("name", "content", "message"), [
    ("virus.exe", b"MZ....", "chỉ nhận PDF, DOCX, XLSX, PNG, JPG"),
    ("giả.pdf", b"<html>not a pdf</html>", "không đúng định dạng PDF"),
    ("rỗng.pdf", b"", "rỗng"),
])
def test_bad_upload_is_refused_and_changes_nothing(seeded, client, auth, name, content, message):
    auth.login("khdt@test.vn")
    response = _upload(client, seeded, name, content)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
        assert db.session.scalar(sa.select(StatusLine.version).where(StatusLine.agency.has(Agency.name == "Sở Kế hoạch và Đầu tư"),
                                                                     StatusLine.task.has(Task.code == "II.1"))) == 1


def test_too_large_upload_is_refused(seeded, client, auth):
    seeded.config["MAX_UPLOAD_BYTES"] = 1024
    auth.login("khdt@test.vn")
    response = _upload(client, seeded, "lớn.pdf", PDF + b"0" * 2048)
    assert response.status_code == 400 and "lớn hơn" in response.get_data(as_text=True)
    seeded.config["MAX_CONTENT_LENGTH"] = 2048
    response = _upload(client, seeded, "rất lớn.pdf", PDF + b"0" * 4096)
    assert response.status_code == 413
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Attachment.id))) == 0
