"""Progress: one status line per executing body, comments, attachments, and an immutable history."""
from __future__ import annotations

import logging
from datetime import date, datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy import event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..i18n import N_
from ..auth.models import User
from ..clock import to_local, utcnow, vn_date
from ..extensions import db, enum_column, vocabulary
from ..plan.models import ROLE_LABELS, Agency, Task
from ..i18n import label as vocab

STATUS_LABELS = {
    "not_started": N_("Chưa thực hiện"),
    "in_progress": N_("Đang thực hiện"),
    "paused": N_("Tạm dừng"),
    "done": N_("Hoàn thành"),
}
STATUSES = tuple(STATUS_LABELS)
LineStatus = vocabulary("LineStatus", STATUS_LABELS)

logger = logging.getLogger(__name__)


class StatusLine(db.Model):
    """One executing body's own line on a task: its status, progress and latest note."""

    __table_args__ = (
        sa.UniqueConstraint("task_id", "agency_id"),
        # The daily sweep finds the lines whose silence completes a period today by their last update.
        sa.Index("ix_status_line_updated_at", "updated_at"),
        # "This agency's lines": the agency page counts its executing tasks by category from this index
        # alone (what a line's category reads), then looks up each task by its key.
        sa.Index("ix_status_line_agency_task", "agency_id", "task_id", "status", "started_on", "completed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"))  # the unique key's prefix
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"))  # ix_status_line_agency_task
    status: Mapped[str] = mapped_column(enum_column(LineStatus, "status"), default="not_started")
    progress: Mapped[int] = mapped_column(sa.CheckConstraint("progress BETWEEN 0 AND 100", name="progress_percent"),
                                          default=0)
    paused_reason: Mapped[str] = mapped_column(sa.Text, default="")
    note: Mapped[str] = mapped_column(sa.Text, default="")
    started_on: Mapped[date | None]
    completed_on: Mapped[date | None]
    updated_at: Mapped[datetime | None]
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)
    # Last year's line this one carries on (unfinished when the new plan was imported): its history stays there.
    carried_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("status_line.id", ondelete="SET NULL"))

    task: Mapped[Task] = relationship(back_populates="lines")
    agency: Mapped[Agency] = relationship()
    updated_by: Mapped[User | None] = relationship()
    carried_from: Mapped[StatusLine | None] = relationship(remote_side="StatusLine.id")

    # Optimistic locking: a flush that finds another version raises StaleDataError.
    __mapper_args__ = {"version_id_col": version}

    def days_since_update(self, today: date) -> int | None:
        """Whole days since the last update, counted in Việt Nam's calendar."""
        return (today - to_local(self.updated_at).date()).days if self.updated_at else None

    @property
    def status_label(self) -> str:
        """The status in Vietnamese."""
        return STATUS_LABELS.get(self.status, self.status)


class Comment(db.Model):
    """A remark on a task, by any body named on it (coordinating bodies included) or the office."""

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    author: Mapped[User | None] = relationship()
    agency: Mapped[Agency | None] = relationship()


EVENT_LABELS = {
    "status": N_("Trạng thái"), "progress": N_("Tiến độ"), "note": N_("Ghi chú"), "deadline": N_("Hạn"),
    "assignment": N_("Phân công"), "comment": N_("Ý kiến"), "attachment": N_("Tệp đính kèm"), "completed_on": N_("Ngày hoàn thành"),
    "paused_reason": N_("Lý do tạm dừng"),
}
EventKind = vocabulary("EventKind", EVENT_LABELS)


class TaskEvent(db.Model):
    """One change to a task, appended and never edited: who, when, what, before and after."""

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("status_line.id", ondelete="SET NULL"))
    agency_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agency.id", ondelete="SET NULL"))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    kind: Mapped[str] = mapped_column(enum_column(EventKind, "kind"))
    before: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    after: Mapped[Any] = mapped_column(sa.JSON, nullable=True)
    reason: Mapped[str] = mapped_column(sa.Text, default="")

    user: Mapped[User | None] = relationship()
    agency: Mapped[Agency | None] = relationship()

    @property
    def kind_label(self) -> str:
        """What changed, in Vietnamese."""
        return EVENT_LABELS.get(self.kind, self.kind)

    def _text(self, value) -> str:
        try:
            return self._readable(value)
        except (TypeError, ValueError, KeyError, AttributeError):
            # An entry written by another tool or an older release: show what is stored, never fail the page.
            logger.warning("history entry %s (%s) holds a value it cannot read: %r", self.id, self.kind, value)
            return gettext("không đọc được: %(value)s", value=str(value)[:200])

    def _readable(self, value) -> str:
        if value is None or value == "":
            return "—"
        if self.kind == "status":
            return vocab(STATUS_LABELS[value]) if value in STATUS_LABELS else value
        if self.kind == "progress":
            return f"{value}%"
        if self.kind in ("deadline", "completed_on"):
            return vn_date(date.fromisoformat(str(value)))
        if isinstance(value, dict):
            role = value.get("role")
            return f"{value.get('agency')} ({vocab(ROLE_LABELS[role]) if role in ROLE_LABELS else role})"
        return str(value)

    @property
    def before_text(self) -> str:
        """The value before, as a person reads it."""
        return self._text(self.before_value)

    @property
    def after_text(self) -> str:
        """The value after, as a person reads it."""
        return self._text(self.after_value)

    @property
    def before_value(self):
        """The value before (a JSON column: already decoded)."""
        return self.before

    @property
    def after_value(self):
        """The value after (a JSON column: already decoded)."""
        return self.after


class HistoryIsImmutable(RuntimeError):
    """Raised when code tries to change or delete a history entry."""


@event.listens_for(TaskEvent, "before_update")
@event.listens_for(TaskEvent, "before_delete")
def _refuse_history_changes(_mapper, _connection, target: TaskEvent) -> None:
    raise HistoryIsImmutable(f"history entry {target.id} cannot be changed or deleted")
