"""ETag and If-Match on every resource the API can change, beside the status lines' versioned tags: a client
that read a resource changes it only if nobody changed it since (RFC 9110 §13.1.1); a stale tag changes nothing."""
from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from helpers import bearer, user_of
from test_api_indicators import agency_id, commune_id
from test_indicators import indicator_id


@dataclass
class Write:
    """One changeable resource: who changes it, where, with what; the GET whose ETag guards it."""

    actor: str
    method: str
    path: str
    body: dict
    twin: str = ""  # the GET that reads it, when not the same path
    invalid: dict = field(default_factory=dict)  # a body its own checks refuse (400 before any 412)
    stranger: str = ""  # an account that may read but not change it (403 before any 412)

    @property
    def read_path(self) -> str:
        return self.twin or self.path


def _user_id(app, email: str) -> int:
    with app.app_context():
        return user_of(email).id


def _write(name: str, app, client) -> Write:
    if name == "me":
        return Write("khdt@test.vn", "put", "/api/v1/me", {"language": "en"}, invalid={"language": "fr"})
    if name == "account":
        return Write("vpdp@test.vn", "put", f"/api/v1/users/{_user_id(app, 'taichinh@test.vn')}",
                     {"email": "taichinh@test.vn", "agency": "Sở Tài chính", "role": "leader"},
                     invalid={"email": "taichinh@test.vn", "agency": "Sở Tài chính", "role": "boss"})
    if name == "responsible":
        indicator = f"/api/v1/indicators/{indicator_id(app, 'advanced_communes')}"
        return Write("vpdp@test.vn", "put", f"{indicator}/responsible", {"agency": agency_id(app, "Sở Nội vụ")},
                     twin=indicator, invalid={"agency": 999999}, stranger="noivu@test.vn")
    if name == "commune":
        target = f"/api/v1/communes/{commune_id(app, 'UBND huyện Đình Lập')}"
        before = client.get(target, headers=bearer(app, "dinhlap@test.vn")).get_json()
        missing = min(set(range(1, 20)) - set(before["criteria"]))
        return Write("dinhlap@test.vn", "patch", target, {"since": "2021-05-08", "met": [*before["criteria"], missing]},
                     invalid={"since": "2021-05-08", "met": [20]}, stranger="lanhdao@test.vn")
    if name == "deadline":
        return Write("vpdp@test.vn", "put", "/api/v1/tasks/II.1/deadline",
                     {"due_on": "2021-06-30", "reason": "Lùi hạn theo chỉ đạo của UBND tỉnh"},
                     twin="/api/v1/tasks/II.1", invalid={"due_on": "30/02/2021", "reason": "x"},
                     stranger="khdt@test.vn")
    if name == "policy":
        return Write("vpdp@test.vn", "put", "/api/v1/reporting-policy",
                     {"cutoff_day": 10, "due_day": 20, "levels": "department"},
                     invalid={"cutoff_day": 25, "due_day": 20, "levels": "department"}, stranger="khdt@test.vn")
    if name == "reminder settings":
        body = {"before_days": "7,3,1", "overdue_notice": False, "digest_weekday": 2, "nudge_days": 10,
                "catch_up_days": 3, "holidays": "2021-02-15"}
        return Write("vpdp@test.vn", "put", "/api/v1/reminder-settings", body,
                     invalid={**body, "before_days": "0"})
    if name == "my reminders":
        return Write("khdt@test.vn", "put", "/api/v1/me/reminder-preferences", {"task_due_soon": True, "nudge": False},
                     invalid={"nudge": "có"})
    assert name == "letterhead"
    current = client.get("/api/v1/letterhead", headers=bearer(app, "vpdp@test.vn")).get_json()
    return Write("vpdp@test.vn", "put", "/api/v1/letterhead", {**current, "symbol": "BC-BCĐ", "signer_name": "Nguyễn Văn Bình"},
                 invalid={**current, "symbol": "VPĐP/BC"})


WRITES = ["me", "account", "responsible", "commune", "deadline", "policy", "reminder settings", "my reminders",
          "letterhead"]


@pytest.fixture
def write(request, seeded, client, travel):
    travel(2021, 5, 10)
    return _write(request.param, seeded, client)


def _send(client, write: Write, headers: dict, body: dict | None = None):
    return getattr(client, write.method)(write.path, json=write.body if body is None else body, headers=headers)


@pytest.mark.parametrize("write", WRITES, indirect=True)
def test_a_stale_if_match_changes_nothing_and_a_fresh_one_goes_through(seeded, client, write):
    headers = bearer(seeded, write.actor)
    read = client.get(write.read_path, headers=headers)
    tag = read.headers["ETag"]
    assert client.get(write.read_path, headers={**headers, "Accept-Language": "en"}).headers["ETag"] == tag

    stale = _send(client, write, {**headers, "If-Match": '"not-what-you-read"'})
    assert stale.status_code == 412, stale.get_json()
    assert stale.get_json()["type"] == "/api/problems/stale-etag" and stale.headers["ETag"] == tag
    again = client.get(write.read_path, headers=headers)
    assert again.get_json() == read.get_json() and again.headers["ETag"] == tag

    written = _send(client, write, {**headers, "If-Match": f'"other", {tag}'})
    assert written.status_code == 200, written.get_json()
    now = client.get(write.read_path, headers=headers)
    assert now.headers["ETag"] != tag and written.headers["ETag"] == now.headers["ETag"]

    # The tag read before the change is stale now; `*` asks only that the resource exists.
    assert _send(client, write, {**headers, "If-Match": tag}).status_code == 412
    assert _send(client, write, {**headers, "If-Match": "*"}).status_code == 200


@pytest.mark.parametrize("write", WRITES, indirect=True)
def test_bad_input_and_refusals_answer_before_the_precondition(seeded, client, write):
    stale = {"If-Match": '"not-what-you-read"'}
    headers = bearer(seeded, write.actor)
    assert _send(client, write, {**headers, **stale}, write.invalid).status_code == 400
    if write.stranger:
        assert _send(client, write, {**bearer(seeded, write.stranger), **stale}).status_code == 403


def test_without_if_match_writes_go_ahead_as_before(seeded, client):
    office = bearer(seeded, "vpdp@test.vn")
    saved = client.put("/api/v1/reporting-policy", json={"cutoff_day": 10, "due_day": 20, "levels": "department"},
                       headers=office)
    assert saved.status_code == 200 and saved.headers["ETag"]


def test_the_document_declares_the_tags(seeded, client):
    document = client.get("/api/v1/openapi.json").get_json()
    letterhead = document["paths"]["/api/v1/letterhead"]
    assert "ETag" in letterhead["get"]["responses"]["200"]["headers"]
    assert "If-Match" in [p["name"] for p in letterhead["put"]["parameters"]]
    assert "ETag" in letterhead["put"]["responses"]["412"]["headers"]
    task = document["paths"]["/api/v1/tasks/{code}"]["get"]
    assert "ETag" in task["responses"]["200"]["headers"]
    assert "If-Match" in [p["name"] for p in document["paths"]["/api/v1/lines/{line_id}"]["put"]["parameters"]]
