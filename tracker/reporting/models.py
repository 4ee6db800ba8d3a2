"""Reporting rounds: the plan's duty to report each quarter, ad-hoc rounds, and each body's submission."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..i18n import N_
from ..auth.models import User
from ..clock import utcnow
from ..extensions import db, enum_column, vocabulary
from ..plan.models import Agency, Plan

ROUND_KINDS = {"quarterly": N_("Báo cáo quý"), "adhoc": N_("Báo cáo đột xuất")}
RoundKind = vocabulary("RoundKind", ROUND_KINDS)


class ReportingPolicy(db.Model):
    """How a plan's quarterly rounds are dated and who owes them; the office may change it."""

    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), primary_key=True)
    # Days of the quarter's last month: data are counted up to cutoff_day, the report is due on due_day.
    cutoff_day: Mapped[int] = mapped_column(default=14)
    due_day: Mapped[int] = mapped_column(default=18)
    # Levels whose bodies owe a quarterly report (section IV of the plan: departments and districts).
    levels: Mapped[str] = mapped_column(sa.String(100), default="department,district")
    recipient: Mapped[str] = mapped_column(
        sa.String(300), default="Ban Chỉ đạo các Chương trình MTQG tỉnh, qua Văn phòng Điều phối NTM tỉnh")

    plan: Mapped[Plan] = relationship()

    @property
    def level_list(self) -> list[str]:
        """The levels as a list."""
        return [level.strip() for level in self.levels.split(",") if level.strip()]


round_bodies = sa.Table(
    "round_body",
    db.metadata,
    sa.Column("round_id", sa.ForeignKey("reporting_round.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("agency_id", sa.ForeignKey("agency.id", ondelete="CASCADE"), primary_key=True),
)


class ReportingRound(db.Model):
    """One reporting period: a quarter, or an ad-hoc request of the office, with the bodies that owe it."""

    __table_args__ = (
        # One round a quarter; the office may open any number of ad-hoc rounds on a day.
        sa.Index("uq_reporting_round_quarter", "plan_id", "period_start", unique=True,
                 sqlite_where=sa.text("kind = 'quarterly'"), postgresql_where=sa.text("kind = 'quarterly'")),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(enum_column(RoundKind, "kind"))
    title: Mapped[str] = mapped_column(sa.String(300))
    period_start: Mapped[date]
    period_end: Mapped[date]
    cutoff_on: Mapped[date]
    due_on: Mapped[date] = mapped_column(index=True)
    note: Mapped[str] = mapped_column(sa.Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    plan: Mapped[Plan] = relationship()
    bodies: Mapped[list[Agency]] = relationship(secondary=round_bodies, order_by=lambda: Agency.sort_key)
    submissions: Mapped[list[Submission]] = relationship(back_populates="round", order_by="Submission.id")

    @property
    def kind_label(self) -> str:
        """The kind in Vietnamese."""
        return ROUND_KINDS.get(self.kind, self.kind)

    def submission_of(self, agency_id: int) -> Submission | None:
        """A body's submission for this round, if any."""
        return next((s for s in self.submissions if s.agency_id == agency_id), None)


SUBMISSION_STATES = {
    "submitted": N_("Đã nộp"),
    "returned": N_("Bị trả lại"),
}
SubmissionStatus = vocabulary("SubmissionStatus", SUBMISSION_STATES)


class Submission(db.Model):
    """A body's report for a round: submitted once; the office may send it back with a reason."""

    __table_args__ = (sa.UniqueConstraint("round_id", "agency_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    round_id: Mapped[int] = mapped_column(sa.ForeignKey("reporting_round.id", ondelete="CASCADE"), index=True)
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    status: Mapped[str] = mapped_column(enum_column(SubmissionStatus, "status"), default="submitted")
    body: Mapped[str] = mapped_column(sa.Text, default="")
    submitted_on: Mapped[date]
    submitted_at: Mapped[datetime] = mapped_column(default=utcnow)
    submitted_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    returned_at: Mapped[datetime | None]
    returned_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))
    return_reason: Mapped[str] = mapped_column(sa.Text, default="")
    times_returned: Mapped[int] = mapped_column(default=0)

    round: Mapped[ReportingRound] = relationship(back_populates="submissions")
    agency: Mapped[Agency] = relationship()
    submitted_by: Mapped[User | None] = relationship(foreign_keys=[submitted_by_id])
    returned_by: Mapped[User | None] = relationship(foreign_keys=[returned_by_id])

    @property
    def status_label(self) -> str:
        """The state in Vietnamese."""
        return SUBMISSION_STATES.get(self.status, self.status)
