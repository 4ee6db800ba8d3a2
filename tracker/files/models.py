"""Files attached to a line update, a report or an indicator's figure: the bytes in the storage under a generated name, the record here.

Below progress, indicators and reporting, which all attach files: an attachment names its line,
submission or entry by table, never by importing them.
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
        # Exactly one owner: a task (through a line update), a submission or an indicator's entry; a line
        # only with its task.
        sa.CheckConstraint("(CASE WHEN task_id IS NULL THEN 0 ELSE 1 END) + (CASE WHEN submission_id IS NULL THEN 0 ELSE 1 END)"
                           " + (CASE WHEN entry_id IS NULL THEN 0 ELSE 1 END) = 1 AND (line_id IS NULL OR task_id IS NOT NULL)",
                           name="one_owner"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int | None] = mapped_column(sa.ForeignKey("task.id", ondelete="CASCADE"), index=True)
    line_id: Mapped[int | None] = mapped_column(sa.ForeignKey("status_line.id", ondelete="SET NULL"))
    submission_id: Mapped[int | None] = mapped_column(sa.ForeignKey("submission.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("indicator_entry.id", ondelete="CASCADE"), index=True)
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    # SHA-256 of the bytes as uploaded, hex; checked before every download. None for files from before it was kept
    # (`flask files migrate` fills it in as it copies them).
    checksum: Mapped[str | None] = mapped_column(sa.String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)

    task: Mapped[Task | None] = relationship()
    line: Mapped[StatusLine | None] = relationship("StatusLine")
    uploaded_by: Mapped[User | None] = relationship()
