"""Signing out and changing a password end every session of the account, copied cookies included."""
from conftest import PASSWORD
from helpers import issue_token


def _signed_in(app):
    client = app.test_client()
    assert client.post("/login", data={"email": "khdt@test.vn", "password": PASSWORD}).status_code == 302
    return client


def _session_cookie(client):
    return client.get_cookie("session").value


def test_a_cookie_saved_before_sign_out_no_longer_works(seeded):
    client = _signed_in(seeded)
    saved = _session_cookie(client)
    assert client.get("/").status_code == 200
    client.post("/logout")
    thief = seeded.test_client()
    thief.set_cookie("session", saved)
    response = thief.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_new_password_ends_the_other_sessions_and_may_revoke_tokens(seeded):
    here, elsewhere = _signed_in(seeded), _signed_in(seeded)
    token = issue_token(seeded, "khdt@test.vn")
    response = here.post("/profile/password", data={"current": PASSWORD, "new": "mat-khau-moi-dai-du",
                                                    "confirm": "mat-khau-moi-dai-du"})
    assert response.status_code == 302
    assert here.get("/").status_code == 200  # the browser that changed it stays signed in
    assert elsewhere.get("/").status_code == 302
    api = seeded.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 200  # tokens live on unless asked
    here.post("/profile/password", data={"current": "mat-khau-moi-dai-du", "new": "mat-khau-thu-ba-dai-du",
                                         "confirm": "mat-khau-thu-ba-dai-du", "revoke_tokens": "y"})
    api = seeded.test_client().get("/api/v1/tasks", headers={"Authorization": f"Bearer {token}"})
    assert api.status_code == 401


def test_a_forged_session_id_is_refused(seeded):
    for forged in ("1", "1.x", "١.١", "9" * 40 + ".1"):
        client = seeded.test_client()
        with client.session_transaction() as session:
            session["_user_id"] = forged
        assert client.get("/").status_code == 302, forged


def test_a_form_posted_after_the_session_ended_keeps_what_was_typed(seeded):
    from helpers import line_id

    client = _signed_in(seeded)
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    other = _signed_in(seeded)
    other.post("/logout")  # ends every session of the account, this one too
    response = client.post(f"/tasks/II.1/lines/{lid}", headers={"Referer": "http://localhost/tasks/II.1"},
                           data={f"line{lid}-status": "in_progress", f"line{lid}-progress": "40",
                                 f"line{lid}-note": "Đã trình UBND tỉnh dự thảo phân bổ vốn", f"line{lid}-version": "1"})
    assert response.status_code == 401
    page = response.get_data(as_text=True)
    assert "Phiên đăng nhập đã kết thúc" in page and "Đã trình UBND tỉnh dự thảo phân bổ vốn" in page
    assert "/login?next=/tasks/II.1" in page
