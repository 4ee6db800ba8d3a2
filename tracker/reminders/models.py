"""Reminders: the office's settings, users' choices, the ledger of what was decided, and the outbox."""
from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..i18n import N_
from ..auth.models import User
from ..clock import utcnow
from ..extensions import db, enum_column, vocabulary

RULE_LABELS = {
    "task_due_soon": N_("Sắp đến hạn công việc"),
    "task_overdue": N_("Công việc quá hạn"),
    "round_due_soon": N_("Sắp đến hạn báo cáo"),
    "round_overdue": N_("Báo cáo quá hạn"),
    "overdue_digest": N_("Tổng hợp quá hạn hằng tuần"),
    "nudge": N_("Nhắc cập nhật tiến độ"),
    "report_returned": N_("Báo cáo bị trả lại"),
}
RULES = tuple(RULE_LABELS)
Rule = vocabulary("Rule", RULE_LABELS)
# What a ledger row reminds about: a body's line on a task, a round it owes, or a task in the weekly digest.
SubjectType = vocabulary("SubjectType", {"line": "Dòng tiến độ", "round": "Kỳ báo cáo", "task": "Công việc"})


class ReminderSettings(db.Model):
    """One row of defaults the coordination office can change."""

    id: Mapped[int] = mapped_column(primary_key=True)
    before_days: Mapped[str] = mapped_column(sa.String(50), default="7,3,1")
    overdue_notice: Mapped[bool] = mapped_column(default=True)
    digest_weekday: Mapped[int] = mapped_column(default=0)  # Monday
    nudge_days: Mapped[int] = mapped_column(default=30)
    catch_up_days: Mapped[int] = mapped_column(default=14)
    # One per line: "MM-DD" every year, or "YYYY-MM-DD" for one year (Tết moves with the lunar calendar).
    # The office's own days off and working days; Việt Nam's public holidays come from the calendar.
    holidays: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def before_list(self) -> list[int]:
        """Days before a deadline, largest first."""
        return sorted({int(d) for d in self.before_days.split(",") if d.strip().isdigit() and int(d) > 0},
                      reverse=True)


class ReminderOptOut(db.Model):
    """A rule a user chose not to receive."""

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True)
    rule: Mapped[str] = mapped_column(enum_column(Rule, "rule", 30), primary_key=True)


class SentReminder(db.Model):
    """The ledger: one row per reminder decided, unique per (rule, subject, recipient, occurrence).

    Every column of the key is NOT NULL: SQLite and PostgreSQL treat NULLs as distinct in unique
    constraints, which would let a duplicate through.
    """

    __table_args__ = (
        sa.UniqueConstraint("rule", "subject_type", "subject_id", "recipient_id", "occurrence", name="uq_reminder_once"),
        # A sweep writes tens of thousands of rows: only the indexes its readers use. The sweep links
        # each recipient's rows of its batch to their message; the reminder page lists a day's rows.
        sa.Index("ix_sent_reminder_batch_recipient", "batch", "recipient_id"),
        sa.Index("ix_sent_reminder_decided_recipient", "decided_on", "recipient_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    rule: Mapped[str] = mapped_column(enum_column(Rule, "rule", 30))
    subject_type: Mapped[str] = mapped_column(enum_column(SubjectType, "subject_type"))
    subject_id: Mapped[int]
    recipient_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    occurrence: Mapped[str] = mapped_column(sa.String(40))
    send_on: Mapped[date]
    decided_on: Mapped[date]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    outbox_id: Mapped[int | None] = mapped_column(sa.ForeignKey("outbox_message.id", ondelete="SET NULL"), index=True)
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    # The deadline the reminder speaks of (a task's or a round's), checked again just before sending.
    deadline: Mapped[date | None]
    batch: Mapped[str] = mapped_column(sa.String(32))  # the sweep that decided it

    recipient: Mapped[User] = relationship()
    outbox: Mapped[OutboxMessage | None] = relationship(back_populates="reminders")

    @property
    def rule_label(self) -> str:
        """The rule in Vietnamese."""
        return RULE_LABELS.get(self.rule, self.rule)


class SweepState(db.Model):
    """What the last complete sweep saw (one row), so the next one does only what changed since.

    `fingerprint` sums up who receives what and the office's settings: when it differs, the next
    sweep looks at everything again. `change_id` is the newest plan-data change it saw (see
    tracker/changes.py), `line_id` the newest status line.
    """

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date]
    fingerprint: Mapped[str] = mapped_column(sa.String(64))
    change_id: Mapped[int]
    line_id: Mapped[int]
    swept_at: Mapped[datetime] = mapped_column(default=utcnow)


# "delivering" is recorded just before the end of the message goes to the SMTP server; a sender that
# dies in that state leaves the message "unconfirmed": it may have been accepted, so it is never sent
# again by itself (the office sees it and may send it again).
OUTBOX_STATES = {"pending": N_("Chờ gửi"), "sending": N_("Đang gửi"), "delivering": N_("Đang bàn giao cho máy chủ thư"),
                 "sent": N_("Đã gửi"), "unconfirmed": N_("Chưa rõ đã gửi"), "failed": N_("Lỗi"), "cancelled": N_("Đã hủy")}
OutboxStatus = vocabulary("OutboxStatus", OUTBOX_STATES)


class OutboxMessage(db.Model):
    """An e-mail decided in the same transaction as its reminders; a sender drains it over SMTP."""

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    text_body: Mapped[str] = mapped_column(sa.Text)
    html_body: Mapped[str] = mapped_column(sa.Text)
    message_id: Mapped[str] = mapped_column(sa.String(200), unique=True)  # kept across retries
    status: Mapped[str] = mapped_column(enum_column(OutboxStatus, "status"), default="pending", index=True)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(sa.Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    recipient: Mapped[User | None] = relationship()
    reminders: Mapped[list[SentReminder]] = relationship(back_populates="outbox", viewonly=True)

    @property
    def status_label(self) -> str:
        """The state in Vietnamese."""
        return OUTBOX_STATES.get(self.status, self.status)


class SchedulerLease(db.Model):
    """Which scheduler process may run jobs, and until when: one row per lease name."""

    name: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(sa.String(120))
    until: Mapped[datetime]


class JobRun(db.Model):
    """A timed job's run for one slot (its scheduled moment): at most one finished run a slot, whoever leads."""

    job_id: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    slot: Mapped[datetime] = mapped_column(primary_key=True)  # naive UTC
    runner: Mapped[str] = mapped_column(sa.String(120))
    started_at: Mapped[datetime]
    finished_at: Mapped[datetime | None]
