"""The reminder sweep: decide what is due, record each decision once, queue one digest per person."""
from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import islice

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..auth.models import User
from ..changes import latest_change
from ..clock import utcnow
from ..extensions import SWEEP_CACHE_KIB, db
from ..plan.models import Plan, agency_members
from ..progress.models import StatusLine
from ..reporting.services import ensure_quarterly_rounds
from .calendar import WorkCalendar
from .mail import Digest, new_message_id, render_digest
from .models import OutboxMessage, SentReminder, SweepState
from .planner import Audience, Due, Since, due_reminders, settings

CHUNK = 1000
# The reminders page shows what was decided on a day; two months of that is kept.
LEDGER_KEEP_DAYS = 60
# Longer than any run of days off a reminder's date can move across.
SHIFT_DAYS = 31

# Part of every sweep's fingerprint: a release that changes what the rules decide makes its first
# sweep look at everything again.
RULES_VERSION = 2


@dataclass
class SweepResult:
    """What one sweep decided."""

    today: date
    queued: int = 0  # new reminders recorded
    already: int = 0  # due but recorded by an earlier sweep
    messages: int = 0  # digests put in the outbox
    by_rule: dict[str, int] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # a few human-readable examples
    incremental: bool = False  # built on the last sweep: looked only at what changed since


def _lock_sqlite() -> None:
    # SQLite lets two writers start reading and fails the second when it writes; taking the write
    # lock first makes a second sweep wait for the first and then find everything recorded.
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        # The ledger's unique index outgrows a web worker's page cache at a few hundred thousand
        # reminders, and every insert would then read pages from disk: the sweep gets 32 MB.
        connection.exec_driver_sql(f"PRAGMA cache_size=-{SWEEP_CACHE_KIB}")
        raw = connection.connection.dbapi_connection
        if not raw.in_transaction:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


KEY = ("rule", "subject_type", "subject_id", "recipient_id", "occurrence")


COLUMNS = (*KEY, "send_on", "decided_on", "summary", "deadline", "batch", "created_at")


def _insert(rows: list[dict], batch: str) -> list[tuple]:
    """INSERT … ON CONFLICT DO NOTHING, then read back the keys this sweep inserted: the winners.

    The rows go to the driver's executemany with values converted once per column (SQLAlchemy's
    per-row parameter handling was most of a sweep's time at 50,000 tasks). Rows this sweep wins carry
    its batch and ids above any the ledger held before the insert.
    """
    connection = db.session.connection()
    dialect = connection.dialect
    insert = pg_insert if dialect.name == "postgresql" else sqlite_insert
    table = SentReminder.__table__
    statement = insert(table).values({c: sa.bindparam(c) for c in COLUMNS}).on_conflict_do_nothing(
        index_elements=list(KEY))
    compiled = statement.compile(dialect=dialect)
    processors = {c: table.c[c].type.bind_processor(dialect) for c in COLUMNS}
    converted = [{c: (processors[c](row[c]) if processors[c] else row[c]) for c in COLUMNS} for row in rows]
    if compiled.positional:
        parameters = [tuple(row[name] for name in compiled.positiontup) for row in converted]
    else:
        parameters = converted
    # A range on the primary key, filtered by batch here: rows of a concurrent sweep (PostgreSQL) may
    # interleave, and an index on batch would make each chunk re-read the whole batch so far.
    before = connection.scalar(sa.select(sa.func.coalesce(sa.func.max(table.c.id), 0)))
    connection.exec_driver_sql(str(compiled), parameters)
    found = connection.execute(sa.select(table.c.batch, *(table.c[k] for k in KEY)).where(table.c.id > before))
    return [tuple(row[1:]) for row in found if row[0] == batch]


def run_sweep(today: date, *, dry_run: bool = False, recipients: set[int] | None = None,
              send_from: datetime | None = None, events_only: bool = False) -> SweepResult:
    """Record every reminder due on or before today that is not yet recorded, and queue the digests.

    Flushes only; the caller commits, so ledger rows and outbox rows land together or not at all.
    With dry_run nothing is written: the result says what a real sweep would queue. With recipients,
    only their reminders are decided (a message withdrawn as out of date is written again); send_from
    is when the queued messages may go (default: now). events_only decides only the notices of
    events (a report sent back), for the outbox job's every-minute pass.
    """
    if not dry_run:
        _lock_sqlite()
        if not events_only:
            for plan in db.session.scalars(sa.select(Plan).where(Plan.year >= today.year - 1)):
                ensure_quarterly_rounds(plan, today)
    config = settings()
    calendar = WorkCalendar.parse(config.holidays)
    audience = Audience.load()
    result = SweepResult(today)
    digests: dict[int, Digest] = {}
    batch = uuid.uuid4().hex
    # Only a whole daily sweep is remembered, and only it may skip what the last one decided.
    complete = not dry_run and not events_only and recipients is None
    seen = _seen_now(config, audience) if complete else None
    since = _since(today, seen) if complete else None
    stream = due_reminders(today, config, calendar, audience, events_only=events_only, since=since)
    while chunk := list(islice(stream, CHUNK)):
        if recipients is not None:
            chunk = [due for due in chunk if due.recipient_id in recipients]
            if not chunk:
                continue
        new = _new_in(chunk) if dry_run else _record(chunk, today, batch)
        result.already += len(chunk) - len(new)
        for due in new:
            result.queued += 1
            result.by_rule[due.rule] = result.by_rule.get(due.rule, 0) + 1
            digests.setdefault(due.recipient_id, Digest(due.recipient_id)).add(due.rule, due.summary, due.path)
            if len(result.lines) < 20:
                result.lines.append(f"{due.rule}: {due.summary}")
    if not dry_run:
        result.messages = _queue(digests, today, batch, send_from)
    else:
        result.messages = len(digests)
    if seen is not None:
        _remember(today, seen)
    result.incremental = since is not None
    return result


def prune_ledger(today: date, keep_days: int = LEDGER_KEEP_DAYS) -> int:
    """Nightly: forget decisions older than keep_days that no sweep can make again; how many went.

    A row may go only once its rule can no longer produce it (the deadline passed, the catch-up
    ended, a newer period or week began): otherwise a sweep from scratch would send it again.
    """
    config = settings()
    old = SentReminder.decided_on < today - timedelta(days=keep_days)
    monday = today - timedelta(days=today.weekday())
    over = SentReminder.send_on < today - timedelta(days=config.catch_up_days)
    settled = sa.or_(
        sa.and_(SentReminder.rule.in_(("task_due_soon", "round_due_soon")), SentReminder.deadline < today),
        sa.and_(SentReminder.rule.in_(("task_overdue", "round_overdue")), over),
        sa.and_(SentReminder.rule == "nudge",
                SentReminder.send_on < today - timedelta(days=config.nudge_days + SHIFT_DAYS)),
        sa.and_(SentReminder.rule == "overdue_digest", SentReminder.send_on < monday),
    )
    return db.session.execute(sa.delete(SentReminder).where(old, settled)).rowcount


@dataclass(frozen=True)
class _Seen:
    """What a sweep starts from: the fingerprint of its audience and settings, the newest change and line."""

    fingerprint: str
    change_id: int
    line_id: int


def _seen_now(config, audience: Audience) -> _Seen:
    members = db.session.execute(sa.select(agency_members.c.group_id, agency_members.c.member_id)
                                 .order_by(agency_members.c.group_id, agency_members.c.member_id)).all()
    parts = (RULES_VERSION, config.before_days, config.overdue_notice, config.digest_weekday, config.nudge_days,
             config.catch_up_days, config.holidays, sorted(audience.staff.items()), sorted(audience.leaders.items()),
             audience.office, sorted(audience.opted_out), sorted(audience.english), [tuple(m) for m in members])
    return _Seen(hashlib.sha256(repr(parts).encode()).hexdigest(), latest_change(),
                 db.session.scalar(sa.select(sa.func.max(StatusLine.id))) or 0)


def _since(today: date, seen: _Seen) -> Since | None:
    """The last complete sweep, if this one may build on it: same audience and settings, not a later day."""
    state = db.session.get(SweepState, 1)
    if state is None or state.fingerprint != seen.fingerprint or state.day > today:
        return None
    return Since(state.day, state.change_id == seen.change_id, state.line_id)


def _remember(today: date, seen: _Seen) -> None:
    state = db.session.get(SweepState, 1) or SweepState(id=1)
    state.day, state.fingerprint, state.change_id, state.line_id = today, seen.fingerprint, seen.change_id, seen.line_id
    state.swept_at = utcnow()
    db.session.add(state)
    db.session.flush()


def _key(due: Due) -> tuple:
    return (due.rule, due.subject_type, due.subject_id, due.recipient_id, due.occurrence)


def _record(chunk: list[Due], today: date, batch: str) -> list[Due]:
    """Insert the chunk into the ledger; only rows this sweep inserted come back (the winners)."""
    unique = {_key(d): d for d in chunk}
    now = utcnow()
    rows = [{"rule": d.rule, "subject_type": d.subject_type, "subject_id": d.subject_id,
             "recipient_id": d.recipient_id, "occurrence": d.occurrence, "send_on": d.send_on,
             "decided_on": today, "summary": d.summary[:500], "deadline": d.deadline, "batch": batch, "created_at": now}
            for d in unique.values()]
    inserted = {tuple(row) for row in _insert(rows, batch)}
    return [unique[k] for k in unique if k in inserted]


def _new_in(chunk: list[Due]) -> list[Due]:
    """For a dry run: the items of the chunk the ledger does not hold yet."""
    unique = {_key(d): d for d in chunk}
    columns = (SentReminder.rule, SentReminder.subject_type, SentReminder.subject_id, SentReminder.recipient_id,
               SentReminder.occurrence)
    held = {tuple(row) for row in db.session.execute(sa.select(*columns).where(sa.tuple_(*columns).in_(list(unique))))}
    return [d for k, d in unique.items() if k not in held]


def _queue(digests: dict[int, Digest], today: date, batch: str, send_from: datetime | None = None) -> int:
    """One outbox message per person, linked to the ledger rows it carries."""
    users = {u.id: u for u in db.session.scalars(sa.select(User).where(User.id.in_(list(digests))))}
    for recipient_id, digest in digests.items():
        user = users[recipient_id]
        subject, text, html = render_digest(digest, user, today)
        message = OutboxMessage(recipient_id=user.id, to_address=user.email, subject=subject, text_body=text,
                                html_body=html, message_id=new_message_id(), next_attempt_at=send_from or utcnow())
        db.session.add(message)
        db.session.flush()
        db.session.execute(sa.update(SentReminder).where(
            SentReminder.recipient_id == recipient_id, SentReminder.outbox_id.is_(None),
            SentReminder.batch == batch).values(outbox_id=message.id))
    db.session.flush()
    return len(digests)


@dataclass
class Overview:
    """What is due to go out on a date, and what went out that day."""

    as_of: date
    due: list[Due]
    due_total: int
    sent: list[SentReminder]
    sent_total: int
    emails: dict[int, str] = field(default_factory=dict)  # recipient id -> address, for the due list


def overview(as_of: date, recipient_id: int | None = None, limit: int = 500, language: str | None = None) -> Overview:
    """The reminders a sweep on as_of would still queue, and those decided on that day; their words in
    `language` (the reader's) when given, else each in its recipient's."""
    config = settings()
    calendar = WorkCalendar.parse(config.holidays)
    audience = Audience.load()
    if language is not None:
        everyone = {u for people in (*audience.staff.values(), *audience.leaders.values()) for u in people}
        audience.english = everyone if language == "en" else set()
    stream = due_reminders(as_of, config, calendar, audience)
    due: list[Due] = []
    total = 0
    while chunk := list(islice(stream, CHUNK)):
        chunk = [d for d in chunk if recipient_id is None or d.recipient_id == recipient_id]
        new = _new_in(chunk)
        total += len(new)
        due.extend(new[: max(0, limit - len(due))])
    sent_query = sa.select(SentReminder).where(SentReminder.decided_on == as_of)
    if recipient_id is not None:
        sent_query = sent_query.where(SentReminder.recipient_id == recipient_id)
    sent_total = db.session.scalar(sa.select(sa.func.count()).select_from(sent_query.subquery()))
    sent = list(db.session.scalars(sent_query.order_by(SentReminder.id).limit(limit)))
    ids = {d.recipient_id for d in due}
    emails = {row.id: row.email for row in db.session.execute(sa.select(User.id, User.email).where(User.id.in_(ids)))}
    return Overview(as_of, due, total, sent, sent_total, emails)
