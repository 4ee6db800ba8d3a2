"""Reporting rounds: create the quarterly ones, open ad-hoc ones, submit and return reports. Flush only."""
from __future__ import annotations

import calendar
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext

from ..i18n import N_
from ..clock import utcnow
from ..extensions import db
from ..plan.models import LEVEL_LABELS, Agency, Plan
from ..plan.services import find_agency
from ..quarters import Quarter
from ..text import nfc
from .models import ReportingPolicy, ReportingRound, Submission


class ReportError(ValueError):
    """A submission or round that cannot be accepted as asked; `field` names the input at fault."""

    def __init__(self, message: str, field: str = "body"):
        super().__init__(message)
        self.field = field


def policy_of(plan: Plan) -> ReportingPolicy:
    """The plan's reporting policy: the one the office saved, or the defaults (not written: reading never writes)."""
    return db.session.get(ReportingPolicy, plan.id) or ReportingPolicy(
        plan_id=plan.id, cutoff_day=14, due_day=18, levels="department,district",
        recipient=ReportingPolicy.__table__.c.recipient.default.arg)


def set_policy(plan: Plan, cutoff_day: int, due_day: int, levels_text: str, today: date) -> ReportingPolicy:
    """The office sets when quarterly reports are counted and due and which levels owe them; rounds follow."""
    levels = [level.strip() for level in levels_text.split(",") if level.strip()]
    bad = [level for level in levels if level not in LEVEL_LABELS or level == "group"]
    if bad or not levels:
        raise ReportError(gettext("Cấp không hợp lệ: %(levels)s.", levels=', '.join(bad) or gettext("(trống)")), "levels")
    if cutoff_day > due_day:
        raise ReportError(gettext("Ngày chốt số liệu phải trước hạn nộp."), "cutoff_day")
    policy = policy_of(plan)
    policy.cutoff_day, policy.due_day, policy.levels = cutoff_day, due_day, ",".join(levels)
    db.session.add(policy)
    ensure_quarterly_rounds(plan, today)
    return policy


def resolve_bodies(text: str) -> list[Agency]:
    """The agencies of a list typed one a line (or separated by ";"), by name or alias; ReportError names the unknown."""
    names = [n.strip() for line in text.splitlines() for n in line.split(";") if n.strip()]
    found = [(name, find_agency(name)) for name in names]
    unknown = [name for name, agency in found if agency is None]
    if unknown:
        raise ReportError(gettext("Không nhận ra: %(unknown)s.", unknown=', '.join(unknown)), "bodies")
    return [agency for _, agency in found]


def round_summaries(rounds: list[ReportingRound], today: date) -> dict[int, dict[str, int]]:
    """For each round, how many bodies are in each state (submitted on time, late, not yet, overdue, returned)."""
    summary = {}
    for round_ in rounds:
        states = [body_state(round_, body.id, today) for body in round_.bodies]
        summary[round_.id] = {state: states.count(state) for state in BODY_STATE_LABELS}
    return summary


def _day_in(year: int, month: int, day: int) -> date:
    return date(year, month, min(day, calendar.monthrange(year, month)[1]))


def ensure_quarterly_rounds(plan: Plan, today: date) -> list[ReportingRound]:
    """The plan year's four quarterly rounds, created if missing and kept in step with the policy.

    A round whose due date has passed is closed: a later change of policy leaves its dates and the
    bodies that owed it as they were, so what was late stays late.
    """
    policy = policy_of(plan)
    bodies = list(db.session.scalars(sa.select(Agency).where(Agency.level.in_(policy.level_list))
                                     .order_by(Agency.sort_key)))
    existing = {r.period_start: r for r in db.session.scalars(
        sa.select(ReportingRound).where(ReportingRound.plan_id == plan.id, ReportingRound.kind == "quarterly"))}
    rounds = []
    for quarter in Quarter.of_year(plan.year):
        start, last_month = quarter.start, quarter.end.month
        round_ = existing.get(start)
        if round_ is None:
            round_ = ReportingRound(plan_id=plan.id, kind="quarterly", period_start=start)
            db.session.add(round_)
        elif round_.due_on < today:
            if round_.note == "Gửi None.":  # written by an older version from an unsaved policy
                round_.note = f"Gửi {policy.recipient}."
            rounds.append(round_)
            continue
        round_.title = f"Báo cáo {quarter.label}"
        round_.period_end = quarter.end
        round_.cutoff_on = _day_in(plan.year, last_month, policy.cutoff_day)
        round_.due_on = _day_in(plan.year, last_month, policy.due_day)
        round_.note = f"Gửi {policy.recipient}."
        round_.bodies = bodies
        rounds.append(round_)
    db.session.flush()
    return rounds


def open_adhoc_round(plan: Plan, title: str, due_on: date, bodies: list[Agency], user, today: date,
                     note: str = "") -> ReportingRound:
    """An ad-hoc round the office opens with a due date and the bodies that owe it (groups expanded)."""
    members: dict[int, Agency] = {}
    for agency in bodies:
        for body in agency.bodies():
            members.setdefault(body.id, body)
    if not members:
        raise ReportError(gettext("Chọn ít nhất một cơ quan có thành viên cụ thể."), "bodies")
    if due_on < today:
        raise ReportError(gettext("Hạn nộp không thể trước hôm nay."), "due_on")
    round_ = ReportingRound(plan_id=plan.id, kind="adhoc", title=nfc(title), period_start=today, period_end=due_on,
                            cutoff_on=today, due_on=due_on, note=nfc(note), created_by_id=user.id if user else None,
                            bodies=sorted(members.values(), key=lambda a: a.sort_key))
    db.session.add(round_)
    db.session.flush()
    return round_


def body_state(round_: ReportingRound, agency_id: int, today: date) -> str:
    """on_time | late | returned | missing | overdue: where a body stands on a round."""
    submission = round_.submission_of(agency_id)
    if submission is None:
        return "overdue" if today > round_.due_on else "missing"
    if submission.status == "returned":
        return "returned"
    return "late" if submission.submitted_on > round_.due_on else "on_time"


BODY_STATE_LABELS = {
    "on_time": N_("Đã nộp đúng hạn"),
    "late": N_("Đã nộp muộn"),
    "returned": N_("Bị trả lại, chờ nộp lại"),
    "missing": N_("Chưa nộp"),
    "overdue": N_("Quá hạn, chưa nộp"),
}


def submit_report(round_: ReportingRound, agency: Agency, user, body: str, today: date) -> Submission:
    """A body submits its report once; after a return it submits again in the same place."""
    if agency.id not in {b.id for b in round_.bodies}:
        raise ReportError(gettext("«%(name)s» không thuộc danh sách phải nộp kỳ báo cáo này.", name=agency.name))
    submission = round_.submission_of(agency.id)
    if submission is not None and submission.status == "submitted":
        raise ReportError(gettext("Cơ quan đã nộp báo cáo kỳ này; chỉ nộp lại khi Văn phòng Điều phối trả lại."))
    if submission is None:
        submission = Submission(round=round_, agency=agency, agency_id=agency.id, submitted_on=today)
        db.session.add(submission)
    # Each line is tidied on its own: the body's line breaks and paragraphs are the report's own.
    submission.status, submission.body = "submitted", "\n".join(nfc(line) for line in (body or "").splitlines()).strip()
    submission.submitted_on, submission.submitted_at, submission.submitted_by_id = today, utcnow(), user.id
    db.session.flush()
    return submission


def return_submission(submission: Submission, user, reason: str) -> None:
    """The office sends a report back with a reason; the body must submit again."""
    if submission.status != "submitted":
        raise ReportError(gettext("Chỉ trả lại báo cáo đã nộp."))
    submission.status, submission.return_reason = "returned", nfc(reason)
    submission.returned_at, submission.returned_by_id = utcnow(), user.id
    submission.times_returned += 1
    db.session.flush()
