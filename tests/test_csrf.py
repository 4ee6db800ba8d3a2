"""With CSRF on (as in production), every form refuses a post without its token and changes nothing."""
import re

import pytest
import sqlalchemy as sa

from conftest import PASSWORD, another_app
from test_authorization import ENDPOINTS, state
from tracker.auth.models import User
from tracker.extensions import db
from tracker.plan.models import Agency, Assignment, Task
from tracker.progress.models import StatusLine
from tracker.reporting.models import ReportingRound


@pytest.fixture
def csrf_app(seeded, tmp_path):
    """The seeded database served by an app with CSRF protection on."""
    app = another_app(seeded, WTF_CSRF_ENABLED=True)
    return app


def _csrf_token(client, path):
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', client.get(path).get_data(as_text=True)).group(1)


def _login(client):
    token = _csrf_token(client, "/login")
    response = client.post("/login", data={"email": "vpdp@test.vn", "password": PASSWORD, "csrf_token": token})
    assert response.status_code == 302


def test_login_needs_the_token(csrf_app):
    client = csrf_app.test_client()
    response = client.post("/login", data={"email": "vpdp@test.vn", "password": PASSWORD})
    assert response.status_code == 400 and "CSRF" in response.get_data(as_text=True)
    assert client.get("/profile").status_code == 302


@pytest.mark.parametrize("endpoint", ENDPOINTS)
def test_forms_refuse_posts_without_the_token(csrf_app, endpoint):
    client = csrf_app.test_client()
    _login(client)
    with csrf_app.app_context():
        ids = {
            "line": db.session.scalar(sa.select(StatusLine.id).join(StatusLine.task).join(StatusLine.agency)
                                      .where(Task.code == "II.1", Agency.name == "Sở Kế hoạch và Đầu tư")),
            "assignment": db.session.scalar(sa.select(Assignment.id).join(Assignment.task)
                                            .where(Task.code == "II.1", Assignment.role == "coordinating")),
            "user": db.session.scalar(sa.select(User.id).where(User.email == "taichinh@test.vn")),
            "round": db.session.scalar(sa.select(ReportingRound.id).where(ReportingRound.title == "Báo cáo quý I năm 2021")),
            "submission": 1,
        }
    before = state(csrf_app)
    response = ENDPOINTS[endpoint](client, ids)
    assert response.status_code == 400
    assert state(csrf_app) == before


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
