"""Property-based fuzzing of the update form and API: whatever is sent, never a 500."""
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import line_id
from conftest import PASSWORD, reset_to_seeded
from tracker.auth.models import ApiToken, User
from tracker.extensions import db

# Examples as many as the profile gives (tests/conftest.py); each starts from a fresh copy of the seeded
# database and a fresh client, so no example sees what another one changed.
FUZZ = settings(suppress_health_check=[HealthCheck.function_scoped_fixture])


def fresh_client(app, seeded_template, email: str | None = None):
    """A new client on a clean seeded database, signed in as email when given."""
    reset_to_seeded(app, seeded_template)
    client = app.test_client()
    if email:
        assert client.post("/login", data={"email": email, "password": PASSWORD}).status_code == 302
    return client
text = st.one_of(st.text(max_size=60), st.sampled_from(["", "0", "-1", "100", "101", "1e3", "2021-03-01", "null",
                                                        "done", "paused", "in_progress", "not_started", "\x00",
                                                        "Đ" * 6000]))
json_value = st.recursive(st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), st.text(max_size=30)),
                          lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                          max_leaves=5)


def _line_id(app):
    return line_id(app, "II.1", "Sở Kế hoạch và Đầu tư")


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["status", "progress", "note", "paused_reason", "completed_on",
                                               "version"]), text))
def test_update_form_never_500(seeded, seeded_template, fields):
    client = fresh_client(seeded, seeded_template, "khdt@test.vn")
    lid = _line_id(seeded)
    response = client.post(f"/tasks/II.1/lines/{lid}", data={f"line{lid}-{k}": v for k, v in fields.items()})
    assert response.status_code < 500


@FUZZ
@given(payload=st.one_of(
    json_value,
    st.fixed_dictionaries({}, optional={
        "agency": st.one_of(st.sampled_from(["Sở KH&ĐT", "Sở Tài chính", "nobody"]), json_value),
        "status": st.one_of(st.sampled_from(["done", "paused", "in_progress", "not_started"]), json_value),
        "progress": st.one_of(st.integers(-5, 105), json_value),
        "note": json_value, "paused_reason": json_value,
        "completed_on": st.one_of(st.sampled_from(["2021-03-01", "2999-01-01", "01/03/2021"]), json_value),
        "version": st.one_of(st.integers(-1, 5), json_value),
    }),
))
def test_update_api_never_500(seeded, seeded_template, payload):
    client = fresh_client(seeded, seeded_template)
    with seeded.app_context():
        _, secret = ApiToken.issue(db.session.scalar(sa.select(User).where(User.email == "khdt@test.vn")))
        db.session.commit()
    response = client.post("/api/v1/tasks/II.1/updates", json=payload, headers={"Authorization": f"Bearer {secret}"})
    assert response.status_code in (201, 400, 403, 404, 409)


@FUZZ
@given(query=st.dictionaries(st.sampled_from(["q", "section", "agency", "role", "kind", "category", "as_of", "page",
                                              "per_page", "year"]), text, max_size=4))
def test_filters_never_500(seeded, seeded_template, query):
    client = fresh_client(seeded, seeded_template, "lanhdao@test.vn")
    assert client.get("/", query_string=query).status_code < 500
    assert client.get("/api/v1/tasks", query_string=query).status_code < 500


FORM_POSTS = {
    "/rounds/new": ["title", "due_on", "bodies", "note"],
    "/rounds/policy": ["cutoff_day", "due_day", "levels"],
    "/reminders/settings": ["before_days", "overdue_notice", "digest_weekday", "nudge_days", "catch_up_days", "holidays"],
    "/admin/users": ["email", "name", "agency", "role", "password", "active"],
    "/tasks/II.1/deadline": ["due_on", "reason"],
    "/tasks/II.1/assignments": ["agency", "role"],
    "/tasks/II.1/comments": ["body"],
    "/profile/tokens": ["name"],
    "/profile/reminders": ["task_due_soon", "nudge", "overdue_digest"],
}


@FUZZ
@given(path=st.sampled_from(sorted(FORM_POSTS)), data=st.data())
def test_office_forms_never_500(seeded, seeded_template, path, data):
    client = fresh_client(seeded, seeded_template, "vpdp@test.vn")
    fields = data.draw(st.dictionaries(st.sampled_from(FORM_POSTS[path]), text))
    assert client.post(path, data=fields).status_code < 500


@FUZZ
@given(body=text, round_title=st.sampled_from(["Báo cáo quý I năm 2021", "Báo cáo quý II năm 2021"]))
def test_report_submission_never_500(seeded, seeded_template, body, round_title):
    from tracker.reporting.models import ReportingRound

    client = fresh_client(seeded, seeded_template, "noivu@test.vn")
    with seeded.app_context():
        rid = db.session.scalar(sa.select(ReportingRound.id).where(ReportingRound.title == round_title))
    assert client.post(f"/rounds/{rid}/submit", data={"body": body}).status_code < 500
