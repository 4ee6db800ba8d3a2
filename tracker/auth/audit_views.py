"""The office's page of the administrative record: every audited act, searchable. Registered on the auth blueprint."""
from __future__ import annotations

from datetime import datetime, time, timedelta, timezone

from flask import render_template, request
from flask_babel import gettext as _

from .. import audit
from ..clock import parse_date, zone
from ..extensions import db
from ..i18n import label
from .decorators import office_required
from .models import User
from .views import bp

PER_PAGE = 50


def _day_start(raw: str):
    day = parse_date(raw) if raw else None
    if day is None:
        return None
    # The record keeps UTC; a day is the office's day in Việt Nam.
    return datetime.combine(day, time(), tzinfo=zone()).astimezone(timezone.utc).replace(tzinfo=None)


@bp.get("/admin/audit")
@office_required
def audit_record():
    """The administrative record, newest first: ?q= (a person, an address, what was changed), ?action=, ?actor=,
    ?from= and ?to= (dates, inclusive), ?page=."""
    errors = []
    since, until = _day_start(request.args.get("from", "")), _day_start(request.args.get("to", ""))
    for name, value in (("from", since), ("to", until)):
        if request.args.get(name) and value is None:
            errors.append(_("«%(value)s» không phải một ngày (dd/mm/yyyy).", value=request.args[name][:20]))
    action = request.args.get("action", "")
    if action and action not in audit.ACTION_LABELS:
        errors.append(_("Không có loại việc này."))
        action = ""
    actor_id = request.args.get("actor", type=int)
    query = audit.search(text=request.args.get("q", "")[:200].strip(), action=action, actor_id=actor_id,
                         since=since, until=until + timedelta(days=1) if until else None)
    page = db.paginate(query, page=request.args.get("page", 1, type=int) or 1, per_page=PER_PAGE, error_out=False,
                       max_per_page=PER_PAGE)
    actors = {user.id: user for user in db.session.scalars(db.select(User).where(
        User.id.in_({event.actor_id for event in page.items if event.actor_id})))}
    actions = sorted(((key, audit.action_label(key)) for key in audit.ACTION_LABELS), key=lambda pair: pair[1])
    args = {key: value for key, value in request.args.items() if key != "page" and value}
    return render_template("auth/audit.html", page=page, actors=actors, actions=actions, args=args, errors=errors,
                           action_label=audit.action_label, table_label=audit.table_label,
                           field_label=_field_label, labelled=set(audit.FIELD_LABELS), tally=_tally), 400 if errors else 200


def _tally(changes: list[dict]) -> list[tuple[str, str, int]]:
    """An act's rows counted by kind of thing and of change, in the order first seen (an import's hundreds)."""
    counts: dict[tuple[str, str], int] = {}
    if changes and changes[-1]["kind"] == "more":  # a long act kept its full count when its rows were cut
        for key, count in changes[-1]["after"].items():
            table, _, kind = key.partition(":")
            counts[(table, kind)] = count
    else:
        for change in changes:
            counts[(change["table"], change["kind"])] = counts.get((change["table"], change["kind"]), 0) + 1
    return [(audit.table_label(table), kind, count) for (table, kind), count in counts.items()]


def _field_label(column: str) -> str:
    known = audit.FIELD_LABELS.get(column)
    return label(known) if known else column
