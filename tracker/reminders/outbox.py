"""Drain the outbox over SMTP: claim each message, send, retry temporary failures, keep the Message-ID."""
from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import formataddr, format_datetime

import sqlalchemy as sa
from flask import current_app

from ..auth.models import User
from ..extensions import db
from ..progress.models import StatusLine
from ..reporting.models import Submission
from .models import OutboxMessage, SentReminder

LEASE = timedelta(minutes=10)
# Retry after 1, 5, 15, 60 minutes, then every 3 hours, for about two days in all.
BACKOFF = [timedelta(minutes=m) for m in (1, 5, 15, 60)] + [timedelta(hours=3)] * 15


@dataclass
class Delivery:
    """What one pass over the outbox did."""

    sent: list[str] = field(default_factory=list)
    retried: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)
    configured: bool = True


class TemporaryFailure(Exception):
    """Worth another try later: 4xx, a refused or dropped connection, a time-out."""


class PermanentFailure(Exception):
    """Not worth retrying: 5xx, a refused recipient."""


def smtp_configured() -> bool:
    """True when an SMTP host is set; without one, messages wait in the outbox."""
    return bool(current_app.config.get("SMTP_HOST"))


def _claim(message_id: int, now: datetime) -> bool:
    """Take a message for this sender; a portable claim (SQLite drops FOR UPDATE silently)."""
    claimable = sa.or_(OutboxMessage.status == "pending",
                       sa.and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now))
    result = db.session.execute(sa.update(OutboxMessage).where(OutboxMessage.id == message_id, claimable)
                                .values(status="sending", lease_until=now + LEASE,
                                        attempts=OutboxMessage.attempts + 1))
    db.session.commit()  # the claim is visible to other senders before we talk to SMTP
    return result.rowcount == 1


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


class Sender:
    """One SMTP connection for a pass, opened on first use."""

    def __init__(self):
        self.config = current_app.config
        self.connection: smtplib.SMTP | None = None

    def _connect(self) -> smtplib.SMTP:
        config = self.config
        security = (config.get("SMTP_SECURITY") or "none").lower()
        port = int(config.get("SMTP_PORT") or {"ssl": 465, "starttls": 587}.get(security, 25))
        timeout = float(config.get("SMTP_TIMEOUT", 30))
        if security == "ssl":
            connection = smtplib.SMTP_SSL(config["SMTP_HOST"], port, timeout=timeout,
                                          context=ssl.create_default_context())
        else:
            connection = smtplib.SMTP(config["SMTP_HOST"], port, timeout=timeout)
            if security == "starttls":
                connection.starttls(context=ssl.create_default_context())
        if config.get("SMTP_USER"):
            # from_prefixed_env reads "123456" as a number: credentials are always text.
            connection.login(str(config["SMTP_USER"]), str(config.get("SMTP_PASSWORD") or ""))
        return connection

    def send(self, email: EmailMessage) -> None:
        """Send one e-mail, classifying failures as temporary or permanent."""
        try:
            if self.connection is None:
                self.connection = self._connect()
            refused = self.connection.send_message(email)
        except smtplib.SMTPRecipientsRefused as exc:
            self.close()
            codes = [code for code, _ in exc.recipients.values()]
            raise (TemporaryFailure if all(400 <= c < 500 for c in codes) else PermanentFailure)(
                f"recipient refused: {exc.recipients}") from exc
        except smtplib.SMTPResponseException as exc:
            self.close()
            text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
            raise (TemporaryFailure if 400 <= exc.smtp_code < 500 else PermanentFailure)(
                f"{exc.smtp_code} {text}") from exc
        except (smtplib.SMTPException, OSError, socket.timeout) as exc:
            self.close()
            raise TemporaryFailure(f"{type(exc).__name__}: {exc}") from exc
        if refused:  # send_message reports refused recipients instead of raising when some were accepted
            raise PermanentFailure(f"recipient refused: {refused}")

    def close(self) -> None:
        """Drop the connection; the next send opens a new one."""
        if self.connection is not None:
            try:
                self.connection.quit()
            except (smtplib.SMTPException, OSError):
                pass
            self.connection = None


def deliver_outbox(now: datetime, limit: int = 200) -> Delivery:
    """Send what is due in the outbox. Commits per message: a claim, then its outcome."""
    result = Delivery()
    if not smtp_configured():
        result.configured = False
        return result
    ready = sa.or_(sa.and_(OutboxMessage.status == "pending", OutboxMessage.next_attempt_at <= now),
                   sa.and_(OutboxMessage.status == "sending", OutboxMessage.lease_until < now))
    candidates = list(db.session.scalars(sa.select(OutboxMessage.id).where(ready).order_by(OutboxMessage.id)
                                         .limit(limit)))
    db.session.commit()
    sender = Sender()
    try:
        for message_id in candidates:
            if _claim(message_id, now):
                _deliver_one(db.session.get(OutboxMessage, message_id), sender, now, result)
    finally:
        sender.close()
    return result


def _deliver_one(message: OutboxMessage, sender: Sender, now: datetime, result: Delivery) -> None:
    if not still_relevant(message):
        message.status, message.lease_until = "cancelled", None
        db.session.commit()
        result.cancelled.append(message.to_address)
        return
    try:
        sender.send(build_email(message))
    except TemporaryFailure as exc:
        message.last_error = str(exc)[:1000]
        message.lease_until = None
        if message.attempts >= len(BACKOFF):
            message.status = "failed"
            result.failed.append(message.to_address)
        else:
            message.status = "pending"
            message.next_attempt_at = now + BACKOFF[message.attempts - 1]
            result.retried.append(message.to_address)
    except PermanentFailure as exc:
        message.status, message.last_error, message.lease_until = "failed", str(exc)[:1000], None
        result.failed.append(message.to_address)
    else:
        message.status, message.sent_at, message.lease_until, message.last_error = "sent", now, None, ""
        result.sent.append(message.to_address)
    db.session.commit()
