"""The scheduler process: declared jobs, never in the web app, and catch-up without duplicates on restart."""
from __future__ import annotations

import threading
import time
from datetime import date, datetime, timedelta

import sqlalchemy as sa
import time_machine
from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED
from apscheduler.schedulers.background import BackgroundScheduler

from conftest import VN
from test_reminders import configure, received, sweep_and_send
from tracker import create_app
from tracker.extensions import db
from tracker.reminders.jobs import build_scheduler, scheduled_jobs
from tracker.reminders.models import OutboxMessage, SentReminder


def test_jobs_are_declared_once_with_stable_ids(app):
    jobs = scheduled_jobs(app.config)
    assert [j.id for j in jobs] == ["reminders.sweep", "outbox.deliver", "documents.read", "database.statistics"]
    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.start(paused=True)  # job defaults are applied when the scheduler starts
    try:
        sweep = scheduler.get_job("reminders.sweep")
        assert str(scheduler.timezone) == "Asia/Ho_Chi_Minh"
        assert "hour='7', minute='0'" in str(sweep.trigger)
        assert (sweep.coalesce, sweep.max_instances, sweep.misfire_grace_time) == (True, 1, 6 * 3600)
        assert "hour='3', minute='30'" in str(scheduler.get_job("database.statistics").trigger)
    finally:
        scheduler.shutdown(wait=False)


def test_the_web_app_starts_no_scheduler(tmp_path):
    before = {t.name for t in threading.enumerate()}
    app = create_app({"DATABASE_URL": f"sqlite:///{tmp_path / 'x.sqlite'}", "TESTING": True})
    app.test_client().get("/login")
    assert {t.name for t in threading.enumerate()} == before


def _run_scheduler_once(app) -> None:
    """Start the real scheduler, wait for the sweep and for the outbox to drain, stop it."""
    done = threading.Event()
    errors = []

    def listener(event):
        if event.exception:
            errors.append(event.exception)
        if event.job_id == "reminders.sweep":
            done.set()

    scheduler = build_scheduler(app, BackgroundScheduler)
    scheduler.add_listener(listener, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
    scheduler.start()
    try:
        assert done.wait(20), f"the sweep did not run at start {errors}"
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            with app.app_context():
                pending = db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.status != "sent"))
            if pending == 0:
                break
            time.sleep(0.2)
    finally:
        scheduler.shutdown(wait=True)
        scheduler.leader.step_down()  # a clean stop hands the lease back, as `flask scheduler` does
    assert errors == []


def test_restart_mid_quarter_catches_up_without_duplicates(seeded, mail_server):
    configure(seeded)
    seeded.config["OUTBOX_INTERVAL_SECONDS"] = 1
    day = date(2021, 3, 1)
    while day <= date(2021, 3, 22):  # daily until Monday 22/03, then the server is down for a week
        sweep_and_send(seeded, day)
        day += timedelta(days=1)
    before = received(mail_server)

    # Back on Monday 29/03 at 08:00: the clock runs (tick) because the scheduler's threads use it.
    with time_machine.travel(datetime(2021, 3, 29, 8, 0, tzinfo=VN), tick=True):
        _run_scheduler_once(seeded)
        after_first = received(mail_server)
        _run_scheduler_once(seeded)  # restarted again the same day
        after_second = received(mail_server)

    caught_up = sorted(set(after_first) - set(before))
    S = "[NTM Lạng Sơn] Nhắc việc ngày 29/03/2021"
    # Only the nearest missed reminder goes out: the 3-day one (Friday 26/03), not the 7-day one too.
    assert caught_up == sorted([
        ("29/03/2021", "khdt@test.vn", f"{S}: 1 việc sắp đến hạn"),
        ("29/03/2021", "taichinh@test.vn", f"{S}: 1 việc sắp đến hạn"),
        ("29/03/2021", "vpdp@test.vn", f"{S}: 2 việc sắp đến hạn"),
        ("29/03/2021", "noivu@test.vn", f"{S}: 1 việc sắp đến hạn"),
    ])
    assert "(còn 2 ngày)" in next(m["text"] for m in mail_server.messages if m["to"] == ["khdt@test.vn"]
                                  and "29/03/2021" in m["subject"])
    assert after_second == after_first
    with seeded.app_context():
        keys = db.session.execute(sa.select(SentReminder.rule, SentReminder.subject_id, SentReminder.recipient_id,
                                            SentReminder.occurrence)).all()
        assert len(keys) == len(set(keys))
