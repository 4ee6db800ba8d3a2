"""The administrative record: who changed accounts, roles, tokens, settings, deadlines, assignments and imports,
when, from where, before and after; append-only, searchable by the office, kept when the person is locked out."""
from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
import sqlalchemy as sa

from tracker.audit import AuditEvent
from tracker.auth.models import User
from tracker.extensions import db
from tracker.plan.models import Task

from conftest import PASSWORD
from helpers import issue_token

ROOT = Path(__file__).resolve().parents[1]


def events(app, action: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = sa.select(AuditEvent).order_by(AuditEvent.id)
        if action:
            query = query.where(AuditEvent.action == action)
        found = list(db.session.scalars(query))
        for event in found:
            db.session.expunge(event)
        return found


def user_id(app, email: str) -> int:
    with app.app_context():
        return db.session.scalar(sa.select(User.id).where(User.email == email))


def test_a_role_changed_by_the_office_is_recorded_with_who_where_before_and_after(seeded, client, auth):
    auth.login("vpdp@test.vn")
    target = user_id(seeded, "taichinh@test.vn")
    response = client.post(f"/admin/users/{target}", data={"email": "taichinh@test.vn", "agency": "Sở Tài chính",
                                                           "role": "leader", "active": "y"},
                           environ_base={"REMOTE_ADDR": "10.20.30.40"})
    assert response.status_code == 302
    [event] = events(seeded, "auth.update_user")
    assert event.actor_id == user_id(seeded, "vpdp@test.vn") and "vpdp@test.vn" in event.actor_label
    assert event.address == "10.20.30.40"
    [change] = [c for c in event.changes if c["table"] == "user"]
    assert change["before"]["role"] == "officer" and change["after"]["role"] == "leader"

    page = client.get("/admin/audit").get_data(as_text=True)
    assert "Sửa tài khoản" in page and "10.20.30.40" in page and "Vai trò" in page
    assert "officer → leader" in page
    table = page.split("<table", 1)[1]
    assert "auth.update_user" not in table and "None" not in table


def test_secrets_are_recorded_only_as_changed(seeded, client, auth):
    auth.login("khdt@test.vn")
    client.post("/profile/tokens", data={"name": "phần mềm báo cáo"})
    [event] = events(seeded, "auth.create_token")
    [token] = [c for c in event.changes if c["table"] == "api_token"]
    assert token["after"]["token_hash"] == "•••" and token["after"]["name"] == "phần mềm báo cáo"
    client.post("/profile/password", data={"current": PASSWORD, "new": "mot-mat-khau-moi-dai", "confirm":
                                           "mot-mat-khau-moi-dai"})
    [changed] = events(seeded, "auth.change_password")
    assert changed.changes[0]["before"]["password_hash"] == "•••"
    assert "scrypt" not in str(changed.changes)


def test_a_refused_change_leaves_no_record(seeded, client, auth):
    auth.login("khdt@test.vn")  # an officer cannot change accounts
    target = user_id(seeded, "taichinh@test.vn")
    assert client.post(f"/admin/users/{target}", data={"email": "x@test.vn", "agency": "Sở Tài chính",
                                                       "role": "office", "active": "y"}).status_code == 403
    auth.logout()
    auth.login("vpdp@test.vn")
    client.post(f"/admin/users/{target}", data={"email": "taichinh@test.vn", "agency": "Không có", "role": "leader",
                                                "active": "y"})
    assert events(seeded, "auth.update_user") == []


def test_deadlines_assignments_and_settings_are_recorded(seeded, client, auth):
    auth.login("vpdp@test.vn")
    with seeded.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.code == "II.1"))
        code, before = task.code, task.due_on
    from tracker.operations import perform
    from tracker.progress import operations as progress_ops
    with seeded.test_request_context(environ_base={"REMOTE_ADDR": "10.0.0.9"}):
        office = db.session.scalar(sa.select(User).where(User.email == "vpdp@test.vn"))
        task = db.session.scalar(sa.select(Task).where(Task.code == code))
        perform(progress_ops.move_deadline, office, task, date(2021, 12, 15), "Chờ vốn")
    [moved] = events(seeded, "progress.move_deadline")
    [change] = [c for c in moved.changes if c["table"] == "task"]
    assert change["after"]["due_on"] == "2021-12-15"
    assert change["before"]["due_on"] == (before.isoformat() if before else None)
    assert moved.address == "10.0.0.9"

    assert client.post("/admin/security", data={"require_two_factor": ""}).status_code == 302
    [rule] = events(seeded, "auth.set_security")
    assert rule.changes[0]["after"]["require_two_factor"] is False


def test_the_record_cannot_be_changed_or_deleted(seeded, client, auth):
    auth.login("vpdp@test.vn")
    client.post("/admin/security", data={"require_two_factor": ""})
    with seeded.app_context():
        count = db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent))
        event = db.session.scalar(sa.select(AuditEvent))
        event.summary = "đã sửa"
        with pytest.raises(RuntimeError, match="append-only"):
            db.session.flush()
        db.session.rollback()
        for statement in ("UPDATE audit_event SET summary = 'x'", "DELETE FROM audit_event"):
            with pytest.raises(sa.exc.DatabaseError):
                db.session.execute(sa.text(statement))
            db.session.rollback()
        assert db.session.scalar(sa.select(sa.func.count()).select_from(AuditEvent)) == count > 0


def test_the_record_stays_when_the_person_is_locked_out(seeded, client, auth):
    auth.login("khdt@test.vn")
    client.post("/profile/tokens", data={"name": "báo cáo"})
    auth.logout()
    auth.login("vpdp@test.vn")
    officer = user_id(seeded, "khdt@test.vn")
    client.post(f"/admin/users/{officer}", data={"email": "khdt@test.vn", "agency": "Sở KH&ĐT", "role": "officer"})
    page = client.get(f"/admin/audit?actor={officer}").get_data(as_text=True)
    assert "Tạo token API" in page and "(đã khóa)" in page


def test_an_import_from_the_servers_shell_is_recorded(seeded, runner):
    before = len(events(seeded, "plan.import_appendix"))  # `flask seed` imports the plan the same way
    result = runner.invoke(args=["import-appendix", str(ROOT / "seeds" / "plan-2021.csv"), "--year", "2021"])
    assert result.exit_code == 0, result.output
    found = events(seeded, "plan.import_appendix")
    assert len(found) == before + 1
    event = found[-1]
    assert event.actor_id is None and event.address == "" and "plan-2021.csv" in event.summary


def test_the_office_searches_the_record(seeded, client, auth):
    auth.login("vpdp@test.vn")
    client.post("/admin/security", data={"require_two_factor": ""})
    client.post("/profile/tokens", data={"name": "liên thông"})
    assert "Đổi quy định đăng nhập" in client.get("/admin/audit?action=auth.set_security").get_data(as_text=True)
    only = client.get("/admin/audit?action=auth.create_token").get_data(as_text=True)
    assert "Tạo token API" in only and "Đổi quy định đăng nhập" not in only.split("<table")[1]
    assert "1 mục" in client.get("/admin/audit?q=vpdp&action=auth.create_token").get_data(as_text=True)
    assert "0 mục" in client.get("/admin/audit?from=01/01/2000&to=31/12/2000").get_data(as_text=True)
    bad = client.get("/admin/audit?from=hôm-qua")
    assert bad.status_code == 400 and "không phải một ngày" in bad.get_data(as_text=True)
    auth.logout()
    auth.login("khdt@test.vn")
    assert client.get("/admin/audit").status_code == 403


def test_the_api_gives_the_record_to_the_office_and_notes_who_took_the_accounts(seeded, client):
    office = {"Authorization": f"Bearer {issue_token(seeded, 'vpdp@test.vn')}"}
    officer = {"Authorization": f"Bearer {issue_token(seeded, 'khdt@test.vn')}"}
    assert client.get("/api/v1/users", headers=office).status_code == 200
    response = client.get("/api/v1/audit?action=auth.export_accounts", headers=office)
    assert response.status_code == 200
    [item] = response.get_json()["items"]
    assert item["action_label"] == "Xuất danh sách tài khoản" and item["actor"]["label"].endswith("<vpdp@test.vn>") is False
    assert "vpdp@test.vn" in item["actor"]["label"]
    assert client.get("/api/v1/audit", headers=officer).status_code == 403
    assert client.get("/api/v1/audit?from=yesterday", headers=office).status_code == 400


ADMINISTRATIVE = {
    # accounts, roles, tokens
    "auth.create_user", "auth.update_user", "auth.invite", "auth.accept_invitation", "auth.change_password",
    "auth.create_token", "auth.revoke_token", "auth.create_calendar", "auth.revoke_calendar",
    "auth.sign_in_from_directory", "auth.answer_access_request", "auth.enable_two_factor",
    "auth.disable_two_factor", "auth.renew_recovery_codes", "auth.reset_two_factor",
    # settings
    "auth.set_security", "reminders.save_settings", "reminders.choose_reminders", "reporting.set_policy",
    "exports.set_letterhead",
    # deadlines and assignments
    "progress.move_deadline", "progress.assign", "progress.unassign", "reporting.open_round",
    "indicators.set_responsible",
    # imports
    "indicators.import_communes", "documents.import_document", "documents.name_body",
}


def test_every_administrative_operation_is_recorded_and_named(app):
    from tracker.audit import ACTION_LABELS
    from tracker.operations import REGISTRY

    audited = {name for name, run in REGISTRY.items() if getattr(run, "audited", False)}
    assert ADMINISTRATIVE <= set(REGISTRY), sorted(ADMINISTRATIVE - set(REGISTRY))
    assert ADMINISTRATIVE <= audited, sorted(ADMINISTRATIVE - audited)
    assert audited | {"auth.export_accounts", "plan.import_appendix"} <= set(ACTION_LABELS)


def test_hostile_text_in_the_record_is_shown_as_text(seeded, client, auth):
    payload = '<script>alert("audit")</script><img src=x onerror=alert(1)>'
    auth.login("vpdp@test.vn")
    target = user_id(seeded, "taichinh@test.vn")
    for name in (payload, "Nguyễn Văn An"):
        client.post(f"/admin/users/{target}", data={"email": "taichinh@test.vn", "name": name,
                                                    "agency": "Sở Tài chính", "role": "officer", "active": "y"})
    page = client.get("/admin/audit").get_data(as_text=True)
    assert "<script>alert(" not in page and "<img src=x" not in page
    assert "&lt;script&gt;alert(" in page
    api = client.get("/api/v1/audit?action=auth.update_user").get_json()["items"]
    assert any(change["before"].get("name") == payload for item in api for change in item["changes"])
