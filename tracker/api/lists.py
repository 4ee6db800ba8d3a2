"""The API's collections beyond tasks: agencies, reporting rounds, the reminder ledger; each paged alike."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..auth.policy import sees_every_reminder
from ..clock import local_today
from ..plan.models import Agency
from ..plan.views import plan_or_404
from ..reminders.models import SentReminder
from ..reporting.models import ReportingRound
from ..reporting.services import body_state
from .paging import paginate
from .spec import component, documented, nullable, paged
from .views import _AS_OF, _YEAR, api_user, as_of_or_400, bp, iso as _iso

_DATE = {"type": "string", "format": "date"}
AGENCY = component("Agency", {
    "type": "object", "required": ["id", "name", "level", "is_group", "aliases", "members"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "level": {"type": "string"},
                   "is_group": {"type": "boolean"}, "aliases": {"type": "array", "items": {"type": "string"}},
                   "members": {"type": "array", "items": {"type": "string"}}}})
SUBMISSION = {"type": "object", "required": ["status", "submitted_on", "body", "return_reason"],
              "properties": {"status": {"type": "string"}, "submitted_on": _DATE, "body": {"type": "string"},
                             "return_reason": nullable({"type": "string"})}}
ROUND = component("Round", {
    "type": "object", "required": ["id", "kind", "title", "period_start", "period_end", "cutoff_on", "due_on", "bodies"],
    "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}, "title": {"type": "string"},
                   "period_start": _DATE, "period_end": _DATE, "cutoff_on": _DATE, "due_on": _DATE,
                   "bodies": {"type": "array", "items": {
                       "type": "object", "required": ["agency", "state", "submission"],
                       "properties": {"agency": {"type": "string"},
                                      "state": {"type": "string",
                                                "enum": ["on_time", "late", "returned", "missing", "overdue"]},
                                      "submission": nullable(SUBMISSION)}}}}})
REMINDER = component("Reminder", {
    "type": "object",
    "required": ["id", "rule", "recipient", "subject_type", "subject_id", "occurrence", "send_on", "decided_on",
                 "summary", "message"],
    "properties": {"id": {"type": "integer"}, "rule": {"type": "string"}, "recipient": {"type": "string"},
                   "subject_type": {"type": "string"}, "subject_id": nullable({"type": "integer"}),
                   "occurrence": {"type": "string"}, "send_on": _DATE, "decided_on": _DATE, "summary": {"type": "string"},
                   "message": nullable({"type": "object", "required": ["status", "subject", "sent_at"], "properties": {
                       "status": {"type": "string"}, "subject": {"type": "string"},
                       "sent_at": nullable({"type": "string", "format": "date-time"})}})}})


@bp.get("/agencies")
@documented("The agency directory", tag="Agencies", is_paged=True,
            responses={200: {"description": "Every agency and group.", "schema": paged(AGENCY)}})
def agencies():
    """Every agency and group with its level, aliases and members, in the directory's order."""
    query = (sa.select(Agency).options(selectinload(Agency.aliases), selectinload(Agency.members))
             .order_by(Agency.sort_key, Agency.id))
    return paginate(query, lambda found: [
        {"id": a.id, "name": a.name, "level": a.level, "is_group": a.is_group,
         "aliases": [al.alias for al in a.aliases], "members": [m.name for m in a.members]}
        for a in found])


def round_summary_json(round_: ReportingRound, today) -> dict:
    """A round as the list shows it: its dates and each body's state and submission on `today`."""
    bodies = []
    for body in round_.bodies:
        submission = round_.submission_of(body.id)
        bodies.append({"agency": body.name, "state": body_state(round_, body.id, today),
                       "submission": {"status": submission.status, "submitted_on": submission.submitted_on.isoformat(),
                                      "body": submission.body, "return_reason": submission.return_reason or None}
                       if submission else None})
    return {"id": round_.id, "kind": round_.kind, "title": round_.title,
            "period_start": round_.period_start.isoformat(), "period_end": round_.period_end.isoformat(),
            "cutoff_on": round_.cutoff_on.isoformat(), "due_on": round_.due_on.isoformat(), "bodies": bodies}


@bp.get("/rounds")
@documented("The plan's reporting rounds", tag="Rounds", is_paged=True, query=[_YEAR],
            responses={200: {"description": "By due date.", "schema": paged(ROUND)}})
def rounds():
    """The plan's reporting rounds, by due date, with each body's submission and state."""
    plan = plan_or_404()
    today = local_today()
    query = (sa.select(ReportingRound).where(ReportingRound.plan_id == plan.id)
             .options(selectinload(ReportingRound.bodies), selectinload(ReportingRound.submissions))
             .order_by(ReportingRound.due_on, ReportingRound.id))

    return paginate(query, lambda found: [round_summary_json(round_, today) for round_ in found])


@bp.get("/reminders")
@documented("Reminders decided on a day", tag="Reminders", is_paged=True, query=[_AS_OF],
            responses={200: {"description": "What the sweep recorded.", "schema": {"allOf": [paged(REMINDER), {
                "type": "object", "required": ["as_of"], "properties": {"as_of": _DATE}}]}}})
def reminders():
    """The reminders the sweep recorded on ?as_of= (today by default) and the message carrying each.

    It reads the ledger, never the planner: what is planned is what the sweep wrote down (an officer
    sees those addressed to them). What a sweep would still add on a day not yet swept is on the page.
    """
    as_of = as_of_or_400()
    user = api_user()
    query = (sa.select(SentReminder).where(SentReminder.decided_on == as_of)
             .options(selectinload(SentReminder.recipient), selectinload(SentReminder.outbox))
             .order_by(SentReminder.id))
    if not sees_every_reminder(user):
        query = query.where(SentReminder.recipient_id == user.id)
    return paginate(query, lambda found: [
        {"id": r.id, "rule": r.rule, "recipient": r.recipient.email, "subject_type": r.subject_type,
         "subject_id": r.subject_id, "occurrence": r.occurrence, "send_on": r.send_on.isoformat(),
         "decided_on": r.decided_on.isoformat(), "summary": r.summary,
         "message": {"status": r.outbox.status, "subject": r.outbox.subject, "sent_at": _iso(r.outbox.sent_at)}
         if r.outbox else None}
        for r in found], as_of=as_of.isoformat())
