"""The administrative record: who changed accounts, roles, tokens, settings, deadlines, assignments and
imports, when, from where, and each row's values before and after. Append-only.

An operation declared `@operation(audited=True)` (tracker/operations.py) is watched while it runs: every
row it inserts, changes or deletes is noted at flush, and when it returns one `AuditEvent` records the
operation, the actor and the rows' changes, in the same transaction (a refused change leaves no record,
as it leaves no change). Values that are secrets (password and token hashes, two-factor secrets) are
recorded only as "changed". Work outside requests (`flask import-appendix`) calls `record` itself.

Nothing updates or deletes a record: the ORM refuses it, and the database refuses it with a trigger.
The actor's name and e-mail are copied into the record, so it reads the same after the account changes.
"""
from __future__ import annotations

import contextlib
import json
from datetime import date, datetime
from decimal import Decimal
from enum import Enum

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.orm import Mapped, Session, mapped_column

from .clock import utcnow
from .extensions import db

_SCOPES = "tracker.audit.scopes"
# Columns whose values are never copied into the record: only that they changed.
_SECRET_PARTS = ("password", "hash", "secret")
# Tables whose rows are bookkeeping, not administrative acts: counters, mail queue, the change log.
_IGNORED_TABLES = {"data_change", "rate_limit", "audit_event", "outbox_message", "sent_reminder", "job_run",
                   "scheduler_lease", "task_event"}
# An import changes hundreds of rows: the record keeps this many of them and counts the rest.
MAX_ROWS = 200


class AuditEvent(db.Model):
    """One administrative act: an operation by a person (or a command), with the rows it changed."""

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    actor_label: Mapped[str] = mapped_column(sa.String(500), default="")  # "Name <email>" as it was then
    address: Mapped[str] = mapped_column(sa.String(64), default="")  # the client's IP, or "" from a command
    action: Mapped[str] = mapped_column(sa.String(80), index=True)  # the operation: "auth.update_user", …
    summary: Mapped[str] = mapped_column(sa.String(500), default="")  # what it acted on, in words
    changes: Mapped[list] = mapped_column(sa.JSON, default=list)  # [{table, id, label, kind, before, after}]


def _scopes(session: Session) -> list[dict]:
    return session.info.setdefault(_SCOPES, [])


@contextlib.contextmanager
def watching(action: str, actor=None):
    """Record, when the block ends without an error, one event for `action` with every row it changed."""
    session = db.session()
    scope = {"action": action, "actor": actor, "changes": {}}
    _scopes(session).append(scope)
    try:
        yield scope
        session.flush()
    finally:
        _scopes(session).remove(scope)
    if scope["changes"]:
        record(action, scope["actor"], changes=list(scope["changes"].values()))


def record(action: str, actor=None, *, summary: str = "", changes: list | None = None) -> AuditEvent:
    """Add one event to the record (flushed with the caller's transaction)."""
    label = ""
    if actor is not None and getattr(actor, "id", None) is not None:
        label = f"{actor.name} <{actor.email}>" if actor.name else actor.email
    changes = changes or []
    if len(changes) > MAX_ROWS:
        left = len(changes) - MAX_ROWS
        changes = changes[:MAX_ROWS] + [{"table": "", "id": None, "label": f"… {left}", "kind": "more",
                                         "before": {}, "after": {}}]
    event_ = AuditEvent(at=utcnow(), actor_id=getattr(actor, "id", None), actor_label=label[:500],
                        address=(request.remote_addr or "")[:64] if has_request_context() else "",
                        action=action[:80], summary=(summary or _summary(changes))[:500], changes=changes)
    db.session.add(event_)
    db.session.flush()
    return event_


def _summary(changes: list[dict]) -> str:
    return "; ".join(change["label"] for change in changes[:5] if change["label"]) + ("; …" if len(changes) > 5 else "")


def _plain(value):
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    try:
        json.dumps(value)
        return value
    except TypeError:
        return str(value)


def _secret(column: str) -> bool:
    return any(part in column for part in _SECRET_PARTS)


def _label(obj) -> str:
    for attribute in ("email", "title", "name", "code", "original_name"):
        value = getattr(obj, attribute, None)
        if isinstance(value, str) and value:
            return f"{obj.__tablename__} {value}"[:200]
    return f"{obj.__tablename__} {getattr(obj, 'id', '')}".strip()


def _note(scope: dict, obj, kind: str) -> None:
    mapper = sa.inspect(obj).mapper
    state = sa.inspect(obj)
    before, after = {}, {}
    for column in mapper.column_attrs:
        key = column.key
        history = state.attrs[key].history
        if kind == "update" and not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else (None if kind == "insert" else getattr(obj, key, None))
        new = None if kind == "delete" else getattr(obj, key, None)
        if kind == "insert" and new is None:
            continue
        if _secret(key):
            old, new = (("•••" if old else None), ("•••" if new else None))
        if kind != "insert":
            before[key] = _plain(old)
        if kind != "delete":
            after[key] = _plain(new)
    if kind == "update" and not after:
        return
    identity = (obj.__tablename__, str(getattr(obj, "id", None) or id(obj)))
    known = scope["changes"].get(identity)
    if known:  # a row flushed twice in one operation: keep its first "before" and its last "after"
        known["after"].update(after)
        for key, value in before.items():
            known["before"].setdefault(key, value)
        return
    scope["changes"][identity] = {"table": obj.__tablename__, "id": getattr(obj, "id", None), "label": _label(obj),
                                  "kind": kind, "before": before, "after": after}


@event.listens_for(Session, "after_flush")
def _collect(session: Session, flush_context) -> None:
    scopes = session.info.get(_SCOPES)
    if not scopes:
        return
    scope = scopes[0]  # an audited operation inside another is part of the outer one's event
    for kind, objects in (("insert", session.new), ("update", session.dirty), ("delete", session.deleted)):
        for obj in objects:
            if getattr(obj, "__tablename__", None) in _IGNORED_TABLES:
                continue
            if kind == "update" and not session.is_modified(obj, include_collections=False):
                continue
            _note(scope, obj, kind)


@event.listens_for(Session, "before_flush")
def _append_only(session: Session, flush_context, instances) -> None:
    for obj in list(session.dirty) + list(session.deleted):
        if isinstance(obj, AuditEvent) and (obj in session.deleted or session.is_modified(obj)):
            raise RuntimeError("The administrative record is append-only.")


# The database keeps the record append-only too, for whatever bypasses the ORM.
APPEND_ONLY_SQL = {
    "sqlite": [
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_update BEFORE UPDATE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
        "CREATE TRIGGER IF NOT EXISTS audit_event_no_delete BEFORE DELETE ON audit_event "
        "BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    ],
    "postgresql": [
        "CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        "$$ BEGIN RAISE EXCEPTION 'audit_event is append-only'; END $$",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event "
        "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
    ],
}


@event.listens_for(AuditEvent.__table__, "after_create")
def _create_triggers(table, connection, **kw) -> None:
    for statement in APPEND_ONLY_SQL.get(connection.dialect.name, []):
        connection.exec_driver_sql(statement)
