"""Drain the outbox over SMTP, each message once: claimed under its own lease, checked, handed over.

A message's life: pending → sending (claimed; a lease from the moment of the claim) → delivering
(recorded just before the final "." of DATA) → sent. A sender killed while "sending" leaves a message
the server never accepted: when the lease runs out another pass sends it. A sender killed while
"delivering" leaves one the server may have accepted: it becomes "unconfirmed" and is never sent
again by itself. Just before sending, the message's reminders are checked against the current
deadlines: a moved deadline (or a countdown from an earlier day) gets the message written again.
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr, format_datetime

import sqlalchemy as sa
from flask import current_app

from ..auth.models import User
from ..clock import to_local
from ..extensions import db
from ..plan.models import Task
from ..progress.categories import NO_DEADLINE_KINDS
from ..progress.models import StatusLine
from ..reporting.models import ReportingRound, Submission
from .models import OutboxMessage, SentReminder
from .smtp import Abandoned, PermanentFailure, Sender, TemporaryFailure, Unconfirmed
from .sweep import run_sweep

# Retry after 1, 5, 15, 60 minutes, then every 3 hours, for about two days in all.
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60)] + [timedelta(hours=3)] * 15


@dataclass
class Delivery:
    """What one pass over the outbox did."""

    sent: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    rewritten: list[str] = field(default_factory=list)  # cancelled as out of date, then written again
    unconfirmed: int = 0  # left "delivering" by a sender that died, or whose final answer was lost
    configured: bool = True


def smtp_configured() -> bool:
    """True when an SMTP host is set; without one, messages wait in the outbox."""
    return bool(current_app.config.get("SMTP_HOST"))


def _lease() -> timedelta:
    return timedelta(seconds=current_app.config["OUTBOX_LEASE_SECONDS"])


def _claim_next(ready, at: datetime) -> tuple[int, datetime] | None:
    """Take the next ready message for this sender until `at` + the lease: its id and the lease's end,
    or None when none is left. Commits, so the claim is visible to other senders before SMTP is used.

    PostgreSQL: SELECT … FOR UPDATE SKIP LOCKED, so concurrent senders take different messages without
    waiting on one another. SQLite has no row locks (it ignores FOR UPDATE): a conditional UPDATE that
    one sender alone can win, and a loser looks again.
    """
    lease_until = at + _lease()
    claim = dict(status="sending", lease_until=lease_until, attempts=OutboxMessage.attempts + 1)
    first_ready = sa.select(OutboxMessage.id).where(ready).order_by(OutboxMessage.id).limit(1)
    if db.engine.dialect.name == "postgresql":
        message_id = db.session.scalar(first_ready.with_for_update(skip_locked=True))
        if message_id is not None:
            db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message_id).values(**claim))
        db.session.commit()
        return None if message_id is None else (message_id, lease_until)
    while (message_id := db.session.scalar(first_ready)) is not None:
        won = db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message_id, ready)
                                 .values(**claim)).rowcount == 1
        db.session.commit()
        if won:
            return message_id, lease_until
    db.session.commit()
    return None


def _hand_over(message_id: int, lease_until: datetime, at: datetime) -> bool:
    """Record "delivering" if this sender still holds the message (its lease is the fencing token)."""
    result = db.session.execute(sa.update(OutboxMessage).where(
        OutboxMessage.id == message_id, OutboxMessage.status == "sending", OutboxMessage.lease_until == lease_until)
        .values(status="delivering", lease_until=at + _lease()))
    db.session.commit()
    return result.rowcount == 1


def reconcile(now: datetime) -> int:
    """Messages left "delivering" by a sender that died become "unconfirmed"; how many."""
    result = db.session.execute(sa.update(OutboxMessage).where(
        OutboxMessage.status == "delivering", OutboxMessage.lease_until < now).values(
        status="unconfirmed", lease_until=None,
        last_error="Người gửi dừng đột ngột sau khi đã chuyển thư cho máy chủ thư; không rõ máy chủ đã nhận "
                   "hay chưa, nên thư không tự gửi lại."))
    db.session.commit()
    return result.rowcount


def send_again(message: OutboxMessage, now: datetime) -> None:
    """The office sends an unconfirmed or failed message again, with the same Message-ID."""
    message.status, message.next_attempt_at, message.lease_until, message.attempts = "pending", now, None, 0
    db.session.flush()


def out_of_date(message: OutboxMessage, today: date) -> bool:
    """Whether the message speaks of a deadline that has moved since it was written, or counts days
    from an earlier day ("còn 3 ngày" written yesterday)."""
    reminder = SentReminder
    line_deadline = sa.select(Task.id).join(StatusLine, StatusLine.task_id == Task.id).where(
        StatusLine.id == reminder.subject_id, Task.due_on == reminder.deadline,
        Task.schedule_kind.not_in(NO_DEADLINE_KINDS)).exists()
    task_deadline = sa.select(Task.id).where(Task.id == reminder.subject_id, Task.due_on == reminder.deadline).exists()
    round_deadline = sa.select(ReportingRound.id).where(ReportingRound.id == reminder.subject_id,
                                                        ReportingRound.due_on == reminder.deadline).exists()
    moved = sa.and_(reminder.deadline.is_not(None), sa.or_(
        sa.and_(reminder.subject_type == "line", ~line_deadline),
        sa.and_(reminder.subject_type == "task", ~task_deadline),
        sa.and_(reminder.subject_type == "round", ~round_deadline)))
    stale_countdown = sa.and_(reminder.rule.in_(("task_due_soon", "round_due_soon")), reminder.decided_on < today)
    return db.session.scalar(sa.select(reminder.id).where(
        reminder.outbox_id == message.id, sa.or_(moved, stale_countdown)).limit(1)) is not None


def _withdraw(message: OutboxMessage) -> None:
    """Cancel a message that is out of date and forget the reminders it carried, so a sweep decides
    them again from the current deadlines."""
    db.session.execute(sa.delete(SentReminder).where(SentReminder.outbox_id == message.id))
    message.status, message.lease_until = "cancelled", None
    message.last_error = "Hạn đã thay đổi (hoặc thư soạn từ ngày trước); nhắc việc đã được soạn lại theo hạn hiện tại."


def still_relevant(message: OutboxMessage) -> bool:
    """False when every reminder in the message has lost its reason: lines done, reports submitted.

    One query, however many reminders a digest carries (thousands, for the office at 50,000 tasks).
    """
    reminder = SentReminder
    line_open = sa.select(StatusLine.id).where(
        StatusLine.id == reminder.subject_id, StatusLine.status != "done",
        # A nudge has lost its reason once the line was updated after it was decided.
        sa.or_(reminder.rule != "nudge", StatusLine.updated_at.is_(None),
               StatusLine.updated_at <= reminder.created_at)).exists()
    submitted = sa.select(Submission.id).join(User, User.agency_id == Submission.agency_id).where(
        User.id == reminder.recipient_id, Submission.round_id == reminder.subject_id,
        Submission.status == "submitted").exists()
    reason = sa.or_(reminder.rule == "overdue_digest",
                    sa.and_(reminder.subject_type == "line", line_open),
                    sa.and_(reminder.subject_type == "round", ~submitted))
    carried = sa.select(reminder.id).where(reminder.outbox_id == message.id)
    if db.session.scalar(carried.limit(1)) is None:
        return True  # a message that carries no reminder (sent by hand) is always relevant
    return db.session.scalar(carried.where(reason).limit(1)) is not None


def build_email(message: OutboxMessage) -> EmailMessage:
    """The e-mail of an outbox row, plain text with an HTML alternative, with its fixed Message-ID."""
    config = current_app.config
    email = EmailMessage()
    email["Subject"] = message.subject
    email["From"] = formataddr((config["MAIL_FROM_NAME"], config["MAIL_FROM"]))
    email["To"] = message.to_address
    email["Message-ID"] = message.message_id
    email["Date"] = format_datetime(message.created_at.replace(tzinfo=timezone.utc))
    email["Auto-Submitted"] = "auto-generated"
    email.set_content(message.text_body)
    email.add_alternative(message.html_body, subtype="html")
    return email




def deliver_outbox(now: datetime, limit: int = 200, today: date | None = None) -> Delivery:
    """Send what is due in the outbox. Commits per message: its claim, its hand-over, its outcome.

    `today` is the day reminders are checked against (default: now's date in Việt Nam); a sweep run
    by hand for another date delivers as of that date.
    """
    result = Delivery()
    if not smtp_configured():
        result.configured = False
        return result
    started = time.monotonic()

    def clock() -> datetime:
        # The pass's own time: `now` at its start, plus the time it has taken so far.
        return now + timedelta(seconds=time.monotonic() - started)

    result.unconfirmed = reconcile(now)
    sender = Sender()
    try:
        today = today or to_local(now).date()
        withdrawn = _pass(now, today, clock, sender, result, limit)
        if withdrawn:
            # Written again from the current deadlines, and sent in this same pass.
            run_sweep(today, recipients=withdrawn, send_from=now)
            db.session.commit()
            _pass(now, today, clock, sender, result, limit)
    finally:
        sender.close()
    return result


def _pass(now: datetime, today: date, clock, sender: Sender, result: Delivery, limit: int) -> set[int]:
    """One run over the messages ready now; the recipients of those withdrawn as out of date."""
    ready = sa.or_(sa.and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                   sa.and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now))
    withdrawn: set[int] = set()
    for _ in range(limit):
        claimed = _claim_next(ready, clock())
        if claimed is None:
            break
        message_id, lease_until = claimed
        message = db.session.get(OutboxMessage, message_id)
        if not still_relevant(message):
            message.status, message.lease_until = "cancelled", None
            db.session.commit()
            result.cancelled.append(message.to_address)
        elif out_of_date(message, today):
            _withdraw(message)
            db.session.commit()
            result.rewritten.append(message.to_address)
            if message.recipient_id is not None:
                withdrawn.add(message.recipient_id)
        else:
            _send_one(message, lease_until, sender, now, clock, result)
    return withdrawn


def _send_one(message: OutboxMessage, lease_until: datetime, sender: Sender, now: datetime, clock,
              result: Delivery) -> None:
    message_id, to_address, attempts = message.id, message.to_address, message.attempts
    email = build_email(message)
    try:
        sender.send(email, current_app.config["MAIL_FROM"], to_address,
                    lambda: _hand_over(message_id, lease_until, clock()))
    except Abandoned:
        db.session.rollback()
        return  # another sender holds the message now; it will report the outcome
    except Unconfirmed as exc:
        _finish(message_id, status="unconfirmed", last_error=f"Không nhận được trả lời của máy chủ thư: {exc}"[:1000])
        result.unconfirmed += 1
        return
    except TemporaryFailure as exc:
        if attempts >= len(BACKOFF):
            _finish(message_id, status="failed", last_error=str(exc)[:1000])
            result.failed.append(to_address)
        else:
            _finish(message_id, status="pending", last_error=str(exc)[:1000],
                    next_attempt_at=now + BACKOFF[attempts - 1])
            result.retried.append(to_address)
        return
    except PermanentFailure as exc:
        _finish(message_id, status="failed", last_error=str(exc)[:1000])
        result.failed.append(to_address)
        return
    _finish(message_id, status="sent", sent_at=clock(), last_error="")
    result.sent.append(to_address)


def _finish(message_id: int, **values) -> None:
    db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message_id)
                       .values(lease_until=None, **values))
    db.session.commit()
