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


def _walk(reader, path: str, by_cursor: bool) -> list[str]:
    """Every task code of a list, page by page: by ?page= numbers, or by each page's next_after cursor."""
    codes, page, after = [], 1, None
    while True:
        query = f"&after={after}" if after else f"&page={page}"
        response = reader.get(f"{path}{query}")
        assert response.status_code == 200, response.get_json()
        body = response.get_json()
        codes += [item["code"] for item in body["items"]]
        if by_cursor:
            if after is not None:  # a page asked by cursor links to the next one by cursor
                assert links(response).get("next", {}).get("after") == body["next_after"]
            after = body["next_after"]
            if after is None:
                return codes
        else:
            if "next" not in links(response):
                return codes
            page += 1


@pytest.mark.parametrize("query", ["sort=section", "sort=deadline", "sort=overdue", "sort=overdue&category=overdue",
                                   "sort=deadline&agency=Đình Lập&role=executing", "sort=overdue&agency=Đình Lập",
                                   "sort=section&section=II"])
def test_walking_every_page_by_cursor_gives_the_rows_of_the_page_numbers(reader, query):
    path = f"/api/v1/tasks?as_of=2021-05-15&per_page=4&{query}"
    by_number = _walk(reader, path, by_cursor=False)
    assert len(by_number) == reader.get(path).get_json()["total"] and len(set(by_number)) == len(by_number)
    assert _walk(reader, path, by_cursor=True) == by_number


def test_a_page_asked_by_cursor_says_no_page_number_and_links_to_the_next_by_cursor(reader):
    first = reader.get("/api/v1/tasks?per_page=10&sort=deadline").get_json()
    response = reader.get(f"/api/v1/tasks?per_page=10&sort=deadline&after={first['next_after']}")
    body = response.get_json()
    assert body["page"] is None and len(body["items"]) == 10 and body["total"] == first["total"]
    rel = links(response)
    assert rel["first"]["page"] == "1" and rel["next"]["after"] == body["next_after"]
    assert rel["next"]["sort"] == "deadline" and "page" not in rel["next"]


@pytest.mark.parametrize("after", ["!!!", "bm90IGpzb24", "WzEsMiwzXQ", "WyJkZWFkbGluZSIsImhvbSBuYXkiLDEsMl0",
                                   "WyJzZWN0aW9uIiwxLDIsM10", "WyJzZWN0aW9uIiwieCIsMV0", "A" * 600])
def test_a_bad_cursor_is_a_400_problem_in_vietnamese(reader, after):
    # Not base64, not JSON, no sort, a date that is none, a key too many, a word for a number, too long.
    response = reader.get(f"/api/v1/tasks?sort=section&after={after}", headers={"Accept-Language": "vi"})
    assert response.status_code == 400 and response.mimetype == "application/problem+json"
    body = response.get_json()
    assert body["title"] == "Dữ liệu không hợp lệ" and body["errors"]["after"]
    if after.isalnum() and len(after) < 500:  # well formed: our own words, naming the field to copy
        assert body["errors"]["after"] == ["Con trỏ trang không hợp lệ: dùng đúng giá trị «next_after» của trang "
                                           "trước, với cùng cách sắp xếp."]


def test_a_cursor_of_another_sort_is_refused(reader):
    cursor = reader.get("/api/v1/tasks?per_page=5&sort=deadline").get_json()["next_after"]
    response = reader.get(f"/api/v1/tasks?per_page=5&sort=section&after={cursor}")
    assert response.status_code == 400 and "next_after" in response.get_json()["errors"]["after"][0]
