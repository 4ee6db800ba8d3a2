"""Dates as Vietnamese write them: every date field takes and shows dd/mm/yyyy whatever the browser's
language, also reads YYYY-MM-DD (what links carry), and every message about a date says dd/mm/yyyy."""
import re
from datetime import date

import pytest

from helpers import task_of
from tracker.clock import parse_date
from tracker.extensions import db

EN = {"Accept-Language": "en-US,en;q=0.9"}
BAD_VI = "Ngày không hợp lệ; viết dạng dd/mm/yyyy, ví dụ 15/04/2021."
BAD_EN = "Not a valid date; write it as dd/mm/yyyy, e.g. 15/04/2021."


@pytest.mark.parametrize(("raw", "expected"), [
    ("15/04/2021", date(2021, 4, 15)), ("5/4/2021", date(2021, 4, 5)), ("05/4/2021", date(2021, 4, 5)),
    ("2021-04-15", date(2021, 4, 15)), (" 15/04/2021 ", date(2021, 4, 15)), ("29/02/2024", date(2024, 2, 29)),
    ("31/02/2021", None), ("29/02/2021", None), ("04/15/2021", None), ("15/04/21", None), ("15-04-2021", None),
    ("15/04/2021/1", None), ("", None), (None, None), ("١٥/٠٤/٢٠٢١", None), ("2021-02-31", None), ("0/1/2021", None),
])
def test_the_one_parser_reads_vietnamese_and_iso_dates(raw, expected):
    assert parse_date(raw) == expected


def _date_inputs(html: str) -> list[str]:
    """Every <input> a person types a date into on the page (by its placeholder or its name)."""
    return [tag for tag in re.findall(r"<input[^>]*>", html)
            if 'placeholder="dd/mm/yyyy"' in tag or re.search(r'name="[^"]*(as_of|due_on|completed_on|since)"', tag)]


PAGES = ["/tasks/II.1", "/?as_of=2021-04-15", "/dashboard?as_of=2021-04-15", "/reminders?as_of=2021-04-15",
         "/rounds/new", "/indicators/communes/1"]


@pytest.mark.parametrize("language", ["vi", "en"])
def test_every_date_field_is_typed_as_dd_mm_yyyy_in_either_language(seeded, client, auth, language):
    auth.login("vpdp@test.vn")
    if language == "en":
        client.post("/language", data={"language": "en"})
    seen = 0
    for path in PAGES:
        response = client.get(path, headers=EN)
        assert response.status_code == 200, path
        html = response.get_data(as_text=True)
        assert 'type="date"' not in html, path
        for tag in _date_inputs(html):
            seen += 1
            assert 'type="text"' in tag and 'inputmode="numeric"' in tag and 'placeholder="dd/mm/yyyy"' in tag, tag
            assert 'autocomplete="off"' in tag and "pattern=" in tag, tag
    assert seen >= 6


def test_a_date_field_shows_its_value_as_dd_mm_yyyy(seeded, client, auth):
    auth.login("vpdp@test.vn")
    html = client.get("/tasks/II.1", headers=EN).get_data(as_text=True)
    (deadline,) = [tag for tag in _date_inputs(html) if 'name="due_on"' in tag]
    assert 'value="31/03/2021"' in deadline  # the task's deadline, not 2021-03-31 nor 03/31/2021
    plan = client.get("/?as_of=2021-04-15", headers=EN).get_data(as_text=True)
    assert 'value="15/04/2021"' in plan


@pytest.mark.parametrize("typed", ["30/04/2021", "30/4/2021", "2021-04-30"])
def test_the_office_moves_a_deadline_typed_as_dates_are_written(seeded, client, auth, typed):
    auth.login("vpdp@test.vn")
    response = client.post("/tasks/II.1/deadline", data={"due_on": typed, "reason": "Theo công văn"})
    assert response.status_code == 302
    with seeded.app_context():
        assert task_of("II.1").due_on == date(2021, 4, 30)


@pytest.mark.parametrize(("language", "message"), [("vi", BAD_VI), ("en", BAD_EN)])
def test_a_day_that_does_not_exist_is_refused_in_dd_mm_yyyy(seeded, client, auth, language, message):
    auth.login("vpdp@test.vn")
    client.post("/language", data={"language": language})  # the person's choice, whatever the browser says
    response = client.post("/tasks/II.1/deadline", data={"due_on": "31/02/2021", "reason": "Theo công văn"}, headers=EN)
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and message in html
    assert 'value="31/02/2021"' in html  # what was typed is kept to correct
    assert "YYYY-MM-DD" not in html
    with seeded.app_context():
        assert task_of("II.1").due_on == date(2021, 3, 31)


def test_a_missing_deadline_asks_for_dd_mm_yyyy(seeded, client, auth):
    auth.login("vpdp@test.vn")
    response = client.post("/tasks/II.1/deadline", data={"due_on": "", "reason": "Theo công văn"})
    assert response.status_code == 400 and "Nhập hạn mới, dạng dd/mm/yyyy." in response.get_data(as_text=True)


def test_an_adhoc_round_takes_its_deadline_as_dd_mm_yyyy(seeded, client, auth, travel):
    travel(2021, 4, 20)
    auth.login("vpdp@test.vn")
    response = client.post("/rounds/new", data={"title": "Báo cáo OCOP", "due_on": "14/05/2021", "bodies": "Sở Y tế"})
    assert response.status_code == 302
    assert "14/05/2021" in client.get(response.headers["Location"]).get_data(as_text=True)


@pytest.mark.parametrize("path", ["/", "/dashboard", "/reminders"])
def test_as_of_in_the_address_reads_both_ways_and_says_dd_mm_yyyy_when_bad(seeded, client, auth, path):
    auth.login("vpdp@test.vn")
    iso = client.get(f"{path}?as_of=2021-04-15")
    typed = client.get(f"{path}?as_of=15/04/2021")
    assert iso.status_code == typed.status_code == 200
    assert 'value="15/04/2021"' in iso.get_data(as_text=True) and 'value="15/04/2021"' in typed.get_data(as_text=True)
    bad = client.get(f"{path}?as_of=31/02/2021")
    assert bad.status_code == 400 and "dd/mm/yyyy" in bad.get_data(as_text=True)


def test_the_api_reads_both_ways_too(seeded, client):
    from helpers import issue_token

    headers = {"Authorization": f"Bearer {issue_token(seeded, 'khdt@test.vn')}"}
    iso = client.get("/api/v1/tasks?as_of=2021-04-15", headers=headers)
    typed = client.get("/api/v1/tasks?as_of=15/04/2021", headers=headers)
    assert iso.status_code == typed.status_code == 200 and iso.get_json() == typed.get_json()
    bad = client.get("/api/v1/tasks?as_of=31/02/2021", headers=headers)
    assert bad.status_code == 400 and "dd/mm/yyyy" in str(bad.get_json())


def test_a_line_completed_on_a_typed_date(seeded, client, auth, travel):
    from helpers import line_id, post_line
    from tracker.progress.models import StatusLine

    travel(2021, 4, 20)
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    assert post_line(client, "II.1", lid, status="done", progress="100", completed_on="2/4/2021").status_code == 302
    with seeded.app_context():
        assert db.session.get(StatusLine, lid).completed_on == date(2021, 4, 2)
    html = client.get("/tasks/II.1").get_data(as_text=True)
    assert "(02/04/2021)" in html
