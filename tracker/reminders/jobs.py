"""Scheduled jobs, declared in one list, run by `flask scheduler` in its own process (never in web workers)."""
from __future__ import annotations

import logging
import signal
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from ..clock import local_today, utcnow
from ..extensions import db
from ..maintenance import prune, refresh_statistics
from .outbox import deliver_outbox
from .sweep import run_sweep

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


def statistics_job() -> None:
    """Re-measure the tables so the planner keeps using the list indexes as plans grow; prune counters and change records."""
    prune()
    refresh_statistics()
    db.session.commit()


@dataclass(frozen=True)
class Job:
    """A periodic job: stable id, function, APScheduler trigger and its arguments."""

    id: str
    func: Callable[[], None]
    trigger: str
    trigger_args: dict = field(default_factory=dict)
    run_at_start: bool = False  # catch up at once after downtime instead of waiting for the next run


def scheduled_jobs(config) -> list[Job]:
    """Every job the scheduler runs."""
    return [
        Job("reminders.sweep", sweep_job, "cron",
            {"hour": config["REMINDER_SWEEP_HOUR"], "minute": config["REMINDER_SWEEP_MINUTE"]}, run_at_start=True),
        Job("outbox.deliver", deliver_job, "interval", {"seconds": config["OUTBOX_INTERVAL_SECONDS"]},
            run_at_start=True),
        Job("database.statistics", statistics_job, "cron", {"hour": 3, "minute": 30}),
    ]


def _in_app(app: Flask, job: Job) -> Callable[[], None]:
    def run() -> None:
        with app.app_context():
            try:
                job.func()
            except Exception:
                db.session.rollback()
                log.exception("job %s failed; it runs again at its next time", job.id)
                raise
    return run


def build_scheduler(app: Flask, scheduler_class=BlockingScheduler):
    """A scheduler in the configured zone with every job; state lives in our tables, not a job store."""
    zone = ZoneInfo(app.config["TIMEZONE"])
    scheduler = scheduler_class(timezone=zone, job_defaults={
        "coalesce": True,  # after downtime, one run, not one per missed time
        "max_instances": 1,
        "misfire_grace_time": 6 * 3600,  # the default of 1 s silently drops a late daily run
    })
    now = datetime.now(zone)
    for job in scheduled_jobs(app.config):
        options = {"next_run_time": now} if job.run_at_start else {}
        scheduler.add_job(_in_app(app, job), job.trigger, id=job.id, name=job.id, replace_existing=True,
                          **options, **job.trigger_args)
    return scheduler


def run_scheduler(app: Flask) -> None:
    """Run until interrupted; SIGTERM stops it cleanly."""
    scheduler = build_scheduler(app)
    signal.signal(signal.SIGTERM, lambda *_: scheduler.shutdown(wait=False))
    for job in scheduler.get_jobs():
        log.info("job %s: %s", job.id, job.trigger)
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
