"""An uploaded plan document and the rows proposed from it, waiting for the office's review."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, deferred, mapped_column, relationship

from ..auth.models import User
from ..clock import utcnow
from ..extensions import db, enum_column, vocabulary
from ..i18n import N_

STATUS_LABELS = {
    "queued": N_("Đang chờ đọc"),
    "reading": N_("Đang đọc"),
    "ready": N_("Chờ rà soát"),
    "failed": N_("Không đọc được"),
    "imported": N_("Đã nhập"),
}
DocumentStatus = vocabulary("DocumentStatus", STATUS_LABELS)

FIELD_LABELS = {
    "tt": N_("TT"),
    "title": N_("Nội dung công việc"),
    "lead": N_("Chỉ đạo"),
    "executing": N_("Cơ quan thực hiện"),
    "coordinating": N_("Cơ quan phối hợp"),
    "timeline": N_("Thời gian"),
}
FIELDS = tuple(FIELD_LABELS)

FLAG_LABELS = {
    "low_confidence": N_("máy đọc không chắc"),
    "corrected": N_("đã sửa theo danh mục cơ quan"),
    "numbering": N_("số thứ tự đã đánh lại"),
    "timeline": N_("thời gian chưa xác định được hạn"),
    "empty": N_("ô bắt buộc bị trống"),
    "unknown_body": N_("cơ quan chưa có trong danh mục"),
    "odd_words": N_("có chữ lạ"),
}


class PlanDocument(db.Model):
    """A plan's document as uploaded: where its bytes are, how far reading has gone, what came of it."""

    id: Mapped[int] = mapped_column(primary_key=True)
    year: Mapped[int] = mapped_column(index=True)
    original_name: Mapped[str] = mapped_column(sa.String(255))
    content_type: Mapped[str] = mapped_column(sa.String(100))
    size: Mapped[int]
    checksum: Mapped[str] = mapped_column(sa.String(64))  # SHA-256 of the bytes, hex
    stored_name: Mapped[str] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(enum_column(DocumentStatus, "document_status"), default="queued", index=True)
    pages_total: Mapped[int] = mapped_column(default=0)
    pages_done: Mapped[int] = mapped_column(default=0)
    scanned_pages: Mapped[int] = mapped_column(default=0)
    error: Mapped[str] = mapped_column(sa.Text, default="")
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    uploaded_at: Mapped[datetime] = mapped_column(default=utcnow)
    # While reading, the reader touches this every page: a document "reading" with an old heartbeat was
    # being read by a process that died, and is taken up again.
    heartbeat_at: Mapped[datetime | None]
    attempts: Mapped[int] = mapped_column(default=0)
    finished_at: Mapped[datetime | None]
    imported_at: Mapped[datetime | None]
    version: Mapped[int] = mapped_column(default=1)

    uploaded_by: Mapped[User | None] = relationship()
    rows: Mapped[list[ProposedRow]] = relationship(back_populates="document", order_by="ProposedRow.position",
                                                   cascade="all, delete-orphan", passive_deletes=True)

    __mapper_args__ = {"version_id_col": version}

    @property
    def status_label(self) -> str:
        """The status in Vietnamese (a label for `label()`)."""
        return STATUS_LABELS[self.status]


class ProposedRow(db.Model):
    """One row of the document as read and corrected, with the cells still to review."""

    __table_args__ = (sa.UniqueConstraint("document_id", "position", name="uq_proposed_row_position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(sa.ForeignKey("plan_document.id", ondelete="CASCADE"))
    position: Mapped[int]
    page: Mapped[int] = mapped_column(default=1)
    is_section: Mapped[bool] = mapped_column(default=False)
    tt: Mapped[str] = mapped_column(sa.String(20), default="")
    title: Mapped[str] = mapped_column(sa.Text, default="")
    lead: Mapped[str] = mapped_column(sa.Text, default="")
    executing: Mapped[str] = mapped_column(sa.Text, default="")
    coordinating: Mapped[str] = mapped_column(sa.Text, default="")
    timeline: Mapped[str] = mapped_column(sa.Text, default="")
    flags: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # field -> flag codes still to review
    read_as: Mapped[dict] = mapped_column(sa.JSON, default=dict)  # field -> the text as read, where corrected
    # A JPEG of the row's strip of the scan (deferred: a list never loads it).
    image: Mapped[bytes | None] = deferred(mapped_column(sa.LargeBinary))
    has_image: Mapped[bool] = mapped_column(default=False)
    reviewed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    version: Mapped[int] = mapped_column(default=1)

    document: Mapped[PlanDocument] = relationship(back_populates="rows")

    __mapper_args__ = {"version_id_col": version}

    def values(self) -> dict[str, str]:
        """The row's cells by field."""
        return {name: getattr(self, name) for name in FIELDS}

    @property
    def flag_count(self) -> int:
        """How many of the row's cells are still flagged."""
        return sum(1 for codes in (self.flags or {}).values() if codes)
