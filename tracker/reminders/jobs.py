"""Scheduled jobs, declared in one list, run by `flask scheduler` in its own process (never in web workers)."""
from __future__ import annotations

import logging
import signal
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from ..clock import local_today, utcnow
from ..documents.reading import read_waiting_documents
from ..extensions import db
from ..maintenance import prune, refresh_statistics
from . import leadership
from .outbox import deliver_outbox
from .sweep import prune_ledger, run_sweep

log = logging.getLogger("tracker.scheduler")


def sweep_job() -> None:
    """Decide and queue today's reminders (idempotent: a second run the same day adds nothing)."""
    result = run_sweep(local_today())
    db.session.commit()
    log.info("sweep %s: %d new reminders, %d messages queued, %d already recorded",
             result.today, result.queued, result.messages, result.already)


def deliver_job() -> None:
    """Queue the notices of what just happened (a report sent back), then send what the outbox holds."""
    run_sweep(local_today(), events_only=True)
    db.session.commit()
    result = deliver_outbox(utcnow())
    if result.sent or result.retried or result.failed:
        log.info("outbox: %d sent, %d to retry, %d failed", len(result.sent), len(result.retried), len(result.failed))


def documents_job() -> None:
    """Read the plan documents the office uploaded (and any a dead reader left half read)."""
    read_waiting_documents()


def statistics_job() -> None:
    """Re-measure the tables so the planner keeps using the list indexes as plans grow; prune counters, change
    records and the reminder decisions no sweep can make again."""
    prune()
    leadership.prune_runs(utcnow() - timedelta(days=90))
    prune_ledger(local_today())
    refresh_statistics()
    db.session.commit()


@dataclass(frozen=True)
class Job:
    """A periodic job: stable id, function, APScheduler trigger and its arguments.

    A "cron" job has slots (its scheduled moments): each slot runs once, whichever scheduler leads, and
    a scheduler that takes the lead catches up the latest slot nobody finished. An "interval" job
    simply runs whenever the leader's timer fires.
    """

    id: str
    func: Callable[[], None]
    trigger: str
    trigger_args: dict = field(default_factory=dict)


def scheduled_jobs(config) -> list[Job]:
    """Every job the scheduler runs."""
    return [
        Job("reminders.sweep", sweep_job, "cron",
            {"hour": config["REMINDER_SWEEP_HOUR"], "minute": config["REMINDER_SWEEP_MINUTE"]}),
        Job("outbox.deliver", deliver_job, "interval", {"seconds": config["OUTBOX_INTERVAL_SECONDS"]}),
        Job("documents.read", documents_job, "interval", {"seconds": config["DOCUMENT_INTERVAL_SECONDS"]}),
        Job("database.statistics", statistics_job, "cron", {"hour": 3, "minute": 30}),
    ]


class Leader:
    """This process's standing: it runs jobs only while it holds the lease (see leadership.py)."""

    def __init__(self, app: Flask, on_gained: Callable[[], None] = lambda: None):
        self.app, self.on_gained = app, on_gained
        self.holder = leadership.identity()
        self.leading = False

    def check(self) -> bool:
        """Renew or take the lease now; whether this process leads. Calls on_gained when it starts to."""
        with self.app.app_context():
            leading = leadership.hold(self.holder, utcnow(), self.app.config["SCHEDULER_LEASE_SECONDS"])
        if leading != self.leading:
            self.leading = leading
            log.info("scheduler %s %s", self.holder, "leads" if leading else "stands by",
                     extra={"event": "leadership", "holder": self.holder, "leading": leading})
            if leading:
                self.on_gained()
        return leading

    def step_down(self) -> None:
        """Hand the lease back on a clean stop."""
        if self.leading:
            with self.app.app_context():
                leadership.release(self.holder)
            self.leading = False


def _in_app(app: Flask, job: Job, leader: Leader, trigger) -> Callable[[], None]:
    def run() -> None:
        if not leader.check():
            return
        with app.app_context():
            now = utcnow()
            slot = None
            if job.trigger == "cron":
                fired = leadership.latest_slot(trigger, now.replace(tzinfo=timezone.utc))
                slot = fired.astimezone(timezone.utc).replace(tzinfo=None) if fired else None
                if slot is None or not leadership.claim_slot(job.id, slot, leader.holder, now):
                    return
            started = time.monotonic()
            details = {"event": "job", "job": job.id, "slot": slot.isoformat() if slot else None,
                       "run_id": uuid.uuid4().hex}
            try:
                job.func()
            except Exception:
                db.session.rollback()
                log.exception("job %s failed; it runs again at its next time", job.id,
                              extra={**details, "outcome": "failed", "ms": _ms_since(started)})
                raise
            if slot is not None:
                leadership.finish_slot(job.id, slot, utcnow())
            log.info("job %s done", job.id, extra={**details, "outcome": "ok", "ms": _ms_since(started)})
    return run


def _ms_since(started: float) -> int:
    return round((time.monotonic() - started) * 1000)


def build_scheduler(app: Flask, scheduler_class=BlockingScheduler):
    """A scheduler in the configured zone with every job, and a heartbeat that keeps or takes the lead.

    Nothing runs until the heartbeat (at once, then every quarter of the lease) finds this process
    leading; then every job runs once at once, cron jobs only for a slot nobody finished.
    """
    zone = ZoneInfo(app.config["TIMEZONE"])
    scheduler = scheduler_class(timezone=zone, job_defaults={
        "coalesce": True,  # after downtime, one run, not one per missed time
        "max_instances": 1,
        "misfire_grace_time": 6 * 3600,  # the default of 1 s silently drops a late daily run
    })
    jobs = scheduled_jobs(app.config)

    def run_everything_now() -> None:
        moment = datetime.now(zone)
        for job in jobs:
            scheduler.modify_job(job.id, next_run_time=moment)

    leader = Leader(app, on_gained=run_everything_now)
    scheduler.leader = leader
    for job in jobs:
        trigger = (CronTrigger(timezone=zone, **job.trigger_args) if job.trigger == "cron"
                   else IntervalTrigger(timezone=zone, **job.trigger_args))
        scheduler.add_job(_in_app(app, job, leader, trigger), trigger, id=job.id, name=job.id,
                          replace_existing=True)
    heartbeat = max(1, app.config["SCHEDULER_LEASE_SECONDS"] // 4)
    scheduler.add_job(leader.check, "interval", seconds=heartbeat, id="scheduler.lease", name="scheduler.lease",
                      next_run_time=datetime.now(zone), misfire_grace_time=None)
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Run until interrupted; SIGTERM stops it cleanly and hands the lead to a standby at once."""
    scheduler = build_scheduler(app)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    for job in scheduler.get_jobs():
        log.info("job %s: %s", job.id, job.trigger)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        scheduler.leader.step_down()
