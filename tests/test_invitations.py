"""Accounts made without a password: an officer by default, an invitation mail with a one-use link, 72 hours."""
import re
from datetime import datetime, timedelta, timezone

import sqlalchemy as sa
import time_machine

from tracker.auth.models import User
from tracker.clock import utcnow
from tracker.extensions import db
from tracker.reminders.models import OutboxMessage
from tracker.reminders.outbox import deliver_outbox

NEW = {"email": "canbo.caoloc@test.vn", "name": "Cán bộ Cao Lộc", "agency": "Cao Lộc", "active": "y"}
LINK = re.compile(r"https?://\S+/invitation/[A-Za-z0-9_.\-]+")
SELECTED = re.compile(r'<option(?=[^>]*\bselected\b)[^>]*value="(\w+)"')


def _invite(client, auth, **extra):
    """The office creates NEW with a blank password, as a person fills the form (the role as the page offers it)."""
    auth.login("vpdp@test.vn")
    page = client.get("/admin/users").get_data(as_text=True)
    chosen = SELECTED.search(page).group(1)
    response = client.post("/admin/users", data={**NEW, "role": chosen, "password": "", **extra})
    auth.logout()
    return response, chosen


def _outbox(app, to=NEW["email"]) -> list[OutboxMessage]:
    with app.app_context():
        return db.session.scalars(sa.select(OutboxMessage).where(OutboxMessage.to_address == to)).all()


def _link(app) -> str:
    (message,) = _outbox(app)
    return LINK.search(message.text_body).group(0)


def test_the_create_form_offers_officer_first_and_says_what_a_blank_password_does(seeded, client, auth):
    auth.login("vpdp@test.vn")
    page = client.get("/admin/users").get_data(as_text=True)
    options = re.findall(r'<option[^>]*value="(\w+)"', page)
    assert options[0] == "officer" and SELECTED.search(page).group(1) == "officer"
    assert "để trống: gửi thư mời tự đặt mật khẩu, hiệu lực 72 giờ" in page
    with seeded.app_context():
        me = db.session.scalar(sa.select(User.id).where(User.email == "khdt@test.vn"))
    edit = client.get(f"/admin/users/{me}").get_data(as_text=True)
    assert "để trống: giữ nguyên mật khẩu hiện tại" in edit and "gửi thư mời tự đặt" not in edit


def test_a_blank_password_creates_an_officer_and_queues_an_invitation(seeded, client, auth):
    response, role = _invite(client, auth)
    assert response.status_code == 302 and role == "officer"
    with seeded.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == NEW["email"]))
        assert (user.role, user.agency.name) == ("officer", "UBND huyện Cao Lộc")
    (message,) = _outbox(seeded)
    assert message.status == "pending"
    for body in (message.text_body, message.html_body, message.subject):
        assert "None" not in body and "BASE_URL" not in body and "invitation_" not in body
    assert "Mời đặt mật khẩu" in message.subject
    assert "72 giờ" in message.text_body and "Cán bộ Cao Lộc" in message.text_body
    assert LINK.search(message.html_body)


def test_the_invitation_reaches_the_smtp_server_after_the_commit(seeded, client, auth, mail_server):
    _invite(client, auth)
    with seeded.app_context():
        deliver_outbox(utcnow())
    (mail,) = [m for m in mail_server.messages if NEW["email"] in m["to"]]
    assert "Mời đặt mật khẩu" in mail["subject"] and LINK.search(mail["text"])


def test_the_link_sets_a_password_once_and_signs_the_person_in(seeded, client, auth):
    _invite(client, auth)
    path = "/" + _link(seeded).split("/", 3)[3]
    form = client.get(path)
    assert form.status_code == 200 and NEW["email"] in form.get_data(as_text=True)
    short = client.post(path, data={"new": "ngan", "confirm": "ngan"})
    assert short.status_code == 400 and "ít nhất 10 ký tự" in short.get_data(as_text=True)
    mismatch = client.post(path, data={"new": "mat-khau-rieng-1", "confirm": "mat-khau-rieng-2"})
    assert mismatch.status_code == 400 and "Hai lần nhập không khớp." in mismatch.get_data(as_text=True)
    done = client.post(path, data={"new": "mat-khau-rieng-1", "confirm": "mat-khau-rieng-1"})
    assert done.status_code == 302 and done.headers["Location"] == "/my"  # signed in, an officer's home
    assert client.get("/my").status_code == 200
    client.post("/logout")
    used = client.get(path)
    assert used.status_code == 410 and "đã được dùng" in used.get_data(as_text=True)
    again = client.post(path, data={"new": "mat-khau-khac-9", "confirm": "mat-khau-khac-9"})
    assert again.status_code == 410
    assert auth.login(NEW["email"], "mat-khau-rieng-1").status_code == 302


def test_the_link_expires_after_72_hours(seeded, client, auth):
    start = datetime(2026, 12, 1, 2, 0, tzinfo=timezone.utc)
    with time_machine.travel(start, tick=False):
        _invite(client, auth)
        path = "/" + _link(seeded).split("/", 3)[3]
    with time_machine.travel(start + timedelta(hours=71), tick=False):
        assert client.get(path).status_code == 200
    with time_machine.travel(start + timedelta(hours=73), tick=False):
        late = client.get(path)
        assert late.status_code == 410
        page = late.get_data(as_text=True)
        assert "hết hạn" in page and "gửi lại thư mời" in page


def test_a_forged_or_cut_link_gets_the_same_clear_page(seeded, client, auth):
    _invite(client, auth)
    path = "/" + _link(seeded).split("/", 3)[3]
    for bad in (path[:-3], path + "x", "/invitation/abc", "/invitation/" + "a" * 600):
        response = client.get(bad)
        assert response.status_code == 410, bad
        assert "Liên kết không còn dùng được" in response.get_data(as_text=True)


def test_the_mail_is_in_the_persons_language(seeded, client, auth):
    with seeded.app_context():
        from tracker.auth.invitations import send_invitation

        user = db.session.scalar(sa.select(User).where(User.email == "dinhlap@test.vn"))
        user.language = "en"
        send_invitation(user)
        db.session.commit()
    (message,) = _outbox(seeded, "dinhlap@test.vn")
    assert "Set your password" in message.subject and "72 hours" in message.text_body
    assert "Kính gửi" not in message.text_body and "None" not in message.text_body


def test_the_office_sends_a_new_invitation_from_the_account_page(seeded, client, auth):
    auth.login("vpdp@test.vn")
    with seeded.app_context():
        user_id = db.session.scalar(sa.select(User.id).where(User.email == "noivu@test.vn"))
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "Gửi thư mời đặt mật khẩu" in page
    response = client.post(f"/admin/users/{user_id}/invitation", follow_redirects=True)
    assert "Đã gửi thư mời tự đặt mật khẩu tới noivu@test.vn" in response.get_data(as_text=True)
    assert len(_outbox(seeded, "noivu@test.vn")) == 1


def test_a_refused_account_sends_nothing(seeded, client, auth):
    response, _ = _invite(client, auth, agency="Sở Ma")
    assert response.status_code == 400 and "Không có cơ quan" in response.get_data(as_text=True)
    assert _outbox(seeded) == []


def test_create_user_command_can_invite(seeded, runner):
    result = runner.invoke(args=["create-user", "cli@test.vn", "--agency", "Sở Y tế", "--role", "officer", "--invite"])
    assert result.exit_code == 0, result.output
    assert "Mật khẩu:" not in result.output and "hộp thư đi" in result.output
    assert len(_outbox(seeded, "cli@test.vn")) == 1
    both = runner.invoke(args=["create-user", "x@test.vn", "--agency", "Sở Y tế", "--role", "officer",
                               "--invite", "--password", "mat-khau-dai-du"])
    assert both.exit_code != 0


def test_a_locked_new_account_needs_a_password_rather_than_an_invitation(seeded, client, auth):
    auth.login("vpdp@test.vn")
    response = client.post("/admin/users", data={**NEW, "role": "officer", "password": "", "active": ""})
    assert response.status_code == 400 and "trạng thái khóa cần mật khẩu" in response.get_data(as_text=True)
    assert _outbox(seeded) == []
    with seeded.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == NEW["email"])) is None
