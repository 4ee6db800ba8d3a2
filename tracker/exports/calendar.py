"""The calendar feed (ICS): task deadlines and report due dates, for the whole plan or one agency.

All-day events on the deadline, each with a stable UID so a calendar that refreshes the feed moves
an event when its deadline moves instead of adding a second one.
"""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask import current_app

from ..extensions import db
from ..plan.models import Agency, Assignment, Plan, Task
from ..progress.categories import NO_DEADLINE_KINDS
from ..reporting.models import ReportingRound, round_bodies

if TYPE_CHECKING:
    from icalendar import Event


def _event(uid: str, day, summary: str, description: str, url: str, stamp: datetime) -> Event:
    from icalendar import Event

    event = Event()
    event.add("uid", f"{uid}@{current_app.config['MAIL_DOMAIN']}")
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + timedelta(days=1))
    event.add("summary", summary)
    event.add("description", description)
    event.add("url", url)
    event.add("transp", "TRANSPARENT")  # a deadline does not make anyone busy
    return event


def calendar_feed(plan: Plan, agency: Agency | None, now: datetime) -> bytes:
    """The ICS text of the plan's deadlines (an agency's only, when given) and its rounds' due dates."""
    from icalendar import Calendar  # only calendars read it (some 2 MiB a web worker otherwise never needs)

    base = current_app.config["BASE_URL"].rstrip("/")
    calendar = Calendar()
    calendar.add("prodid", "-//Theo doi ke hoach NTM Lang Son//tracker//VI")
    calendar.add("version", "2.0")
    name = f"Hạn công việc {plan.title}" + (f" · {agency.name}" if agency else "")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", current_app.config["TIMEZONE"])
    stamp = now.replace(tzinfo=timezone.utc)
    tasks = sa.select(Task.id, Task.code, Task.title, Task.executing_text, Task.due_on).where(
        Task.plan_id == plan.id, Task.due_on.is_not(None), Task.schedule_kind.not_in(NO_DEADLINE_KINDS))
    rounds = sa.select(ReportingRound.id, ReportingRound.title, ReportingRound.due_on).where(
        ReportingRound.plan_id == plan.id)
    if agency is not None:
        ids = [agency.id, *(group.id for group in agency.groups)]
        tasks = tasks.where(Task.id.in_(sa.select(Assignment.task_id).where(Assignment.agency_id.in_(ids))))
        rounds = rounds.where(ReportingRound.id.in_(
            sa.select(round_bodies.c.round_id).where(round_bodies.c.agency_id == agency.id)))
    for task_id, code, title, executing, due_on in db.session.execute(tasks.order_by(Task.due_on, Task.position)):
        calendar.add_component(_event(f"task-{task_id}", due_on, f"Hạn {code}: {title}",
                                      f"Cơ quan thực hiện: {executing}", f"{base}/tasks/{code}?year={plan.year}", stamp))
    for round_id, title, due_on in db.session.execute(rounds.order_by(ReportingRound.due_on)):
        calendar.add_component(_event(f"round-{round_id}", due_on, f"Hạn nộp: {title}",
                                      "Nộp báo cáo cho Ban Chỉ đạo tỉnh qua Văn phòng Điều phối.",
                                      f"{base}/rounds/{round_id}", stamp))
    return calendar.to_ical()
