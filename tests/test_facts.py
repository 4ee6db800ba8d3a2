"""Facts only, one reading of the plan: a page states nothing as of a day not yet come, the dashboard
judges the plan of its date's year, and a task that needs a date is flagged alike everywhere."""
from __future__ import annotations

import re
from datetime import date

import sqlalchemy as sa
from icalendar import Calendar

from helpers import user_of
from test_exports import calendar_address
from tracker.extensions import db
from tracker.plan.models import Task

FLAG = '<span class="badge warn">Cần xác định hạn</span>'
# The appendix's timelines nobody can read a deadline from: three illegible scans, one "Quý …", one
# "… 20 …" and two "Theo kế hoạch đã được phê duyệt".
NEEDS_DATE = {"II.2", "II.3", "IV.2", "VIII.1", "VIII.2", "XI.2"}


def between(page: str, start: str, end: str | None = None) -> str:
    """The part of a page from one marker to the next (or to the end)."""
    rest = page[page.index(start):]
    return rest[:rest.index(end)] if end and end in rest else rest


# --- one reading of the plan: "Cần xác định hạn" -----------------------------------------------------

def test_the_plan_flags_exactly_the_tasks_whose_timeline_gives_no_date(seeded):
    with seeded.app_context():
        flagged = set(db.session.scalars(sa.select(Task.code).where(Task.needs_date.is_(True))))
    assert flagged == NEEDS_DATE


def test_my_work_files_a_task_that_needs_a_date_under_the_flag_not_as_ongoing(seeded, client, auth):
    auth.login("khdt@test.vn")  # Sở KH&ĐT carries out II.3, whose timeline the scan lost
    page = client.get("/my?as_of=2021-04-15").get_data(as_text=True)
    flagged = between(page, 'id="h-needs_date"', "</section>")
    rows = re.findall(r'<td data-label="TT"><a href="[^"]+">([^<]+)</a>', flagged)
    assert "II.3" in rows and set(rows) <= NEEDS_DATE
    assert f"Cần xác định hạn: {len(rows)}" in flagged and flagged.count(FLAG) == len(rows)
    # Not called "Thường xuyên": the line's own status stands beside the flag.
    assert "Thường xuyên" not in flagged and "Chưa thực hiện 0%" in flagged
    assert ">II.3<" not in between(page, 'id="h-ongoing"', "</section>")
    # Its "see all" link (and the plan page's quick link) lists the flagged tasks, whatever their kind.
    listing = client.get("/?kind=needs_date").get_data(as_text=True)
    assert set(re.findall(r'<td data-label="TT"><a href="[^"]+">([^<]+)</a>', listing)) == NEEDS_DATE
    assert listing.count(FLAG) == len(NEEDS_DATE)
    assert "kind=needs_date" in client.get("/").get_data(as_text=True)


def test_the_task_page_the_agency_page_and_the_dashboard_flag_it(seeded, client, auth):
    auth.login()
    assert "Cần xác định hạn: thời gian «Than… 37 1?»" in client.get("/tasks/II.3").get_data(as_text=True)
    with seeded.app_context():
        khdt = user_of("khdt@test.vn").agency_id
    sheet = client.get(f"/agencies/{khdt}").get_data(as_text=True)
    ii3 = between(sheet, "<strong>II.3</strong>", "</li>")
    assert FLAG in ii3
    dashboard = client.get("/dashboard?as_of=2021-04-15").get_data(as_text=True)
    needs = between(dashboard, 'id="h-needs"', "</section>")
    assert f"Cần xác định hạn: {len(NEEDS_DATE)} công việc" in needs
    assert set(re.findall(r'<a href="/tasks/([^"?]+)">', needs)) == NEEDS_DATE


def test_the_api_answers_needs_date_on_every_task(seeded, client, auth):
    auth.login("khdt@test.vn")
    items = client.get("/api/v1/tasks?per_page=500").get_json()["items"]
    assert all(isinstance(item["needs_date"], bool) for item in items)
    assert {item["code"] for item in items if item["needs_date"]} == NEEDS_DATE
    assert client.get("/api/v1/tasks/II.3").get_json()["needs_date"] is True
    assert client.get("/api/v1/tasks/II.1").get_json()["needs_date"] is False
    filtered = client.get("/api/v1/tasks?kind=needs_date&per_page=500").get_json()
    assert {item["code"] for item in filtered["items"]} == NEEDS_DATE


def test_once_the_office_sets_a_date_the_flag_goes_everywhere_and_the_calendar_shows_it(seeded, client, auth):
    auth.login("khdt@test.vn")
    feed = Calendar.from_ical(client.get(calendar_address(client).removeprefix("http://localhost")).data)
    assert not [e for e in feed.walk("VEVENT") if str(e["summary"]).startswith("Hạn II.3:")]  # no date, no event
    auth.logout()
    auth.login()
    assert client.post("/tasks/II.3/deadline", data={"due_on": "2021-09-30",
                                                     "reason": "VPĐP xác định từ văn bản gốc"}).status_code == 302
    assert "Cần xác định hạn:" not in client.get("/tasks/II.3").get_data(as_text=True)
    assert client.get("/api/v1/tasks/II.3").get_json()["needs_date"] is False
    dashboard = client.get("/dashboard?as_of=2021-04-15").get_data(as_text=True)
    assert "/tasks/II.3" not in between(dashboard, 'id="h-needs"', "</section>")
    auth.logout()
    auth.login("khdt@test.vn")
    mine = client.get("/my?as_of=2021-04-15").get_data(as_text=True)
    assert ">II.3<" not in between(mine, 'id="h-needs_date"', "</section>")
    assert ">II.3<" in between(mine, 'id="h-not_started"', "</section>")
    feed = Calendar.from_ical(client.get(calendar_address(client).removeprefix("http://localhost")).data)
    ii3 = [e for e in feed.walk("VEVENT") if str(e["summary"]).startswith("Hạn II.3:")]
    assert len(ii3) == 1 and ii3[0].decoded("dtstart") == date(2021, 9, 30)


# --- the dashboard judges the plan of its date's year -------------------------------------------------

def two_plans(runner) -> None:
    """The 2021 plan (seeded) and the same appendix as the 2026 plan."""
    assert runner.invoke(args=["seed", "--year", "2026"]).exit_code == 0


def export_links(page: str) -> list[str]:
    return re.findall(r'href="(/reports/quarterly\.[a-z]+\?[^"]+)"', page)


def test_a_2021_date_shows_the_2021_plan_and_its_report(seeded, runner, client, auth, travel):
    travel(2026, 12, 4)
    two_plans(runner)
    auth.login()
    page = client.get("/dashboard?as_of=2021-12-31").get_data(as_text=True)
    assert "Tổng quan kế hoạch năm 2021" in page and "năm 2026" not in page.split("<h1>", 1)[1].split("</h1>")[0]
    assert "Báo cáo quý IV/2021:" in page
    links = export_links(page)
    assert len(links) == 4 and all("year=2021" in link and "as_of=2021-12-31" in link for link in links)
    # Its lists lead to the 2021 plan's pages, not the latest plan's.
    assert 'href="/?category=overdue&amp;as_of=2021-12-31&amp;sort=overdue&amp;year=2021"' in page
    data = client.get("/api/v1/dashboard?as_of=2021-12-31").get_json()
    assert data["plan"] == 2021 and data["as_of"] == "2021-12-31"
    # An officer's own work on a 2021 date is its 2021 lines, too.
    auth.logout()
    auth.login("khdt@test.vn")
    mine = client.get("/my?as_of=2021-12-31").get_data(as_text=True)
    assert "Số liệu chỉ tiêu quý IV/2021" in mine and "/tasks/II.1?year=2021" in mine


def test_today_shows_this_years_plan_counted_to_today_and_a_year_can_be_chosen(seeded, runner, client, auth, travel):
    travel(2026, 12, 4)
    two_plans(runner)
    auth.login()
    page = client.get("/dashboard").get_data(as_text=True)
    assert "Tổng quan kế hoạch năm 2026" in page and "Số liệu tính đến ngày 04/12/2026" in page
    # The quarter has not ended: the report says so and is counted to today, never to 31/12.
    assert "Báo cáo quý IV/2026 đến ngày 04/12/2026:" in page
    assert "31/12/2026" not in between(page, "<h1>", 'id="h-due"')  # a deadline may fall then; no figure does
    assert all("year=2026" in link and "as_of=2026-12-04" in link for link in export_links(page))
    # The year picker, as on the plan page: 2021 is a link; choosing it shows 2021 on its last day.
    assert re.search(r'Kế hoạch các năm:\s*<strong aria-current="page">2026</strong> · <a href="/dashboard\?year=2021', page)
    chosen = client.get("/dashboard?year=2021").get_data(as_text=True)
    assert "Tổng quan kế hoạch năm 2021" in chosen and "Số liệu tính đến ngày 31/12/2021" in chosen
    assert "Báo cáo quý IV/2021:" in chosen and "đến ngày 31/12/2021:" not in chosen
    assert client.get("/api/v1/dashboard?year=2021").get_json()["as_of"] == "2021-12-31"


def test_a_date_before_a_quarters_end_names_that_day(seeded, client, auth):
    auth.login()
    page = client.get("/dashboard?as_of=2021-04-15").get_data(as_text=True)
    assert "Báo cáo quý II/2021 đến ngày 15/04/2021:" in page
    assert all("as_of=2021-04-15" in link for link in export_links(page))
    # A quarter's last day is a fact once it has come: no "đến ngày" then.
    assert "Báo cáo quý I/2021:" in client.get("/dashboard?as_of=2021-03-31").get_data(as_text=True)


# --- the indicator pages count a running quarter to today ----------------------------------------------

def test_the_indicator_pages_count_a_running_quarter_to_today(seeded, client, auth, travel):
    travel(2021, 11, 15)
    auth.login()
    overview = client.get("/indicators?year=2021").get_data(as_text=True)
    assert "Số liệu đến ngày 15/11/2021 (quý IV chưa kết thúc)" in overview and "31/12/2021" not in overview
    for path in ("/indicators/districts?year=2021", "/indicators/communes?year=2021"):
        page = client.get(path).get_data(as_text=True)
        assert "đến ngày 15/11/2021 (quý chưa kết thúc)" in page and "31/12/2021" not in page, path
    with seeded.app_context():
        from test_indicators import indicator
        ntm = indicator(seeded, "ntm_communes").id
    detail = client.get(f"/indicators/{ntm}?year=2021").get_data(as_text=True)
    assert "IV/2021 <span class=\"muted\">(đến ngày 15/11/2021)</span>" in detail
    api = client.get("/api/v1/indicators?year=2021").get_json()
    assert api["as_of"] == "2021-11-15" and api["quarter"] == 4
    # An ended quarter is stated at its end.
    assert "Số liệu đến hết ngày 30/09/2021 (cuối quý III)" in client.get(
        "/indicators?year=2021&quarter=3").get_data(as_text=True)


def test_the_dashboards_rounds_stand_as_on_its_date(seeded, client, auth):
    """A report submitted on 17/03 is not yet submitted on the dashboard of 10/03."""
    from tracker.reporting.models import ReportingRound
    from tracker.reporting.services import submit_report

    with seeded.app_context():
        q1 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
        officer = user_of("khdt@test.vn")
        submit_report(q1, officer.agency, officer, "Đã phân bổ vốn.", date(2021, 3, 17))
        db.session.commit()
        name = officer.agency.name
    auth.login()

    def state_on(day: str) -> str:
        page = client.get(f"/dashboard?as_of={day}").get_data(as_text=True)
        rounds = between(page, 'id="h-rounds"', "</section>")
        return re.search(rf">{re.escape(name)}</a>: ([^<]+)</li>", rounds.replace("&amp;", "&")).group(1)

    assert state_on("2021-03-10") == "Chưa nộp"
    assert state_on("2021-03-17") == "Đã nộp đúng hạn (17/03/2021)"
