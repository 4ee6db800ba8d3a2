"""An officer's own work: its agency's lines, each judged by the line itself, grouped by what to do next."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa

from ..i18n import N_
from ..extensions import db
from ..plan.models import Plan, Task
from ..progress.category_sql import line_category, task_deadline
from ..progress.models import StatusLine
from ..i18n import label as vocab

SOON_DAYS = 7
GROUP_LABELS = {
    "overdue": N_("Quá hạn"),
    "due_soon": N_("Đến hạn trong %(days)s ngày"),
    "in_progress": N_("Đang thực hiện trong hạn"),
    "not_started": N_("Chưa thực hiện"),
    # The plan page's flag: a timeline nobody can read a deadline from, until the office sets one.
    "needs_date": N_("Cần xác định hạn"),
    "ongoing": N_("Thường xuyên, không có hạn cố định"),
    "done": N_("Đã hoàn thành"),
}
SHOWN = 50


@dataclass
class MyLine:
    """One of my agency's lines as the page lists it."""

    line_id: int
    code: str
    title: str
    timeline: str
    due_on: date | None
    status: str
    progress: int
    note: str
    category: str
    needs_date: bool


@dataclass
class Group:
    """A group of lines, how many in all, and the first of them."""

    key: str
    label: str
    total: int
    lines: list[MyLine]


def _group(as_of: date) -> sa.ColumnElement[str]:
    category = line_category(as_of)
    return sa.case(
        (category.in_(("done_on_time", "done_late")), "done"),
        (Task.needs_date.is_(True), "needs_date"),
        (sa.and_(category.in_(("in_progress", "not_started")), task_deadline() <= as_of + timedelta(days=SOON_DAYS)),
         "due_soon"),
        else_=category)


_ORDER = {
    "overdue": [Task.due_on, Task.position], "due_soon": [Task.due_on, Task.position],
    "in_progress": [Task.due_on, Task.position], "not_started": [Task.due_on, Task.position],
    "needs_date": [Task.position], "ongoing": [Task.position], "done": [StatusLine.completed_on.desc(), Task.position],
}


def my_work(plan: Plan, agency_id: int, as_of: date) -> list[Group]:
    """The agency's lines on the plan grouped (overdue, due within 7 days, in progress, not started,
    needing a date, ongoing, done), each group counted in full and listed up to 50."""
    group = _group(as_of)
    mine = sa.and_(Task.plan_id == plan.id, StatusLine.agency_id == agency_id)
    totals = dict(db.session.execute(sa.select(group, sa.func.count()).select_from(StatusLine)
                                     .join(Task, Task.id == StatusLine.task_id).where(mine).group_by(group)).all())
    groups = []
    for key, label in GROUP_LABELS.items():
        rows = []
        if totals.get(key):
            rows = [MyLine(*row) for row in db.session.execute(
                sa.select(StatusLine.id, Task.code, Task.title, Task.timeline, Task.due_on, StatusLine.status,
                          StatusLine.progress, StatusLine.note, line_category(as_of), Task.needs_date)
                .join(Task, Task.id == StatusLine.task_id).where(mine, group == key)
                .order_by(*_ORDER[key]).limit(SHOWN))]
        groups.append(Group(key, vocab(label, days=SOON_DAYS), totals.get(key, 0), rows))
    return groups
