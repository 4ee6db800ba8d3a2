"""Workflow rules that held badly before: ad-hoc rounds, closed rounds, deadlines on ongoing work, reopening."""
from datetime import date

import sqlalchemy as sa

from helpers import line_id, post_line
from tracker.extensions import db
from tracker.plan.models import Task
from tracker.progress.models import StatusLine
from tracker.reporting.models import ReportingRound


def test_the_office_opens_two_ad_hoc_rounds_the_same_day(seeded, client, auth):
    auth.login("vpdp@test.vn")
    for title in ("Báo cáo nhanh về nước sạch", "Báo cáo nhanh về OCOP"):
        response = client.post("/rounds/new", data={"title": title, "due_on": "2999-01-15", "bodies": "Sở Nội vụ"})
        assert response.status_code == 302, response.get_data(as_text=True)
    with seeded.app_context():
        titles = set(db.session.scalars(sa.select(ReportingRound.title).where(ReportingRound.kind == "adhoc")))
    assert titles == {"Báo cáo nhanh về nước sạch", "Báo cáo nhanh về OCOP"}


def test_a_policy_change_leaves_closed_rounds_as_they_were(seeded, client, auth, travel):
    travel(2021, 7, 1)  # Q1 and Q2 of 2021 are closed, Q3 and Q4 still to come
    auth.login("vpdp@test.vn")

    def rounds():
        with seeded.app_context():
            found = db.session.scalars(sa.select(ReportingRound).where(ReportingRound.kind == "quarterly")
                                       .order_by(ReportingRound.period_start)).all()
            return [(r.title, r.due_on, len(r.bodies)) for r in found]

    before = rounds()
    response = client.post("/rounds/policy", data={"cutoff_day": "10", "due_day": "12", "levels": "department"})
    assert response.status_code == 302
    after = rounds()
    assert after[:2] == before[:2]  # Q1, Q2: the same due date, the same bodies (districts included)
    assert [due for _, due, _ in after[2:]] == [date(2021, 9, 12), date(2021, 12, 12)]
    assert all(count < before[0][2] for _, _, count in after[2:])  # districts no longer owe Q3, Q4


def test_a_deadline_on_ongoing_work_is_refused_with_a_reason(seeded, client, auth):
    auth.login("vpdp@test.vn")
    response = client.post("/tasks/III.1/deadline", data={"due_on": "2021-09-30", "reason": "Họp BCĐ"})
    assert response.status_code == 400
    assert "không có một hạn cố định" in response.get_data(as_text=True)
    with seeded.app_context():
        assert db.session.scalar(sa.select(Task.due_on).where(Task.code == "III.1")) is None
    # A quarterly item takes a new deadline as before.
    assert client.post("/tasks/II.1/deadline", data={"due_on": "2021-04-30", "reason": "Họp BCĐ"}).status_code == 302


def test_reopening_a_finished_line_clears_its_completion_date(seeded, client, auth):
    auth.login("khdt@test.vn")
    lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
    assert post_line(client, "II.1", lid, status="done", progress="100", completed_on="2021-03-20").status_code == 302
    # The form comes back with the completion date filled in; choosing "in progress" reopens the line.
    response = post_line(client, "II.1", lid, version=2, status="in_progress", progress="80", completed_on="2021-03-20")
    assert response.status_code == 302
    with seeded.app_context():
        line = db.session.get(StatusLine, lid)
        assert (line.status, line.completed_on) == ("in_progress", None)
    # A different date with a status other than done is still a mistake worth saying.
    response = post_line(client, "II.1", lid, version=3, status="in_progress", progress="80", completed_on="2021-03-01")
    assert response.status_code == 400


def test_removing_a_body_asks_first_and_its_updated_line_stops_counting(seeded, client, auth):
    from helpers import task_of
    from tracker.plan.models import Assignment

    # Sở Tài chính finishes its part of II.1 late; the office then takes it off the task.
    auth.login("vpdp@test.vn")
    lid = line_id(seeded, "II.1", "Sở Tài chính")
    assert post_line(client, "II.1", lid, status="done", progress="100", completed_on="2021-04-10").status_code == 302
    with seeded.app_context():
        aid = db.session.scalar(sa.select(Assignment.id).join(Assignment.agency).where(
            Assignment.task_id == task_of("II.1").id, Assignment.role == "executing",
            Assignment.agency.has(name="Sở Tài chính")))
    page = client.get(f"/tasks/II.1/assignments/{aid}/delete")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "không còn được tính" in text and "Sở Tài chính: Hoàn thành, 100%" in text
    with seeded.app_context():
        assert len(task_of("II.1").lines) == 3  # the page changed nothing
    assert client.post(f"/tasks/II.1/assignments/{aid}/delete").status_code == 302
    with seeded.app_context():
        task = task_of("II.1")
        assert sorted(line.agency.name for line in task.lines) == ["Sở Kế hoạch và Đầu tư",
                                                                  "Văn phòng Điều phối Chương trình xây dựng NTM tỉnh"]
        assert task.lines_started_on is None  # nobody left on the task has started
    history = client.get("/tasks/II.1").get_data(as_text=True)
    assert "bỏ Sở Tài chính" in history and "Chưa thực hiện → Hoàn thành" in history
