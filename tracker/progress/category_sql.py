"""The categories as SQL: the same rules as categories.py, for lists, filters and counts of any size.

categories.py states the rules in Python and stays the specification; a property test holds these
expressions to it. A line's category is a CASE over the line and its task. A task's category needs
all of its lines, so two facts are aggregated from them in SQL whenever a line changes and kept on
the task (``lines_done_on``, ``lines_started_on``); from those, the category on any date is a CASE
over the task's own row, and "overdue on 15/04" is a range on an index.
"""
from __future__ import annotations

from datetime import date
from functools import lru_cache

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from ..plan.models import Task
from .categories import CATEGORIES, NO_DEADLINE_KINDS
from .models import StatusLine

# Building these CASE expressions costs more than running them on a page of rows (SQLAlchemy
# constructs and coerces every clause), so each is built once per date and reused: they are immutable.
# A line marked started or done without a date counts as started on any date (see status_on).
ALWAYS = date.min
STARTED_STATUSES = ("in_progress", "paused", "done")


@lru_cache(maxsize=256)
def task_deadline() -> sa.ColumnElement:
    """The date a task is judged against; NULL for work with no fixed deadline."""
    return sa.case((Task.schedule_kind.in_(NO_DEADLINE_KINDS), sa.null()), else_=Task.due_on)


# --- one line --------------------------------------------------------------------------------------

def _line_done_by(as_of: date, line=StatusLine) -> sa.ColumnElement[bool]:
    return sa.and_(line.status == "done", line.completed_on.is_not(None), line.completed_on <= as_of)


def _line_started_by(as_of: date, line=StatusLine) -> sa.ColumnElement[bool]:
    return sa.or_(
        sa.and_(line.started_on.is_not(None), line.started_on <= as_of),
        sa.and_(line.status.in_(STARTED_STATUSES), line.started_on.is_(None)),
    )


@lru_cache(maxsize=256)
def line_category(as_of: date, line=StatusLine) -> sa.ColumnElement[str]:
    """A line's category on as_of (the query must join the line's task); `line` may be an alias."""
    deadline = task_deadline()
    return sa.case(
        (_line_done_by(as_of, line), sa.case(
            (sa.and_(deadline.is_not(None), line.completed_on > deadline), "done_late"),
            else_="done_on_time")),
        (deadline.is_(None), "ongoing"),
        (deadline < as_of, "overdue"),
        (_line_started_by(as_of, line), "in_progress"),
        else_="not_started",
    )


@lru_cache(maxsize=256)
def line_in_category(category: str, as_of: date, line=StatusLine) -> sa.ColumnElement[bool]:
    """Lines whose category on as_of is the given one (the query must join the line's task)."""
    return line_category(as_of, line) == category


# --- a task, from the facts aggregated over its lines ------------------------------------------------

def _line_active_from() -> sa.ColumnElement:
    """The first date a line counts as started: its start, its completion if earlier, or always."""
    completed = sa.case((StatusLine.status == "done", StatusLine.completed_on), else_=sa.null())
    return sa.case(
        (sa.and_(StatusLine.status.in_(STARTED_STATUSES), StatusLine.started_on.is_(None)), sa.literal(ALWAYS, sa.Date)),
        (sa.and_(completed.is_not(None), sa.or_(StatusLine.started_on.is_(None), completed < StatusLine.started_on)),
         completed),
        else_=StatusLine.started_on,
    )


def rollup_values(task_id: sa.ColumnElement) -> dict[str, sa.ScalarSelect]:
    """The task's two line facts as aggregates over its lines, for an UPDATE of the task."""
    finished = sa.func.sum(sa.case((sa.and_(StatusLine.status == "done", StatusLine.completed_on.is_not(None)), 1),
                                   else_=0))
    done_on = (sa.select(sa.case((sa.and_(sa.func.count() > 0, sa.func.count() == finished),
                                  sa.func.max(StatusLine.completed_on)), else_=sa.null()))
               .where(StatusLine.task_id == task_id))
    started_on = sa.select(sa.func.min(_line_active_from())).where(StatusLine.task_id == task_id)
    return {"lines_done_on": done_on.scalar_subquery(), "lines_started_on": started_on.scalar_subquery()}


def refresh_rollups(connection: sa.Connection, *where: sa.ColumnElement[bool]) -> None:
    """Recompute the line facts of the tasks matching where (every task when none is given)."""
    table = Task.__table__
    statement = sa.update(table).values(**rollup_values(table.c.id))
    if where:
        statement = statement.where(*where)
    connection.execute(statement)


@lru_cache(maxsize=256)
def task_category(as_of: date) -> sa.ColumnElement[str]:
    """A task's category on as_of, from its own row."""
    deadline = task_deadline()
    return sa.case(
        (_task_done_by(as_of), sa.case(
            (sa.and_(deadline.is_not(None), Task.lines_done_on > deadline), "done_late"), else_="done_on_time")),
        (deadline.is_(None), "ongoing"),
        (deadline < as_of, "overdue"),
        (sa.and_(Task.lines_started_on.is_not(None), Task.lines_started_on <= as_of), "in_progress"),
        else_="not_started",
    )


def _task_done_by(as_of: date) -> sa.ColumnElement[bool]:
    return sa.and_(Task.lines_done_on.is_not(None), Task.lines_done_on <= as_of)


@lru_cache(maxsize=256)
def task_in_category(category: str, as_of: date) -> sa.ColumnElement[bool]:
    """Tasks whose category on as_of is the given one, written so an index on the deadline can serve."""
    if category not in CATEGORIES:
        raise ValueError(f"unknown category {category!r}")
    done = _task_done_by(as_of)
    fixed = sa.and_(Task.schedule_kind.not_in(NO_DEADLINE_KINDS), Task.due_on.is_not(None))
    started = sa.and_(Task.lines_started_on.is_not(None), Task.lines_started_on <= as_of)
    late = sa.and_(fixed, Task.lines_done_on > Task.due_on)
    return {
        "done_on_time": sa.and_(done, sa.not_(late)),
        "done_late": sa.and_(done, late),
        "ongoing": sa.and_(sa.not_(done), sa.not_(fixed)),
        "overdue": sa.and_(fixed, Task.due_on < as_of, sa.not_(done)),
        "in_progress": sa.and_(fixed, Task.due_on >= as_of, sa.not_(done), started),
        "not_started": sa.and_(fixed, Task.due_on >= as_of, sa.not_(done), sa.not_(started)),
    }[category]


# --- keeping the facts in step -------------------------------------------------------------------------

_WATCHED = ("status", "started_on", "completed_on", "task_id")
_PENDING = "tracker.rollup_task_ids"
_CHANGED = "tracker.rollup_changed_task_ids"


def _tasks_of(target: StatusLine) -> set[int]:
    """Every task a line belonged to in this flush (its foreign key's old and new values)."""
    history = sa.inspect(target).attrs.task_id.history
    found = {t for t in (*history.added, *history.unchanged, *history.deleted) if t is not None}
    if target.task_id is not None:
        found.add(target.task_id)
    return found


def _note(target: StatusLine) -> None:
    session = sa.inspect(target).session
    if session is not None:
        session.info.setdefault(_CHANGED, set()).update(_tasks_of(target))


# Mapper events see every row the flush writes, orphans removed from `task.lines` included (they are
# not in session.deleted); the session's after_flush then recomputes each touched task once.
@event.listens_for(StatusLine, "after_insert")
@event.listens_for(StatusLine, "after_delete")
def _line_written(_mapper, _connection, target: StatusLine) -> None:
    _note(target)


@event.listens_for(StatusLine, "after_update")
def _line_changed(_mapper, _connection, target: StatusLine) -> None:
    state = sa.inspect(target)
    if any(state.attrs[name].history.has_changes() for name in _WATCHED):
        _note(target)


@event.listens_for(Session, "after_flush")
def _refresh_after_flush(session: Session, _context) -> None:
    """Every flush that adds, removes or re-dates a line recomputes its task's facts in the same transaction."""
    task_ids = session.info.pop(_CHANGED, set())
    if task_ids:
        refresh_rollups(session.connection(), Task.__table__.c.id.in_(sorted(task_ids)))
        session.info.setdefault(_PENDING, set()).update(task_ids)


@event.listens_for(Session, "after_flush_postexec")
def _expire_refreshed(session: Session, _context) -> None:
    """Tasks already loaded read their new facts from the database on next access."""
    for task_id in session.info.pop(_PENDING, ()):
        task = session.identity_map.get(sa.inspect(Task).identity_key_from_primary_key((task_id,)))
        if task is not None:
            session.expire(task, ["lines_done_on", "lines_started_on"])
