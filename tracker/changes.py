"""A change counter for cached figures: every transaction that writes plan data adds one row here.

The dashboard's figures over a whole plan are costly at tens of thousands of tasks and change only
when somebody writes; they are cached under the id of the newest row of this log, so a write makes
the next request recompute them. An insert-only log rather than one counter row: concurrent
writers never wait on each other for it. The nightly job prunes all but the newest row.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime
from typing import TypeVar

import sqlalchemy as sa
from flask import current_app
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from .clock import utcnow
from .extensions import db

_WATCHED: set[type] = set()
_WATCHED_COLLECTIONS: set[type] = set()
_NOTED = "tracker.change_noted"


class DataChange(db.Model):
    """One transaction that wrote plan data."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)


def watch(*classes: type, collections: bool = False) -> None:
    """Writes to these models (through the ORM or as bulk statements) count as changes; with collections,
    so does adding to or taking from one of their collections (a group's members)."""
    _WATCHED.update(classes)
    if collections:
        _WATCHED_COLLECTIONS.update(classes)


def latest_change() -> int:
    """The newest change's id (0 before any)."""
    return db.session.scalar(sa.select(sa.func.max(DataChange.id))) or 0


def data_version() -> tuple:
    """The newest change's id and time: the version of the data a cache may key on.

    The time too, so a database put back to an earlier state (a restore, a test's fresh copy) and then
    written to again cannot repeat a version that meant other data.
    """
    row = db.session.execute(sa.select(DataChange.id, DataChange.at).order_by(DataChange.id.desc()).limit(1)).first()
    return tuple(row) if row else (0, None)


T = TypeVar("T")


def kept(store: str, key: tuple, compute: Callable[[], T], size: int = 32) -> T:
    """compute(), kept by this worker in the named store under key until it is among the least recently used.

    The key names the version of the data (data_version()), so a write anywhere makes the next request
    compute afresh. Only plain records may be kept, read and never changed by a page: nothing bound to a
    database session.
    """
    lock, found = current_app.extensions.setdefault(f"kept.{store}", (threading.Lock(), OrderedDict()))
    with lock:
        if key in found:
            found.move_to_end(key)
            return found[key]
    value = compute()
    with lock:
        found[key] = value
        while len(found) > size:
            found.popitem(last=False)
    return value


def forget_kept(app) -> None:
    """Drop everything the app's worker keeps (a test puts another database under a running app)."""
    for name in [name for name in app.extensions if name.startswith("kept.")]:
        del app.extensions[name]


def forget_old_changes() -> int:
    """Delete every change but the newest (nightly); how many went."""
    newest = latest_change()
    return db.session.execute(sa.delete(DataChange).where(DataChange.id < newest)).rowcount


def _note(session: Session) -> None:
    if not session.info.get(_NOTED):
        session.info[_NOTED] = True
        session.connection().execute(sa.insert(DataChange.__table__).values(at=utcnow()))


@event.listens_for(Session, "after_flush")
def _after_flush(session: Session, _context) -> None:
    # `dirty` holds every object an attribute was set on, to the same value too: only real changes count.
    changed = (obj for obj in session.dirty
               if session.is_modified(obj, include_collections=type(obj) in _WATCHED_COLLECTIONS))
    if any(type(obj) in _WATCHED for obj in (*session.new, *changed, *session.deleted)):
        _note(session)


@event.listens_for(Session, "do_orm_execute")
def _bulk_statement(state) -> None:
    if (state.is_update or state.is_delete or state.is_insert) and state.bind_mapper is not None \
            and state.bind_mapper.class_ in _WATCHED:
        _note(state.session)


@event.listens_for(Session, "after_commit")
@event.listens_for(Session, "after_rollback")
def _transaction_ended(session: Session) -> None:
    session.info.pop(_NOTED, None)
