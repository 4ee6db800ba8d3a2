"""Two-factor sign-in: set up with an authenticator app, asked after the password, recovery codes, the office's rule
and resets."""
from __future__ import annotations

import re
from datetime import datetime

import pyotp
import pytest
import sqlalchemy as sa
import time_machine

from tracker.auth.models import RecoveryCode, User
from tracker.extensions import db

from conftest import VN

OFFICER = "khdt@test.vn"
OFFICE = "vpdp@test.vn"


@pytest.fixture
def clock():
    """clock(m): the time stands at 09:m on 1 March 2021 in Việt Nam (a code belongs to a 30-second step)."""
    travellers = []

    def at(minute: int) -> None:
        traveller = time_machine.travel(datetime(2021, 3, 1, 9, minute, tzinfo=VN), tick=False)
        traveller.start()
        travellers.append(traveller)

    yield at
    for traveller in reversed(travellers):
        traveller.stop()


def user(app, email: str) -> User:
    with app.app_context():
        found = db.session.scalar(sa.select(User).where(User.email == email))
        db.session.expunge(found)
        return found


def set_up(client) -> tuple[str, list[str]]:
    """Scan (read the secret the page shows), prove with a code; the secret and the recovery codes shown."""
    page = client.get("/profile/two-factor")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "<svg" in html  # the QR code, drawn inline
    secret = re.search(r'<code class="token">([A-Z2-7]{32})</code>', html).group(1)
    shown = client.post("/profile/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert shown.status_code == 200, shown.get_data(as_text=True)[:500]
    codes = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", shown.get_data(as_text=True))
    assert len(codes) == 10
    return secret, codes


def test_an_officer_sets_it_up_and_is_then_asked_for_a_code_after_the_password(seeded, client, auth, clock):
    clock(0)
    auth.login(OFFICER)
    secret, _codes = set_up(client)
    # The code that proved the scan has been used: the next one opens the next session.
    clock(1)
    assert user(seeded, OFFICER).two_factor
    assert "Còn 10 mã khôi phục" in client.get("/profile").get_data(as_text=True)
    auth.logout()

    response = auth.login(OFFICER)
    assert response.headers["Location"] == "/login/two-factor"
    # The password alone opens nothing.
    assert client.get("/my").status_code == 302
    wrong = client.post("/login/two-factor", data={"code": "000000"})
    assert wrong.status_code == 401
    assert "Mã xác thực không đúng" in wrong.get_data(as_text=True)
    code = pyotp.TOTP(secret).now()
    right = client.post("/login/two-factor", data={"code": code})
    assert right.status_code == 302 and right.headers["Location"] == "/my"
    assert client.get("/my").status_code == 200

    # The same code cannot open a second session.
    auth.logout()
    auth.login(OFFICER)
    again = client.post("/login/two-factor", data={"code": code})
    assert again.status_code == 401


def test_a_recovery_code_stands_in_once(seeded, client, auth):
    auth.login(OFFICER)
    _secret, codes = set_up(client)
    auth.logout()
    auth.login(OFFICER)
    assert client.post("/login/two-factor", data={"code": codes[0].upper()}).status_code == 302
    auth.logout()
    auth.login(OFFICER)
    assert client.post("/login/two-factor", data={"code": codes[0]}).status_code == 401
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)
                                 .where(RecoveryCode.used_at.is_not(None))) == 1


def test_wrong_codes_are_throttled_like_passwords(seeded, client, auth):
    auth.login(OFFICER)
    set_up(client)
    auth.logout()
    auth.login(OFFICER)
    answers = [client.post("/login/two-factor", data={"code": "123456"}).status_code for _ in range(6)]
    assert answers[:5] == [401] * 5 and answers[5] == 429


def test_a_password_accepted_waits_ten_minutes_for_its_code(seeded, client, auth, clock):
    clock(0)
    auth.login(OFFICER)
    secret, _codes = set_up(client)
    auth.logout()
    auth.login(OFFICER)
    clock(11)
    late = client.post("/login/two-factor", data={"code": pyotp.TOTP(secret).now()})
    assert late.status_code == 302 and late.headers["Location"] == "/login"
    assert client.get("/my").status_code == 302


def test_the_office_requires_it_of_office_and_leader_accounts(seeded, client, auth):
    auth.login(OFFICE)
    assert client.post("/admin/security", data={"require_two_factor": "y"}).status_code == 302
    # The office itself: every page leads to the set-up until it is done.
    assert client.get("/").headers["Location"] == "/profile/two-factor"
    page = client.get("/profile/two-factor").get_data(as_text=True)
    assert "yêu cầu tài khoản của bạn dùng xác thực hai lớp" in page
    set_up(client)
    assert client.get("/").status_code == 200
    auth.logout()

    auth.login("lanhdao@test.vn")
    assert client.get("/dashboard").headers["Location"] == "/profile/two-factor"
    auth.logout()
    auth.login(OFFICER)  # an officer is not asked
    assert client.get("/my").status_code == 200


def test_turning_it_off_takes_a_code_and_is_refused_where_the_office_requires_it(seeded, client, auth, clock):
    clock(0)
    auth.login(OFFICER)
    secret, _codes = set_up(client)
    client.post("/profile/two-factor/off", data={"code": "000000"})
    assert user(seeded, OFFICER).two_factor
    clock(1)
    client.post("/profile/two-factor/off", data={"code": pyotp.TOTP(secret).now()})
    assert not user(seeded, OFFICER).two_factor
    auth.logout()

    auth.login(OFFICE)
    secret, _codes = set_up(client)
    client.post("/admin/security", data={"require_two_factor": "y"})
    clock(2)
    response = client.post("/profile/two-factor/off", data={"code": pyotp.TOTP(secret).now()}, follow_redirects=True)
    assert "yêu cầu xác thực hai lớp" in response.get_data(as_text=True)
    assert user(seeded, OFFICE).two_factor


def test_the_office_resets_a_lost_phone(seeded, client, auth):
    auth.login(OFFICER)
    set_up(client)
    auth.logout()
    auth.login(OFFICE)
    officer = user(seeded, OFFICER)
    assert "Đang bật từ" in client.get(f"/admin/users/{officer.id}").get_data(as_text=True)
    assert client.post(f"/admin/users/{officer.id}/two-factor/reset").status_code == 302
    assert not user(seeded, OFFICER).two_factor
    auth.logout()
    response = auth.login(OFFICER)
    assert response.headers["Location"] == "/my"  # the password alone again


def test_an_officer_cannot_reset_anothers(seeded, client, auth):
    auth.login(OFFICE)
    set_up(client)
    office = user(seeded, OFFICE)
    auth.logout()
    auth.login(OFFICER)
    assert client.post(f"/admin/users/{office.id}/two-factor/reset").status_code == 403
    assert user(seeded, OFFICE).two_factor


def test_recovery_codes_are_renewed_with_a_code_and_the_old_ones_die(seeded, client, auth, clock):
    clock(0)
    auth.login(OFFICER)
    secret, old = set_up(client)
    clock(1)
    renewed = client.post("/profile/two-factor/recovery-codes", data={"code": pyotp.TOTP(secret).now()})
    new = re.findall(r"<code>([a-z2-9]{5}-[a-z2-9]{5})</code>", renewed.get_data(as_text=True))
    assert len(new) == 10 and not set(new) & set(old)
    auth.logout()
    auth.login(OFFICER)
    assert client.post("/login/two-factor", data={"code": old[0]}).status_code == 401
    assert client.post("/login/two-factor", data={"code": new[0]}).status_code == 302
