"""Two web hosts and two schedulers on one database, as separate OS processes, through a simulated week."""
from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
import urllib.request
from collections import Counter
from datetime import date, datetime, timedelta
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
import sqlalchemy as sa

from conftest import PASSWORD, VN, reset_to_seeded
from databases import on_postgresql
from helpers import line_id
from test_reminders import configure, mark_done, received, sweep_and_send
from tracker.extensions import db
from tracker.files.models import Attachment
from tracker.progress.models import StatusLine
from tracker.reminders.models import JobRun, SchedulerLease

HOST = Path(__file__).with_name("host.py")
MONDAY = datetime(2021, 3, 22, 0, 0, tzinfo=VN)  # a week with reminders due every other day
SPEED = 86400 / 6  # a simulated day every 6 real seconds
DAYS = 7

pytestmark = pytest.mark.skipif(not on_postgresql(), reason="several hosts share a PostgreSQL server")


class Browser:
    """A user's browser: cookies kept, pointed at any host (the cookie is valid on all of them)."""

    def __init__(self):
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, url: str) -> tuple[int, str]:
        with self.opener.open(url, timeout=10) as response:
            return response.status, response.read().decode()

    def post(self, url: str, fields: dict, files: dict | None = None) -> int:
        if files:  # multipart/form-data, as a browser sends a form with a file
            boundary = uuid.uuid4().hex
            parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                     for name, value in fields.items()]
            parts += [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                      "Content-Type: application/pdf\r\n\r\n".encode() + data + b"\r\n"
                      for name, (filename, data) in files.items()]
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            request = urllib.request.Request(url, data=body, method="POST",
                                             headers={"Content-Type": f"multipart/form-data; boundary={boundary}"})
        else:
            request = urllib.request.Request(url, data=urllib.parse.urlencode(fields).encode(), method="POST")
        with self.opener.open(request, timeout=10) as response:
            return response.status

    def download(self, url: str) -> tuple[int, bytes, str]:
        with self.opener.open(url, timeout=10) as response:
            return response.status, response.read(), response.headers.get("Content-Disposition", "")


def _simulated(t0: float) -> datetime:
    return MONDAY + timedelta(seconds=(time.time() - t0) * SPEED)


def _wait_until(t0: float, moment: datetime) -> None:
    time.sleep(max(0.0, (moment - _simulated(t0)).total_seconds() / SPEED))


def test_two_web_hosts_and_two_schedulers_through_a_week(seeded, seeded_template, mail_server, tmp_path, seaweedfs):
    from objectstore import BUCKET, BucketView, fresh_prefix

    configure(seeded)
    prefix = fresh_prefix()  # the hosts share their files through the object store, and no folder
    with seeded.app_context():  # the deployment ran last week: Sunday's sweep is done
        db.session.add(JobRun(job_id="reminders.sweep", slot=datetime(2021, 3, 21), runner="last week",
                              started_at=datetime(2021, 3, 21), finished_at=datetime(2021, 3, 21)))
        db.session.commit()
    environment = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1]),
                   "TRACKER_DATABASE_URL": seeded.config["DATABASE_URL"],
                   "TRACKER_SECRET_KEY": "k" * 40, "TRACKER_SESSION_COOKIE_SECURE": "false",
                   "TRACKER_FILES_URL": f"s3://{BUCKET}/{prefix}", **seaweedfs.environment(),
                   "TRACKER_SMTP_HOST": "127.0.0.1", "TRACKER_SMTP_PORT": str(mail_server.port),
                   "TRACKER_MAIL_FROM": "nhacviec@langson.test", "TRACKER_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
                   # In simulated seconds: the outbox every hour, a lease of three hours renewed every 45 minutes.
                   "TRACKER_OUTBOX_INTERVAL_SECONDS": "3600", "TRACKER_SCHEDULER_LEASE_SECONDS": "10800",
                   "TRACKER_LOG_FORMAT": "json"}
    logs = {name: open(tmp_path / f"{name}.log", "w") for name in ("web-a", "web-b", "scheduler-a", "scheduler-b")}
    # Each host has a folder of its own, to show that none of them keeps a file there.
    folders = {name: tmp_path / f"{name}-uploads" for name in ("web-a", "web-b", "scheduler-a", "scheduler-b")}
    hosts = {name: subprocess.Popen([sys.executable, str(HOST), role, MONDAY.isoformat(), str(SPEED)],
                                    env={**environment, "TRACKER_UPLOAD_FOLDER": str(folders[name])},
                                    stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                    stderr=logs[name], text=True)
             for name, role in (("web-a", "web"), ("web-b", "web"), ("scheduler-a", "scheduler"),
                                ("scheduler-b", "scheduler"))}
    try:
        ready = {name: process.stdout.readline().split() for name, process in hosts.items()}
        assert all(words and words[0] == "ready" for words in ready.values()), ready
        a, b = (f"http://127.0.0.1:{ready[name][1]}" for name in ("web-a", "web-b"))
        # Every clock stands at Monday 00:00: an officer signs in on one host and finishes a task
        # through the other, before Monday's 07:00 sweep however long that takes on a busy machine.
        browser = Browser()
        _, login = browser.get(f"{a}/login")
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', login).group(1)
        assert browser.post(f"{a}/login", {"email": "khdt@test.vn", "password": PASSWORD, "csrf_token": token}) == 200
        lid = line_id(seeded, "II.1", "Sở Kế hoạch và Đầu tư")
        status, page = browser.get(f"{b}/tasks/II.1")
        assert status == 200
        token = re.search(rf'name="line{lid}-csrf_token" type="hidden" value="([^"]+)"', page).group(1)
        report = b"%PDF-1.4\n" + os.urandom(200_000)
        assert browser.post(f"{b}/tasks/II.1/lines/{lid}", {
            f"line{lid}-csrf_token": token, f"line{lid}-status": "done", f"line{lid}-progress": "100",
            f"line{lid}-completed_on": "2021-03-22", f"line{lid}-version": "1", f"line{lid}-note": "Xong"},
            files={f"line{lid}-attachments": ("Báo cáo hoàn thành.pdf", report)}) == 200
        with seeded.app_context():
            assert db.session.get(StatusLine, lid).status == "done"
            attachment = db.session.scalar(sa.select(Attachment))
            db.session.remove()
        # Uploaded through host B, downloaded through host A, byte for byte, from the bucket alone.
        assert BucketView(seaweedfs.client(), BUCKET, prefix).names() == [attachment.stored_name]
        status, data, disposition = browser.download(f"{a}/attachments/{attachment.id}")
        assert (status, data) == (200, report) and urllib.parse.quote("Báo cáo hoàn thành.pdf") in disposition
        assert not any(folder.exists() and any(folder.iterdir()) for folder in folders.values())
        t0 = time.time()  # from now on Monday 00:00 plus the simulated time since, on every host
        for process in hosts.values():
            process.stdin.write(f"{t0}\n")
            process.stdin.flush()

        # Wednesday 06:30, before the day's sweep: the leading scheduler dies without a word.
        _wait_until(t0, MONDAY + timedelta(days=2, hours=6, minutes=30))
        with seeded.app_context():
            leader = db.session.get(SchedulerLease, "scheduler").holder
            db.session.remove()
        killed = next(name for name in ("scheduler-a", "scheduler-b") if f":{hosts[name].pid}:" in leader)
        hosts[killed].send_signal(signal.SIGKILL)
        hosts[killed].wait(10)

        _wait_until(t0, MONDAY + timedelta(days=DAYS))
        for name, process in hosts.items():
            assert process.poll() is None or name == killed, (name, (tmp_path / f"{name}.log").read_text()[-3000:])
    finally:
        for process in hosts.values():
            if process.poll() is None:
                process.terminate()
        for name, process in hosts.items():
            process.wait(10)
            process.stdin.close()
            process.stdout.close()
            logs[name].close()

    with seeded.app_context():
        runs = db.session.execute(sa.select(JobRun.slot, JobRun.runner, JobRun.finished_at)
                                  .where(JobRun.job_id == "reminders.sweep", JobRun.slot > datetime(2021, 3, 21))
                                  .order_by(JobRun.slot)).all()
        survivor = db.session.get(SchedulerLease, "scheduler").holder
        db.session.remove()
    # One finished sweep for each 07:00 of the week, the one after the kill by the standby.
    assert [slot for slot, _, _ in runs] == [datetime(2021, 3, 21 + day, 0, 0) for day in range(1, DAYS + 1)]
    assert all(finished is not None for _, _, finished in runs)
    assert f":{hosts[killed].pid}:" not in survivor
    assert {runner for slot, runner, _ in runs if slot >= datetime(2021, 3, 24)} == {survivor}
    multi_host = received(mail_server)
    ids = Counter(m["message_id"] for m in mail_server.messages)
    assert multi_host and max(ids.values()) == 1

    # The same week in one process, from the same start: exactly the same mail, each once.
    reset_to_seeded(seeded, seeded_template)
    configure(seeded)
    mail_server.recorder.messages.clear()
    mark_done(seeded, "II.1", "Sở Kế hoạch và Đầu tư", "khdt@test.vn", date(2021, 3, 22))
    for day in range(DAYS):
        sweep_and_send(seeded, date(2021, 3, 22) + timedelta(days=day))
    assert multi_host == received(mail_server)
    assert not any(to == "khdt@test.vn" and "II.1" in subject for _, to, subject in multi_host)
