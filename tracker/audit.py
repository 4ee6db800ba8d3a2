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
from .i18n import N_, label

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
def watching(action: str, actor=None, summary: str = "", always: bool = False):
    """Record, when the block ends without an error, one event for `action` with every row it changed (none when
    it changed nothing, unless `always`)."""
    session = db.session()
    scope = {"action": action, "actor": actor, "changes": {}}
    _scopes(session).append(scope)
    try:
        yield scope
        session.flush()
    finally:
        _scopes(session).remove(scope)
    if scope["changes"] or always:
        record(action, scope["actor"], summary=summary, changes=list(scope["changes"].values()))


def record(action: str, actor=None, *, summary: str = "", changes: list | None = None) -> AuditEvent:
    """Add one event to the record (flushed with the caller's transaction)."""
    label = ""
    if actor is not None and getattr(actor, "id", None) is not None:
        label = f"{actor.name} <{actor.email}>" if actor.name else actor.email
    changes = changes or []
    if len(changes) > MAX_ROWS:
        left = len(changes) - MAX_ROWS
        # The rows left out are still counted, by table and kind of change ("task:insert": 39).
        counts: dict[str, int] = {}
        for change in changes:
            counts[f"{change['table']}:{change['kind']}"] = counts.get(f"{change['table']}:{change['kind']}", 0) + 1
        changes = changes[:MAX_ROWS] + [{"table": "", "id": None, "label": f"+{left}", "kind": "more",
                                         "before": {}, "after": counts}]
    event_ = AuditEvent(at=utcnow(), actor_id=getattr(actor, "id", None), actor_label=label[:500],
                        address=(request.remote_addr or "")[:64] if has_request_context() else "",
                        action=action[:80], summary=(summary or "")[:500], changes=changes)
    db.session.add(event_)
    db.session.flush()
    return event_


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
            return value[:200]
    identity = sa.inspect(obj).identity or ()
    return "#" + "/".join(str(part) for part in identity)


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
    identity = (obj.__tablename__, str(sa.inspect(obj).identity or id(obj)))
    known = scope["changes"].get(identity)
    if known:  # a row flushed twice in one operation: keep its first "before" and its last "after"
        known["after"].update(after)
        for key, value in before.items():
            known["before"].setdefault(key, value)
        return
    key = sa.inspect(obj).identity
    scope["changes"][identity] = {"table": obj.__tablename__, "id": key[0] if key and len(key) == 1 else
                                  "/".join(str(part) for part in key) if key else None, "label": _label(obj),
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


# What each audited operation is called on the record's page (the record keeps the operation's name).
ACTION_LABELS = {
    "auth.change_password": N_("Đổi mật khẩu của mình"),
    "auth.create_token": N_("Tạo token API"),
    "auth.revoke_token": N_("Thu hồi token API"),
    "auth.create_calendar": N_("Tạo địa chỉ lịch"),
    "auth.revoke_calendar": N_("Thu hồi địa chỉ lịch"),
    "auth.create_user": N_("Tạo tài khoản"),
    "auth.update_user": N_("Sửa tài khoản"),
    "auth.invite": N_("Gửi thư mời"),
    "auth.accept_invitation": N_("Đặt mật khẩu qua thư mời"),
    "auth.sign_in_from_directory": N_("Tài khoản từ danh bạ được tạo hoặc cập nhật"),
    "auth.answer_access_request": N_("Trả lời yêu cầu truy cập"),
    "auth.enable_two_factor": N_("Bật xác thực hai lớp"),
    "auth.disable_two_factor": N_("Tắt xác thực hai lớp"),
    "auth.renew_recovery_codes": N_("Tạo mã khôi phục mới"),
    "auth.reset_two_factor": N_("Đặt lại xác thực hai lớp của tài khoản"),
    "auth.set_security": N_("Đổi quy định đăng nhập"),
    "auth.export_accounts": N_("Xuất danh sách tài khoản"),
    "reporting.open_round": N_("Mở đợt báo cáo"),
    "reporting.set_policy": N_("Đổi quy định báo cáo"),
    "reminders.save_settings": N_("Đổi cài đặt nhắc việc"),
    "reminders.choose_reminders": N_("Chọn loại nhắc việc nhận"),
    "indicators.set_responsible": N_("Giao cơ quan báo cáo chỉ tiêu"),
    "indicators.import_communes": N_("Nhập danh sách xã"),
    "exports.set_letterhead": N_("Đổi tiêu đề văn bản báo cáo"),
    "progress.move_deadline": N_("Đổi hạn công việc"),
    "progress.assign": N_("Giao việc cho cơ quan"),
    "progress.unassign": N_("Bỏ giao việc"),
    "documents.name_body": N_("Thêm tên gọi khác của cơ quan"),
    "documents.import_document": N_("Nhập kế hoạch từ văn bản"),
    "plan.import_appendix": N_("Nhập phụ lục kế hoạch (dòng lệnh)"),
}
# Columns as the record's page names them; others are shown as they are stored.
FIELD_LABELS = {
    "email": N_("Thư điện tử"), "name": N_("Tên"), "role": N_("Vai trò"), "active": N_("Đang hoạt động"),
    "agency_id": N_("Cơ quan (mã)"), "password_hash": N_("Mật khẩu"), "session_version": N_("Phiên đăng nhập"),
    "calendar_token_hash": N_("Địa chỉ lịch"), "token_hash": N_("Token"), "revoked_at": N_("Thu hồi lúc"),
    "totp_secret": N_("Khóa xác thực hai lớp"), "totp_enabled_at": N_("Bật xác thực hai lớp lúc"),
    "due_date": N_("Hạn"), "deadline": N_("Hạn"), "directory": N_("Danh bạ"), "directory_id": N_("Định danh trong danh bạ"),
    "require_two_factor": N_("Bắt buộc xác thực hai lớp"), "alias": N_("Tên gọi khác"), "title": N_("Tiêu đề"),
    "code": N_("Mã"), "due_on": N_("Hạn"), "start_on": N_("Bắt đầu"), "timeline": N_("Thời gian thực hiện"),
    "lead_text": N_("Cơ quan chỉ đạo"), "executing_text": N_("Cơ quan thực hiện"),
    "coordinating_text": N_("Cơ quan phối hợp"), "needs_date": N_("Cần xác định hạn"), "note": N_("Ghi chú"),
    "used_at": N_("Dùng lúc"), "closed_at": N_("Trả lời lúc"), "year": N_("Năm"), "status": N_("Trạng thái"),
}


TABLE_LABELS = {
    "user": N_("Tài khoản"), "api_token": N_("Token API"), "recovery_code": N_("Mã khôi phục"),
    "security_settings": N_("Quy định đăng nhập"), "access_request": N_("Yêu cầu truy cập"),
    "task": N_("Công việc"), "assignment": N_("Giao việc"), "agency": N_("Cơ quan"), "agency_alias": N_("Tên gọi khác"),
    "plan": N_("Kế hoạch"), "section": N_("Mục"), "reporting_round": N_("Đợt báo cáo"),
    "reporting_policy": N_("Quy định báo cáo"), "reminder_settings": N_("Cài đặt nhắc việc"),
    "reminder_opt_out": N_("Không nhận nhắc việc"), "letterhead_settings": N_("Tiêu đề văn bản"),
    "indicator": N_("Chỉ tiêu"), "commune": N_("Xã"), "commune_criterion": N_("Tiêu chí của xã"),
    "plan_document": N_("Văn bản kế hoạch"), "proposed_row": N_("Dòng đọc từ văn bản"),
    "status_line": N_("Dòng tiến độ"),
}


def table_label(table: str) -> str:
    """What kind of thing a changed row is, in the reader's language."""
    known = TABLE_LABELS.get(table)
    return label(known) if known else table


def action_label(action: str) -> str:
    """The act in the reader's language, or its stored name for an operation this release no longer has."""
    known = ACTION_LABELS.get(action)
    return label(known) if known else action


def search(*, text: str = "", action: str = "", actor_id: int | None = None, since=None, until=None) -> sa.Select:
    """The record's events matching the office's filters, newest first (a query, for paging)."""
    query = sa.select(AuditEvent).order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    if text:
        pattern = "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(sa.or_(AuditEvent.actor_label.ilike(pattern, escape="\\"),
                                   AuditEvent.summary.ilike(pattern, escape="\\"),
                                   AuditEvent.address.ilike(pattern, escape="\\")))
    if action:
        query = query.where(AuditEvent.action == action)
    if actor_id:
        query = query.where(AuditEvent.actor_id == actor_id)
    if since:
        query = query.where(AuditEvent.at >= since)
    if until:
        query = query.where(AuditEvent.at < until)
    return query
