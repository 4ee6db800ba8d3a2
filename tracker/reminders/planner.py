"""What reminders are due on a date: every rule, evaluated from the current state, streamed in batches.

The planner decides nothing twice by itself: it lists what *should* have gone out by `today`; the
ledger's unique key turns that into "once". A deadline that moves changes the occurrence key, so
the reminders still to come follow the new date.
"""
from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import NamedTuple
from datetime import date, datetime, time, timedelta, timezone

import sqlalchemy as sa
from flask_babel import force_locale, gettext

from ..auth.models import User
from ..auth.policy import does_agency_work, is_office, manages_plan
from ..clock import vn_date, zone
from ..extensions import db
from ..i18n import N_, label
from ..plan.models import Agency, Assignment, Plan, Task, agency_members
from ..progress.categories import NO_DEADLINE_KINDS
from ..progress.category_sql import task_in_category
from ..progress.models import StatusLine
from ..indicators.figures import figures_owed, round_quarter
from ..reporting.models import ReportingRound, Submission, round_bodies
from .calendar import WorkCalendar
from .models import RULES, ReminderOptOut, ReminderSettings

BATCH = 2000
# Rules the coordination office cannot turn off: every overdue notice and the weekly overdue digest.
FORCED_FOR_OFFICE = {"overdue_digest", "task_overdue", "round_overdue"}


class Due(NamedTuple):
    """One reminder that should have gone out by the sweep's date (a tuple: a sweep makes tens of thousands)."""

    rule: str
    subject_type: str
    subject_id: int
    recipient_id: int
    occurrence: str
    send_on: date
    summary: str
    path: str
    deadline: date | None = None


@dataclass
class Audience:
    """Who receives what: active staff by agency, leaders by agency, office users, and opt-outs."""

    staff: dict[int, list[int]] = field(default_factory=dict)  # officers and office users of an agency
    leaders: dict[int, list[int]] = field(default_factory=dict)
    office: list[int] = field(default_factory=list)
    opted_out: set[tuple[int, str]] = field(default_factory=set)
    english: set[int] = field(default_factory=set)  # who reads the interface, and their mail, in English
    # A phrase's translation in each language, looked up once a sweep rather than once a reminder.
    _phrases: dict[str, dict[str, str]] = field(default_factory=dict, repr=False)

    @classmethod
    def load(cls) -> Audience:
        """Read every active account once per sweep."""
        audience = cls(staff=defaultdict(list), leaders=defaultdict(list))
        for user_id, agency_id, role, language in db.session.execute(
                sa.select(User.id, User.agency_id, User.role, User.language).where(User.active).order_by(User.id)):
            if language == "en":
                audience.english.add(user_id)
            if does_agency_work(role):
                audience.staff[agency_id].append(user_id)
            else:
                audience.leaders[agency_id].append(user_id)
            if manages_plan(role):
                audience.office.append(user_id)
        audience.opted_out = set((tuple(row) for row in db.session.execute(sa.select(ReminderOptOut.user_id, ReminderOptOut.rule))))
        return audience

    def of_agency(self, agency_id: int, rule: str, with_leaders: bool = False) -> list[int]:
        """The people of an agency who do its work (and, if asked, its leaders) and receive this rule."""
        people = self.staff.get(agency_id, []) + (self.leaders.get(agency_id, []) if with_leaders else [])
        return [u for u in people if self.receives(u, rule)]

    def receives(self, user_id: int, rule: str) -> bool:
        """Whether a user gets a rule: their choice, except the office's overdue notices."""
        return (user_id, rule) not in self.opted_out or (rule in FORCED_FOR_OFFICE and user_id in self.office)

    def text(self, build: Callable[[], str]) -> Callable[[int], str]:
        """A reminder's words in each recipient's language, each language composed once (`build` calls
        gettext, under the recipient's locale)."""
        made: dict[str, str] = {}

        def for_user(user_id: int) -> str:
            language = "en" if user_id in self.english else "vi"
            if language not in made:
                with force_locale(language):
                    made[language] = build()
            return made[language]
        return for_user

    def phrase(self, message: str, **values) -> Callable[[int], str]:
        """`message` (marked with N_ for the catalogue) in each recipient's language, filled with values.

        The same as `text` with gettext, but the translation is looked up once a sweep: a sweep writes
        tens of thousands of reminders from a handful of phrases.
        """
        found = self._phrases.get(message)
        if found is None:
            found = {}
            for language in ("vi", "en"):
                with force_locale(language):
                    found[language] = label(message)  # the phrase, unfilled: label() takes N_-marked text only
            self._phrases[message] = found

        def for_user(user_id: int) -> str:
            return found["en" if user_id in self.english else "vi"] % values
        return for_user

    def office_for(self, rule: str) -> list[int]:
        """The office users who receive this rule (some rules cannot be turned off)."""
        return [u for u in self.office if self.receives(u, rule)]


def settings() -> ReminderSettings:
    """The office's reminder settings, created with defaults on first use."""
    found = db.session.get(ReminderSettings, 1)
    if found is None:
        found = ReminderSettings(id=1)
        db.session.add(found)
        db.session.flush()
    return found


def save_settings(current: ReminderSettings, *, before_days: str, overdue_notice: bool, digest_weekday: int,
                  nudge_days: int, catch_up_days: int, holidays: str) -> ReminderSettings:
    """The office's settings, the days before a deadline kept once each, largest first ("7,3,1")."""
    days = sorted({int(part) for part in before_days.split(",") if part.strip()}, reverse=True)
    current.before_days = ",".join(str(d) for d in days)
    current.overdue_notice, current.digest_weekday = overdue_notice, digest_weekday
    current.nudge_days, current.catch_up_days, current.holidays = nudge_days, catch_up_days, holidays.strip()
    db.session.flush()
    return current


def forced_rules(user) -> set[str]:
    """The rules a user cannot turn off: the office's overdue notices and digest."""
    return set(FORCED_FOR_OFFICE) if is_office(user) else set()


def choose_reminders(user, wanted: set[str]) -> None:
    """Keep the user's choice of reminders: opt out of every rule not wanted (forced rules stay on)."""
    wanted = wanted | forced_rules(user)
    db.session.execute(sa.delete(ReminderOptOut).where(ReminderOptOut.user_id == user.id))
    db.session.add_all(ReminderOptOut(user_id=user.id, rule=rule) for rule in RULES if rule not in wanted)
    db.session.flush()


def _before(deadline: date, today: date, days: list[int], cal: WorkCalendar) -> tuple[int, date] | None:
    """The nearest "N days before" reminder already due on today, or None.

    After downtime only the nearest missed reminder goes out: the 7-day one is pointless once the
    3-day one is due. A reminder on a weekend or holiday moves to the working day before.
    """
    if today > deadline:
        return None
    for n in sorted(days):
        send_on = cal.on_or_before(deadline - timedelta(days=n))
        if send_on <= today:
            return n, send_on
    return None


def _after(deadline: date, today: date, catch_up: int, cal: WorkCalendar) -> date | None:
    """The overdue notice's date (the working day after the deadline) if due and not too old."""
    send_on = cal.on_or_after(deadline + timedelta(days=1))
    if send_on <= today and (today - send_on).days <= catch_up:
        return send_on
    return None


def active_plan_ids(today: date) -> list[int]:
    """Plans in force: this year's, and last year's for notices about its last deadlines."""
    return list(db.session.scalars(sa.select(Plan.id).where(Plan.year >= today.year - 1)))


@dataclass(frozen=True)
class Since:
    """What the last complete sweep saw, so this one does only what changed since.

    `day`: the day it swept; `data_unchanged`: no plan data was written since; `line_id`: the newest
    status line it knew. Who receives what and the office's settings are the same (the caller checks).
    """

    day: date
    data_unchanged: bool
    line_id: int


def due_reminders(today: date, config: ReminderSettings, cal: WorkCalendar, audience: Audience,
                  events_only: bool = False, since: Since | None = None) -> Iterator[Due]:
    """Every reminder due on or before today under the current state, plan by plan, batch by batch.

    events_only: just the notices of things that happened (a report sent back), which the outbox
    job decides every minute so they go out at once rather than at the next daily sweep. since: only
    what may have become due after the last sweep (the ledger holds the rest), instead of everything.
    """
    plan_ids = active_plan_ids(today)
    if not plan_ids:
        return
    yield from _returned_reports(today, audience, plan_ids)
    if events_only:
        return
    yield from _deadline_reminders(today, config, cal, audience, plan_ids, since)
    yield from _nudges(today, config, cal, audience, plan_ids, since)
    yield from _round_reminders(today, config, cal, audience, plan_ids)
    yield from _digests(today, config, cal, audience, plan_ids, since)


def task_batches(plan_ids: list[int], *where) -> Iterator[list]:
    """The plans' tasks in batches, by keyset on the id within each plan.

    One plan at a time, so the (plan_id, id) index yields rows in order: with several plans in one
    query SQLite sorts everything left for every batch, which grows with the square of the plan.
    """
    for plan_id in plan_ids:
        last_id = 0
        while True:
            rows = db.session.execute(
                sa.select(Task.id, Task.code, Task.title, Task.due_on, Task.schedule_kind, Task.plan_id, Plan.year)
                .join(Plan, Plan.id == Task.plan_id)
                .where(Task.plan_id == plan_id, Task.id > last_id, *where)
                .order_by(Task.id).limit(BATCH)).all()
            if not rows:
                break
            last_id = rows[-1].id
            yield rows


# How far a reminder's date may move to a working day: past this many days of search the window stops.
WINDOW_LIMIT = 400


def reminder_deadlines(today: date, config: ReminderSettings, cal: WorkCalendar) -> list[date]:
    """Every deadline that has a "due soon" or "overdue" reminder due by today: a few weeks of dates.

    The reminder's date only moves forward as the deadline does, so the search stops at the first
    deadline too far ahead (or too long past) whatever the holidays; the list is exact.
    """
    found = []
    days = config.before_list
    if days:
        for offset in range(WINDOW_LIMIT):
            deadline = today + timedelta(days=offset)
            if cal.on_or_before(deadline - timedelta(days=max(days))) > today:
                break
            found.append(deadline)
    if config.overdue_notice:
        for offset in range(1, WINDOW_LIMIT):
            deadline = today - timedelta(days=offset)
            send_on = cal.on_or_after(deadline + timedelta(days=1))
            if (today - send_on).days > config.catch_up_days:
                break
            if send_on <= today:
                found.append(deadline)
    return sorted(found)


def _deadline_key(deadline: date, today: date, days: list[int], config, cal) -> tuple[str, str] | None:
    before = _before(deadline, today, days, cal)
    if before:
        return "task_due_soon", f"{deadline.isoformat()}-{before[0]}d"
    if config.overdue_notice and _after(deadline, today, config.catch_up_days, cal):
        return "task_overdue", deadline.isoformat()
    return None


def _deadlines_to_visit(today: date, config, cal, since: Since | None) -> list[date]:
    """The deadlines whose tasks this sweep must look at: all with a reminder due, or, when nothing was
    written since the last sweep, those whose reminder changed since that day (a new threshold crossed)."""
    deadlines = reminder_deadlines(today, config, cal)
    if since is None or not since.data_unchanged or since.day > today:
        return deadlines
    days = config.before_list
    return [d for d in deadlines
            if _deadline_key(d, today, days, config, cal) != _deadline_key(d, since.day, days, config, cal)]


def _deadline_reminders(today, config, cal, audience, plan_ids, since: Since | None) -> Iterator[Due]:
    """Before a task's deadline and the day after it, to the bodies whose lines are not done."""
    deadlines = _deadlines_to_visit(today, config, cal, since)
    if not deadlines:
        return
    days = config.before_list
    for tasks in task_batches(plan_ids, Task.due_on.in_(deadlines), Task.schedule_kind.not_in(NO_DEADLINE_KINDS)):
        by_id = {task.id: task for task in tasks}
        lines = db.session.execute(
            sa.select(StatusLine.id, StatusLine.task_id, StatusLine.agency_id)
            .where(StatusLine.task_id.in_(list(by_id)), StatusLine.status != "done").order_by(StatusLine.id)).all()
        # Fetched whole (one batch of tasks): no cursor stays open while the sweep writes the ledger.
        found: dict[int, tuple | None] = {}
        for line in lines:
            task = by_id[line.task_id]
            if task.id not in found:
                found[task.id] = _deadline_reminder(task, today, days, config, cal)
            if found[task.id] is None:
                continue
            rule, occurrence, send_on, (message, values) = found[task.id]
            words = audience.phrase(message, **values)
            label = f"{task.code} {task.title}"
            path = f"/tasks/{task.code}?year={task.year}"
            for user in audience.of_agency(line.agency_id, rule):
                yield Due(rule, "line", line.id, user, occurrence, send_on, f"{label}: {words(user)}", path,
                          task.due_on)


def _local_midnight(day: date, tz) -> datetime:
    """The start of a local day as the naive UTC the timestamp columns hold."""
    return datetime.combine(day, time.min, tz).astimezone(timezone.utc).replace(tzinfo=None)


def _nudge_lines(today: date, period: int, years: set[int], since: Since | None, tz) -> sa.ColumnElement[bool]:
    """The lines whose "please post an update" may be due: all the silent ones, or those whose silence
    completed a period after the last sweep's day, and lines made since."""
    silent_since = _local_midnight(today - timedelta(days=period - 1), tz)
    if since is None or since.day > today or (today - since.day).days >= period:
        return sa.or_(StatusLine.updated_at < silent_since, StatusLine.updated_at.is_(None))
    # A line last updated on day L is nudged when some L + k·period falls after since.day, up to today.
    ranges, k = [], 1
    oldest = db.session.scalar(sa.select(sa.func.min(StatusLine.updated_at)))
    earliest = min(date(min(years), 1, 1), oldest.replace(tzinfo=timezone.utc).astimezone(tz).date() if oldest
                   else date.max)
    while today - timedelta(days=k * period) >= earliest:
        first = since.day + timedelta(days=1 - k * period)
        ranges.append((_local_midnight(max(first, earliest), tz),
                       _local_midnight(today - timedelta(days=k * period - 1), tz)))
        k += 1
    conditions = [sa.and_(StatusLine.updated_at >= start, StatusLine.updated_at < end) for start, end in ranges]
    conditions.append(StatusLine.id > since.line_id)
    # Never updated: silent since the first day of the plan's year.
    rolled = [year for year in years
              if any(since.day < date(year, 1, 1) + timedelta(days=k * period) <= today
                     for k in range(1, 366 // period + 2))]
    if rolled:
        conditions.append(sa.and_(StatusLine.updated_at.is_(None), Plan.year.in_(rolled)))
    return sa.or_(*conditions)


def _nudges(today, config, cal, audience, plan_ids, since: Since | None) -> Iterator[Due]:
    """One "please post an update" per period of silence on a line not done, in this year's plans."""
    this_year = dict(db.session.execute(sa.select(Plan.id, Plan.year).where(Plan.id.in_(plan_ids),
                                                                            Plan.year == today.year)).all())
    if not this_year or config.nudge_days <= 0:
        return
    nudges = _NudgeClock(today, config.nudge_days, cal, zone())
    which = _nudge_lines(today, config.nudge_days, set(this_year.values()), since, zone())
    last_id = 0
    while True:
        lines = db.session.execute(
            sa.select(StatusLine.id, StatusLine.agency_id, StatusLine.updated_at, Task.code, Task.title, Plan.year)
            .join(Task, Task.id == StatusLine.task_id).join(Plan, Plan.id == Task.plan_id)
            .where(Task.plan_id.in_(list(this_year)), StatusLine.status != "done", StatusLine.id > last_id, which)
            .order_by(StatusLine.id).limit(BATCH)).all()
        if not lines:
            break
        last_id = lines[-1].id
        for line in lines:
            nudge = nudges.due(line.updated_at, line.year)
            if nudge is None:
                continue
            occurrence, send_on, last = nudge
            label = f"{line.code} {line.title}"
            text = audience.phrase(N_("%(task)s: chưa cập nhật từ %(since)s"), task=label, since=last)
            path = f"/tasks/{line.code}?year={line.year}"
            for user in audience.of_agency(line.agency_id, "nudge"):
                yield Due("nudge", "line", line.id, user, occurrence, send_on, text(user), path)


def _deadline_reminder(task, today, days, config, cal) -> tuple[str, str, date, tuple[str, dict]] | None:
    """A task's "due soon" or "overdue" reminder due by today: (rule, occurrence, send_on, (its words as a
    phrase to translate, their values)), or None."""
    if not task.due_on or task.schedule_kind in NO_DEADLINE_KINDS:
        return None
    before = _before(task.due_on, today, days, cal)
    if before:
        n, send_on = before
        return ("task_due_soon", f"{task.due_on.isoformat()}-{n}d", send_on,
                (N_("hạn %(date)s (còn %(days)s ngày)"), {"date": vn_date(task.due_on),
                                                          "days": (task.due_on - today).days}))
    if config.overdue_notice and (send_on := _after(task.due_on, today, config.catch_up_days, cal)):
        return ("task_overdue", task.due_on.isoformat(), send_on,
                (N_("quá hạn từ %(date)s"), {"date": vn_date(task.due_on)}))
    return None


class _NudgeClock:
    """One "please post an update" per period of silence on a line, ongoing tasks included.

    Many lines share a last-update day, so each day's answer is worked out once per sweep.
    """

    def __init__(self, today: date, period_days: int, cal: WorkCalendar, tz):
        self.today, self.period_days, self.cal, self.tz = today, period_days, cal, tz
        self._by_day: dict[date, tuple[str, date, str] | None] = {}

    def due(self, updated_at, year: int) -> tuple[str, date, str] | None:
        """(occurrence, send_on, last update as dd/mm/yyyy) when a nudge is due by today, else None."""
        last = (updated_at.replace(tzinfo=timezone.utc).astimezone(self.tz).date() if updated_at
                else date(year, 1, 1))
        if last not in self._by_day:
            periods = (self.today - last).days // self.period_days
            self._by_day[last] = None if periods < 1 else (
                f"{last.isoformat()}#{periods}",
                self.cal.on_or_before(last + timedelta(days=periods * self.period_days)), vn_date(last))
        return self._by_day[last]


def _round_reminders(today, config, cal, audience, plan_ids) -> Iterator[Due]:
    """Before a round's due date and the day after it, to every body that has not submitted, and for a
    quarterly round to every body that still owes the quarter's figures of the indicators it reports."""
    rounds = db.session.execute(
        sa.select(ReportingRound.id, ReportingRound.title, ReportingRound.due_on, ReportingRound.plan_id,
                  ReportingRound.kind, ReportingRound.period_start)
        .where(ReportingRound.plan_id.in_(plan_ids))
        .order_by(ReportingRound.due_on, ReportingRound.id)).all()
    for round_id, title, due_on, plan_id, kind, period_start in rounds:
        before = _before(due_on, today, config.before_list, cal)
        after = None if before or not config.overdue_notice else _after(due_on, today, config.catch_up_days, cal)
        if not before and not after:
            continue
        submitted = sa.select(Submission.agency_id).where(Submission.round_id == round_id,
                                                          Submission.status == "submitted")
        owing = set(db.session.scalars(sa.select(round_bodies.c.agency_id).where(
            round_bodies.c.round_id == round_id, round_bodies.c.agency_id.not_in(submitted))))
        quarter = round_quarter(period_start, kind)
        owed = figures_owed(plan_id, quarter.year, quarter.number) if quarter else {}
        figures = {agency: len(items) for agency, items in owed.items()}
        path = f"/rounds/{round_id}"
        for agency_id in sorted(owing | set(figures)):
            yield from _round_notices(audience, round_id, title, due_on, today, path, agency_id,
                                      agency_id in owing, figures.get(agency_id, 0), before, after)


def _round_notices(audience, round_id, title, due_on, today, path, agency_id, report_owed: bool, figures: int,
                   before, after) -> Iterator[Due]:
    """One body's notice for a round: its report, its figures, or both."""
    def owed() -> str:
        if report_owed:
            return gettext("báo cáo và số liệu %(n)s chỉ tiêu", n=figures)
        return gettext("số liệu %(n)s chỉ tiêu", n=figures)

    if before:
        n, send_on = before
        days = (due_on - today).days
        text = audience.text(
            lambda: gettext("%(round)s: hạn nộp %(what)s %(date)s (còn %(days)s ngày)", round=title, what=owed(),
                            date=vn_date(due_on), days=days) if figures else
            gettext("%(round)s: hạn nộp %(date)s (còn %(days)s ngày)", round=title, date=vn_date(due_on), days=days))
        for user in audience.of_agency(agency_id, "round_due_soon"):
            yield Due("round_due_soon", "round", round_id, user, f"{due_on.isoformat()}-{n}d", send_on,
                      text(user), path, due_on)
    else:
        text = audience.text(
            lambda: gettext("%(round)s: quá hạn nộp %(what)s từ %(date)s", round=title, what=owed(),
                            date=vn_date(due_on)) if figures else
            gettext("%(round)s: quá hạn nộp từ %(date)s", round=title, date=vn_date(due_on)))
        for user in audience.of_agency(agency_id, "round_overdue"):
            yield Due("round_overdue", "round", round_id, user, due_on.isoformat(), after,
                      text(user), path, due_on)


def _digests(today, config, cal, audience, plan_ids, since: Since | None = None) -> Iterator[Due]:
    """Weekly: the overdue list to the coordination office, and to each lead body for the tasks it directs."""
    monday = today - timedelta(days=today.weekday())
    send_on = cal.on_or_after(monday + timedelta(days=config.digest_weekday))
    if send_on > today:
        return
    if since is not None and since.day <= today and send_on <= since.day:
        return  # the last sweep decided this week's digest, from the list as it stood on its day
    year, week, _ = monday.isocalendar()
    occurrence = f"{year}-W{week:02d}"
    office = audience.office_for("overdue_digest")
    # The list as it stood on the digest's own day: a missed Monday is caught up with Monday's list.
    for rows in task_batches(plan_ids, task_in_category("overdue", send_on)):
        leads = _lead_bodies([r.id for r in rows])
        for row in rows:
            text = audience.phrase(N_("%(task)s: quá hạn từ %(date)s"), task=f"{row.code} {row.title}",
                                   date=vn_date(row.due_on))
            path = f"/tasks/{row.code}?year={row.year}"
            recipients = set(office)
            for agency_id in leads.get(row.id, ()):
                recipients.update(audience.of_agency(agency_id, "overdue_digest", with_leaders=True))
            for user in sorted(recipients):
                yield Due("overdue_digest", "task", row.id, user, occurrence, send_on, text(user), path, row.due_on)


def _lead_bodies(task_ids: list[int]) -> dict[int, set[int]]:
    """Each task's lead bodies, groups expanded."""
    leads: dict[int, set[int]] = defaultdict(set)
    rows = db.session.execute(
        sa.select(Assignment.task_id, Assignment.agency_id, Agency.level, agency_members.c.member_id)
        .join(Agency, Agency.id == Assignment.agency_id)
        .outerjoin(agency_members, agency_members.c.group_id == Assignment.agency_id)
        .where(Assignment.task_id.in_(task_ids), Assignment.role == "lead"))
    for task_id, agency_id, level, member_id in rows:
        leads[task_id].add(member_id if level == "group" else agency_id)
    leads = {k: {a for a in v if a is not None} for k, v in leads.items()}
    return leads


def _returned_reports(today, audience, plan_ids) -> Iterator[Due]:
    """A report the office sent back: its body is told why, once for each time it was sent back."""
    found = db.session.execute(
        sa.select(Submission.round_id, Submission.agency_id, Submission.times_returned, Submission.return_reason,
                  ReportingRound.title, ReportingRound.due_on)
        .join(ReportingRound, ReportingRound.id == Submission.round_id)
        .where(ReportingRound.plan_id.in_(plan_ids), Submission.status == "returned")
        .order_by(Submission.id)).all()
    for round_id, agency_id, times, reason, title, due_on in found:
        text = audience.text(lambda title=title, reason=reason: gettext(
            "%(round)s: Văn phòng Điều phối trả lại báo cáo (%(reason)s); vui lòng sửa và nộp lại", round=title,
            reason=reason))
        for user in audience.of_agency(agency_id, "report_returned"):
            yield Due("report_returned", "round", round_id, user, f"returned-{times}", today, text(user),
                      f"/rounds/{round_id}#nop")
