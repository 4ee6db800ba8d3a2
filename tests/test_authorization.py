"""What the route table (test_routes.py) does not say: bad tokens, forms shown by role, a coordinating body,
a line of another task."""
import pytest
import sqlalchemy as sa

from helpers import line_id
from tracker.extensions import db
from tracker.progress.models import Comment, StatusLine

@pytest.fixture
def ids(seeded):
    return {"line": line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")}


def test_a_coordinating_body_comments_but_does_not_update_the_line(seeded, client, auth, ids):
    # Đình Lập coordinates II.1 through "BCĐ cấp huyện, xã": it may comment; the line is Sở KH&ĐT's.
    auth.login("dinhlap@test.vn")
    assert client.post("/tasks/II.1/comments", data={"body": "Ý kiến của huyện"}).status_code == 302
    lid = ids["line"]
    refused = client.post(f"/tasks/II.1/lines/{lid}", data={
        f"line{lid}-status": "in_progress", f"line{lid}-progress": "10", f"line{lid}-version": "1"})
    assert refused.status_code == 403
    with seeded.app_context():
        assert db.session.get(StatusLine, lid).version == 1
        assert [c.body for c in db.session.scalars(sa.select(Comment))] == ["Ý kiến của huyện"]


def test_api_write_needs_a_token_even_with_a_session(seeded, client, auth):
    auth.login("khdt@test.vn")
    response = client.post("/api/v1/tasks/II.1/updates", json={
        "agency": "Sở KH&ĐT", "status": "in_progress", "progress": 10, "note": "", "version": 1})
    assert response.status_code == 401


@pytest.mark.parametrize("header", ["Bearer nope", "Basic abc", "Bearer ", "Token x"])
def test_api_refuses_bad_tokens(seeded, client, header):
    assert client.get("/api/v1/tasks", headers={"Authorization": header}).status_code == 401


def test_officer_sees_all_tasks_but_gets_forms_only_for_own_lines(seeded, client, auth):
    auth.login("noivu@test.vn")
    page = client.get("/tasks/II.1").get_data(as_text=True)
    assert "Sở Kế hoạch và Đầu tư" in page and "Cập nhật tiến độ" not in page and "Gửi ý kiến" not in page
    own = client.get("/tasks/X.1").get_data(as_text=True)  # Nội vụ directs X.1 (lead): may comment, no line
    assert "Gửi ý kiến" in own and "Cập nhật tiến độ" not in own
    assert "Cập nhật tiến độ của Sở Nội vụ" in client.get("/tasks/XII.1").get_data(as_text=True)


def test_leader_reads_everything_and_sees_no_forms(seeded, client, auth):
    auth.login("lanhdao@test.vn")
    page = client.get("/tasks/II.1").get_data(as_text=True)
    assert "Cập nhật tiến độ" not in page and "Gửi ý kiến" not in page and "Đổi hạn" not in page
    assert client.get("/admin/users").status_code == 403


def test_line_of_another_task_is_404(seeded, client, auth, ids):
    auth.login("khdt@test.vn")
    lid = ids["line"]
    response = client.post(f"/tasks/IV.4/lines/{lid}", data={f"line{lid}-status": "done"})
    assert response.status_code == 404
