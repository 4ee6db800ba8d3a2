"""Reminders end to end: a whole quarter day by day through a real SMTP server, each sent exactly once."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa
import time_machine

from helpers import line_of as line
from helpers import user_of as user
from conftest import VN

from tracker.extensions import db
from tracker.indicators.models import Indicator
from tracker.plan.models import Task
from tracker.progress.services import LineChange, update_line
from tracker.reminders.models import OutboxMessage, ReminderOptOut, ReminderSettings, SentReminder
from tracker.reminders.outbox import deliver_outbox
from tracker.reminders.jobs import deliver_job, sweep_job
from tracker.reminders.sweep import run_sweep
from tracker.reporting.models import ReportingRound
from tracker.reporting.services import submit_report

PREFIX = "[NTM Lạng Sơn] Nhắc việc ngày"


def configure(app, figures: bool = False, **values):
    """Change the office's reminder settings; nudges off unless asked, to keep expectations exact.

    Without `figures`, no body is given the plan's indicators, so no quarter's figures are owed with a
    round: these tests count task and round reminders (test_indicators.py tests the figures' own)."""
    with app.app_context():
        if not figures:
            db.session.execute(sa.update(Indicator).values(responsible_id=None))
        settings = db.session.get(ReminderSettings, 1) or ReminderSettings(id=1)
        db.session.add(settings)
        settings.nudge_days = values.get("nudge_days", 0)
        for key, value in values.items():
            setattr(settings, key, value)
        db.session.commit()


def at(day: date, hour: int = 7, minute: int = 0):
    """Move the clock to a moment of that day in Việt Nam (frozen: no scheduler thread runs here)."""
    return time_machine.travel(datetime(day.year, day.month, day.day, hour, minute, tzinfo=VN), tick=False)


def sweep_and_send(app, day: date) -> None:
    """The scheduler's own two jobs on one day: the 07:00 sweep, then the outbox a minute later."""
    with app.app_context():
        with at(day, 7, 0):
            sweep_job()
        with at(day, 7, 1):
            deliver_job()


def sweep_only(app, day: date) -> datetime:
    """The 07:00 sweep; returns the UTC moment of it, the outbox's clock."""
    with app.app_context(), at(day, 7, 0):
        run_sweep(day)
        db.session.commit()
    return datetime(day.year, day.month, day.day, 0, 0)  # 07:00 in Hà Nội is midnight UTC


def mark_done(app, code, agency, email, day):
    with app.app_context(), at(day, 10):
        target = line(code, agency)
        update_line(target, LineChange("done", 100, "Xong", completed_on=day), user(email), target.version, day)
        db.session.commit()


def received(server):
    """(date in the subject, recipient, subject) for every message the server accepted."""
    result = []
    for m in server.messages:
        day = m["subject"][len(PREFIX) + 1:len(PREFIX) + 11]
        result.append((day, m["to"][0], m["subject"]))
    return sorted(result)


def test_a_quarter_day_by_day_sends_each_reminder_once(seeded, mail_server):
    configure(seeded)
    start, end = date(2021, 1, 1), date(2021, 4, 15)
    day = start
    while day <= end:
        if day == date(2021, 3, 12):
            with seeded.app_context(), at(day, 10):
                q1 = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
                submit_report(q1, user("khdt@test.vn").agency, user("khdt@test.vn"), "Báo cáo quý I", day)
                db.session.commit()
        if day == date(2021, 3, 25):
            mark_done(seeded, "II.1", "Sở Tài chính", "taichinh@test.vn", day)
        sweep_and_send(seeded, day)
        day += timedelta(days=1)

    S = PREFIX
    expected = sorted([
        # Q1 report due Thu 18/03: 7, 3 and 1 days before, then the overdue notice; Sở KH&ĐT submitted on 12/03.
        *[("11/03/2021", who, f"{S} 11/03/2021: 1 việc sắp đến hạn")
          for who in ("khdt@test.vn", "taichinh@test.vn", "noivu@test.vn", "dinhlap@test.vn")],
        *[("15/03/2021", who, f"{S} 15/03/2021: 1 việc sắp đến hạn") for who in ("taichinh@test.vn", "noivu@test.vn", "dinhlap@test.vn")],
        *[("17/03/2021", who, f"{S} 17/03/2021: 1 việc sắp đến hạn") for who in ("taichinh@test.vn", "noivu@test.vn", "dinhlap@test.vn")],
        *[("19/03/2021", who, f"{S} 19/03/2021: 1 việc quá hạn") for who in ("taichinh@test.vn", "noivu@test.vn", "dinhlap@test.vn")],
        # II.1 and IV.1 due Wed 31/03. 7 days before: 24/03. 3 days before is Sunday 28/03: Friday 26/03.
        ("24/03/2021", "khdt@test.vn", f"{S} 24/03/2021: 1 việc sắp đến hạn"),
        ("24/03/2021", "taichinh@test.vn", f"{S} 24/03/2021: 1 việc sắp đến hạn"),
        ("24/03/2021", "vpdp@test.vn", f"{S} 24/03/2021: 2 việc sắp đến hạn"),  # one digest, not two mails
        ("24/03/2021", "noivu@test.vn", f"{S} 24/03/2021: 1 việc sắp đến hạn"),
        # Sở Tài chính finished on 25/03: nothing more for it.
        *[("26/03/2021", who, f"{S} 26/03/2021: {n} việc sắp đến hạn") for who, n in
          (("khdt@test.vn", 1), ("vpdp@test.vn", 2), ("noivu@test.vn", 1))],
        *[("30/03/2021", who, f"{S} 30/03/2021: {n} việc sắp đến hạn") for who, n in
          (("khdt@test.vn", 1), ("vpdp@test.vn", 2), ("noivu@test.vn", 1))],
        *[("01/04/2021", who, f"{S} 01/04/2021: {n} việc quá hạn") for who, n in
          (("khdt@test.vn", 1), ("vpdp@test.vn", 2), ("noivu@test.vn", 1))],
        # Mondays after the deadline: the overdue digest to the office (II.1, IV.1, VII.2) and to the lead body.
        ("05/04/2021", "vpdp@test.vn", f"{S} 05/04/2021: tổng hợp 3 việc quá hạn"),
        ("05/04/2021", "lanhdao@test.vn", f"{S} 05/04/2021: tổng hợp 1 việc quá hạn"),
        ("12/04/2021", "vpdp@test.vn", f"{S} 12/04/2021: tổng hợp 3 việc quá hạn"),
        ("12/04/2021", "lanhdao@test.vn", f"{S} 12/04/2021: tổng hợp 1 việc quá hạn"),
    ])
    assert received(mail_server) == expected
    round_mail = next(m for m in mail_server.messages if m["to"] == ["dinhlap@test.vn"] and "11/03/2021" in m["subject"])
    assert "Kính gửi dinhlap@test.vn (UBND huyện Đình Lập)" in round_mail["text"]
    assert "SẮP ĐẾN HẠN BÁO CÁO (1)" in round_mail["text"]
    assert "- Báo cáo quý I năm 2021: hạn nộp 18/03/2021 (còn 7 ngày)" in round_mail["text"]
    with seeded.app_context():
        q1 = db.session.scalar(sa.select(ReportingRound.id).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
    assert f"http://127.0.0.1:5000/rounds/{q1}" in round_mail["text"]
    with seeded.app_context():
        keys = db.session.execute(sa.select(SentReminder.rule, SentReminder.subject_id, SentReminder.recipient_id,
                                            SentReminder.occurrence)).all()
        assert len(keys) == len(set(keys))
        assert db.session.scalar(sa.select(sa.func.count()).where(OutboxMessage.status != "sent")) == 0


def test_due_soon_mail_says_what_by_when_with_a_link(seeded, mail_server):
    configure(seeded)
    sweep_and_send(seeded, date(2021, 3, 24))
    mail = next(m for m in mail_server.messages if m["to"] == ["khdt@test.vn"])
    assert mail["subject"] == "[NTM Lạng Sơn] Nhắc việc ngày 24/03/2021: 1 việc sắp đến hạn, 1 việc quá hạn"
    assert mail["from"] == "nhacviec@langson.test"
    text, html = mail["text"], mail["html"]
    assert "Kính gửi khdt@test.vn (Sở Kế hoạch và Đầu tư)" in text
    assert "SẮP ĐẾN HẠN CÔNG VIỆC (1)" in text
    assert "- II.1 Phân bổ kế hoạch vốn thực hiện Chương trình năm 2021: hạn 31/03/2021 (còn 7 ngày)" in text
    assert "http://127.0.0.1:5000/tasks/II.1?year=2021" in text
    assert "BÁO CÁO QUÁ HẠN (1)" in text and "Báo cáo quý I năm 2021: quá hạn nộp từ 18/03/2021" in text
    assert '<a href="http://127.0.0.1:5000/tasks/II.1?year=2021">II.1 Phân bổ' in html
    assert mail["message"]["Message-ID"].endswith("@tracker.localhost>")


def test_overdue_mail_and_opt_out(seeded, mail_server):
    configure(seeded)
    with seeded.app_context():
        db.session.add(ReminderOptOut(user_id=user("noivu@test.vn").id, rule="task_overdue"))
        # The office cannot turn off overdue notices.
        db.session.add(ReminderOptOut(user_id=user("vpdp@test.vn").id, rule="overdue_digest"))
        db.session.add(ReminderOptOut(user_id=user("vpdp@test.vn").id, rule="task_overdue"))
        db.session.commit()
    sweep_and_send(seeded, date(2021, 4, 5))  # Monday: overdue notices (caught up) and the weekly digest
    by_user = {m["to"][0]: m for m in mail_server.messages}
    assert "noivu@test.vn" not in by_user  # its only reminder that day was the overdue notice it turned off
    assert "TỔNG HỢP QUÁ HẠN HẰNG TUẦN (3)" in by_user["vpdp@test.vn"]["text"]
    assert "- VII.2 Triển khai thực hiện mô hình chỉ đạo điểm: quá hạn từ 31/03/2021" in by_user["vpdp@test.vn"]["text"]
    assert "CÔNG VIỆC QUÁ HẠN (2)" in by_user["vpdp@test.vn"]["text"]


def test_deadline_change_replans_reminders(seeded, mail_server):
    configure(seeded)
    sweep_and_send(seeded, date(2021, 3, 24))
    with seeded.app_context(), at(date(2021, 3, 24), 10):
        from tracker.progress.services import change_deadline

        task = db.session.scalar(sa.select(Task).where(Task.code == "II.1"))
        change_deadline(task, user("vpdp@test.vn"), date(2021, 4, 30), "Lùi hạn")
        db.session.commit()
    mail_server.messages.clear()
    for day in (date(2021, 3, 30), date(2021, 4, 1), date(2021, 4, 23)):
        sweep_and_send(seeded, day)
    khdt = [m for m in mail_server.messages if m["to"] == ["khdt@test.vn"]]
    texts = " ".join(m["text"] for m in khdt)
    assert "hạn 31/03/2021" not in texts and "quá hạn từ 31/03/2021" not in texts
    assert "II.1 Phân bổ kế hoạch vốn thực hiện Chương trình năm 2021: hạn 30/04/2021 (còn 7 ngày)" in texts


def test_nudge_for_lines_without_update(seeded, mail_server):
    configure(seeded, nudge_days=30, overdue_notice=False, before_days="1")
    sweep_and_send(seeded, date(2021, 2, 1))
    khdt = next(m for m in mail_server.messages if m["to"] == ["khdt@test.vn"])
    assert "NHẮC CẬP NHẬT TIẾN ĐỘ" in khdt["text"]
    assert "- II.1 Phân bổ kế hoạch vốn thực hiện Chương trình năm 2021: chưa cập nhật từ 01/01/2021" in khdt["text"]
    assert "I.1 Kiện toàn" not in khdt["text"]  # the district group's task is not Sở KH&ĐT's line
    with seeded.app_context(), at(date(2021, 2, 2), 10):
        target = line("II.1", "Sở Kế hoạch và Đầu tư")
        update_line(target, LineChange("in_progress", 10, "Đang làm"), user("khdt@test.vn"), target.version,
                    date(2021, 2, 2))
        db.session.commit()
    # 60 days after 1 January the lines nobody updated are nudged again; II.1, updated on 2 February,
    # is not: its silence counts from its update, and 30 days of it end on 4 March.
    mail_server.messages.clear()
    sweep_and_send(seeded, date(2021, 3, 3))
    khdt = [m["text"] for m in mail_server.messages if m["to"] == ["khdt@test.vn"]]
    assert len(khdt) == 1 and "chưa cập nhật từ 01/01/2021" in khdt[0]
    assert "- II.1 " not in khdt[0]
    mail_server.messages.clear()
    sweep_and_send(seeded, date(2021, 3, 4))
    khdt = [m["text"] for m in mail_server.messages if m["to"] == ["khdt@test.vn"]]
    assert len(khdt) == 1
    assert "- II.1 Phân bổ kế hoạch vốn thực hiện Chương trình năm 2021: chưa cập nhật từ 02/02/2021" in khdt[0]


def test_dry_run_writes_nothing(seeded, runner):
    configure(seeded)
    result = runner.invoke(args=["reminders", "run", "--as-of", "2021-03-24", "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "would queue 9 reminders in 5 messages" in result.output
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SentReminder.id))) == 0
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 0


def test_cli_run_queues_and_sends(seeded, runner, mail_server):
    configure(seeded)
    result = runner.invoke(args=["reminders", "run", "--as-of", "2021-03-24"])
    assert result.exit_code == 0, result.output
    assert "queued 9 reminders in 5 messages" in result.output and "Sent 5" in result.output
    assert "→ khdt@test.vn" in result.output
    again = runner.invoke(args=["reminders", "run", "--as-of", "2021-03-24"])
    # The second run builds on the first: nothing new, and only what changed since was looked at.
    assert "queued 0 reminders in 0 messages" in again.output
    assert "only what changed since the last sweep was looked at" in again.output


def test_without_smtp_messages_wait_in_the_outbox(seeded, runner, reader):
    configure(seeded)
    result = runner.invoke(args=["reminders", "run", "--as-of", "2021-03-24"])
    assert "messages wait in the outbox" in result.output
    with seeded.app_context():
        assert set(db.session.scalars(sa.select(OutboxMessage.status))) == {"pending"}


def test_two_sweeps_at_once_record_each_reminder_once(seeded, tmp_path):
    from conftest import another_app

    configure(seeded)
    from helpers import in_each_app_at_once

    def sweep():
        run_sweep(date(2021, 3, 24))
        db.session.commit()

    in_each_app_at_once([seeded, another_app(seeded)], sweep)  # two scheduler processes on one database
    with seeded.app_context():
        assert db.session.scalar(sa.select(sa.func.count(SentReminder.id))) == 9
        assert db.session.scalar(sa.select(sa.func.count(OutboxMessage.id))) == 5
        keys = db.session.execute(sa.select(SentReminder.rule, SentReminder.subject_id, SentReminder.recipient_id,
                                            SentReminder.occurrence)).all()
        assert len(keys) == len(set(keys))


def test_two_senders_at_once_send_each_message_once(seeded, mail_server, tmp_path):
    from conftest import another_app

    configure(seeded)
    t0 = sweep_only(seeded, date(2021, 3, 24))
    from helpers import in_each_app_at_once

    other = another_app(seeded, SMTP_HOST="127.0.0.1", SMTP_PORT=mail_server.port)
    in_each_app_at_once([seeded, other], lambda: deliver_outbox(t0 + timedelta(minutes=5)))
    ids = [m["message_id"] for m in mail_server.messages]
    assert len(ids) == 5 and len(set(ids)) == 5


@pytest.mark.parametrize(("failure", "final_status"), [
    ("refused", "sent"),
    ("451 4.3.0 Hệ thống bận, thử lại sau", "sent"),
    ("421 4.3.2 Service not available", "sent"),
    ("550 5.1.1 Không có hộp thư này", "failed"),
])
def test_smtp_failures_retry_or_fail_and_lose_nothing(seeded, mail_server, failure, final_status):
    configure(seeded)
    t0 = sweep_only(seeded, date(2021, 3, 24))
    with seeded.app_context():
        queued = dict(db.session.execute(sa.select(OutboxMessage.id, OutboxMessage.message_id)).all())
    if failure == "refused":
        mail_server.stop()
    else:
        mail_server.recorder.reply = failure
    with seeded.app_context():
        first = deliver_outbox(t0)
        assert first.sent == []
        if final_status == "failed":
            assert len(first.failed) == 5
        else:
            assert len(first.retried) == 5
            rows = db.session.scalars(sa.select(OutboxMessage)).all()
            assert {(m.status, m.attempts, m.next_attempt_at) for m in rows} == {("pending", 1, t0 + timedelta(minutes=1))}
            assert deliver_outbox(t0 + timedelta(seconds=30)).retried == []  # not before its time
    if failure == "refused":
        mail_server.start()
    mail_server.recorder.reply = None
    with seeded.app_context():
        second = deliver_outbox(t0 + timedelta(minutes=2))
        statuses = dict(db.session.execute(sa.select(OutboxMessage.id, OutboxMessage.status)).all())
    assert set(statuses.values()) == {final_status}
    if final_status == "sent":
        assert len(second.sent) == 5
        # The Message-ID made at enqueue time survives the retries: a receiver can drop a duplicate.
        assert sorted(m["message_id"] for m in mail_server.messages) == sorted(queued.values())
    else:
        assert mail_server.messages == [] and second.sent == []


def test_gives_up_after_the_backoff_schedule(seeded, mail_server):
    from tracker.reminders.outbox import BACKOFF

    # Overdue notices only: a countdown ("còn 3 ngày") would be written afresh each day of the retries.
    configure(seeded, before_days="")
    now = sweep_only(seeded, date(2021, 3, 24))
    mail_server.recorder.reply = "451 4.3.0 busy"
    with seeded.app_context():
        for _ in range(len(BACKOFF)):
            deliver_outbox(now)
            now += timedelta(hours=4)
        assert set(db.session.scalars(sa.select(OutboxMessage.status))) == {"failed"}
        assert set(db.session.scalars(sa.select(OutboxMessage.last_error))) == {"451 4.3.0 busy"}


def test_message_is_cancelled_when_the_work_is_done_before_it_goes(seeded):
    configure(seeded)
    t0 = sweep_only(seeded, date(2021, 3, 24))
    mark_done(seeded, "II.1", "Sở Kế hoạch và Đầu tư", "khdt@test.vn", date(2021, 3, 24))
    with seeded.app_context(), at(date(2021, 3, 24), 11):
        khdt_round_done = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.title == "Báo cáo quý I năm 2021"))
        submit_report(khdt_round_done, user("khdt@test.vn").agency, user("khdt@test.vn"), "Muộn", date(2021, 3, 24))
        db.session.commit()
    from mailserver import MailServer

    server = MailServer()
    server.start()
    seeded.config.update(SMTP_HOST="127.0.0.1", SMTP_PORT=server.port)
    try:
        with seeded.app_context():
            result = deliver_outbox(t0 + timedelta(hours=5))
    finally:
        server.stop()
    assert result.cancelled == ["khdt@test.vn"]
    assert "khdt@test.vn" not in [m["to"][0] for m in server.messages]
