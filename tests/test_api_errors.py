"""One error contract under /api/: RFC 9457 problem details in the client's language, with the HTTP headers
each status calls for; ETag and If-Match on the line a client writes."""
import logging

import pytest

from conftest import PASSWORD, another_app
from helpers import issue_token, line_id

PROBLEM = "application/problem+json"
UPDATE = {"agency": "Sở KH&ĐT", "status": "in_progress", "progress": 10, "note": "", "version": 1}


def problem_of(response, status: int) -> dict:
    """The response's problem details, after checking it is one with this status."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == PROBLEM
    body = response.get_json()
    assert body["status"] == status and body["type"] and body["title"] and body["detail"]
    return body


def test_unknown_api_path_is_a_problem_in_vietnamese_or_english(reader):
    vietnamese = problem_of(reader.get("/api/v1/khong-co"), 404)
    assert vietnamese["detail"] == "Không tìm thấy trang hoặc dữ liệu này." and vietnamese["title"] == "Không tìm thấy"
    english = problem_of(reader.get("/api/v1/khong-co", headers={"Accept-Language": "en-GB,en;q=0.8"}), 404)
    assert english["title"] == "Not found" and "not found" in english["detail"].lower()
    assert problem_of(reader.get("/api/other"), 404)["type"] == "/api/problems/not-found"


def test_html_paths_keep_their_pages(reader):
    response = reader.get("/khong-co-trang-nay")
    assert response.status_code == 404 and response.mimetype == "text/html"
    assert reader.get("/?q=%00").mimetype == "text/html"


def test_wrong_method_is_405_with_allow(reader):
    response = reader.put("/api/v1/tasks")
    problem_of(response, 405)
    assert "GET" in response.headers["Allow"]


@pytest.mark.parametrize("header", [None, "Bearer nope", "Basic abc"])
def test_401_says_how_to_authenticate(seeded, client, header):
    response = client.get("/api/v1/tasks", headers={"Authorization": header} if header else {})
    problem_of(response, 401)
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    if header:
        assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_field_errors_are_listed_per_field_in_the_asked_language(reader):
    body = problem_of(reader.get("/api/v1/tasks?per_page=0&role=boss"), 400)
    assert body["type"] == "/api/problems/invalid-input"
    assert body["errors"]["per_page"] == ["Số dòng mỗi trang từ 1 đến 500."] and body["errors"]["role"]
    english = problem_of(reader.get("/api/v1/tasks?per_page=0", headers={"Accept-Language": "en"}), 400)
    assert english["errors"]["per_page"] == ["Rows a page from 1 to 500."]
    assert english["title"] == "Invalid input"


def test_nul_bytes_are_a_problem_under_api(reader):
    body = problem_of(reader.get("/api/v1/tasks?q=%00"), 400)
    assert "NUL" in body["detail"]


def test_bad_json_is_a_field_error(seeded, client):
    token = issue_token(seeded, "khdt@test.vn")
    response = client.post("/api/v1/tasks/II.1/updates", data="{không phải JSON", content_type="application/json",
                           headers={"Authorization": f"Bearer {token}"})
    assert problem_of(response, 400)["errors"]["body"] == ["Gửi một đối tượng JSON."]


def test_too_large_body_is_413(seeded, client):
    token = issue_token(seeded, "khdt@test.vn")
    seeded.config["MAX_CONTENT_LENGTH"] = 1000
    response = client.post("/api/v1/tasks/II.1/updates", json={**UPDATE, "note": "x" * 5000},
                           headers={"Authorization": f"Bearer {token}"})
    problem_of(response, 413)


def test_foreign_line_is_403(seeded, client):
    token = issue_token(seeded, "noivu@test.vn")
    response = client.post("/api/v1/tasks/II.1/updates", json=UPDATE, headers={"Authorization": f"Bearer {token}"})
    assert problem_of(response, 403)["type"] == "/api/problems/forbidden"


def test_rate_limit_is_429_with_retry_after(seeded):
    from tracker.auth.throttle import limiter

    @limiter.limit("1 per minute")
    def limited():
        return {"ok": True}

    app = another_app(seeded)  # a route is added before an app's first request
    app.add_url_rule("/api/v1/_limited", "limited_for_test", limited)
    client = app.test_client()
    client.post("/login", data={"email": "lanhdao@test.vn", "password": PASSWORD})
    assert client.get("/api/v1/_limited").status_code == 200
    response = client.get("/api/v1/_limited")
    problem_of(response, 429)
    assert 1 <= int(response.headers["Retry-After"]) <= 61


def test_uncaught_error_is_a_logged_500_problem(seeded, caplog, monkeypatch):
    def broken():
        raise RuntimeError("boom")

    monkeypatch.setitem(seeded.view_functions, "api.agencies", broken)  # the app is shared: put back after
    seeded.config["PROPAGATE_EXCEPTIONS"] = False
    client = seeded.test_client()
    client.post("/login", data={"email": "lanhdao@test.vn", "password": PASSWORD})
    with caplog.at_level(logging.ERROR):
        body = problem_of(client.get("/api/v1/agencies"), 500)
    assert "boom" not in body["detail"]
    assert any(record.exc_info and "boom" in str(record.exc_info[1]) for record in caplog.records)


def test_etag_and_if_match_guard_the_line(seeded, client):
    token = issue_token(seeded, "khdt@test.vn")
    auth_header = {"Authorization": f"Bearer {token}"}
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    read = client.get(f"/api/v1/lines/{lid}", headers=auth_header)
    assert read.status_code == 200 and read.get_json()["version"] == 1
    first_tag = read.headers["ETag"]

    written = client.post("/api/v1/tasks/II.1/updates", json=UPDATE, headers={**auth_header, "If-Match": first_tag})
    assert written.status_code == 201 and written.headers["ETag"] != first_tag
    assert written.headers["Location"].endswith(f"/api/v1/lines/{lid}")
    assert client.get(f"/api/v1/lines/{lid}", headers=auth_header).headers["ETag"] == written.headers["ETag"]

    # Another write on the old tag: 412, nothing changed, the newer line in the body.
    stale = client.post("/api/v1/tasks/II.1/updates", json={**UPDATE, "version": 2, "progress": 50},
                        headers={**auth_header, "If-Match": first_tag})
    body = problem_of(stale, 412)
    assert body["line"]["progress"] == 10 and body["line"]["version"] == 2
    assert stale.headers["ETag"] == written.headers["ETag"]

    # The version field keeps working alone: a stale one is a 409 with the newer line.
    conflict = client.post("/api/v1/tasks/II.1/updates", json={**UPDATE, "progress": 50}, headers=auth_header)
    body = problem_of(conflict, 409)
    assert body["type"] == "/api/problems/stale-version" and body["line"]["version"] == 2

    fresh = client.post("/api/v1/tasks/II.1/updates", json={**UPDATE, "version": 2, "progress": 60},
                        headers={**auth_header, "If-Match": written.headers["ETag"]})
    assert fresh.status_code == 201 and fresh.get_json()["progress"] == 60


def test_unknown_line_is_a_404_problem(reader):
    problem_of(reader.get("/api/v1/lines/999999"), 404)


def test_a_json_false_unticks_a_checkbox(app):
    """A checkbox reads a JSON body's false as unticked and true as ticked, as a page's form does."""
    from wtforms import BooleanField, Form

    from tracker.forms import json_formdata

    class Choice(Form):
        nudge = BooleanField()

    assert Choice(json_formdata({"nudge": False})).nudge.data is False
    assert Choice(json_formdata({"nudge": True})).nudge.data is True
    assert Choice(json_formdata({})).nudge.data is False


def test_an_empty_path_part_is_a_404_problem_not_a_redirect(seeded, client):
    response = client.get("/api/v1/tasks//assignments")
    assert response.status_code == 404 and response.content_type == "application/problem+json"


@pytest.mark.parametrize("number", ["2147483648", "4549793969", "9999999999"])
def test_an_id_no_column_can_hold_is_a_404_for_every_method(seeded, client, number):
    """Found by Schemathesis: a POST to a path that also takes GET answered 405 when the id overflowed."""
    for method in ("get", "post"):
        response = getattr(client, method)(f"/api/v1/indicators/{number}/entries", json={"quarter": 1, "value": 1})
        assert response.status_code == 404, (method, response.status_code)
        assert response.content_type == "application/problem+json"
    # The largest id a column holds still reaches the route (which asks who is calling).
    assert client.post("/api/v1/indicators/2147483647/entries", json={}).status_code == 401
