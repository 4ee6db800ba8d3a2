"""Every change a person makes to reminders: the office sends a message again and sets the reminder settings
(holidays included); each person chooses the reminders they get.

The sweep, the sender and the scheduler (jobs.py, outbox.py, leadership.py) run outside requests and commit
their own work; these run in a request, flush and raise a DomainError, never commit (tracker/operations.py).
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _

from ..auth.policy import chooses_own_reminders, require_office
from ..i18n import label as vocab
from ..operations import Conflict, Invalid, NotAllowed, operation
from . import outbox, planner
from .calendar import NoWorkingDay, WorkCalendar
from .models import RULES, OutboxMessage, ReminderSettings

# A message whose delivery the office may ask for again: unconfirmed (the server may have taken it) or failed.
SENDABLE_AGAIN = ("unconfirmed", "failed")



@operation
def send_again(actor, message: OutboxMessage, now: datetime) -> OutboxMessage:
    """The office sends again an unconfirmed or failed message, with the same Message-ID."""
    require_office(actor)
    if message.status not in SENDABLE_AGAIN:
        raise Conflict(_("Chỉ gửi lại được thư «Chưa rõ đã gửi» hoặc «Lỗi»; thư này đang ở trạng thái «%(state)s».",
                         state=vocab(message.status_label)))
    outbox.send_again(message, now)
    return message


@operation(audited=True)
def save_settings(actor, *, before_days: str, overdue_notice: bool, digest_weekday: int, nudge_days: int,
                  catch_up_days: int, holidays: str, today) -> ReminderSettings:
    """The office sets the days before deadlines, the overdue notice, the digest's weekday, nudges and holidays."""
    require_office(actor)
    errors = {}
    parts = [p.strip() for p in (before_days or "").split(",") if p.strip()]
    if not parts or not all(p.isdigit() and 0 < int(p) <= 90 for p in parts):
        errors["before_days"] = _("Nhập các số ngày từ 1 đến 90, ví dụ 7,3,1.")
    if digest_weekday not in range(5):
        errors["digest_weekday"] = _("Lựa chọn không hợp lệ.")
    if not 0 <= nudge_days <= 365:
        errors["nudge_days"] = _("Số phải từ %(min)s đến %(max)s.", min=0, max=365)
    if not 0 <= catch_up_days <= 90:
        errors["catch_up_days"] = _("Số phải từ %(min)s đến %(max)s.", min=0, max=90)
    bad = WorkCalendar.invalid_lines(holidays or "")
    if bad:
        errors["holidays"] = _("Không hiểu các dòng: %(lines)s.", lines=", ".join(bad[:5]))
    else:
        try:
            WorkCalendar.parse(holidays or "").check(today)
        except NoWorkingDay as exc:
            errors["holidays"] = str(exc)
    if errors:
        raise Invalid(errors)
    return planner.save_settings(planner.settings(), before_days=before_days, overdue_notice=bool(overdue_notice),
                                 digest_weekday=digest_weekday, nudge_days=nudge_days, catch_up_days=catch_up_days,
                                 holidays=holidays or "")


@operation(audited=True)
def choose_reminders(actor, wanted: set[str]) -> set[str]:
    """A person keeps the reminders they want; the rest are turned off but those the office cannot turn off.
    Returns the rules they now receive."""
    if not chooses_own_reminders(actor):
        raise NotAllowed(_("Đăng nhập để chọn nhắc việc."))
    unknown = sorted(set(wanted) - set(RULES))
    if unknown:
        raise Invalid({"rules": _("Không có loại nhắc việc: %(rules)s.", rules=", ".join(unknown))})
    planner.choose_reminders(actor, set(wanted))
    return set(wanted) | planner.forced_rules(actor)
