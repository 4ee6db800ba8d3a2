"""JSON API: read the plan; post a line update with a bearer token."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask_babel import gettext as _
from flask import Blueprint, g, jsonify, request
from flask_login import current_user
from sqlalchemy.orm import selectinload
from sqlalchemy.orm.exc import StaleDataError

from ..auth.policy import can_update_line, sees_every_reminder
from ..dashboard.cache import figures
from ..dashboard.views import plan_and_day
from ..exports.views import quarterly_download
from ..auth.services import user_for_token
from ..clock import BAD_DATE, local_today, parse_date
from ..extensions import csrf, db
from ..forms import json_formdata
from ..indicators import figures as indicator_figures
from ..indicators.figures import IndicatorRow
from ..web import int_arg
from ..progress.filters import TaskFilterForm
from ..plan.models import ROLES, Agency, Task
from ..plan.services import find_agency
from ..plan.views import plan_or_404
from ..progress.views import task_or_404
from ..progress.models import StatusLine
from ..progress.listing import TaskRow, directory, task_page, task_rows
from ..progress.forms import LineUpdateApiForm
from ..progress.services import ConflictError, line_by_agency, line_categories, update_line, validate_change

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # the API authenticates each request by token, not by cookie

MAX_PER_PAGE = 500


@bp.before_request
def authenticate():
    """A bearer token, or for reads a signed-in session; writes need a token (no cookie-driven CSRF)."""
    header = request.headers.get("Authorization", "")
    g.api_user = None
    if header:
        scheme, _space, secret = header.partition(" ")
        g.api_user = user_for_token(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
        if g.api_user is None:
            return _error(401, "Invalid or revoked token.")
        db.session.commit()  # keeps last_used_at
    elif request.method != "GET" or not current_user.is_authenticated:
        return _error(401, "Send 'Authorization: Bearer TOKEN'; create a token on your profile page.")


def api_user():
    """The user this API request acts for."""
    return g.api_user or current_user


def _error(status: int, message: str, **extra):
    return jsonify({"error": message, **extra}), status


def as_of_arg() -> date | None:
    """?as_of=YYYY-MM-DD, today when absent, None when malformed."""
    raw = request.args.get("as_of")
    return parse_date(raw) if raw else local_today()


def line_json(line: StatusLine, category: str) -> dict:
    """One body's line as the API shows it, with its category on the request's date."""
    return {
        "id": line.id,
        "agency": line.agency.name,
        "status": line.status,
        "progress": line.progress,
        "note": line.note,
        "paused_reason": line.paused_reason or None,
        "completed_on": line.completed_on.isoformat() if line.completed_on else None,
        "version": line.version,
        "updated_at": line.updated_at.isoformat() + "Z" if line.updated_at else None,
        "category": category,
    }


def task_json(row: TaskRow) -> dict:
    """A task as the API shows it, with its category on the request's date."""
    data = {
        "code": row.code,
        "section": row.section_numeral,
        "section_title": row.section_title,
        "title": row.title,
        "timeline": row.timeline,
        "schedule": {
            "kind": row.schedule_kind,
            "start": row.start_on.isoformat() if row.start_on else None,
            "due": row.due_on.isoformat() if row.due_on else None,
            "recurrence": row.recurrence,
        },
        "needs_date": row.needs_date,
        "flag_note": row.flag_note or None,
        "category": row.category,
    }
    for role in ROLES:
        data[role] = [a.name for a in row.agencies(role)]
        data[f"{role}_text"] = row.cell_text(role)
    data["executing_bodies"] = [a.name for a in directory().bodies(row.agencies("executing"))]
    return data


def with_lines(task: Task, as_of: date) -> dict:
    """A task with every body's line, as of a date."""
    categories = line_categories(task, as_of)
    row = task_rows([Task.id == task.id], as_of)[0]
    return {**task_json(row), "lines": [line_json(line, categories[line.id]) for line in task.lines]}


@bp.get("/tasks")
def tasks():
    """The plan's tasks filtered like the plan page (category as of a date too), sorted and paginated."""
    plan = plan_or_404()
    form = TaskFilterForm(request.args, plan)
    per_page = int_arg("per_page", 0 if request.args.get("per_page") else 100)
    as_of = as_of_arg()
    valid = form.validate()
    errors = dict(form.errors)
    if not 1 <= per_page <= MAX_PER_PAGE:
        errors["per_page"] = [_("Số dòng mỗi trang từ 1 đến %(max_per_page)s.", max_per_page=MAX_PER_PAGE)]
    if as_of is None:
        errors["as_of"] = [BAD_DATE]
    if not valid or errors:
        return jsonify({"errors": errors}), 400
    page = form.page.data or 1
    result = task_page(plan, form.filters(), as_of=as_of, category=form.category.data or None,
                       sort=form.sort.data or "section", page=page, per_page=per_page)
    return jsonify({"items": [task_json(row) for row in result.items], "total": result.total,
                    "page": page, "per_page": per_page, "as_of": as_of.isoformat()})


@bp.get("/tasks/<code>")
def task(code: str):
    """One task by its code, such as IV.4, with its category and every body's line."""
    as_of = as_of_arg()
    if as_of is None:
        return jsonify({"errors": {"as_of": [BAD_DATE]}}), 400
    return jsonify(with_lines(task_or_404(code), as_of))


@bp.post("/tasks/<code>/updates")
def post_update(code: str):
    """Update one body's line: JSON {agency, status, progress, note, paused_reason, completed_on, version}.

    The body is checked by the page's own form (LineUpdateApiForm) and the same service rules, so a bad
    value gets the same message here as on the task page.
    """
    task = task_or_404(code)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        return jsonify({"errors": {"body": [_("Gửi một đối tượng JSON.")]}}), 400
    form = LineUpdateApiForm(formdata=json_formdata(payload), meta={"csrf": False})
    if not form.validate():
        return jsonify({"errors": form.errors}), 400
    agency = find_agency(form.agency.data)
    if agency is None:
        return jsonify({"errors": {"agency": [_("Không có cơ quan «%(agency)s».", agency=form.agency.data)]}}), 400
    line = line_by_agency(task, agency)
    if line is None:
        return _error(404, f"{agency.name} has no line on task {task.code}.")
    user = api_user()
    if not can_update_line(user, line):
        return _error(403, "You may update only your own agency's lines.")
    today = local_today()
    change = form.change()
    problems = validate_change(change, today, line)
    if problems:
        return jsonify({"errors": {k: [v] for k, v in problems.items()}}), 400
    try:
        update_line(line, change, user, form.expected_version(), today)
        db.session.commit()
    except (ConflictError, StaleDataError):
        db.session.rollback()
        db.session.refresh(line)
        return _error(409, "The line was changed since your version; here is the newer state.",
                      line=line_json(line, line_categories(line.task, today)[line.id]))
    return jsonify(line_json(line, line_categories(line.task, today)[line.id])), 201


@bp.get("/agencies")
def agencies():
    """Every agency and group with its level, aliases and members."""
    query = sa.select(Agency).options(selectinload(Agency.aliases), selectinload(Agency.members)).order_by(Agency.sort_key)
    return jsonify({"items": [
        {"id": a.id, "name": a.name, "level": a.level, "is_group": a.is_group,
         "aliases": [al.alias for al in a.aliases], "members": [m.name for m in a.members]}
        for a in db.session.scalars(query)
    ]})


@bp.get("/reminders")
def reminders():
    """What is due to go out on as_of and what went out that day (an officer sees its own)."""
    from ..reminders.sweep import overview

    as_of = as_of_arg()
    if as_of is None:
        return jsonify({"errors": {"as_of": [BAD_DATE]}}), 400
    user = api_user()
    result = overview(as_of, None if sees_every_reminder(user) else user.id)
    return jsonify({
        "as_of": as_of.isoformat(),
        "due": [{"rule": d.rule, "recipient": result.emails.get(d.recipient_id), "subject_type": d.subject_type,
                 "subject_id": d.subject_id, "occurrence": d.occurrence, "send_on": d.send_on.isoformat(),
                 "summary": d.summary} for d in result.due],
        "due_total": result.due_total,
        "sent": [{"rule": r.rule, "recipient": r.recipient.email, "occurrence": r.occurrence,
                  "send_on": r.send_on.isoformat(), "summary": r.summary,
                  "message": {"status": r.outbox.status, "subject": r.outbox.subject,
                              "sent_at": r.outbox.sent_at.isoformat() + "Z" if r.outbox.sent_at else None}
                  if r.outbox else None} for r in result.sent],
        "sent_total": result.sent_total,
    })


@bp.get("/rounds")
def rounds():
    """The plan's reporting rounds with each body's submission and state."""
    from ..reporting.models import ReportingRound
    from ..reporting.services import body_state

    plan = plan_or_404()
    today = local_today()
    found = db.session.scalars(sa.select(ReportingRound).where(ReportingRound.plan_id == plan.id)
                               .order_by(ReportingRound.due_on, ReportingRound.id))
    items = []
    for round_ in found:
        bodies = []
        for body in round_.bodies:
            submission = round_.submission_of(body.id)
            bodies.append({"agency": body.name, "state": body_state(round_, body.id, today),
                           "submission": {"status": submission.status, "submitted_on": submission.submitted_on.isoformat(),
                                          "body": submission.body, "return_reason": submission.return_reason or None}
                           if submission else None})
        items.append({"id": round_.id, "kind": round_.kind, "title": round_.title,
                      "period_start": round_.period_start.isoformat(), "period_end": round_.period_end.isoformat(),
                      "cutoff_on": round_.cutoff_on.isoformat(), "due_on": round_.due_on.isoformat(),
                      "bodies": bodies})
    return jsonify({"items": items, "total": len(items)})


def _counts_json(row) -> dict:
    return {"key": row.key, "label": row.label, "counts": row.counts, "total": row.total}


@bp.get("/dashboard")
def dashboard():
    """The dashboard's counts on ?as_of=: overall, per section, per agency (each by its own lines)."""
    if as_of_arg() is None:
        return jsonify({"errors": {"as_of": [BAD_DATE]}}), 400
    plan, as_of = plan_and_day(local_today())  # the same plan and day as the page
    found = figures(plan, as_of)
    return jsonify({
        "plan": plan.year, "as_of": as_of.isoformat(), "overall": found.now,
        "since": {"date": found.movement.since.isoformat(), "overall": found.movement.before,
                  "change": found.movement.change},
        "sections": [_counts_json(row) for row in found.sections],
        "agencies": [{**_counts_json(row), "id": int(row.key)} for row in found.agencies],
    })


@bp.get("/reports/quarterly.<fmt>")
def quarterly_report(fmt: str):
    """The quarterly report file (xlsx, docx, csv): ?year=&quarter= or ?as_of=, as on the pages."""
    return quarterly_download(fmt)


def _indicator_json(row: IndicatorRow) -> dict:
    ind = row.indicator
    return {"id": ind.id, "key": ind.key, "group": ind.group, "criterion": ind.criterion, "name": ind.name,
            "unit": ind.unit, "measure": ind.measure, "computed": ind.computed,
            "target": ind.target, "target_high": ind.target_high, "bound": ind.bound or None,
            "per_district": ind.per_district, "of_total": ind.of_total, "stated_percent": ind.stated_percent,
            "added": ind.added, "actual": row.actual, "previous_quarter": row.previous, "share_percent": row.share,
            "progress_percent": row.progress, "missing": row.missing,
            "responsible": {"id": ind.responsible.id, "name": ind.responsible.name} if ind.responsible else None,
            "tasks": [task.code for task in ind.tasks],
            "by_district": ({str(d): e.value for d, e in row.by_district.items()} if ind.per_district else None),
            "entered": ({"at": row.entry.entered_at.isoformat(), "note": row.entry.note,
                         "by": row.entry.entered_by.display_name if row.entry.entered_by else None}
                        if row.entry else None)}


@bp.get("/indicators")
def indicators():
    """The plan's numbers at the end of ?quarter= (1–4; the current one by default) of ?year=."""
    plan = plan_or_404()
    quarter = int_arg("quarter")
    today = local_today()
    if quarter is None:
        quarter = indicator_figures.default_quarter(plan, today)
    if quarter not in (1, 2, 3, 4):
        return _error(400, "quarter must be 1, 2, 3 or 4.")
    found = indicator_figures.quarter_figures(plan, plan.year, quarter, today=today)  # as_of: never a day to come
    now = found.now
    return jsonify({
        "plan": plan.year, "quarter": quarter, "as_of": found.day.isoformat(),
        "sample_communes": indicator_figures.has_sample(),
        "communes": {"recorded": now.recorded, "total": now.communes, "standard": now.standard, "average_criteria": now.average,
                     "border_average_criteria": now.border_average, "by_criteria_met": now.bands,
                     "per_criterion": {str(k): v for k, v in now.per_criterion.items()},
                     "previous_quarter": ({"standard": found.before.standard, "by_criteria_met": found.before.bands}
                                          if found.before.recorded else None)},
        "indicators": [_indicator_json(row) for row in found.rows],
        "districts": [{"id": row.district.id, "name": row.district.name, "communes": row.communes,
                       "standard": row.standard, "average_criteria": row.average,
                       "per_criterion": {str(k): v for k, v in row.per_criterion.items()}}
                      for row in indicator_figures.districts_on(found.day)],
        "closest": [{"id": near.commune.id, "name": near.commune.name, "district": near.commune.district.name,
                     "met": near.met, "missing": near.missing}
                    for near in indicator_figures.closest_communes(found.day)],
    })
