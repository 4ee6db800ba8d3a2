"""With CSRF on (as in production), every form refuses a post without its token and changes nothing."""
import re

import pytest

from conftest import PASSWORD, another_app
from route_context import LEADER, OFFICE, build_context, changed_tables, snapshot
from test_routes import TABLE, allowed_role


@pytest.fixture
def csrf_app(seeded, tmp_path):
    """The seeded database served by an app with CSRF protection on."""
    app = another_app(seeded, WTF_CSRF_ENABLED=True)
    return app


def _csrf_token(client, path):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _login(client, email="vpdp@test.vn"):
    token = _csrf_token(client, "/login")
    response = client.post("/login", data={"email": email, "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_login_needs_the_token(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "vpdp@test.vn", "password": PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


# Every form of the route table (the API takes a bearer token, not a cookie: no CSRF there), posted as the role
# it is meant for.
PAGE_POSTS = [row for row in TABLE if row.method == "POST" and not row.endpoint.startswith("api.")]


@pytest.mark.parametrize("row", PAGE_POSTS, ids=[row.endpoint for row in PAGE_POSTS])
def test_forms_refuse_posts_without_the_token(csrf_app, row):
    client = csrf_app.test_client()
    context = build_context(csrf_app)
    role = allowed_role(row)
    if role != "anonymous":
        _login(client, {"own": row.own, "other": row.other, "leader": LEADER, "office": OFFICE}[role])
    before = snapshot(csrf_app)
    response = client.post(context.url(row.endpoint, **row.values(context)), data=row.data(context))
    assert response.status_code == 400
    # The sign-in limiter counts every attempt, refused or not.
    assert [name for name in changed_tables(before, snapshot(csrf_app)) if name != "rate_limit"] == []


def test_logout_needs_the_token(csrf_app):
    client = csrf_app.test_client()
    _login(client)
    assert client.post("/logout").status_code == 400
    assert client.get("/profile").status_code == 200


def test_form_with_the_token_goes_through(csrf_app):
    client = csrf_app.test_client()
    _login(client)
    token = _csrf_token(client, "/tasks/II.1")
    response = client.post("/tasks/II.1/comments", data={"body": "Có token", "csrf_token": token})
    assert response.status_code == 302


def test_a_form_refused_for_its_token_shows_back_what_was_typed(csrf_app):
    client = csrf_app.test_client()
    _login(client)
    response = client.post("/tasks/II.1/comments", data={"body": "Ý kiến dài đã gõ mất mười phút", "csrf_token": "hết hạn"},
                           headers={"Referer": "http://localhost/tasks/II.1"})
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Biểu mẫu đã hết hạn" in page and "Ý kiến dài đã gõ mất mười phút" in page
