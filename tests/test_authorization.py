"""Every role against every state-changing endpoint, pages and API: allowed, or refused with nothing changed."""
from datetime import date

import pytest
import sqlalchemy as sa

from helpers import issue_token
from conftest import PASSWORD
from tracker.auth.models import ApiToken, User
from tracker.extensions import db
from tracker.plan.models import Agency, Assignment, Task
from tracker.progress.models import Comment, StatusLine, TaskEvent
from tracker.reminders.models import ReminderOptOut, ReminderSettings
from tracker.reporting.models import ReportingPolicy, ReportingRound, Submission
from tracker.reporting.services import submit_report

ACTORS = {
    "anonymous": None,
    "leader": "lanhdao@test.vn",
    "officer_own": "khdt@test.vn",  # Sở KH&ĐT executes II.1
    "officer_other": "noivu@test.vn",  # Sở Nội vụ is not named on II.1
    "coordinating": "dinhlap@test.vn",  # Đình Lập coordinates II.1 through "BCĐ cấp huyện, xã"
    "office": "vpdp@test.vn",
}


@pytest.fixture
def ids(seeded):
    with seeded.app_context():
        line = db.session.scalar(sa.select(StatusLine).join(StatusLine.task).join(StatusLine.agency)
                                 .where(Task.code == "II.1", Agency.name == "Sở Kế hoạch và Đầu tư"))
        assignment = db.session.scalar(sa.select(Assignment).join(Assignment.task).where(
            Task.code == "II.1", Assignment.role == "coordinating"))
        user = db.session.scalar(sa.select(User).where(User.email == "taichinh@test.vn"))
        q1 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
        submission = submit_report(q1, user.agency, user, "Báo cáo của Sở Tài chính", date(2021, 3, 10))
        db.session.commit()
        return {"line": line.id, "assignment": assignment.id, "user": user.id, "round": q1.id,
                "submission": submission.id}


def update_line(client, ids):
    lid = ids["line"]
    return client.post(f"/tasks/II.1/lines/{lid}", data={
        f"line{lid}-status": "in_progress", f"line{lid}-progress": "10", f"line{lid}-version": "1"})


ENDPOINTS = {
    "update_line": update_line,
    "comment": lambda c, ids: c.post("/tasks/II.1/comments", data={"body": "Ý kiến"}),
    "deadline": lambda c, ids: c.post("/tasks/II.1/deadline", data={"due_on": "2021-05-31", "reason": "Lùi hạn"}),
    "add_assignment": lambda c, ids: c.post("/tasks/II.1/assignments", data={"agency": "Sở Nội vụ", "role": "executing"}),
    "remove_assignment": lambda c, ids: c.post(f"/tasks/II.1/assignments/{ids['assignment']}/delete"),
    "create_user": lambda c, ids: c.post("/admin/users", data={
        "email": "moi@test.vn", "agency": "Sở Y tế", "role": "officer", "password": "mat-khau-dai-du", "active": "y"}),
    "edit_user": lambda c, ids: c.post(f"/admin/users/{ids['user']}", data={
        "email": "taichinh@test.vn", "agency": "Sở Tài chính", "role": "office", "active": "y"}),
    "create_token": lambda c, ids: c.post("/profile/tokens", data={"name": "x"}),
    "change_password": lambda c, ids: c.post("/profile/password", data={
        "current": PASSWORD, "new": "mat-khau-moi-dai", "confirm": "mat-khau-moi-dai"}),
    "submit_report": lambda c, ids: c.post(f"/rounds/{ids['round']}/submit", data={"body": "Báo cáo"}),
    "return_report": lambda c, ids: c.post(f"/rounds/{ids['round']}/submissions/{ids['submission']}/return",
                                           data={f"s{ids['submission']}-reason": "Thiếu số liệu"}),
    "open_round": lambda c, ids: c.post("/rounds/new", data={"title": "Đột xuất", "due_on": "2099-01-01",
                                                             "bodies": "Sở Y tế"}),
    "round_policy": lambda c, ids: c.post("/rounds/policy", data={"cutoff_day": "5", "due_day": "10",
                                                                  "levels": "department"}),
    "reminder_settings": lambda c, ids: c.post("/reminders/settings", data={
        "before_days": "5", "digest_weekday": "1", "nudge_days": "10", "catch_up_days": "3", "holidays": ""}),
    "reminder_choices": lambda c, ids: c.post("/profile/reminders", data={"nudge": "y"}),
}

ALLOWED = {
    "update_line": {"officer_own", "office"},
    "comment": {"officer_own", "coordinating", "office"},
    "deadline": {"office"},
    "add_assignment": {"office"},
    "remove_assignment": {"office"},
    "create_user": {"office"},
    "edit_user": {"office"},
    "create_token": {"leader", "officer_own", "officer_other", "coordinating", "office"},
    "change_password": {"leader", "officer_own", "officer_other", "coordinating", "office"},
    # Sở KH&ĐT, Sở Nội vụ and huyện Đình Lập all owe the quarterly report.
    "submit_report": {"officer_own", "officer_other", "coordinating"},
    "return_report": {"office"},
    "open_round": {"office"},
    "round_policy": {"office"},
    "reminder_settings": {"office"},
    "reminder_choices": {"leader", "officer_own", "officer_other", "coordinating", "office"},
}


def state(app):
    """Everything a state-changing endpoint could touch."""
    with app.app_context():
        count = lambda model: db.session.scalar(sa.select(sa.func.count()).select_from(model))  # noqa: E731
        return (count(TaskEvent), count(Comment), count(User), count(ApiToken), count(Assignment),
                tuple(db.session.execute(sa.select(StatusLine.id, StatusLine.version).order_by(StatusLine.id))),
                tuple(db.session.execute(sa.select(Task.id, Task.due_on).order_by(Task.id))),
                tuple(db.session.execute(sa.select(User.id, User.role, User.password_hash).order_by(User.id))),
                tuple(db.session.execute(sa.select(Submission.id, Submission.status).order_by(Submission.id))),
                tuple(db.session.execute(sa.select(ReportingRound.id, ReportingRound.due_on).order_by(ReportingRound.id))),
                tuple(db.session.execute(sa.select(ReportingPolicy.plan_id, ReportingPolicy.due_day))),
                tuple(db.session.execute(sa.select(ReminderSettings.id, ReminderSettings.before_days))),
                count(ReminderOptOut))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("actor", ACTORS)
def test_page_matrix(seeded, client, auth, ids, endpoint, actor):
    if ACTORS[actor]:
        auth.login(ACTORS[actor])
    before = state(seeded)
    response = ENDPOINTS[endpoint](client, ids)
    if actor == "anonymous":
        # Sent to sign in; a posted form first shows back what was typed, with the way to sign in.
        assert (response.status_code == 302 and "/login" in response.headers["Location"]) or (
            response.status_code == 401 and "/login?next=" in response.get_data(as_text=True))
        assert state(seeded) == before
    elif actor in ALLOWED[endpoint]:
        assert response.status_code in (200, 302), response.get_data(as_text=True)[:500]
        assert state(seeded) != before
    else:
        assert response.status_code in (403, 404)
        assert state(seeded) == before


def _token(seeded, email):
    return issue_token(seeded, email)


@pytest.mark.parametrize(("actor", "expected"), [
    ("anonymous", 401), ("leader", 403), ("officer_own", 201), ("officer_other", 403), ("coordinating", 403),
    ("office", 201),
])
def test_api_matrix(seeded, client, actor, expected):
    headers = {"Authorization": f"Bearer {_token(seeded, ACTORS[actor])}"} if ACTORS[actor] else {}
    before = state(seeded)
    response = client.post("/api/v1/tasks/II.1/updates", headers=headers, json={
        "agency": "Sở KH&ĐT", "status": "in_progress", "progress": 10, "note": "", "version": 1})
    assert response.status_code == expected
    if expected == 201:
        assert response.get_json()["version"] == 2
    else:
        assert state(seeded) == before


def test_api_write_needs_a_token_even_with_a_session(seeded, client, auth):
    auth.login("khdt@test.vn")
    response = client.post("/api/v1/tasks/II.1/updates", json={
        "agency": "Sở KH&ĐT", "status": "in_progress", "progress": 10, "note": "", "version": 1})
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer nope", "Basic abc", "Bearer ", "Token x"])
def test_api_refuses_bad_tokens(seeded, client, header):
    assert client.get("/api/v1/tasks", headers={"Authorization": header}).status_code == 401


@pytest.mark.parametrize("path", ["/", "/tasks/II.1", "/agencies", "/agencies/1", "/profile", "/admin/users",
                                  "/attachments/1", "/rounds", "/rounds/1", "/reminders", "/outbox",
                                  "/reminders/settings", "/profile/reminders"])
def test_every_page_needs_an_account(seeded, client, path):
    response = client.get(path)
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


@pytest.mark.parametrize("path", ["/api/v1/tasks", "/api/v1/tasks/II.1", "/api/v1/agencies", "/api/v1/rounds",
                                  "/api/v1/reminders"])
def test_every_api_read_needs_a_token_or_session(seeded, client, path):
    assert client.get(path).status_code == 401


def test_officer_sees_all_tasks_but_gets_forms_only_for_own_lines(seeded, client, auth):
    auth.login("noivu@test.vn")
    page = client.get("/tasks/II.1").get_data(as_text=True)
    assert "Sở Kế hoạch và Đầu tư" in page and "Cập nhật tiến độ" not in page and "Gửi ý kiến" not in page
    own = client.get("/tasks/X.1").get_data(as_text=True)  # Nội vụ directs X.1 (lead): may comment, no line
    assert "Gửi ý kiến" in own and "Cập nhật tiến độ" not in own
    assert "Cập nhật tiến độ của Sở Nội vụ" in client.get("/tasks/XII.1").get_data(as_text=True)


def test_leader_reads_everything_and_sees_no_forms(seeded, client, auth):
    auth.login("lanhdao@test.vn")
    page = client.get("/tasks/II.1").get_data(as_text=True)
    assert "Cập nhật tiến độ" not in page and "Gửi ý kiến" not in page and "Đổi hạn" not in page
    assert client.get("/admin/users").status_code == 403


def test_line_of_another_task_is_404(seeded, client, auth, ids):
    auth.login("khdt@test.vn")
    lid = ids["line"]
    response = client.post(f"/tasks/IV.4/lines/{lid}", data={f"line{lid}-status": "done"})
    assert response.status_code == 404
