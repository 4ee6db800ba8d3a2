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
from .views import api_user, as_of_or_400, bp


def _iso(moment) -> str | None:
    return moment.isoformat() + "Z" if moment else None


@bp.get("/agencies")
def agencies():
    """Every agency and group with its level, aliases and members, in the directory's order."""
    query = (sa.select(Agency).options(selectinload(Agency.aliases), selectinload(Agency.members))
             .order_by(Agency.sort_key, Agency.id))
    return paginate(query, lambda found: [
        {"id": a.id, "name": a.name, "level": a.level, "is_group": a.is_group,
         "aliases": [al.alias for al in a.aliases], "members": [m.name for m in a.members]}
        for a in found])


@bp.get("/rounds")
def rounds():
    """The plan's reporting rounds, by due date, with each body's submission and state."""
    plan = plan_or_404()
    today = local_today()
    query = (sa.select(ReportingRound).where(ReportingRound.plan_id == plan.id)
             .options(selectinload(ReportingRound.bodies), selectinload(ReportingRound.submissions))
             .order_by(ReportingRound.due_on, ReportingRound.id))

    def render(found) -> list[dict]:
        items = []
        for round_ in found:
            bodies = []
            for body in round_.bodies:
                submission = round_.submission_of(body.id)
                bodies.append({"agency": body.name, "state": body_state(round_, body.id, today),
                               "submission": {"status": submission.status,
                                              "submitted_on": submission.submitted_on.isoformat(),
                                              "body": submission.body, "return_reason": submission.return_reason or None}
                               if submission else None})
            items.append({"id": round_.id, "kind": round_.kind, "title": round_.title,
                          "period_start": round_.period_start.isoformat(), "period_end": round_.period_end.isoformat(),
                          "cutoff_on": round_.cutoff_on.isoformat(), "due_on": round_.due_on.isoformat(),
                          "bodies": bodies})
        return items

    return paginate(query, render)


@bp.get("/reminders")
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
