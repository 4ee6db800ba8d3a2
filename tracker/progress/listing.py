"""Lists of tasks for the plan page, the API and agency sheets: filtered, counted and paged in SQL.

A request reads only the rows of its page, with their cells and agencies in a fixed number of
queries; totals and per-category counts are COUNT … GROUP BY, never a loop over the plan.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from math import ceil

import sqlalchemy as sa

from ..extensions import db
from ..plan.models import Agency, Assignment, Plan, Task
from ..plan.services import TaskFilter, task_conditions, with_cells
from .categories import CATEGORIES
from .category_sql import task_category, task_deadline, task_in_category

SORT_LABELS = {
    "section": "Theo thứ tự phụ lục",
    "deadline": "Theo hạn, gần nhất trước",
    "overdue": "Quá hạn lâu nhất trước",
}
SORTS = tuple(SORT_LABELS)


@dataclass(frozen=True)
class TaskRow:
    """A task on a list, with its category on the list's date."""

    task: Task
    category: str
    as_of: date

    @property
    def days_overdue(self) -> int | None:
        """Whole days past the deadline, for an overdue task."""
        if self.category != "overdue" or self.task.due_on is None:
            return None
        return (self.as_of - self.task.due_on).days


@dataclass
class Page:
    """One page of a list, with what a pager needs."""

    items: list
    total: int
    page: int
    per_page: int

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


def _order(sort: str, as_of: date) -> list:
    if sort == "deadline":
        deadline = task_deadline()
        return [deadline.is_(None), deadline, Task.position, Task.id]
    if sort == "overdue":
        overdue = task_in_category("overdue", as_of)
        # Overdue work first, the longest overdue at the top; the rest in the appendix's order.
        return [sa.case((overdue, 0), else_=1), sa.case((overdue, Task.due_on), else_=sa.null()), Task.position,
                Task.id]
    return [Task.position, Task.id]


def task_page(plan: Plan, filters: TaskFilter, *, as_of: date, category: str | None = None,
              sort: str = "section", page: int = 1, per_page: int = 100) -> Page:
    """One page of the plan's tasks matching the filters (and the category on as_of), each with its category."""
    conditions = task_conditions(plan, filters)
    if category:
        conditions.append(task_in_category(category, as_of))
    total = db.session.scalar(sa.select(sa.func.count()).select_from(Task).where(*conditions))
    page = max(page, 1)
    rows = db.session.execute(
        sa.select(Task, task_category(as_of)).where(*conditions).order_by(*_order(sort, as_of))
        .limit(per_page).offset((page - 1) * per_page).options(*with_cells())
    ).all()
    return Page([TaskRow(task, found, as_of) for task, found in rows], total, page, per_page)


def category_counts(conditions: list[sa.ColumnElement[bool]], as_of: date) -> dict[str, int]:
    """How many tasks matching the conditions fall in each category on as_of (every category, zeros too)."""
    category = task_category(as_of).label("category")
    found = dict(db.session.execute(
        sa.select(category, sa.func.count()).select_from(Task).where(*conditions).group_by(category)).all())
    return {name: found.get(name, 0) for name in CATEGORIES}


@dataclass
class RoleSheet:
    """An agency's tasks in one role: how many, by category, and the first of them."""

    role: str
    total: int
    counts: dict[str, int]
    rows: list[TaskRow]
    via: dict[int, Agency]  # task id -> the group through which the agency is named, when not directly


def agency_sheet(plan: Plan, agency: Agency, as_of: date, limit: int = 50) -> list[RoleSheet]:
    """An agency's responsibility sheet: for each role, counts by category and the first tasks in appendix order."""
    groups = {group.id: group for group in agency.groups}
    sheets = []
    for role in ("executing", "lead", "coordinating"):
        conditions = task_conditions(plan, TaskFilter(agency=agency, role=role))
        counts = category_counts(conditions, as_of)
        rows = db.session.execute(
            sa.select(Task, task_category(as_of)).where(*conditions).order_by(Task.position, Task.id).limit(limit)
        ).all()
        direct = set(db.session.scalars(sa.select(Assignment.task_id).where(
            Assignment.task_id.in_([task.id for task, _ in rows]), Assignment.agency_id == agency.id,
            Assignment.role == role)))
        via_rows = db.session.execute(sa.select(Assignment.task_id, Assignment.agency_id).where(
            Assignment.task_id.in_([task.id for task, _ in rows if task.id not in direct]),
            Assignment.agency_id.in_(list(groups)), Assignment.role == role).order_by(Assignment.id)).all()
        via: dict[int, Agency] = {}
        for task_id, group_id in via_rows:
            via.setdefault(task_id, groups[group_id])
        sheets.append(RoleSheet(role, sum(counts.values()), counts,
                                [TaskRow(task, found, as_of) for task, found in rows], via))
    return sheets
