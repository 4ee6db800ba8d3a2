"""The accounts API as a client sees it: who I am, my language, tokens and calendar address; the office's accounts
and invitations. Every answer is checked against the OpenAPI document by the test client."""
from __future__ import annotations

import sqlalchemy as sa

from conftest import PASSWORD
from helpers import bearer, user_of
from tracker.auth.models import ApiToken
from tracker.extensions import db
from tracker.reminders.models import OutboxMessage


def test_me_says_who_the_token_acts_for(seeded, client):
    me = client.get("/api/v1/me", headers=bearer(seeded, "khdt@test.vn")).get_json()
    assert me["email"] == "khdt@test.vn" and me["role"] == "officer" and me["active"] is True
    assert me["agency"]["name"] == "Sở Kế hoạch và Đầu tư" and me["language"] is None and me["calendar"] is False
    assert "password_hash" not in me and "calendar_token_hash" not in me


def test_my_language_is_set_as_the_switch_sets_it(seeded, client):
    headers = bearer(seeded, "khdt@test.vn")
    response = client.put("/api/v1/me", json={"language": "en"}, headers=headers)
    assert response.status_code == 200 and response.get_json()["language"] == "en"
    with seeded.app_context():
        assert user_of("khdt@test.vn").language == "en"
    bad = client.put("/api/v1/me", json={"language": "fr"}, headers=headers)
    assert bad.status_code == 400 and "language" in bad.get_json()["errors"]
    # No password and no role through the API: a token cannot take over its account.
    client.put("/api/v1/me", json={"language": "vi", "role": "office", "password": "x" * 12}, headers=headers)
    with seeded.app_context():
        user = user_of("khdt@test.vn")
        assert user.role == "officer" and user.check_password(PASSWORD) and user.language == "vi"


def test_writes_need_a_token(seeded, client):
    assert client.put("/api/v1/me", json={"language": "en"}).status_code == 401
    assert client.post("/api/v1/me/tokens", json={}).status_code == 401


def test_a_token_is_shown_once_listed_without_secrets_and_revoked(seeded, client):
    headers = bearer(seeded, "khdt@test.vn")
    created = client.post("/api/v1/me/tokens", json={"name": "phần mềm báo cáo"}, headers=headers)
    assert created.status_code == 201
    token = created.get_json()
    assert token["secret"].startswith("trk_") and token["secret"].startswith(token["prefix"])
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['secret']}"}).status_code == 200
    listed = client.get("/api/v1/me/tokens?per_page=1&page=2", headers=headers)
    page = listed.get_json()
    assert page["total"] == 2 and [t["name"] for t in page["items"]] == ["phần mềm báo cáo"]
    assert 'rel="first"' in listed.headers["Link"]
    assert all("secret" not in t and "token_hash" not in t for t in page["items"])
    assert client.delete(f"/api/v1/me/tokens/{token['id']}", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {token['secret']}"}).status_code == 401
    revoked = client.get("/api/v1/me/tokens", headers=headers).get_json()["items"]
    assert [t["revoked_at"] is not None for t in revoked] == [False, True]


def test_anothers_token_is_not_found_and_stays(seeded, client):
    with seeded.app_context():
        token, _secret = ApiToken.issue(user_of("noivu@test.vn"), "của Sở Nội vụ")
        db.session.commit()
        token_id = token.id
    response = client.delete(f"/api/v1/me/tokens/{token_id}", headers=bearer(seeded, "khdt@test.vn"))
    assert response.status_code == 404 and response.mimetype == "application/problem+json"
    with seeded.app_context():
        assert db.session.get(ApiToken, token_id).revoked_at is None
    mine = client.get("/api/v1/me/tokens", headers=bearer(seeded, "khdt@test.vn")).get_json()["items"]
    assert token_id not in [t["id"] for t in mine]


def test_calendar_address_is_given_once_and_revoked(seeded, client):
    headers = bearer(seeded, "khdt@test.vn")
    created = client.post("/api/v1/me/calendar", headers=headers)
    assert created.status_code == 201
    url = created.get_json()["url"]
    assert "/calendar/cal_" in url and created.get_json()["agency_url"].startswith(url + "?agency=")
    path = url.split("localhost", 1)[1]
    assert client.get(path).status_code == 200
    assert client.get("/api/v1/me", headers=headers).get_json()["calendar"] is True
    assert client.delete("/api/v1/me/calendar", headers=headers).status_code == 204
    assert client.get(path).status_code == 404


def test_only_the_office_reads_and_changes_accounts(seeded, client):
    for email in ("khdt@test.vn", "lanhdao@test.vn"):
        headers = bearer(seeded, email)
        for method, path, body in (("GET", "/api/v1/users", None), ("GET", "/api/v1/users/1", None),
                                   ("POST", "/api/v1/users", {"email": "moi@test.vn", "agency": "Sở Y tế"}),
                                   ("PUT", "/api/v1/users/1", {"email": "moi@test.vn", "agency": "Sở Y tế"}),
                                   ("POST", "/api/v1/users/1/invitation", None)):
            response = client.open(path, method=method, json=body, headers=headers)
            assert response.status_code == 403, (email, method, path)
            assert response.get_json()["type"] == "/api/problems/forbidden"


def test_the_office_lists_accounts_paged(seeded, client):
    headers = bearer(seeded, "vpdp@test.vn")
    page = client.get("/api/v1/users?per_page=2", headers=headers).get_json()
    assert page["total"] == 6 and len(page["items"]) == 2
    assert [u["email"] for u in page["items"]] == ["dinhlap@test.vn", "khdt@test.vn"]


def test_the_office_creates_an_account_and_its_invitation(seeded, client):
    headers = bearer(seeded, "vpdp@test.vn")
    response = client.post("/api/v1/users", headers=headers, json={
        "email": "Moi@Test.vn", "agency": "Sở Y tế", "name": "Nguyễn Thị Hoa"})
    assert response.status_code == 201
    created = response.get_json()
    assert (created["email"], created["role"], created["active"]) == ("moi@test.vn", "officer", True)
    assert response.headers["Location"] == f"/api/v1/users/{created['id']}"
    assert client.get(response.headers["Location"], headers=headers).get_json() == created
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.to_address == "moi@test.vn")) == 1


def test_a_bad_account_is_refused_by_field_and_nothing_is_made(seeded, client):
    headers = bearer(seeded, "vpdp@test.vn")
    for body, field in (({"email": "khdt@test.vn", "agency": "Sở Y tế", "password": "mat-khau-dai-du"}, "email"),
                        ({"email": "moi@test.vn", "agency": "Không có"}, "agency"),
                        ({"email": "moi@test.vn", "agency": "Sở Y tế", "active": False}, "password"),
                        ({"email": "moi@test.vn", "agency": "Sở Y tế", "role": "admin"}, "role"),
                        ({"email": "moi@test.vn", "agency": "Sở Y tế", "active": "yes"}, "active"),
                        ({"email": "moi@test.vn", "agency": "Sở Y tế", "password": "ngan"}, "password"),
                        ({"agency": "Sở Y tế"}, "email")):
        response = client.post("/api/v1/users", json=body, headers=headers)
        assert response.status_code == 400 and field in response.get_json()["errors"], (body, response.get_json())
    with seeded.app_context():
        assert user_of("moi@test.vn") is None


def test_the_office_changes_an_account_keeping_what_it_leaves_out(seeded, client):
    headers = bearer(seeded, "vpdp@test.vn")
    with seeded.app_context():
        target = user_of("taichinh@test.vn")
        target_id = target.id
        target.active = False
        db.session.commit()
    response = client.put(f"/api/v1/users/{target_id}", headers=headers,
                          json={"email": "taichinh@test.vn", "agency": "Sở Tài chính", "role": "leader"})
    assert response.status_code == 200
    assert (response.get_json()["role"], response.get_json()["active"]) == ("leader", False)  # still locked
    response = client.put(f"/api/v1/users/{target_id}", headers=headers,
                          json={"email": "taichinh@test.vn", "agency": "Sở Tài chính", "active": True})
    assert (response.get_json()["role"], response.get_json()["active"]) == ("leader", True)
    assert client.get("/api/v1/users/999999", headers=headers).status_code == 404


def test_the_office_cannot_take_its_own_rights(seeded, client):
    headers = bearer(seeded, "vpdp@test.vn")
    with seeded.app_context():
        office_id = user_of("vpdp@test.vn").id
    response = client.put(f"/api/v1/users/{office_id}", headers=headers,
                          json={"email": "vpdp@test.vn", "agency": "VPĐP tỉnh", "role": "officer"})
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"role": ["Không thể tự bỏ quyền Văn phòng Điều phối của chính mình."]}


def test_an_invitation_is_queued_for_an_active_account_only(seeded, client):
    headers = bearer(seeded, "vpdp@test.vn")
    with seeded.app_context():
        target_id = user_of("taichinh@test.vn").id
    response = client.post(f"/api/v1/users/{target_id}/invitation", headers=headers)
    assert response.status_code == 202
    assert response.get_json() == {"email": "taichinh@test.vn", "valid_hours": 72}
    with seeded.app_context():
        user_of("taichinh@test.vn").active = False
        db.session.commit()
    locked = client.post(f"/api/v1/users/{target_id}/invitation", headers=headers)
    assert locked.status_code == 409 and "đang bị khóa" in locked.get_json()["detail"]
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count()).select_from(OutboxMessage)
                                 .where(OutboxMessage.to_address == "taichinh@test.vn")) == 1
