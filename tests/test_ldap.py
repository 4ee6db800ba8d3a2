"""Sign-in with the province's directory, against a real OpenLDAP (Debian's slapd, tests/ldapserver.py): accounts made
and kept up to date from it, roles from its groups, unknown agencies asked of the office, refusals, a directory that is
down, TLS, and local accounts beside it."""
from __future__ import annotations

import logging
import os

import pytest
import sqlalchemy as sa

import ldapserver
from conftest import PASSWORD as LOCAL_PASSWORD
from helpers import bearer, user_of
from ldapserver import LEADER_GROUP, OFFICE_GROUP, PASSWORD, LdapServer, dn_of, free_port
from tracker import create_app
from tracker.audit import AuditEvent
from tracker.auth import ldap
from tracker.auth.models import AccessRequest, User
from tracker.config import ConfigurationError, flag
from tracker.extensions import db

WRONG = "Tên đăng nhập hoặc mật khẩu không đúng."
DOWN = "Không kết nối được danh bạ của tỉnh"


@pytest.fixture(scope="session")
def ldap_server(tmp_path_factory):
    """One slapd for the run, loaded with the test directory; stopped by its PID at the end."""
    if not ldapserver.available():
        if os.environ.get("CI"):
            pytest.fail("Debian's slapd is missing: .ci/run installs it")
        pytest.skip("Debian's slapd is not installed (apt-get install slapd; .ci/run installs it)")
    server = LdapServer(tmp_path_factory.mktemp("slapd"))
    server.prepare()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def directory(seeded, ldap_server):
    """The seeded app signing in with the test directory; the directory put back as loaded after the test."""
    seeded.config.update(ldap_server.config())
    yield ldap_server
    if not ldap_server.running:
        ldap_server.start()
    ldap_server.reset()


def sign_in(client, login, password=PASSWORD, address="10.0.0.1"):
    return client.post("/login", data={"email": login, "password": password}, environ_base={"REMOTE_ADDR": address})


def account(app, dn: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.directory == "ldap", User.directory_id == dn))
        if user is not None:
            db.session.expunge(user)
            return user
    return None


def details(app, dn: str) -> dict | None:
    with app.app_context():
        user = db.session.scalar(sa.select(User).where(User.directory_id == dn))
        return None if user is None else {"id": user.id, "email": user.email, "name": user.name, "role": user.role,
                                          "agency": user.agency.name, "directory": user.directory,
                                          "password_hash": user.password_hash}


def test_a_directory_officer_signs_in_and_lands_on_their_agencys_work(directory, client):
    response = sign_in(client, "nguyenvana")
    assert response.status_code == 302 and response.headers["Location"] == "/my"
    made = details(client.application, dn_of("nguyenvana"))
    assert made == {"id": made["id"], "email": "nguyenvana@langson.gov.vn", "name": "Nguyễn Văn A", "role": "officer",
                    "agency": "Sở Nông nghiệp và Phát triển nông thôn", "directory": "ldap", "password_hash": ""}
    page = client.get("/my")
    assert page.status_code == 200
    assert "Sở Nông nghiệp và Phát triển nông thôn" in page.get_data(as_text=True)


def test_the_directory_is_asked_by_e_mail_too_and_its_aliases_name_the_agency(directory, client):
    response = sign_in(client, "TranThiB@LangSon.gov.vn")
    assert response.status_code == 302
    assert details(client.application, dn_of("tranthib"))["agency"] == "Sở Kế hoạch và Đầu tư"  # "Sở KH&ĐT"


def test_the_account_follows_the_directory_at_each_sign_in(directory, client):
    assert sign_in(client, "vuthig").status_code == 302
    first = details(client.application, dn_of("vuthig"))
    assert first["agency"] == "UBND huyện Đình Lập" and first["role"] == "officer"
    client.post("/logout")
    directory.set_attribute("vuthig", "ou", ["Huyện Cao Lộc"])
    directory.set_attribute("vuthig", "displayName", ["Vũ Thị Giang"])
    directory.set_members(LEADER_GROUP, ["lythid", "vuthig"])
    response = sign_in(client, "vuthig")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"  # a leader now
    second = details(client.application, dn_of("vuthig"))
    assert second == {**first, "agency": "UBND huyện Cao Lộc", "name": "Vũ Thị Giang", "role": "leader"}
    client.post("/logout")
    assert sign_in(client, "vuthig").status_code == 302  # nothing changed in the directory: nothing recorded
    with client.application.app_context():
        # The administrative record keeps the account made and the change of agency, name and role.
        events = db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == "auth.sign_in_from_directory")
                                    .order_by(AuditEvent.id)).all()
        assert len(events) == 2 and all(event.actor_id == first["id"] for event in events)
        [change] = [c for c in events[1].changes if c["table"] == "user"]
        assert change["after"]["role"] == "leader" and change["before"]["role"] == "officer"


def test_the_groups_give_the_roles(directory, client):
    assert sign_in(client, "lythid").status_code == 302
    assert details(client.application, dn_of("lythid"))["role"] == "leader"
    client.post("/logout")
    # The office's group wins over the leaders'.
    directory.set_members(LEADER_GROUP, ["lythid", "hoangvanc"])
    assert sign_in(client, "hoangvanc").status_code == 302
    assert details(client.application, dn_of("hoangvanc"))["role"] == "office"


def test_a_member_of_the_office_group_administers_accounts(directory, client):
    response = sign_in(client, "hoangvanc")
    assert response.status_code == 302 and response.headers["Location"] == "/dashboard"
    assert details(client.application, dn_of("hoangvanc"))["agency"] == (
        "Văn phòng Điều phối Chương trình xây dựng NTM tỉnh")
    assert client.get("/admin/users").status_code == 200
    response = client.post("/admin/users", data={"email": "canbo@soyte.test.vn", "agency": "Sở Y tế",
                                                 "role": "officer", "password": "mat-khau-dai-du", "active": "y"})
    assert response.status_code == 302
    with client.application.app_context():
        assert user_of("canbo@soyte.test.vn").agency.name == "Sở Y tế"


def test_taken_out_of_the_office_group_the_next_sign_in_takes_the_rights_away(directory, client):
    assert sign_in(client, "hoangvanc").status_code == 302
    client.post("/logout")
    directory.set_members(OFFICE_GROUP, [])
    assert sign_in(client, "hoangvanc").status_code == 302
    assert details(client.application, dn_of("hoangvanc"))["role"] == "officer"
    assert client.get("/admin/users").status_code == 403


def test_a_wrong_password_is_refused_and_counts_against_the_budgets(directory, client):
    for _ in range(5):
        response = sign_in(client, "nguyenvana", "sai-mat-khau")
        assert response.status_code == 401 and WRONG in response.get_data(as_text=True)
    assert account(client.application, dn_of("nguyenvana")) is None
    # The sixth try from this address, right password or not, waits like a password's.
    response = sign_in(client, "nguyenvana")
    assert response.status_code == 429
    assert client.get("/profile").status_code == 302
    assert sign_in(client, "nguyenvana", address="10.0.0.2").status_code == 302  # another address is not held up


def test_a_login_the_directory_does_not_know_is_refused_alike(directory, client):
    response = sign_in(client, "khongco")
    assert response.status_code == 401 and WRONG in response.get_data(as_text=True)


def test_an_empty_password_never_reaches_the_directory(directory, client):
    # An empty simple bind is an anonymous one, which the directory accepts without proving anything.
    assert sign_in(client, "nguyenvana", "").status_code == 400
    with client.application.test_request_context():
        assert ldap.authenticate("nguyenvana", "") is None
        assert ldap.authenticate("nguyenvana", PASSWORD).directory_id == dn_of("nguyenvana")


@pytest.mark.parametrize("login", ["nguyenva*", "*)(uid=*", "*", "nguyenvana)(uid=*", "\\2a"])
def test_filter_syntax_in_the_login_matches_nobody(directory, client, login):
    # Unescaped, "nguyenva*" would find Nguyễn Văn A alone, and his password would open his account.
    response = sign_in(client, login)
    assert response.status_code == 401, login
    with client.application.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.directory == "ldap")) == 0


def test_an_unknown_agency_is_refused_and_asked_of_the_office_who_answers(directory, client, auth):
    response = sign_in(client, "phamvane")
    assert response.status_code == 403
    text = response.get_data(as_text=True)
    assert "Danh bạ ghi đơn vị của bạn là «Sở Nông nghiệp và PTNT», chưa có trong hệ thống." in text
    assert account(client.application, dn_of("phamvane")) is None
    assert sign_in(client, "phamvane").status_code == 403
    with client.application.app_context():
        [asked] = db.session.scalars(sa.select(AccessRequest)).all()
        assert (asked.login, asked.email, asked.name, asked.agency_text, asked.attempts, asked.closed_at) == (
            dn_of("phamvane"), "phamvane@langson.gov.vn", "Phạm Văn E", "Sở Nông nghiệp và PTNT", 2, None)
    # The office sees it, counted on the accounts page and listed on its own.
    assert auth.login().status_code == 302
    assert "1 đang chờ" in client.get("/admin/users").get_data(as_text=True)
    page = client.get("/admin/access-requests")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Phạm Văn E" in html and "«Sở Nông nghiệp và PTNT»" in html and "phamvane@langson.gov.vn" in html
    # Answered with an agency: the directory's name becomes its alias.
    response = client.post(f"/admin/access-requests/{asked.id}",
                           data={f"r{asked.id}-agency": "Sở Nông nghiệp và Phát triển nông thôn",
                                 f"r{asked.id}-decision": "alias"})
    assert response.status_code == 302
    assert "Không có yêu cầu nào đang chờ." in client.get("/admin/access-requests").get_data(as_text=True)
    auth.logout()
    response = sign_in(client, "phamvane")
    assert response.status_code == 302 and response.headers["Location"] == "/my"
    assert details(client.application, dn_of("phamvane"))["agency"] == "Sở Nông nghiệp và Phát triển nông thôn"


def test_answering_needs_an_agency_and_a_dismissed_request_opens_again_when_asked_again(directory, client, auth):
    assert sign_in(client, "phamvane").status_code == 403
    with client.application.app_context():
        asked_id = db.session.scalar(sa.select(AccessRequest.id))
    assert auth.login().status_code == 302
    response = client.post(f"/admin/access-requests/{asked_id}", data={f"r{asked_id}-decision": "alias"})
    assert response.status_code == 400
    assert "Chọn cơ quan mà danh bạ gọi bằng tên này." in response.get_data(as_text=True)
    response = client.post(f"/admin/access-requests/{asked_id}",
                           data={f"r{asked_id}-agency": "Sở NN&PTNT", f"r{asked_id}-decision": "dismiss"})
    assert response.status_code == 302
    with client.application.app_context():
        assert db.session.get(AccessRequest, asked_id).closed_at is not None
    # Answered already: said so, nothing changed.
    response = client.post(f"/admin/access-requests/{asked_id}", data={f"r{asked_id}-decision": "dismiss"},
                           follow_redirects=True)
    assert "Yêu cầu này đã được trả lời." in response.get_data(as_text=True)
    auth.logout()
    assert sign_in(client, "phamvane").status_code == 403
    with client.application.app_context():
        asked = db.session.get(AccessRequest, asked_id)
        assert asked.closed_at is None and asked.attempts == 2


def test_the_api_lists_and_answers_the_requests_as_the_page_does(directory, client):
    assert sign_in(client, "phamvane").status_code == 403
    office, officer = bearer(client.application, "vpdp@test.vn"), bearer(client.application, "khdt@test.vn")
    assert client.get("/api/v1/access-requests", headers=officer).status_code == 403
    listing = client.get("/api/v1/access-requests", headers=office).get_json()
    [item] = listing["items"]
    assert (item["login"], item["agency_text"], item["role"], item["attempts"], item["closed_at"]) == (
        dn_of("phamvane"), "Sở Nông nghiệp và PTNT", "officer", 1, None)
    url = f"/api/v1/access-requests/{item['id']}"
    response = client.post(url, json={"decision": "alias"}, headers=office)
    assert response.status_code == 400 and "agency" in response.get_json()["errors"]
    response = client.post(url, json={"decision": "alias", "agency": "Sở NN&PTNT"}, headers=office)
    assert response.status_code == 200 and response.get_json()["closed_at"] is not None
    assert client.post(url, json={"decision": "dismiss"}, headers=office).status_code == 409
    assert client.get("/api/v1/access-requests", headers=office).get_json()["items"] == []
    response = sign_in(client, "phamvane")
    assert response.status_code == 302
    assert details(client.application, dn_of("phamvane"))["agency"] == "Sở Nông nghiệp và Phát triển nông thôn"


def test_only_the_office_sees_the_requests(directory, client, auth):
    assert sign_in(client, "phamvane").status_code == 403
    assert sign_in(client, "nguyenvana").status_code == 302  # an officer of the directory
    assert client.get("/admin/access-requests").status_code == 403


def test_a_directory_that_is_down_gets_a_clear_message_and_local_accounts_still_sign_in(directory, client):
    directory.stop()
    response = sign_in(client, "nguyenvana")
    assert response.status_code == 503
    assert DOWN in response.get_data(as_text=True)
    assert sign_in(client, "khdt@test.vn", LOCAL_PASSWORD).status_code == 302  # a local account never asks it
    client.post("/logout")
    # Nothing was checked, so nothing counted: six tries while it was down hold nobody up once it is back.
    for _ in range(5):
        assert sign_in(client, "nguyenvana").status_code == 503
    directory.start()
    assert sign_in(client, "nguyenvana").status_code == 302


def test_a_directory_at_the_wrong_port_or_refusing_the_service_account_is_unavailable(directory, client, caplog):
    client.application.config["LDAP_URL"] = f"ldap://127.0.0.1:{free_port()}"
    with caplog.at_level(logging.ERROR, logger="tracker.auth.ldap"):
        response = sign_in(client, "nguyenvana")
    assert response.status_code == 503 and DOWN in response.get_data(as_text=True)
    assert "LDAPSocketOpenError" in caplog.text
    caplog.clear()
    client.application.config.update(LDAP_URL=directory.url, LDAP_BIND_PASSWORD="mat-khau-cu")
    with caplog.at_level(logging.ERROR, logger="tracker.auth.ldap"):
        response = sign_in(client, "nguyenvana")
    assert response.status_code == 503
    assert "the service account" in caplog.text and "invalidCredentials" in caplog.text


def test_local_accounts_keep_their_own_passwords_beside_the_directory(directory, client):
    # Đỗ Thị H is in the directory under the address of the local account taichinh@test.vn.
    assert sign_in(client, "khdt@test.vn", LOCAL_PASSWORD).status_code == 302
    client.post("/logout")
    assert sign_in(client, "taichinh@test.vn", PASSWORD).status_code == 401  # the directory's password: not here
    assert sign_in(client, "taichinh@test.vn", LOCAL_PASSWORD).status_code == 302
    client.post("/logout")
    # Signing in by the directory's login is the directory vouching: it takes the local account over.
    with client.application.app_context():
        local_id = user_of("taichinh@test.vn").id
    assert sign_in(client, "dothih").status_code == 302
    taken = details(client.application, dn_of("dothih"))
    assert (taken["id"], taken["directory"], taken["password_hash"]) == (local_id, "ldap", "")
    client.post("/logout")
    assert sign_in(client, "taichinh@test.vn", LOCAL_PASSWORD).status_code == 401
    assert sign_in(client, "taichinh@test.vn", PASSWORD).status_code == 302


def test_the_office_sets_no_password_for_an_account_of_the_directory(directory, client, auth):
    assert sign_in(client, "nguyenvana").status_code == 302
    client.post("/logout")
    user_id = details(client.application, dn_of("nguyenvana"))["id"]
    assert auth.login().status_code == 302
    listing = client.get("/admin/users").get_data(as_text=True)
    assert "Của Danh bạ LDAP" in listing
    page = client.get(f"/admin/users/{user_id}").get_data(as_text=True)
    assert "do bộ phận công nghệ thông tin của tỉnh quản lý" in page and "Gửi thư mời đặt mật khẩu" not in page
    response = client.post(f"/admin/users/{user_id}", data={
        "email": "nguyenvana@langson.gov.vn", "agency": "Sở NN&PTNT", "role": "officer", "active": "y",
        "password": "mat-khau-cua-van-phong"})
    assert response.status_code == 400
    assert "Văn phòng không đặt mật khẩu cho tài khoản này." in response.get_data(as_text=True)
    response = client.post(f"/admin/users/{user_id}/invitation", follow_redirects=True)
    assert "không có mật khẩu nào để mời đặt" in response.get_data(as_text=True)
    assert details(client.application, dn_of("nguyenvana"))["password_hash"] == ""
    # Locked by the office: the directory's password no longer opens it.
    response = client.post(f"/admin/users/{user_id}", data={
        "email": "nguyenvana@langson.gov.vn", "agency": "Sở NN&PTNT", "role": "officer"})
    assert response.status_code == 302
    auth.logout()
    response = sign_in(client, "nguyenvana")
    assert response.status_code == 403 and "Tài khoản của bạn đã bị khóa." in response.get_data(as_text=True)


def test_an_account_with_two_factor_sign_in_is_asked_for_its_code(directory, client):
    assert sign_in(client, "nguyenvana").status_code == 302
    client.post("/logout")
    with client.application.app_context():
        user = user_of("nguyenvana@langson.gov.vn")
        user.totp_secret, user.totp_enabled_at = "JBSWY3DPEHPK3PXP", user.created_at
        db.session.commit()
    response = sign_in(client, "nguyenvana")
    assert response.status_code == 302 and response.headers["Location"] == "/login/two-factor"
    assert client.get("/my").status_code == 302  # no session before the code


def test_the_login_page_asks_for_an_e_mail_or_a_login_when_the_directory_is_on(seeded, client, ldap_server):
    page = client.get("/login").get_data(as_text=True)
    assert "Thư điện tử hoặc tên đăng nhập" not in page and 'type="email"' in page
    seeded.config.update(ldap_server.config())
    page = client.get("/login").get_data(as_text=True)
    assert "Thư điện tử hoặc tên đăng nhập" in page and 'type="email"' not in page


def test_starttls_checks_the_directorys_certificate(directory, client):
    client.application.config.update(LDAP_STARTTLS=True, LDAP_CA_FILE=directory.ca_file)
    assert sign_in(client, "nguyenvana").status_code == 302
    client.post("/logout")
    # Signed by a CA the system does not trust: refused before any password is sent.
    client.application.config["LDAP_CA_FILE"] = None
    response = sign_in(client, "nguyenvana")
    assert response.status_code == 503 and DOWN in response.get_data(as_text=True)


def test_ldaps_checks_the_directorys_certificate(directory, client):
    client.application.config.update(LDAP_URL=directory.ldaps_url, LDAP_CA_FILE=directory.ca_file)
    assert sign_in(client, "nguyenvana").status_code == 302
    client.post("/logout")
    client.application.config["LDAP_CA_FILE"] = None
    assert sign_in(client, "nguyenvana").status_code == 503


def test_the_configuration_comes_from_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("TRACKER_DATABASE_URL", f"sqlite:///{tmp_path}/env.sqlite")
    monkeypatch.setenv("TRACKER_LDAP_URL", "ldap://ldap.langson.gov.vn")
    monkeypatch.setenv("TRACKER_LDAP_STARTTLS", "true")
    monkeypatch.setenv("TRACKER_LDAP_BIND_DN", "cn=tracker,ou=services,dc=langson,dc=gov,dc=vn")
    monkeypatch.setenv("TRACKER_LDAP_BIND_PASSWORD", "123456")  # digits: JSON would make it a number
    monkeypatch.setenv("TRACKER_LDAP_USER_BASE", "ou=people,dc=langson,dc=gov,dc=vn")
    monkeypatch.setenv("TRACKER_LDAP_USER_FILTER", "(mail={login})")
    monkeypatch.setenv("TRACKER_LDAP_AGENCY_ATTRIBUTE", "departmentNumber")
    monkeypatch.setenv("TRACKER_LDAP_OFFICE_GROUP", "cn=vpdp,ou=groups,dc=langson,dc=gov,dc=vn")
    monkeypatch.setenv("TRACKER_LDAP_LEADER_GROUP", "cn=lanhdao,ou=groups,dc=langson,dc=gov,dc=vn")
    config = create_app().config
    assert flag(config["LDAP_STARTTLS"]) is True and config["LDAP_BIND_PASSWORD"] == "123456"
    assert config["LDAP_USER_FILTER"] == "(mail={login})" and config["LDAP_AGENCY_ATTRIBUTE"] == "departmentNumber"
    assert config["LDAP_OFFICE_GROUP"].startswith("cn=vpdp") and config["LDAP_LEADER_GROUP"].startswith("cn=lanhdao")
    with create_app().test_request_context():
        assert ldap.configured()


@pytest.mark.parametrize("value, expected", [(True, True), ("true", True), ("True", True), ("1", True), ("yes", True),
                                             (False, False), ("false", False), ("False", False), ("0", False),
                                             ("", False), (None, False), (0, False)])
def test_a_yes_or_no_setting_reads_as_people_write_it(value, expected):
    assert flag(value) is expected


@pytest.mark.parametrize("config, message", [
    ({"LDAP_URL": "http://ldap.langson.gov.vn"}, "give ldap://"),
    ({"LDAP_URL": "ldaps://ldap.langson.gov.vn", "LDAP_STARTTLS": True}, "ldap:// only"),
    ({"LDAP_URL": "ldap://ldap.langson.gov.vn"}, "TRACKER_LDAP_USER_BASE"),
    ({"LDAP_URL": "ldap://ldap.langson.gov.vn", "LDAP_USER_BASE": "ou=people", "LDAP_USER_FILTER": "(mail=x)"},
     "{login}"),
])
def test_a_directory_half_configured_stops_the_app_at_start(tmp_path, config, message):
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace("{", r"\{")):
        create_app({"TESTING": True, "SECRET_KEY": "test", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite",
                    **config})
