"""The dashboard's figures for a plan on a date: every count a GROUP BY, every list a page of rows.

Counts per agency judge each agency by its own line (as the plan page does when one agency is
chosen), so a district that finished on time is not counted late because a neighbour is.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa

from ..clock import zone
from ..extensions import db
from ..plan.models import Plan, Section, Task
from ..plan.services import AgencyRef
from ..progress.categories import CATEGORIES
from ..progress.category_sql import line_category, task_category, task_deadline
from ..progress.listing import category_counts, directory
from ..progress.models import StatusLine
from ..quarters import Quarter

STALE_DAYS = 30
LISTED = 20  # rows a dashboard list shows before "xem tất cả"


def _zeros() -> dict[str, int]:
    return {name: 0 for name in CATEGORIES}


@dataclass
class CountRow:
    """A row of a matrix: who or what, and its counts by category."""

    key: str  # a section's numeral or an agency's id, as the plan page's filter takes it
    label: str
    counts: dict[str, int] = field(default_factory=_zeros)

    @property
    def total(self) -> int:
        """All its tasks (or lines)."""
        return sum(self.counts.values())


def overall(plan: Plan, as_of: date) -> dict[str, int]:
    """The plan's tasks by category on as_of."""
    return category_counts([Task.plan_id == plan.id], as_of)


def by_section(plan: Plan, as_of: date) -> list[CountRow]:
    """Tasks by category for each section, in the appendix's order (one GROUP BY)."""
    category = task_category(as_of).label("category")
    sections = db.session.execute(sa.select(Section.id, Section.numeral, Section.title)
                                  .where(Section.plan_id == plan.id).order_by(Section.position)).all()
    rows = {section_id: CountRow(numeral, f"{numeral}. {title}") for section_id, numeral, title in sections}
    for section_id, name, count in db.session.execute(
            sa.select(Task.section_id, category, sa.func.count()).where(Task.plan_id == plan.id)
            .group_by(Task.section_id, category)):
        rows[section_id].counts[name] = count
    return list(rows.values())


MATRIX_SORTS = ("name", "total", *CATEGORIES)


def by_agency(plan: Plan, as_of: date) -> list[CountRow]:
    """Each executing body's lines by category (one GROUP BY), in Vietnamese order of names."""
    category = line_category(as_of).label("category")
    agencies = directory()
    rows: dict[int, CountRow] = {}
    for agency_id, name, count in db.session.execute(
            sa.select(StatusLine.agency_id, category, sa.func.count()).join(Task, Task.id == StatusLine.task_id)
            .where(Task.plan_id == plan.id).group_by(StatusLine.agency_id, category)):
        ref = agencies[agency_id]
        rows.setdefault(agency_id, CountRow(str(agency_id), ref.name)).counts[name] = count
    return sorted(rows.values(), key=lambda row: agencies[int(row.key)].sort_key)


@dataclass
class LineRow:
    """A body's line on a task, as the dashboard's lists show it."""

    code: str
    title: str
    agency: AgencyRef
    due_on: date | None
    status: str
    progress: int
    note: str
    updated_at: datetime | None
    days: int | None = None  # days overdue, or days without an update

    @property
    def updated_on(self) -> date | None:
        """The day of the last update, in Việt Nam."""
        return self.updated_at.replace(tzinfo=timezone.utc).astimezone(zone()).date() if self.updated_at else None


_LINE_COLUMNS = (Task.code, Task.title, StatusLine.agency_id, Task.due_on, StatusLine.status, StatusLine.progress,
                 StatusLine.note, StatusLine.updated_at)


def line_rows(statement: sa.Select) -> list[LineRow]:
    """Rows of _LINE_COLUMNS as LineRows, each with its agency from the directory."""
    agencies = directory()
    return [LineRow(code, title, agencies[agency_id], due_on, status, progress, note, updated_at)
            for code, title, agency_id, due_on, status, progress, note, updated_at in db.session.execute(statement)]


@dataclass
class Listing:
    """The first rows of a list and how many there are in all."""

    total: int
    rows: list


def _listing(base: sa.Select, order: list, make) -> Listing:
    total = db.session.scalar(sa.select(sa.func.count()).select_from(base.order_by(None).subquery()))
    return Listing(total, make(base.order_by(*order).limit(LISTED)))


def lines_of(plan: Plan) -> sa.Select:
    """Every line of the plan, as _LINE_COLUMNS (to be filtered and ordered)."""
    return sa.select(*_LINE_COLUMNS).join(Task, Task.id == StatusLine.task_id).where(Task.plan_id == plan.id)


def overdue_lines(plan: Plan, as_of: date) -> Listing:
    """Bodies' lines overdue on as_of, the longest overdue first, with each body's last update."""
    base = lines_of(plan).where(line_category(as_of) == "overdue")
    listing = _listing(base, [Task.due_on, Task.position, StatusLine.agency_id], line_rows)
    for row in listing.rows:
        row.days = (as_of - row.due_on).days
    return listing


def stale_lines(plan: Plan, as_of: date, days: int = STALE_DAYS) -> Listing:
    """Unfinished lines with no update in the last `days` days (or never), the longest silent first."""
    since = datetime.combine(as_of - timedelta(days=days), time.min, zone()).astimezone(timezone.utc).replace(tzinfo=None)
    unfinished = line_category(as_of).not_in(("done_on_time", "done_late"))
    base = lines_of(plan).where(unfinished, sa.or_(StatusLine.updated_at.is_(None), StatusLine.updated_at < since))
    listing = _listing(base, [StatusLine.updated_at.is_not(None), StatusLine.updated_at, Task.position], line_rows)
    for row in listing.rows:
        row.days = (as_of - row.updated_on).days if row.updated_on else None
    return listing


@dataclass
class TaskBrief:
    """A task in a dashboard list."""

    code: str
    title: str
    due_on: date | None
    timeline: str
    category: str


def _task_rows(statement: sa.Select) -> list[TaskBrief]:
    return [TaskBrief(*row) for row in db.session.execute(statement)]


def due_within(plan: Plan, as_of: date, first: int, last: int) -> Listing:
    """Unfinished tasks whose deadline falls `first` to `last` days after as_of, nearest first."""
    deadline = task_deadline()
    category = task_category(as_of)
    base = (sa.select(Task.code, Task.title, Task.due_on, Task.timeline, category)
            .where(Task.plan_id == plan.id, deadline >= as_of + timedelta(days=first),
                   deadline <= as_of + timedelta(days=last), category.in_(("in_progress", "not_started"))))
    return _listing(base, [Task.due_on, Task.position], _task_rows)


def needing_a_date(plan: Plan, as_of: date) -> Listing:
    """Tasks whose timeline could not be read as a date: the office must set one."""
    base = (sa.select(Task.code, Task.title, Task.due_on, Task.timeline, task_category(as_of))
            .where(Task.plan_id == plan.id, Task.needs_date.is_(True)))
    return _listing(base, [Task.position], _task_rows)


def quarter_end_before(as_of: date) -> date:
    """The last day of the quarter before the one as_of falls in."""
    return Quarter.of(as_of).previous.end


def quarter_ends(plan: Plan, as_of: date) -> list[date]:
    """The plan year's quarter ends up to as_of, then as_of itself: the trend's dates."""
    return [q.end for q in Quarter.of_year(plan.year) if q.end < as_of] + [as_of]


@dataclass
class Movement:
    """How the counts moved between two dates."""

    since: date
    before: dict[str, int]
    now: dict[str, int]

    @property
    def change(self) -> dict[str, int]:
        """Now minus before, by category."""
        return {name: self.now[name] - self.before[name] for name in CATEGORIES}


def movement(plan: Plan, as_of: date, now: dict[str, int]) -> Movement:
    """The counts at the last quarter's end against those on as_of: the same query on an earlier date."""
    since = quarter_end_before(as_of)
    return Movement(since, overall(plan, since), now)


def trend(plan: Plan, as_of: date, now: dict[str, int]) -> list[tuple[date, dict[str, int]]]:
    """The counts at each quarter end of the plan year so far, and on as_of."""
    return [(day, now if day == as_of else overall(plan, day)) for day in quarter_ends(plan, as_of)]
