"""Reminders' operations without HTTP: sending a message again, the office's settings, each person's choice."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from helpers import user_of
from tracker.extensions import db
from tracker.operations import Conflict, Invalid, NotAllowed, perform
from tracker.reminders import operations as ops
from tracker.reminders.mail import new_message_id
from tracker.reminders.models import RULES, OutboxMessage, ReminderOptOut, ReminderSettings

GOOD = {"before_days": "3, 7", "overdue_notice": False, "digest_weekday": 2, "nudge_days": 10, "catch_up_days": 3,
        "holidays": "2021-02-15\n+2021-02-20", "today": date(2021, 5, 10)}


def message(status: str) -> OutboxMessage:
    own = user_of("khdt@test.vn")
    found = OutboxMessage(to_address=own.email, recipient_id=own.id, subject="Nhắc hạn", text_body="x",
                          html_body="<p>x</p>", message_id=new_message_id(), status=status, attempts=3)
    db.session.add(found)
    db.session.commit()
    return found


def test_the_office_sends_again_only_an_unconfirmed_or_failed_message(seeded):
    with seeded.app_context():
        office, now = user_of("vpdp@test.vn"), datetime(2021, 5, 10, 2)
        failed, sent = message("failed"), message("sent")
        with pytest.raises(NotAllowed):
            perform(ops.send_again, user_of("khdt@test.vn"), failed, now)
        with pytest.raises(Conflict) as refused:
            perform(ops.send_again, office, sent, now)
        assert "Đã gửi" in refused.value.message and sent.status == "sent"
        perform(ops.send_again, office, failed, now)
        db.session.expire_all()
        again = db.session.get(OutboxMessage, failed.id)
        assert (again.status, again.attempts, again.next_attempt_at) == ("pending", 0, now)


def test_the_office_saves_the_settings_each_field_checked(seeded):
    with seeded.app_context():
        office = user_of("vpdp@test.vn")
        with pytest.raises(NotAllowed):
            perform(ops.save_settings, user_of("lanhdao@test.vn"), **GOOD)
        with pytest.raises(Invalid) as bad:
            perform(ops.save_settings, office, **{**GOOD, "before_days": "0", "digest_weekday": 6, "nudge_days": 400,
                                                  "catch_up_days": -1, "holidays": "ngày mai"})
        assert set(bad.value.errors) == {"before_days", "digest_weekday", "nudge_days", "catch_up_days", "holidays"}
        assert bad.value.first("holidays") == "Không hiểu các dòng: ngày mai."
        perform(ops.save_settings, office, **GOOD)
        db.session.expire_all()
        saved = db.session.get(ReminderSettings, 1)
        assert (saved.before_days, saved.overdue_notice, saved.digest_weekday, saved.holidays) == (
            "7,3", False, 2, "2021-02-15\n+2021-02-20")


def test_each_chooses_their_reminders_and_the_office_keeps_its_digest(seeded):
    with seeded.app_context():
        officer, office = user_of("khdt@test.vn"), user_of("vpdp@test.vn")
        with pytest.raises(Invalid) as unknown:
            perform(ops.choose_reminders, officer, {"nudge", "horoscope"})
        assert unknown.value.errors == {"rules": ["Không có loại nhắc việc: horoscope."]}
        assert perform(ops.choose_reminders, officer, {"nudge"}) == {"nudge"}
        opted = set(db.session.scalars(sa.select(ReminderOptOut.rule).where(ReminderOptOut.user_id == officer.id)))
        assert opted == set(RULES) - {"nudge"}
        kept = perform(ops.choose_reminders, office, set())
        assert "overdue_digest" in kept and "nudge" not in kept


def test_no_one_signed_out_chooses(seeded):
    from flask_login import AnonymousUserMixin

    with seeded.app_context(), pytest.raises(NotAllowed):
        perform(ops.choose_reminders, AnonymousUserMixin(), {"nudge"})
