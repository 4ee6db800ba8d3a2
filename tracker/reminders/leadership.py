"""One scheduler at a time, and one finished run per slot, decided in the database every host shares.

Several scheduler processes may run (one per host, for failover). A lease row names the one that runs
jobs; it renews the lease while alive, and when it dies the lease runs out and another takes it. A
lease, rather than PostgreSQL's advisory locks, because it works the same on SQLite and PostgreSQL and
survives a connection pool recycling its connections. A timed (cron) job also records its slot: a new
leader catches up the latest slot nobody finished, and never runs a finished one again.
"""
from __future__ import annotations

import os
import socket
import uuid
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from .models import JobRun, SchedulerLease

LEASE_NAME = "scheduler"


def identity() -> str:
    """A name for this scheduler process that no other process, on this host or another, shares."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def hold(holder: str, now: datetime, seconds: int) -> bool:
    """Take the lease, or renew it if ours, until `now` + `seconds`; whether `holder` leads. Commits."""
    until = now + timedelta(seconds=seconds)
    taken = db.session.execute(
        sa.update(SchedulerLease)
        .where(SchedulerLease.name == LEASE_NAME,
               sa.or_(SchedulerLease.holder == holder, SchedulerLease.until < now))
        .values(holder=holder, until=until)).rowcount == 1
    if not taken and db.session.get(SchedulerLease, LEASE_NAME) is None:
        db.session.add(SchedulerLease(name=LEASE_NAME, holder=holder, until=until))
        try:
            db.session.commit()
        except IntegrityError:  # another process created the row first: it leads
            db.session.rollback()
            return False
        return True
    db.session.commit()
    return taken


def release(holder: str) -> None:
    """Give the lease up at once (a clean shutdown), so a standby need not wait for it to run out."""
    db.session.execute(sa.update(SchedulerLease).where(SchedulerLease.name == LEASE_NAME,
                                                       SchedulerLease.holder == holder)
                       .values(until=datetime(2000, 1, 1)))
    db.session.commit()


def latest_slot(trigger, now: datetime) -> datetime | None:
    """The last moment at or before `now` (aware) when `trigger` fires, within a week; None if none."""
    latest, moment = None, now - timedelta(days=8)
    while True:
        fire = trigger.get_next_fire_time(latest, moment)
        if fire is None or fire > now:
            return latest
        latest, moment = fire, fire + timedelta(seconds=1)


def claim_slot(job_id: str, slot: datetime, runner: str, now: datetime) -> bool:
    """Start `job_id`'s run for `slot` (naive UTC) unless one finished; a run left unfinished by a
    leader that died is taken over. Commits."""
    run = db.session.get(JobRun, (job_id, slot))
    if run is not None and run.finished_at is not None:
        db.session.commit()
        return False
    if run is None:
        db.session.add(JobRun(job_id=job_id, slot=slot, runner=runner, started_at=now))
    else:
        run.runner, run.started_at = runner, now
    try:
        db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return False
    return True


def finish_slot(job_id: str, slot: datetime, now: datetime) -> None:
    """Record `job_id`'s run for `slot` as finished. Commits."""
    db.session.execute(sa.update(JobRun).where(JobRun.job_id == job_id, JobRun.slot == slot)
                       .values(finished_at=now))
    db.session.commit()


def prune_runs(before: datetime) -> int:
    """Forget slots older than `before`; how many. Flushes."""
    return db.session.execute(sa.delete(JobRun).where(JobRun.slot < before)).rowcount
