"""Accounts: sign-in, throttling across workers, safe redirects, cookies, commands, administration."""
import threading
import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
import time_machine

from conftest import PASSWORD, another_app, make_app
from tracker.auth.models import ApiToken, User
from tracker.auth.services import authenticate, safe_next
from tracker.clock import utcnow
from tracker.extensions import db


def test_pages_need_an_account(seeded, client):
    response = client.get("/tasks/II.1")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=/tasks/II.1")


def test_login_and_logout(seeded, client, auth):
    response = auth.login("khdt@test.vn")
    assert response.status_code == 302 and response.headers["Location"] == "/my"  # an officer lands on its work
    assert "Cán bộ cơ quan" in client.get("/profile").get_data(as_text=True)
    auth.logout()
    assert client.get("/profile").status_code == 302


def test_wrong_password_is_refused_with_one_message(seeded, client, auth):
    wrong = auth.login("khdt@test.vn", "sai-mat-khau")
    unknown = auth.login("nobody@test.vn", "sai-mat-khau")
    assert wrong.status_code == unknown.status_code == 401
    message = "Thư điện tử hoặc mật khẩu không đúng."
    assert message in wrong.get_data(as_text=True) and message in unknown.get_data(as_text=True)


def test_email_is_case_insensitive(seeded, auth):
    assert auth.login("KHDT@Test.VN").status_code == 302


def sign_in(client, email="khdt@test.vn", password=PASSWORD, address="10.0.0.1"):
    return client.post("/login", data={"email": email, "password": password},
                       environ_base={"REMOTE_ADDR": address})


def test_five_failures_from_one_address_refuse_even_the_right_password(seeded, client):
    for _ in range(5):
        assert sign_in(client, password="sai").status_code == 401
    response = sign_in(client)
    assert response.status_code == 429
    assert "Đã thử đăng nhập sai quá nhiều lần. Vui lòng thử lại sau" in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302  # not signed in


def test_an_unknown_account_is_throttled_alike(seeded, client):
    answers = {}
    for email in ("khdt@test.vn", "nobody@test.vn"):
        codes = [sign_in(client, email, "sai").status_code for _ in range(6)]
        answers[email] = codes
    assert answers["khdt@test.vn"] == answers["nobody@test.vn"] == [401] * 5 + [429]


def test_one_address_cannot_lock_an_account_for_everyone_else(seeded, client):
    for _ in range(8):
        sign_in(client, password="sai", address="203.0.113.9")
    assert sign_in(client, password="sai", address="203.0.113.9").status_code == 429
    assert sign_in(client, address="10.0.0.2").status_code == 302


def test_one_address_is_limited_over_all_accounts(seeded, client):
    for n in range(30):
        assert sign_in(client, f"guess{n}@test.vn", "sai").status_code == 401
    assert sign_in(client, "khdt@test.vn").status_code == 429
    assert sign_in(client, "khdt@test.vn", address="10.0.0.2").status_code == 302


def test_one_account_is_limited_over_all_addresses(seeded, client):
    for n in range(20):
        assert sign_in(client, password="sai", address=f"198.51.100.{n % 4}").status_code == 401
    assert sign_in(client, address="10.9.9.9").status_code == 429


def test_successful_sign_ins_use_up_no_budget(seeded, client):
    for _ in range(4):
        sign_in(client, password="sai")
    for _ in range(8):
        assert sign_in(client).status_code == 302
        client.post("/logout")
    assert sign_in(client, password="sai").status_code == 401  # the fifth failure is still allowed
    assert sign_in(client).status_code == 429


def test_every_answer_costs_one_password_hash(seeded, monkeypatch):
    # Unknown, wrong, inactive and throttled attempts do the same work, so timing reveals nothing.
    from tracker.auth import models, services
    calls = []
    for module in (models, services):
        real = module.check_password_hash
        monkeypatch.setattr(module, "check_password_hash", lambda *a, real=real: calls.append(1) or real(*a))
    with seeded.app_context():
        db.session.scalar(sa.select(User).where(User.email == "noivu@test.vn")).active = False
        db.session.commit()
        for email, password in [("nobody@test.vn", "x"), ("khdt@test.vn", "x"), ("noivu@test.vn", PASSWORD)] * 2 \
                + [("khdt@test.vn", "x")] * 4:
            calls.clear()
            outcome = authenticate(email, password, "10.0.0.1")
            assert outcome.user is None and len(calls) == 1


def test_counters_are_shared_by_workers(seeded):
    # A second app on the same database stands for another gunicorn worker.
    other = another_app(seeded)
    for app in (seeded, other, seeded, other, seeded):
        with app.app_context():
            assert authenticate("khdt@test.vn", "sai", "10.0.0.1").retry_at is None
    with other.app_context():
        outcome = authenticate("khdt@test.vn", PASSWORD, "10.0.0.1")
        assert outcome.user is None and outcome.retry_at is not None


def test_throttle_ends_with_its_window(seeded):
    with seeded.app_context():
        for _ in range(5):
            authenticate("khdt@test.vn", "sai", "10.0.0.1")
        assert authenticate("khdt@test.vn", PASSWORD, "10.0.0.1").user is None
        with time_machine.travel(utcnow() + timedelta(minutes=16)):
            assert authenticate("khdt@test.vn", PASSWORD, "10.0.0.1").user is not None


def test_forty_parallel_sign_ins_check_exactly_five_passwords(seeded, monkeypatch):
    # Forty browsers post the form at the same moment to a threaded HTTP server.
    import urllib.error
    import urllib.parse
    import urllib.request

    from werkzeug.serving import make_server

    checked, lock = [], threading.Lock()
    real = User.check_password

    def counting(user, password):
        with lock:
            checked.append(password)
        return real(user, password)

    monkeypatch.setattr(User, "check_password", counting)
    server = make_server("127.0.0.1", 0, seeded, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_port}/login"
    start = threading.Barrier(40)
    codes = []

    def attempt(n):
        body = urllib.parse.urlencode({"email": "khdt@test.vn", "password": f"sai-{n}"}).encode()
        start.wait()
        try:
            urllib.request.urlopen(url, data=body, timeout=30)
        except urllib.error.HTTPError as error:
            codes.append(error.code)

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(40)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(60)
    finally:
        server.shutdown()
        server.server_close()
    assert len(checked) == 5
    assert sorted(codes) == [401] * 5 + [429] * 35


def test_a_flood_of_sign_in_requests_is_refused_in_vietnamese(seeded):
    app = another_app(seeded, LOGIN_LIMIT_REQUESTS="3 per minute")
    client = app.test_client()
    codes = [sign_in(client, f"guess{n}@test.vn", "sai").status_code for n in range(3)]
    assert codes == [401] * 3
    response = sign_in(client)
    assert response.status_code == 429 and "Quá nhiều yêu cầu" in response.get_data(as_text=True)
    assert int(response.headers["Retry-After"]) <= 60


def test_expired_counters_are_cleared_by_the_nightly_job(seeded):
    from tracker.auth.models import RateLimitCounter
    from tracker.maintenance import forget_expired_counters
    with seeded.app_context():
        authenticate("khdt@test.vn", "sai", "10.0.0.1")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(RateLimitCounter)) == 3
        assert forget_expired_counters(time.time()) == 0
        assert forget_expired_counters(time.time() + 3601) == 3


def test_inactive_account_cannot_sign_in(seeded, auth):
    with seeded.app_context():
        db.session.scalar(sa.select(User).where(User.email == "khdt@test.vn")).active = False
        db.session.commit()
    assert auth.login("khdt@test.vn").status_code == 401


@pytest.mark.parametrize(("target", "expected"), [
    ("/tasks/II.1", "/tasks/II.1"),
    ("/?section=IV", "/?section=IV"),
    ("https://evil.example/", None),
    ("//evil.example/", None),
    ("/\\evil.example", None),
    ("javascript:alert(1)", None),
    ("tasks", None),
    ("", None),
])
def test_next_must_stay_on_this_site(target, expected):
    assert safe_next(target) == expected


def test_login_follows_a_safe_next_only(seeded, client):
    data = {"email": "khdt@test.vn", "password": PASSWORD}
    assert client.post("/login", data={**data, "next": "/tasks/IV.4"}).headers["Location"] == "/tasks/IV.4"
    client.post("/logout")
    assert client.post("/login", data={**data, "next": "https://evil.example/"}).headers["Location"] == "/my"


@pytest.mark.parametrize(("email", "home"), [("vpdp@test.vn", "/dashboard"), ("lanhdao@test.vn", "/dashboard"),
                                             ("dinhlap@test.vn", "/my")])
def test_each_kind_of_user_lands_on_its_home(seeded, auth, email, home):
    assert auth.login(email).headers["Location"] == home


def test_session_cookie_is_secure_httponly_samesite_by_default(tmp_path):
    app = make_app(tmp_path, SESSION_COOKIE_SECURE=True)
    assert app.config["SESSION_COOKIE_SECURE"] and app.config["REMEMBER_COOKIE_SECURE"]
    from tracker import create_app
    production = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}"})
    assert production.config["SESSION_COOKIE_SECURE"] is True
    assert production.config["SESSION_COOKIE_HTTPONLY"] is True
    assert production.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_login_sets_a_hardened_cookie(seeded, client):
    seeded.config["SESSION_COOKIE_SECURE"] = True
    response = client.post("/login", data={"email": "khdt@test.vn", "password": PASSWORD},
                           base_url="https://localhost")
    cookie = response.headers["Set-Cookie"]
    assert "Secure" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_passwords_are_hashed_with_scrypt_by_default(tmp_path):
    from tracker import create_app
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite'}"})
    with app.app_context():
        user = User(email="x@test.vn", role="officer", agency_id=1)
        user.set_password("mot-mat-khau-dai")
        assert user.password_hash.startswith("scrypt:") and "mot-mat-khau-dai" not in user.password_hash
        assert user.check_password("mot-mat-khau-dai") and not user.check_password("khac")


def test_create_user_command_takes_an_alias(seeded, runner):
    result = runner.invoke(args=["create-user", "new@test.vn", "--agency", "Sở KH&ĐT", "--role", "officer",
                                 "--password", "mat-khau-moi-123"])
    assert result.exit_code == 0, result.output
    assert "Sở Kế hoạch và Đầu tư" in result.output
    generated = runner.invoke(args=["create-user", "gen@test.vn", "--agency", "VPĐP tỉnh", "--role", "office"])
    assert "Mật khẩu: " in generated.output


@pytest.mark.parametrize(("args", "message"), [
    (["--agency", "Sở Không Có", "--role", "officer"], "Không có cơ quan"),
    (["--agency", "UBND các huyện", "--role", "officer"], "là một nhóm cơ quan"),
])
def test_create_user_command_refuses_bad_agency(seeded, runner, args, message):
    result = runner.invoke(args=["create-user", "x@test.vn", *args])
    assert result.exit_code != 0 and message in result.output
    with seeded.app_context():
        assert db.session.scalar(sa.select(User).where(User.email == "x@test.vn")) is None


def test_create_token_command_prints_a_working_token(seeded, runner, client):
    token = runner.invoke(args=["create-token", "khdt@test.vn"]).output.strip()
    assert token.startswith("trk_")
    response = client.get("/api/v1/tasks/II.1", headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200
    with seeded.app_context():
        stored = db.session.scalar(sa.select(ApiToken))
        assert token not in (stored.token_hash, stored.prefix)  # only a hash is kept


def test_demo_users_only_in_the_demo(seeded, runner):
    refused = runner.invoke(args=["demo-users"])
    assert refused.exit_code != 0 and "TRACKER_DEMO" in refused.output
    seeded.config["DEMO"] = True
    created = runner.invoke(args=["demo-users"])
    assert created.exit_code == 0 and "vpdp@demo.local" in created.output


def test_tokens_are_created_and_revoked_in_the_profile(seeded, client, auth):
    auth.login("khdt@test.vn")
    page = client.post("/profile/tokens", data={"name": "báo cáo"}).get_data(as_text=True)
    token = page.split('<code class="token">')[1].split("</code>")[0]
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/agencies", headers=headers).status_code == 200
    with seeded.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    client.post(f"/profile/tokens/{token_id}/revoke")
    assert client.get("/api/v1/agencies", headers=headers).status_code == 401


def test_someone_elses_token_cannot_be_revoked(seeded, client, auth, runner):
    runner.invoke(args=["create-token", "dinhlap@test.vn"])
    auth.login("khdt@test.vn")
    with seeded.app_context():
        token_id = db.session.scalar(sa.select(ApiToken.id))
    assert client.post(f"/profile/tokens/{token_id}/revoke").status_code == 404
    with seeded.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None


def test_change_password(seeded, client, auth):
    auth.login("khdt@test.vn")
    bad = client.post("/profile/password", data={"current": "sai", "new": "mat-khau-moi-dai", "confirm": "mat-khau-moi-dai"})
    assert bad.status_code == 400 and "Mật khẩu hiện tại không đúng." in bad.get_data(as_text=True)
    ok = client.post("/profile/password", data={"current": PASSWORD, "new": "mat-khau-moi-dai", "confirm": "mat-khau-moi-dai"})
    assert ok.status_code == 302
    auth.logout()
    assert auth.login("khdt@test.vn", "mat-khau-moi-dai").status_code == 302


def test_office_creates_and_edits_accounts(seeded, client, auth):
    auth.login("vpdp@test.vn")
    created = client.post("/admin/users", data={"email": "caoloc@test.vn", "name": "Cán bộ Cao Lộc",
                                                "agency": "Cao Lộc", "role": "officer",
                                                "password": "mat-khau-cao-loc", "active": "y"})
    assert created.status_code == 302
    with seeded.app_context():
        user = db.session.scalar(sa.select(User).where(User.email == "caoloc@test.vn"))
        assert user.agency.name == "UBND huyện Cao Lộc" and user.role == "officer"
        user_id = user.id
    edited = client.post(f"/admin/users/{user_id}", data={"email": "caoloc@test.vn", "agency": "Lộc Bình",
                                                           "role": "leader", "active": ""})
    assert edited.status_code == 302
    with seeded.app_context():
        user = db.session.get(User, user_id)
        assert (user.agency.name, user.role, user.active) == ("UBND huyện Lộc Bình", "leader", False)


@pytest.mark.parametrize(("data", "message"), [
    ({"email": "khdt@test.vn", "agency": "Sở Nội vụ", "role": "officer", "password": "mat-khau-dai-du"}, "Đã có tài khoản"),
    ({"email": "new@test.vn", "agency": "Sở Ma", "role": "officer", "password": "mat-khau-dai-du"}, "Không có cơ quan"),
    ({"email": "not-an-email", "agency": "Sở Nội vụ", "role": "officer", "password": "mat-khau-dai-du"}, "không hợp lệ"),
    ({"email": "new@test.vn", "agency": "Sở Nội vụ", "role": "officer", "password": "ngan"}, "ít nhất 10"),
    ({"email": "new@test.vn", "agency": "Sở Nội vụ", "role": "king", "password": "mat-khau-dai-du"}, "Lựa chọn không hợp lệ"),
])
def test_bad_account_form_gets_a_message_and_changes_nothing(seeded, client, auth, data, message):
    auth.login("vpdp@test.vn")
    with seeded.app_context():
        before = db.session.scalar(sa.select(sa.func.count(User.id)))
    response = client.post("/admin/users", data=data)
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count(User.id))) == before


def test_office_cannot_demote_itself(seeded, client, auth):
    auth.login("vpdp@test.vn")
    with seeded.app_context():
        me = db.session.scalar(sa.select(User).where(User.email == "vpdp@test.vn")).id
    response = client.post(f"/admin/users/{me}", data={"email": "vpdp@test.vn", "agency": "VPĐP tỉnh",
                                                        "role": "leader", "active": "y"})
    assert response.status_code == 400
    with seeded.app_context():
        assert db.session.get(User, me).role == "office"


def test_the_app_refuses_to_start_with_a_forgeable_secret_key(monkeypatch, tmp_path):
    from tracker import create_app
    from tracker.config import ConfigurationError

    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path / 'p.sqlite'}")
    monkeypatch.delenv("TRACKER_DEMO", raising=False)
    for key in (None, "dev-only-change-me", "short-key"):
        if key is None:
            monkeypatch.delenv("TRACKER_SECRET_KEY", raising=False)
        else:
            monkeypatch.setenv("TRACKER_SECRET_KEY", key)
        with pytest.raises(ConfigurationError):
            create_app()
    monkeypatch.setenv("TRACKER_SECRET_KEY", "k" * 40)
    assert create_app().config["SECRET_KEY"] == "k" * 40
    monkeypatch.delenv("TRACKER_SECRET_KEY")
    monkeypatch.setenv("TRACKER_DEMO", "true")
    assert create_app().config["DEMO"] is True  # the demo of make run runs with the development key
