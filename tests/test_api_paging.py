"""Every API list pages alike: {items, page, per_page, total} and RFC 8288 Link headers; reminders read the ledger."""
import re
from datetime import date
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from helpers import user_of
from test_reminders import configure, sweep_only
from tracker.extensions import db
from tracker.reminders.models import SentReminder

LISTS = ["/api/v1/tasks", "/api/v1/agencies", "/api/v1/rounds", "/api/v1/reminders"]


def links(response) -> dict[str, dict]:
    """rel -> the linked page's query, from the Link header."""
    found = re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers["Link"])
    return {rel: {"path": urlsplit(url).path, **{k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}}
            for url, rel in found}


def test_tasks_link_to_every_page_keeping_the_filters(reader):
    response = reader.get("/api/v1/tasks?per_page=10&page=2&sort=deadline")
    body = response.get_json()
    assert (body["page"], body["per_page"], body["total"], len(body["items"])) == (2, 10, 27, 10)
    rel = links(response)
    assert [rel[k]["page"] for k in ("first", "prev", "next", "last")] == ["1", "1", "3", "3"]
    assert all(r["sort"] == "deadline" and r["per_page"] == "10" and r["path"] == "/api/v1/tasks" for r in rel.values())
    last = reader.get("/api/v1/tasks?per_page=10&page=3&sort=deadline")
    assert "next" not in links(last) and len(last.get_json()["items"]) == 7


def test_agencies_are_paged_and_counted(reader):
    everything = reader.get("/api/v1/agencies?per_page=500").get_json()
    assert everything["total"] == len(everything["items"]) > 5
    first = reader.get("/api/v1/agencies?per_page=5")
    body = first.get_json()
    assert len(body["items"]) == 5 and body["total"] == everything["total"]
    assert [a["name"] for a in body["items"]] == [a["name"] for a in everything["items"][:5]]
    rel = links(first)
    assert "prev" not in rel and rel["next"]["page"] == "2"
    assert rel["last"]["page"] == str(-(-everything["total"] // 5))


def test_rounds_have_the_uniform_shape(reader):
    response = reader.get("/api/v1/rounds?per_page=1")
    body = response.get_json()
    assert set(body) >= {"items", "page", "per_page", "total"} and body["per_page"] == 1
    assert len(body["items"]) == min(1, body["total"]) and "Link" in response.headers


@pytest.mark.parametrize("path", LISTS)
@pytest.mark.parametrize(("query", "field"), [("page=0", "page"), ("page=abc", "page"), ("per_page=0", "per_page"),
                                              ("per_page=501", "per_page"), ("per_page=-3", "per_page")])
def test_bad_paging_is_a_400_problem_on_every_list(reader, path, query, field):
    response = reader.get(f"{path}?{query}")
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    assert response.get_json()["errors"][field]


def test_a_page_past_the_end_is_empty_and_links_back(reader):
    response = reader.get("/api/v1/agencies?per_page=50&page=99")
    assert response.status_code == 200 and response.get_json()["items"] == []
    rel = links(response)
    assert rel["prev"]["page"] == rel["last"]["page"]


def test_reminders_read_the_ledger_never_the_planner(seeded, client, auth, monkeypatch):
    configure(seeded)
    sweep_only(seeded, date(2021, 3, 24))

    def no_planning(*args, **kwargs):
        raise AssertionError("the API re-ran the planner")

    monkeypatch.setattr("tracker.reminders.sweep.due_reminders", no_planning)
    monkeypatch.setattr("tracker.reminders.planner.due_reminders", no_planning)
    auth.login("vpdp@test.vn")
    body = client.get("/api/v1/reminders?as_of=2021-03-24").get_json()
    assert body["total"] == 9 and body["as_of"] == "2021-03-24"
    first = next(r for r in body["items"] if r["recipient"] == "khdt@test.vn" and r["rule"] == "task_due_soon")
    assert first["occurrence"] == "2021-03-31-7d" and first["message"]["status"] == "pending"
    assert client.get("/api/v1/reminders?as_of=2021-03-25").get_json()["total"] == 0


def test_reminders_are_not_cut_at_500(seeded, client, auth):
    with seeded.app_context():
        recipient = user_of("khdt@test.vn").id
        db.session.execute(sa.insert(SentReminder), [
            {"rule": "task_due_soon", "subject_type": "line", "subject_id": n, "recipient_id": recipient,
             "occurrence": f"2021-03-31-{n}", "send_on": date(2021, 3, 24), "decided_on": date(2021, 3, 24),
             "summary": f"Nhắc {n}", "deadline": date(2021, 3, 31), "batch": "test"} for n in range(620)])
        db.session.commit()
    auth.login("khdt@test.vn")
    second = client.get("/api/v1/reminders?as_of=2021-03-24&per_page=500&page=2").get_json()
    assert second["total"] == 620 and len(second["items"]) == 120
    assert {r["recipient"] for r in second["items"]} == {"khdt@test.vn"}
    auth.logout()
    auth.login("taichinh@test.vn")  # an officer sees only what is addressed to them
    assert client.get("/api/v1/reminders?as_of=2021-03-24").get_json()["total"] == 0
