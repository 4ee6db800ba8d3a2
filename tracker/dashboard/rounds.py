"""Reporting rounds at a glance: who submitted on time, late, not yet, who is overdue, who was sent back."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timezone

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..clock import zone
from ..extensions import db
from ..plan.models import Plan
from ..reporting.models import ReportingRound, Submission, round_bodies
from ..reporting.services import BODY_STATE_LABELS, body_state


@dataclass
class RoundGlance:
    """One round: its bodies with their state on a date, and how many are in each state."""

    round: ReportingRound
    bodies: list[tuple[object, str, Submission | None]]  # (agency, state, submission)

    @property
    def counts(self) -> dict[str, int]:
        """How many bodies are in each state."""
        states = [state for _, state, _ in self.bodies]
        return {state: states.count(state) for state in BODY_STATE_LABELS}


def glance(round_: ReportingRound, as_of: date) -> RoundGlance:
    """A round's bodies with their state as they stood on as_of (a report submitted or sent back later does
    not count yet), the overdue and returned first."""
    order = {"overdue": 0, "returned": 1, "missing": 2, "late": 3, "on_time": 4}
    bodies = []
    for body in round_.bodies:
        state, submission = body_state(round_, body.id, as_of), round_.submission_of(body.id)
        if submission is not None and submission.submitted_on > as_of:
            state, submission = ("overdue" if as_of > round_.due_on else "missing"), None
        elif state == "returned" and submission.returned_at and _local_day(submission.returned_at) > as_of:
            state = "late" if submission.submitted_on > round_.due_on else "on_time"
        bodies.append((body, state, submission))
    bodies.sort(key=lambda item: (order[item[1]], item[0].sort_key))
    return RoundGlance(round_, bodies)


def _local_day(moment: datetime) -> date:
    """The day in Việt Nam of a naive UTC timestamp."""
    return moment.replace(tzinfo=timezone.utc).astimezone(zone()).date()


def rounds_at_a_glance(plan: Plan, as_of: date) -> list[RoundGlance]:
    """The round most recently due by as_of and the next one due after it."""
    loads = (selectinload(ReportingRound.bodies), selectinload(ReportingRound.submissions))
    last = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.plan_id == plan.id,
                                                             ReportingRound.due_on <= as_of)
                             .order_by(ReportingRound.due_on.desc(), ReportingRound.id.desc()).limit(1).options(*loads))
    following = db.session.scalar(sa.select(ReportingRound).where(ReportingRound.plan_id == plan.id,
                                                                  ReportingRound.due_on > as_of)
                                  .order_by(ReportingRound.due_on, ReportingRound.id).limit(1).options(*loads))
    return [glance(round_, as_of) for round_ in (last, following) if round_ is not None]


def rounds_owed(plan: Plan, agency_id: int, as_of: date) -> list[tuple[ReportingRound, str]]:
    """The rounds an agency still owes on as_of (not submitted, or sent back), the earliest due first."""
    found = db.session.scalars(
        sa.select(ReportingRound).join(round_bodies, round_bodies.c.round_id == ReportingRound.id)
        .where(ReportingRound.plan_id == plan.id, round_bodies.c.agency_id == agency_id,
               ReportingRound.period_start <= as_of)
        .order_by(ReportingRound.due_on).options(selectinload(ReportingRound.submissions))).all()
    owed = [(round_, body_state(round_, agency_id, as_of)) for round_ in found]
    return [(round_, state) for round_, state in owed if state in ("missing", "overdue", "returned")]


def sent_back(agency_id: int) -> list[Submission]:
    """The agency's reports the office sent back and it has not yet submitted again."""
    return list(db.session.scalars(
        sa.select(Submission).where(Submission.agency_id == agency_id, Submission.status == "returned")
        .order_by(Submission.returned_at.desc()).options(selectinload(Submission.round))))
