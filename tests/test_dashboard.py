"""The office's desk: the dashboard's every count against the list it links to, my work by my own line,
rounds at a glance, reports sent back, and the dashboard's API."""
from __future__ import annotations

import html
import random
import re
from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from helpers import line_of, user_of
from test_reminders import at
from tracker.extensions import db
from tracker.plan.models import Agency, Task
from tracker.progress.models import StatusLine

AS_OF = date(2021, 4, 15)
LINK = re.compile(r'<a href="(/\?[^"]+)">(\d+)</a>')
COUNT = re.compile(r'<p class="count">(\d+) công việc')


def add_activity(app, seed: int = 7) -> None:
    """Lines done on time, done late, in progress, started and left: a plan that is under way."""
    rng = random.Random(seed)
    with app.app_context():
        for line in db.session.scalars(sa.select(StatusLine).join(Task).order_by(StatusLine.id)):
            due = line.task.due_on or date(2021, 6, 30)
            roll = rng.random()
            if roll < 0.3:
                line.status, line.progress, line.started_on = "done", 100, date(2021, 2, 1)
                line.completed_on = min(due + timedelta(days=rng.randint(-20, 12)), date(2021, 4, 12))
            elif roll < 0.65:
                line.status, line.progress = "in_progress", rng.choice([20, 50, 80])
                line.started_on = date(2021, rng.randint(1, 5), 10)
            if roll < 0.8:
                line.updated_at = datetime(2021, rng.randint(1, 4), rng.randint(1, 12), 3)
        db.session.commit()


def returned_report(app, email: str, text: str, reason: str) -> int:
    """A body submits its Q1 report and the office sends it back; the round's id."""
    from tracker.reporting.models import ReportingRound
    from tracker.reporting.services import return_submission, submit_report

    with app.app_context():
        q1 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
        officer = user_of(email)
        submission = submit_report(q1, officer.agency, officer, text, date(2021, 3, 17))
        return_submission(submission, user_of("vpdp@test.vn"), reason)
        db.session.commit()
        return q1.id


def plan_page_total(client, link: str) -> int:
    page = client.get(link).get_data(as_text=True)
    found = COUNT.search(page)
    assert found, link
    return int(found.group(1))


def test_every_count_on_the_dashboard_equals_the_list_it_links_to(seeded, reader):
    add_activity(seeded)
    page = reader.get(f"/dashboard?as_of={AS_OF}").get_data(as_text=True)
    links = [(html.unescape(href), int(count)) for href, count in LINK.findall(page)]
    assert len(links) >= 60
    categories = {re.search(r"category=(\w+)", href).group(1) for href, _ in links if "category=" in href}
    assert {"done_on_time", "done_late", "in_progress", "overdue", "ongoing"} <= categories
    assert any("agency=" in href for href, _ in links) and any("section=" in href for href, _ in links)
    for href, count in links:
        assert plan_page_total(reader, href) == count, href


def test_the_overall_counts_add_up_and_move_since_the_quarter_began(seeded, reader):
    add_activity(seeded)
    data = reader.get(f"/api/v1/dashboard?as_of={AS_OF}").get_json()
    with seeded.app_context():
        tasks = db.session.scalar(sa.select(sa.func.count(Task.id)))
    assert sum(data["overall"].values()) == tasks
    assert data["since"]["date"] == "2021-03-31"
    assert {k: data["overall"][k] - data["since"]["overall"][k] for k in data["overall"]} == data["since"]["change"]
    assert sum(sum(s["counts"].values()) for s in data["sections"]) == tasks
    earlier = reader.get("/api/v1/dashboard?as_of=2021-03-31").get_json()
    assert earlier["overall"] == data["since"]["overall"]


def test_the_agency_matrix_sorts_by_any_column(seeded, reader):
    add_activity(seeded)
    data = reader.get(f"/api/v1/dashboard?as_of={AS_OF}").get_json()
    for column in ("overdue", "done_on_time", "total", "name"):
        page = reader.get(f"/dashboard?as_of={AS_OF}&sort={column}").get_data(as_text=True)
        matrix = page[page.index('id="agency-matrix"'):]
        names = re.findall(r'<th scope="row"><a href="/agencies/\d+">([^<]+)</a>', matrix[:matrix.index("</table>")])
        by_name = {a["label"]: a for a in data["agencies"]}
        if column == "name":
            assert names == [a["label"] for a in data["agencies"]]
        else:
            values = [by_name[n]["total"] if column == "total" else by_name[n]["counts"][column] for n in names]
            assert values == sorted(values, reverse=True)


def test_bad_dates_and_sorts_get_a_clear_answer(reader):
    assert reader.get("/dashboard?as_of=2021-02-30").status_code == 400
    assert "Ngày" in reader.get("/dashboard?as_of=hôm-qua").get_data(as_text=True)
    assert reader.get("/dashboard?sort=bogus").status_code == 200  # an unknown sort falls back to overdue
    assert reader.get("/dashboard?sort=%00").status_code == 400  # NUL is refused everywhere (web.py)
    assert reader.get("/api/v1/dashboard?as_of=x").status_code == 400


def test_the_dashboard_lists_overdue_due_soon_undated_and_silent_work(seeded, reader):
    add_activity(seeded)
    page = reader.get(f"/dashboard?as_of={AS_OF}").get_data(as_text=True)
    overdue = int(re.search(r"Quá hạn: (\d+) dòng công việc", page).group(1))
    with seeded.app_context():
        lines = db.session.scalar(sa.select(sa.func.count()).select_from(StatusLine).join(Task).where(
            Task.due_on < AS_OF, Task.schedule_kind.not_in(("ongoing", "recurring", "periodic")),
            sa.or_(StatusLine.status != "done", StatusLine.completed_on > AS_OF)))
        undated = db.session.scalar(sa.select(sa.func.count(Task.id)).where(Task.needs_date.is_(True)))
    assert overdue == lines > 0
    assert f"Cần xác định hạn: {undated} công việc" in page
    assert re.search(r"Không cập nhật từ 30 ngày trở lên: \d+ dòng", page)
    assert "Trong 7 ngày tới:" in page and "Từ 8 đến 30 ngày tới:" in page
    assert '<svg class="chart"' in page and "<title>Công việc theo mục</title>" in page


def test_an_agency_is_judged_by_its_own_line(seeded, client, auth):
    """After Đình Lập finished VIII.3 on time, VIII.3 is done for Đình Lập though the task is overdue."""
    with seeded.app_context():
        line = line_of("VIII.3", "UBND huyện Đình Lập")
        line.status, line.progress, line.completed_on = "done", 100, date(2021, 6, 20)
        db.session.commit()
        dinhlap = db.session.scalar(sa.select(Agency.id).where(Agency.name == "UBND huyện Đình Lập"))
    auth.login("dinhlap@test.vn")
    as_of = "2021-07-15"
    overall = client.get(f"/?category=overdue&as_of={as_of}").get_data(as_text=True)
    assert ">VIII.3<" in overall
    own_done = client.get(f"/?agency={dinhlap}&category=done_on_time&as_of={as_of}").get_data(as_text=True)
    own_overdue = client.get(f"/?agency={dinhlap}&category=overdue&as_of={as_of}").get_data(as_text=True)
    assert ">VIII.3<" in own_done and ">VIII.3<" not in own_overdue
    # The quick links keep the agency chosen.
    assert f"/?category=overdue&amp;sort=overdue&amp;agency={dinhlap}" in own_done
    mine = client.get(f"/my?as_of={as_of}").get_data(as_text=True)
    done = mine[mine.index('id="h-done"'):]
    assert ">VIII.3<" in done and ">VIII.3<" not in mine[mine.index('id="h-overdue"'):mine.index('id="h-done"')]
    data = client.get(f"/api/v1/dashboard?as_of={as_of}").get_json()
    row = next(a for a in data["agencies"] if a["id"] == dinhlap)
    assert row["counts"]["done_on_time"] >= 1


def test_my_work_groups_my_lines_and_lists_what_i_owe(seeded, client, auth):
    q1_id = returned_report(seeded, "khdt@test.vn", "Đã phân bổ vốn 80%.", "Thiếu số liệu vốn lồng ghép")
    auth.login("khdt@test.vn")
    page = client.get(f"/my?as_of={AS_OF}").get_data(as_text=True)
    headings = re.findall(r'<h2 id="h-(\w+)">', page)
    # What is late first (a phone's first screen); Sở KH&ĐT also reports three funding sources: the
    # quarter's figures it still owes come after the rounds it owes.
    assert headings[:4] == ["returned", "overdue", "owed", "figures"]
    assert headings[4:] == ["due_soon", "in_progress", "not_started", "needs_date", "ongoing", "done"]
    assert "Thiếu số liệu vốn lồng ghép" in page
    assert ">II.1<" in page[page.index('id="h-overdue"'):page.index('id="h-due_soon"')]
    # The resubmission form starts from the text that was sent back.
    form = client.get(f"/rounds/{q1_id}").get_data(as_text=True)
    assert "Nộp lại báo cáo" in form and "Đã phân bổ vốn 80%.</textarea>" in form
    assert client.get("/my").status_code == 200
    auth.logout()
    auth.login("lanhdao@test.vn")
    assert client.get("/my").headers["Location"].startswith("/dashboard")


def test_a_report_sent_back_is_mailed_to_its_body_once(seeded, mail_server):
    from tracker.reminders.jobs import deliver_job

    returned_report(seeded, "taichinh@test.vn", "Báo cáo", "Chưa có phụ lục kèm theo")
    with seeded.app_context():
        with at(date(2021, 3, 18), 9, 0):
            deliver_job()
        with at(date(2021, 3, 18), 9, 1):
            deliver_job()  # every minute: the notice is decided once
    notices = [m for m in mail_server.messages if "trả lại" in m["text"]]
    assert [m["to"] for m in notices] == [["taichinh@test.vn"]]
    assert "Chưa có phụ lục kèm theo" in notices[0]["text"] and "1 báo cáo bị trả lại" in notices[0]["subject"]
    assert "/rounds/" in notices[0]["text"]


def test_rounds_at_a_glance(seeded, reader):
    page = reader.get(f"/dashboard?as_of={AS_OF}").get_data(as_text=True)
    section = page[page.index('id="h-rounds"'):page.index('id="h-overdue"')]
    assert "Báo cáo quý I năm 2021" in section and "Báo cáo quý II năm 2021" in section
    assert re.search(r"Quá hạn, chưa nộp: \d+", section)


@pytest.mark.parametrize("email", ["vpdp@test.vn", "lanhdao@test.vn", "dinhlap@test.vn"])
def test_everyone_signed_in_reads_the_dashboard_and_anonymous_do_not(seeded, client, auth, email):
    assert client.get("/dashboard").status_code == 302
    auth.login(email)
    assert client.get("/dashboard").status_code == 200


def test_the_data_version_moves_with_every_write_and_only_then(seeded, reader):
    from tracker.changes import data_version
    from tracker.progress.services import LineChange, update_line

    with seeded.app_context():
        start = data_version()
    reader.get("/dashboard")
    reader.get("/api/v1/tasks")
    with seeded.app_context():
        assert data_version() == start  # reading writes nothing
        line = line_of("II.1", "Sở Tài chính")
        update_line(line, LineChange("in_progress", 30, "Đang làm"), user_of("taichinh@test.vn"), line.version,
                    date(2021, 3, 1))
        db.session.commit()
        after_update = data_version()
        assert after_update[0] > start[0]
        db.session.execute(sa.update(Task).where(Task.code == "II.2").values(due_on=date(2021, 5, 1)))
        db.session.commit()
        after_bulk = data_version()
        assert after_bulk[0] > after_update[0]
        db.session.execute(sa.update(Task).where(Task.code == "II.2").values(due_on=date(2021, 6, 1)))
        db.session.rollback()
        assert data_version() == after_bulk


def test_a_groups_members_changing_is_a_change(seeded, reader):
    """Who a group stands for decides whose work a district sees: the kept directory and sheets follow it."""
    from tracker.changes import data_version

    with seeded.app_context():
        group = db.session.scalar(sa.select(Agency).where(Agency.name == "UBND các huyện, thành phố"))
        group_id, dropped = group.id, group.members[-1]
        dropped_id, start = dropped.id, data_version()
    via = html.escape("qua nhóm «UBND các huyện, thành phố»", quote=False)
    assert via in reader.get(f"/agencies/{dropped_id}").get_data(as_text=True)
    with seeded.app_context():
        group = db.session.get(Agency, group_id)
        group.members = [m for m in group.members if m.id != dropped_id]
        db.session.commit()
        assert data_version()[0] > start[0]
    # The district's sheet no longer names it through the group it has left.
    assert via not in reader.get(f"/agencies/{dropped_id}").get_data(as_text=True)


def test_the_dashboard_shows_a_write_at_once(seeded, reader):
    before = reader.get(f"/api/v1/dashboard?as_of={AS_OF}").get_json()["overall"]
    with seeded.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.code == "II.1"))
        for line in task.lines:
            line.status, line.progress, line.completed_on = "done", 100, date(2021, 3, 30)
        db.session.commit()
    after = reader.get(f"/api/v1/dashboard?as_of={AS_OF}").get_json()["overall"]
    assert after["done_on_time"] == before["done_on_time"] + 1 and after["overdue"] == before["overdue"] - 1
