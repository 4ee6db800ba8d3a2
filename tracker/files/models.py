"""Files attached to a line update or to a report: the bytes on disk under a generated name, the record here.

Below progress and reporting, which both attach files: an attachment names its line or submission by
table, never by importing them.
"""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..extensions import db
from ..plan.models import Task

if TYPE_CHECKING:
    from ..progress.models import StatusLine


class Attachment(db.Model):
    """A file posted with an update or a report, stored under a generated name; the original name is kept."""

    __table_args__ = (
        # Exactly one owner: a task (through a line update) or a submission; a line only with its task.
        sa.CheckConstraint("(task_id IS NULL) <> (submission_id IS NULL) AND (line_id IS NULL OR task_id IS NOT NULL)",
                           name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("status_line.id", ondelete="SET NULL"))
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    task: Mapped[Task | None] = relationship()
    line: Mapped[StatusLine | None] = relationship("StatusLine")
    uploaded_by: Mapped[User | None] = relationship()
