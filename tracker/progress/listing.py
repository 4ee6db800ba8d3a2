"""Lists of tasks for the plan page, the API and agency sheets: filtered, counted and paged in SQL.

A request reads only the rows of its page, with their cells and agencies in a fixed number of
queries; totals and per-category counts are COUNT … GROUP BY, never a loop over the plan.
"""
from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from functools import lru_cache
from math import ceil

import sqlalchemy as sa
from flask import g, has_app_context
from sqlalchemy.orm import aliased

from ..changes import data_version, kept
from ..i18n import N_
from ..extensions import db
from ..plan.models import NO_DEADLINE_KEY, ROLES, Agency, Assignment, Plan, Section, Task
from ..plan.services import AgencyDirectory, AgencyRef, TaskFilter, task_conditions
from ..plan.timeline import KIND_LABELS
from .categories import CATEGORIES
from .category_sql import line_category, task_category, task_in_category
from .models import StatusLine

SORT_LABELS = {
    "section": N_("Theo thứ tự phụ lục"),
    "deadline": N_("Theo hạn, gần nhất trước"),
    "overdue": N_("Quá hạn lâu nhất trước"),
}
SORTS = tuple(SORT_LABELS)

# The line of the agency a list is filtered by, joined to each task of the list.
OWN_LINE = aliased(StatusLine, name="own_line")


@dataclass(frozen=True)
class Judge:
    """How a list judges each task: by the task as a whole, or, for one agency, by that agency's own line.

    After Đình Lập finished VIII.3 on time, VIII.3 is "done on time" in Đình Lập's lists even while
    another district keeps the task as a whole overdue. Tasks where the agency has no line (it only
    directs or coordinates) are judged as a whole.
    """

    agency_id: int | None = None
    # Only the tasks where the agency has its own line ("this agency, executing"): an inner join, so the
    # database reads the agency's lines from their index instead of every task of the plan.
    own_lines_only: bool = False

    @classmethod
    def for_filters(cls, filters: TaskFilter) -> Judge:
        """By the filtered agency's line when one agency (not a group) is chosen, in any role or as executing
        body; what it directs or coordinates is judged as a whole."""
        agency = filters.agency
        own = agency is not None and not agency.is_group and filters.role in (None, "executing")
        return cls(agency.id if own else None, own and filters.role == "executing")

    def join(self, statement: sa.Select) -> sa.Select:
        """The statement with the agency's line joined, if the list judges by it."""
        if self.agency_id is None:
            return statement
        on = sa.and_(OWN_LINE.task_id == Task.id, OWN_LINE.agency_id == self.agency_id)
        return statement.join(OWN_LINE, on) if self.own_lines_only else statement.outerjoin(OWN_LINE, on)

    def category(self, as_of: date) -> sa.ColumnElement[str]:
        """Each task's category on as_of as this list judges it."""
        if self.agency_id is None:
            return task_category(as_of)
        if self.own_lines_only:  # every row has the line: the CASE need not ask, nor read the line's id
            return line_category(as_of, OWN_LINE)
        return _own_or_task_category(as_of)

    def in_category(self, category: str, as_of: date) -> sa.ColumnElement[bool]:
        """Tasks in the category as this list judges them."""
        if self.agency_id is None:
            return task_in_category(category, as_of)
        return self.category(as_of) == category


@lru_cache(maxsize=256)
def _own_or_task_category(as_of: date) -> sa.ColumnElement[str]:
    return sa.case((OWN_LINE.id.is_not(None), line_category(as_of, OWN_LINE)), else_=task_category(as_of))


def list_conditions(plan: Plan, filters: TaskFilter, judge: Judge) -> list[sa.ColumnElement[bool]]:
    """The filters' conditions; "this agency, executing" means the tasks where it has its own line (the join)."""
    if judge.own_lines_only:
        return task_conditions(plan, replace(filters, agency=None, role=None))
    return task_conditions(plan, filters)


@dataclass
class TaskRow:
    """A task as a list shows it: its cells, the agencies it names and its category on the list's date.

    A plain record rather than the ORM object: a page of a hundred rows builds no model instances.
    """

    id: int
    code: str
    title: str
    section_numeral: str
    section_title: str
    section_position: int
    timeline: str
    schedule_kind: str
    start_on: date | None
    due_on: date | None
    recurrence: str | None
    needs_date: bool
    flag_note: str
    lead_text: str
    executing_text: str
    coordinating_text: str
    category: str
    as_of: date
    named: dict[str, list[AgencyRef]] = field(default_factory=dict)
    links: dict[str, str] = field(default_factory=dict)  # role -> the named agencies as HTML, set by a page
    sort_key: tuple = ()  # the row's values of its list's order: where the next page starts (keyset paging)

    @property
    def kind_label(self) -> str:
        """The schedule kind in Vietnamese."""
        return KIND_LABELS.get(self.schedule_kind, self.schedule_kind)

    @property
    def days_overdue(self) -> int | None:
        """Whole days past the deadline, for an overdue task."""
        if self.category != "overdue" or self.due_on is None:
            return None
        return (self.as_of - self.due_on).days

    def agencies(self, role: str) -> list[AgencyRef]:
        """The agencies or groups named in a role's cell, in the appendix's order."""
        return self.named.get(role, [])

    def cell_text(self, role: str) -> str:
        """The cell of a role as written in the appendix."""
        return getattr(self, f"{role}_text")


_ROW_COLUMNS = (Task.id, Task.code, Task.title, Section.numeral, Section.title, Section.position, Task.timeline,
                Task.schedule_kind, Task.start_on, Task.due_on, Task.recurrence, Task.needs_date, Task.flag_note,
                Task.lead_text, Task.executing_text, Task.coordinating_text)


# One expanding parameter rather than a literal per id: SQLAlchemy coerces each literal of an IN list.
_ASSIGNMENTS_OF = (sa.select(Assignment.task_id, Assignment.agency_id, Assignment.role)
                   .where(Assignment.task_id.in_(sa.bindparam("ids", expanding=True))).order_by(Assignment.id))


def directory() -> AgencyDirectory:
    """Every agency, read once per version of the data by each worker and shared by the lists a request draws."""
    if has_app_context():
        if "agency_directory" not in g:
            # A province's few dozen bodies change a few times a year, yet reading them was three statements
            # on every page that names one: a sixth of the plan page's time on PostgreSQL.
            g.agency_directory = kept("agency_directory", (data_version(),), AgencyDirectory.load, size=4)
        return g.agency_directory
    return AgencyDirectory.load()


def task_rows(conditions: list[sa.ColumnElement[bool]], as_of: date, order: list | None = None,
              limit: int | None = None, offset: int = 0, judge: Judge = Judge()) -> list[TaskRow]:
    """The tasks matching the conditions as rows, with the agencies they name: two queries for any page."""
    order = order or [Task.position, Task.id]
    statement = judge.join(sa.select(*_ROW_COLUMNS, judge.category(as_of), *order)
                           .join(Section, Section.id == Task.section_id))
    found = db.session.execute(statement.where(*conditions).order_by(*order).limit(limit).offset(offset)).all()
    width = len(_ROW_COLUMNS)
    rows = [TaskRow(*values[:width], category=values[width], as_of=as_of, named={role: [] for role in ROLES},
                    sort_key=tuple(values[width + 1:]))
            for values in found]
    # Even for an empty page: a request issues the same statements whatever the data.
    agencies = directory()
    by_id = {row.id: row for row in rows}
    for task_id, agency_id, role in db.session.execute(_ASSIGNMENTS_OF, {"ids": list(by_id)}):
        by_id[task_id].named[role].append(agencies[agency_id])
    return rows


@dataclass
class Page:
    """One page of a list, with what a pager needs."""

    items: list
    total: int
    page: int
    per_page: int
    next_after: tuple | None = None  # the last row's sort key when more rows may follow


    @property
    def pages(self) -> int:
        """How many pages there are."""
        return max(1, ceil(self.total / self.per_page))

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def prev_num(self) -> int:
        return self.page - 1

    @property
    def next_num(self) -> int:
        return self.page + 1


def _order(sort: str, as_of: date, category: str | None = None, judge: Judge = Judge()) -> list:
    """The list's order: never NULL in any key, so a row's key is also where the next page starts."""
    if sort == "deadline":  # work without a deadline last (its key is after every date), in the appendix's order
        return [Task.deadline_key, Task.position, Task.id]
    if sort == "overdue":
        if category == "overdue":  # every row is overdue: the earliest deadline is the longest overdue
            return [Task.due_on, Task.position, Task.id]
        overdue = judge.in_category("overdue", as_of)
        # Overdue work first, the longest overdue at the top; the rest in the appendix's order.
        return [sa.case((overdue, 0), else_=1),
                sa.case((overdue, Task.due_on), else_=sa.literal(NO_DEADLINE_KEY, sa.Date)), Task.position, Task.id]
    return [Task.position, Task.id]


class BadCursor(ValueError):
    """A keyset cursor that is not the key of a row of this list's order."""


def _after(order: list, values: tuple) -> sa.ColumnElement[bool]:
    """Rows after the given key in the order: one row-value comparison, which the order's index answers."""
    if len(values) != len(order):
        raise BadCursor("the cursor has another number of keys than the order")
    typed = []
    for expression, value in zip(order, values):
        if isinstance(expression.type, sa.Date):
            if not isinstance(value, (str, date)):
                raise BadCursor("a date key is not a date")
            try:
                value = date.fromisoformat(value) if isinstance(value, str) else value
            except ValueError as error:
                raise BadCursor(str(error)) from None
        elif isinstance(value, bool) or not isinstance(value, int) or not -2**63 <= value < 2**63:
            raise BadCursor("a whole-number key is not a whole number")
        typed.append(sa.literal(value, expression.type))
    return sa.tuple_(*order) > sa.tuple_(*typed)


def task_page(plan: Plan, filters: TaskFilter, *, as_of: date, category: str | None = None,
              sort: str = "section", page: int = 1, per_page: int = 100, after: tuple | None = None) -> Page:
    """One page of the plan's tasks matching the filters (and the category on as_of), each with its category.

    With one agency chosen, each task is judged by that agency's own line (see Judge). With `after` (a row's
    sort_key), the page is the rows following that row, found by the order's index rather than skipped
    over with OFFSET; BadCursor when it is not a key of this order.
    """
    judge = Judge.for_filters(filters)
    conditions = list_conditions(plan, filters, judge)
    if category:
        conditions.append(judge.in_category(category, as_of))
    # Kept per version of the data: counting 13,000 overdue tasks was the page's costliest statement, and a
    # list is read again and again (its next pages, another officer) between two writes.
    count = judge.join(sa.select(sa.func.count()).select_from(Task)).where(*conditions)
    total = kept("list_totals", (plan.id, filters.key(), category, as_of if category else None, data_version()),
                 lambda: db.session.scalar(count), size=256)
    page = max(page, 1)
    order = _order(sort, as_of, category, judge)
    if after is not None:
        rows = task_rows([*conditions, _after(order, after)], as_of, order, limit=per_page, judge=judge)
    else:
        rows = task_rows(conditions, as_of, order, limit=per_page, offset=(page - 1) * per_page, judge=judge)
    more = len(rows) == per_page
    return Page(rows, total, page, per_page, rows[-1].sort_key if rows and more else None)


def category_counts(conditions: list[sa.ColumnElement[bool]], as_of: date, judge: Judge = Judge()) -> dict[str, int]:
    """How many tasks matching the conditions fall in each category on as_of (every category, zeros too)."""
    category = judge.category(as_of).label("category")
    found = dict(db.session.execute(judge.join(
        sa.select(category, sa.func.count()).select_from(Task)).where(*conditions).group_by(category)).all())
    return {name: found.get(name, 0) for name in CATEGORIES}


@dataclass
class RoleSheet:
    """An agency's tasks in one role: how many, by category, and the first of them."""

    role: str
    total: int
    counts: dict[str, int]
    rows: list[TaskRow]
    via: dict[int, AgencyRef]  # task id -> the group through which the agency is named, when not directly


def agency_sheet(plan: Plan, agency: Agency, as_of: date, limit: int = 50) -> list[RoleSheet]:
    """An agency's responsibility sheet: for each role, counts by category and the first tasks in appendix order.

    Where it executes, each task is judged by the agency's own line; where it directs or coordinates,
    by the task as a whole.
    """
    groups = {group.id for group in agency.groups}
    sheets = []
    for role in ("executing", "lead", "coordinating"):
        filters = TaskFilter(agency=agency, role=role)
        judge = Judge.for_filters(filters)
        conditions = list_conditions(plan, filters, judge)
        counts = category_counts(conditions, as_of, judge)
        rows = task_rows(conditions, as_of, limit=limit, judge=judge)
        via: dict[int, AgencyRef] = {}
        for row in rows:
            named = [a.id for a in row.agencies(role)]
            if agency.id not in named:
                via[row.id] = next((directory()[a] for a in named if a in groups), None)
        sheets.append(RoleSheet(role, sum(counts.values()), counts, rows, via))
    return sheets
