"""The outbox under faults: a sender killed with SIGKILL, leases, lost answers, moved deadlines."""
from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from datetime import date, datetime, timedelta
from pathlib import Path

import sqlalchemy as sa

from conftest import another_app
from helpers import in_each_app_at_once
from helpers import user_of as user
from test_reminders import at, configure, sweep_only

from tracker.clock import utcnow
from tracker.extensions import db
from tracker.plan.models import Task
from tracker.reminders.mail import new_message_id
from tracker.reminders.models import OutboxMessage, SentReminder
from tracker.reminders.outbox import deliver_outbox, reconcile

SENDER = Path(__file__).with_name("outbox_sender.py")
LEASE = timedelta(seconds=600)
QUEUED = datetime(2026, 11, 30, 0, 0)  # before every pass of these tests, whatever the wall clock says


def queue_plain_messages(app, count: int) -> None:
    """Messages that carry no reminder: always relevant, never out of date."""
    with app.app_context():
        db.session.add_all(OutboxMessage(to_address=f"nguoi{n}@langson.test", subject=f"Thư số {n}",
                                         text_body=f"Nội dung {n}", html_body=f"<p>Nội dung {n}</p>",
                                         message_id=new_message_id(), created_at=QUEUED, next_attempt_at=QUEUED)
                           for n in range(count))
        db.session.commit()


def statuses(app) -> dict[str, str]:
    with app.app_context():
        return dict(db.session.execute(sa.select(OutboxMessage.message_id, OutboxMessage.status)).all())


def test_a_sender_killed_33_times_never_sends_a_message_twice(seeded, mail_server):
    queue_plain_messages(seeded, 400)
    mail_server.recorder.delay = 0.004
    base = datetime(2026, 11, 30, 1, 0)
    rng = random.Random(2026)
    interrupted = 0
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    with subprocess.Popen([sys.executable, str(SENDER), seeded.config["DATABASE_URL"], str(mail_server.port)],
                          stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env) as senders:
        for attempt in range(33):
            # Each pass runs a lease later than the last, so the dead sender's claims have run out.
            now = base + attempt * (LEASE + timedelta(seconds=1))
            senders.stdin.write(now.isoformat() + "\n")
            senders.stdin.flush()
            before = len(mail_server.messages)
            pid = int(senders.stdout.readline())
            deadline = time.monotonic() + 10
            while len(mail_server.messages) == before and time.monotonic() < deadline:
                time.sleep(0.001)  # until this pass has sent something: the kill lands mid-batch
            time.sleep(rng.uniform(0.0, 0.02))
            try:
                os.kill(pid, signal.SIGKILL)
                interrupted += 1
            except ProcessLookupError:
                pass  # that pass had finished
            assert senders.stdout.readline().strip() == "ended"
        senders.stdin.close()
    during_kills = len(mail_server.messages)
    with seeded.app_context():  # a sender that is left alone, pass after pass
        while deliver_outbox(base + 40 * (LEASE + timedelta(seconds=1))).sent:
            pass
    received = Counter(m["message_id"] for m in mail_server.messages)
    final = statuses(seeded)
    # The kills landed in the middle of passes that were sending, not before or after them.
    assert interrupted >= 30 and 33 <= during_kills < 400
    assert max(received.values()) == 1, [k for k, v in received.items() if v > 1]
    assert set(final.values()) <= {"sent", "unconfirmed"}
    assert all(received[message_id] == 1 for message_id, status in final.items() if status == "sent")
    # Only a kill between the hand-over and the server's answer leaves a message unconfirmed.
    assert list(final.values()).count("unconfirmed") <= interrupted


def left_by_a_dead_sender(app, status: str, now: datetime) -> None:
    """One message a sender claimed (and perhaps handed over) before it was killed."""
    queue_plain_messages(app, 1)
    with app.app_context():
        db.session.execute(sa.update(OutboxMessage).values(status=status, lease_until=now + LEASE, attempts=1))
        db.session.commit()


def test_a_message_left_delivering_by_a_dead_sender_is_never_sent_again(seeded, mail_server):
    now = datetime(2026, 11, 30, 1, 0)
    left_by_a_dead_sender(seeded, "delivering", now)
    with seeded.app_context():
        assert reconcile(now) == 0  # its sender may still be alive
        result = deliver_outbox(now + LEASE + timedelta(seconds=1))
        message = db.session.scalar(sa.select(OutboxMessage))
        assert result.unconfirmed == 1 and message.status == "unconfirmed" and "không rõ" in message.last_error
        deliver_outbox(now + 10 * LEASE)
    assert mail_server.messages == []


def test_a_message_left_sending_by_a_dead_sender_goes_out_once_its_lease_ends(seeded, mail_server):
    now = datetime(2026, 11, 30, 1, 0)
    left_by_a_dead_sender(seeded, "sending", now)
    with seeded.app_context():
        assert deliver_outbox(now + timedelta(minutes=5)).sent == []
        assert len(deliver_outbox(now + LEASE + timedelta(seconds=1)).sent) == 1
    assert len(mail_server.messages) == 1


def test_a_lost_answer_to_the_final_dot_leaves_the_message_unconfirmed(seeded, mail_server, monkeypatch):
    import smtplib

    queue_plain_messages(seeded, 2)
    real = smtplib.SMTP.getreply
    state = {"dots": 0}

    def lose_answer_after_first_dot(self):
        code, text = real(self)
        if self._last_sent_dot:
            self._last_sent_dot = False
            state["dots"] += 1
            if state["dots"] == 1:
                raise smtplib.SMTPServerDisconnected("connection lost")
        return code, text

    real_send = smtplib.SMTP.send

    def send(self, data):
        self._last_sent_dot = data == b".\r\n"
        return real_send(self, data)

    monkeypatch.setattr(smtplib.SMTP, "_last_sent_dot", False, raising=False)
    monkeypatch.setattr(smtplib.SMTP, "send", send)
    monkeypatch.setattr(smtplib.SMTP, "getreply", lose_answer_after_first_dot)
    with seeded.app_context():
        result = deliver_outbox(datetime(2026, 11, 30, 1, 0))
        later = deliver_outbox(datetime(2026, 12, 1, 1, 0))
    assert result.unconfirmed == 1 and len(result.sent) == 1 and later.sent == []
    # The server did accept it; it is not sent a second time.
    assert len(mail_server.messages) == 2
    assert sorted(statuses(seeded).values()) == ["sent", "unconfirmed"]


def test_the_office_can_send_an_unconfirmed_message_again(seeded, mail_server, client, auth):
    queue_plain_messages(seeded, 1)
    with seeded.app_context():
        message = db.session.scalar(sa.select(OutboxMessage))
        message.status, message_id = "unconfirmed", message.id
        db.session.commit()
    auth.login("khdt@test.vn")
    assert client.post(f"/outbox/{message_id}/send-again").status_code == 403
    auth.logout()
    auth.login()
    page = client.get(f"/outbox/{message_id}").get_data(as_text=True)
    assert "Chưa rõ đã gửi" in page and "Gửi lại" in page
    response = client.post(f"/outbox/{message_id}/send-again", follow_redirects=True)
    assert "Thư sẽ được gửi lại" in response.get_data(as_text=True)
    with seeded.app_context():
        deliver_outbox(utcnow() + timedelta(seconds=1))  # "send again" makes it due at once
    assert len(mail_server.messages) == 1
    assert client.post(f"/outbox/{message_id}/send-again").status_code == 409  # already sent


def test_each_claim_takes_a_lease_from_its_own_moment(seeded, mail_server):
    # A long pass: 6 messages, 0.3 s each, leases of 1 s. A second sender starting 1.2 s in must
    # find the message being sent still leased (a lease from the pass's start would have run out).
    seeded.config["OUTBOX_LEASE_SECONDS"] = 1
    queue_plain_messages(seeded, 6)
    mail_server.recorder.delay = 0.3
    other = another_app(seeded, SMTP_HOST="127.0.0.1", SMTP_PORT=mail_server.port, OUTBOX_LEASE_SECONDS=1,
                        MAIL_FROM="nhacviec@langson.test")
    start = utcnow()

    def first():
        with seeded.app_context():
            deliver_outbox(start)

    thread = threading.Thread(target=first)
    thread.start()
    time.sleep(1.2)
    with other.app_context():
        deliver_outbox(start + timedelta(seconds=1.2))
    thread.join(30)
    received = Counter(m["message_id"] for m in mail_server.messages)
    assert len(received) == 6 and max(received.values()) == 1


def test_a_message_queued_before_a_deadline_moved_goes_out_with_the_new_date(seeded, mail_server):
    from tracker.progress.services import change_deadline

    configure(seeded)
    t0 = sweep_only(seeded, date(2021, 3, 24))  # II.1 due 31/03: "còn 7 ngày"
    with seeded.app_context():
        task = db.session.scalar(sa.select(Task).where(Task.code == "II.1"))
        change_deadline(task, user("vpdp@test.vn"), date(2021, 3, 29), "Rút ngắn hạn")
        db.session.commit()
    with seeded.app_context(), at(date(2021, 3, 24), 7, 1):
        result = deliver_outbox(t0 + timedelta(minutes=1))
    khdt = [m for m in mail_server.messages if m["to"] == ["khdt@test.vn"]]
    assert len(khdt) == 1 and "khdt@test.vn" in result.rewritten
    assert "hạn 31/03/2021" not in khdt[0]["text"]
    assert "II.1 Phân bổ kế hoạch vốn thực hiện Chương trình năm 2021: hạn 29/03/2021 (còn 5 ngày)" in khdt[0]["text"]
    with seeded.app_context():
        old = db.session.scalar(sa.select(OutboxMessage).where(OutboxMessage.to_address == "khdt@test.vn",
                                                               OutboxMessage.status == "cancelled"))
        assert "Hạn đã thay đổi" in old.last_error
        assert db.session.scalar(sa.select(sa.func.count()).where(SentReminder.deadline == date(2021, 3, 31),
                                                                  SentReminder.recipient_id == user("khdt@test.vn").id)) == 0
    received = Counter(m["message_id"] for m in mail_server.messages)
    assert max(received.values()) == 1


def test_a_countdown_written_on_an_earlier_day_is_written_again(seeded, mail_server):
    configure(seeded)
    t0 = sweep_only(seeded, date(2021, 3, 24))
    with seeded.app_context(), at(date(2021, 3, 25), 7, 1):
        deliver_outbox(t0 + timedelta(days=1))  # the SMTP server was down a day
    texts = " ".join(m["text"] for m in mail_server.messages if m["to"] == ["khdt@test.vn"])
    assert "(còn 6 ngày)" in texts and "(còn 7 ngày)" not in texts


def test_four_senders_at_once_claim_each_message_once(seeded, mail_server):
    """Four workers with their own connections drain one outbox together (FOR UPDATE SKIP LOCKED on
    PostgreSQL, the conditional claim on SQLite): every message goes out once and was claimed once."""
    queue_plain_messages(seeded, 120)
    mail_server.recorder.delay = 0.002
    apps = [seeded] + [another_app(seeded, SMTP_HOST="127.0.0.1", SMTP_PORT=mail_server.port,
                                   MAIL_FROM="nhacviec@langson.test") for _ in range(3)]
    sent = in_each_app_at_once(apps, lambda: len(deliver_outbox(QUEUED + timedelta(minutes=1)).sent))
    received = Counter(m["message_id"] for m in mail_server.messages)
    assert len(received) == 120 and max(received.values()) == 1 and sum(sent) == 120
    with seeded.app_context():
        assert set(db.session.execute(sa.select(OutboxMessage.status, OutboxMessage.attempts)).all()) == {("sent", 1)}
