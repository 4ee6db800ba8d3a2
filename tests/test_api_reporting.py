"""The API of reporting and reminders as a client uses it: a round and its submissions, submitting with files,
sending back, ad-hoc rounds, the policy, the outbox, reminder settings and choices, the letterhead."""
from __future__ import annotations

import io

import sqlalchemy as sa

from helpers import bearer, user_of
from tracker.extensions import db
from tracker.reminders.mail import new_message_id
from tracker.reminders.models import OutboxMessage, ReminderOptOut
from tracker.reporting.models import ReportingRound, Submission

Q1 = "Báo cáo quý I năm 2021"


def q1_id(app) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(ReportingRound.id).where(ReportingRound.title == Q1))


def submit(client, app, rid: int, email="khdt@test.vn", body="Quý I: đã phân bổ 80% vốn.", files=()):
    data = {"body": body, "attachments": [(io.BytesIO(content), name) for name, content in files]}
    return client.post(f"/api/v1/rounds/{rid}/submissions", data=data, content_type="multipart/form-data",
                       headers=bearer(app, email))


def test_a_body_submits_with_a_file_the_office_sends_it_back_and_it_submits_again(seeded, client, travel):
    travel(2021, 3, 16)
    rid = q1_id(seeded)
    response = submit(client, seeded, rid, files=[("Báo cáo quý I.pdf", b"%PDF-1.4 quy I")])
    assert response.status_code == 201
    submission = response.get_json()
    assert (submission["agency"], submission["status"], submission["state"]) == (
        "Sở Kế hoạch và Đầu tư", "submitted", "on_time")
    assert [a["name"] for a in submission["attachments"]] == ["Báo cáo quý I.pdf"]
    download = client.get(submission["attachments"][0]["url"], headers=bearer(seeded, "vpdp@test.vn"))
    assert download.data == b"%PDF-1.4 quy I"
    assert "filename*=UTF-8''B%C3%A1o%20c%C3%A1o%20qu%C3%BD%20I.pdf" in download.headers["Content-Disposition"]
    download.close()

    again = submit(client, seeded, rid, body="Lần hai")
    assert again.status_code == 400 and "đã nộp báo cáo kỳ này" in again.get_json()["errors"]["body"][0]

    office = bearer(seeded, "vpdp@test.vn")
    url = f"/api/v1/submissions/{submission['id']}/return"
    assert client.post(url, json={"reason": ""}, headers=office).get_json()["errors"] == {
        "reason": ["Trả lại cần nêu lý do."]}
    assert client.post(url, json={"reason": "Thiếu số liệu"}, headers=bearer(seeded, "khdt@test.vn")).status_code == 403
    returned = client.post(url, json={"reason": "Thiếu số liệu huyện"}, headers=office)
    assert returned.status_code == 200
    assert (returned.get_json()["status"], returned.get_json()["return_reason"]) == ("returned", "Thiếu số liệu huyện")
    twice = client.post(url, json={"reason": "Lần nữa"}, headers=office)
    assert twice.status_code == 400 and twice.get_json()["errors"]["reason"] == ["Chỉ trả lại báo cáo đã nộp."]

    travel(2021, 3, 22)
    assert submit(client, seeded, rid, body="Bổ sung số liệu huyện.").status_code == 201
    detail = client.get(f"/api/v1/rounds/{rid}", headers=office).get_json()
    states = {b["agency"]: b["state"] for b in detail["bodies"]}
    assert states["Sở Kế hoạch và Đầu tư"] == "late" and states["Sở Tài chính"] == "overdue"
    [only] = detail["submissions"]
    assert (only["times_returned"], only["submitted_on"], only["body"]) == (1, "2021-03-22", "Bổ sung số liệu huyện.")
    listed = client.get(f"/api/v1/rounds/{rid}/submissions?per_page=1", headers=office)
    assert listed.get_json()["total"] == 1 and 'rel="last"' in listed.headers["Link"]


def test_only_a_body_that_owes_submits(seeded, client):
    rid = q1_id(seeded)
    for email in ("vpdp@test.vn", "lanhdao@test.vn"):
        response = submit(client, seeded, rid, email=email)
        assert response.status_code == 403 and response.content_type == "application/problem+json"
    refused = submit(client, seeded, rid, files=[("virus.exe", b"MZ")])
    assert refused.status_code == 400 and "chỉ nhận PDF" in refused.get_json()["errors"]["attachments"][0]
    json_body = client.post(f"/api/v1/rounds/{rid}/submissions", json={"body": "x"},
                            headers=bearer(seeded, "khdt@test.vn"))
    assert json_body.status_code == 400 and "multipart/form-data" in json_body.get_json()["errors"]["body"][0]
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count(Submission.id))) == 0
    assert client.get("/api/v1/rounds/999999", headers=bearer(seeded, "khdt@test.vn")).status_code == 404


def test_the_office_opens_an_adhoc_round(seeded, client, travel):
    travel(2021, 5, 3)
    office = bearer(seeded, "vpdp@test.vn")
    body = {"title": "Báo cáo đột xuất về OCOP", "due_on": "14/05/2021", "bodies": "Sở NN&PTNT\nCác huyện biên giới",
            "note": "Theo yêu cầu"}
    response = client.post("/api/v1/rounds", json=body, headers=office)
    assert response.status_code == 201
    made = response.get_json()
    assert made["kind"] == "adhoc" and made["due_on"] == "2021-05-14" and len(made["bodies"]) == 6
    assert response.headers["Location"] == f"/api/v1/rounds/{made['id']}"
    bad = client.post("/api/v1/rounds", json={**body, "bodies": "Sở Không Có", "due_on": "2021-04-01"}, headers=office)
    assert bad.status_code == 400 and bad.get_json()["errors"] == {"bodies": ["Không nhận ra: Sở Không Có."]}
    past = client.post("/api/v1/rounds", json={**body, "due_on": "2021-04-01"}, headers=office)
    assert past.get_json()["errors"] == {"due_on": ["Hạn nộp không thể trước hôm nay."]}
    assert client.post("/api/v1/rounds", json=body, headers=bearer(seeded, "khdt@test.vn")).status_code == 403


def test_the_policy_is_read_and_set_by_the_office(seeded, client, travel):
    travel(2021, 4, 1)
    office = bearer(seeded, "vpdp@test.vn")
    assert client.get("/api/v1/reporting-policy", headers=office).get_json()["due_day"] == 18
    saved = client.put("/api/v1/reporting-policy", json={"cutoff_day": 10, "due_day": 20, "levels": "department"},
                       headers=office)
    assert saved.status_code == 200 and saved.get_json()["levels"] == "department"
    q2 = client.get("/api/v1/rounds", headers=office).get_json()["items"][1]
    assert (q2["cutoff_on"], q2["due_on"], len(q2["bodies"])) == ("2021-06-10", "2021-06-20", 14)
    bad = client.put("/api/v1/reporting-policy", json={"cutoff_day": 25, "due_day": 20, "levels": "department"},
                     headers=office)
    assert bad.get_json()["errors"] == {"cutoff_day": ["Ngày chốt số liệu phải trước hạn nộp."]}
    assert client.get("/api/v1/reporting-policy", headers=bearer(seeded, "khdt@test.vn")).status_code == 403


def test_the_outbox_and_sending_again(seeded, client):
    with seeded.app_context():
        own = user_of("khdt@test.vn")
        failed = OutboxMessage(to_address=own.email, recipient_id=own.id, subject="Nhắc hạn", text_body="x",
                               html_body="<p>x</p>", message_id=new_message_id(), status="failed", attempts=3)
        sent = OutboxMessage(to_address=own.email, recipient_id=own.id, subject="Đã gửi", text_body="x",
                             html_body="<p>x</p>", message_id=new_message_id(), status="sent")
        db.session.add_all([failed, sent])
        db.session.commit()
        failed_id, sent_id = failed.id, sent.id
    office = bearer(seeded, "vpdp@test.vn")
    listed = client.get("/api/v1/messages?status=failed", headers=office).get_json()
    assert [m["id"] for m in listed["items"]] == [failed_id] and listed["items"][0]["recipient"] == "khdt@test.vn"
    assert client.get("/api/v1/messages", headers=bearer(seeded, "khdt@test.vn")).status_code == 403
    assert client.get("/api/v1/messages?status=lost", headers=office).status_code == 400
    again = client.post(f"/api/v1/messages/{failed_id}/send-again", headers=office)
    assert again.status_code == 200 and (again.get_json()["status"], again.get_json()["attempts"]) == ("pending", 0)
    refused = client.post(f"/api/v1/messages/{sent_id}/send-again", headers=office)
    assert refused.status_code == 409 and "Đã gửi" in refused.get_json()["detail"]
    assert client.post(f"/api/v1/messages/{failed_id}/send-again",
                       headers=bearer(seeded, "khdt@test.vn")).status_code == 403


def test_reminder_settings(seeded, client):
    office = bearer(seeded, "vpdp@test.vn")
    assert client.get("/api/v1/reminder-settings", headers=office).get_json()["before_days"] == "7,3,1"
    body = {"before_days": "1,7, 3", "overdue_notice": False, "digest_weekday": 2, "nudge_days": 10,
            "catch_up_days": 3, "holidays": "2021-02-15\n+2021-02-20"}
    saved = client.put("/api/v1/reminder-settings", json=body, headers=office)
    assert saved.status_code == 200
    assert saved.get_json() == {**body, "before_days": "7,3,1"}
    bad = client.put("/api/v1/reminder-settings", json={**body, "before_days": "0", "holidays": "ngày mai",
                                                         "digest_weekday": 6}, headers=office)
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"before_days", "holidays", "digest_weekday"}
    assert client.put("/api/v1/reminder-settings", json=body, headers=bearer(seeded, "khdt@test.vn")).status_code == 403


def test_each_chooses_their_reminders_and_the_office_keeps_its_digest(seeded, client):
    officer = bearer(seeded, "khdt@test.vn")
    assert all(client.get("/api/v1/me/reminder-preferences", headers=officer).get_json()[rule]
               for rule in ("task_due_soon", "nudge"))
    chosen = client.put("/api/v1/me/reminder-preferences", json={"task_due_soon": True, "nudge": False},
                        headers=officer).get_json()
    assert chosen["task_due_soon"] and not chosen["nudge"] and not chosen["round_overdue"] and chosen["forced"] == []
    office = client.put("/api/v1/me/reminder-preferences", json={}, headers=bearer(seeded, "vpdp@test.vn")).get_json()
    assert office["overdue_digest"] and office["forced"] and not office["nudge"]
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(ReminderOptOut).where(
            ReminderOptOut.user_id == user_of("khdt@test.vn").id)) == 6
    bad = client.put("/api/v1/me/reminder-preferences", json={"nudge": "có"}, headers=officer)
    assert bad.status_code == 400 and "nudge" in bad.get_json()["errors"]


def test_the_letterhead(seeded, client):
    office = bearer(seeded, "vpdp@test.vn")
    current = client.get("/api/v1/letterhead", headers=office).get_json()
    assert current["symbol"] == "BC-VPĐP"
    body = {**current, "symbol": "BC-BCĐ", "signer_name": "Nguyễn Văn Bình", "recipients": "- UBND tỉnh (b/c);\n\n- Lưu"}
    saved = client.put("/api/v1/letterhead", json=body, headers=office)
    assert saved.status_code == 200 and saved.get_json()["symbol"] == "BC-BCĐ"
    assert saved.get_json()["recipients"] == "UBND tỉnh (b/c);\nLưu"
    bad = client.put("/api/v1/letterhead", json={**body, "symbol": "VPĐP/BC", "filing": "VT"}, headers=office)
    assert bad.status_code == 400 and set(bad.get_json()["errors"]) == {"symbol", "filing"}
    assert client.get("/api/v1/letterhead", headers=bearer(seeded, "lanhdao@test.vn")).status_code == 403
