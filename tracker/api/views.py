"""JSON API: read the plan; post a line update with a bearer token."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask import Blueprint, g, jsonify, request, url_for
from flask_login import current_user
from sqlalchemy.orm.exc import StaleDataError

from ..auth.policy import can_update_line
from ..dashboard.cache import figures
from ..dashboard.views import plan_and_day
from ..exports.views import quarterly_download
from ..auth.services import user_for_token
from ..clock import BAD_DATE, local_today, parse_date
from ..extensions import csrf, db
from ..forms import json_formdata
from ..indicators import counts as indicator_counts, figures as indicator_figures
from ..indicators.figures import IndicatorRow
from ..web import int_arg
from ..progress.filters import TaskFilterForm
from ..plan.models import ROLES, Task
from ..plan.services import find_agency
from ..plan.views import plan_or_404
from ..progress.views import task_or_404
from ..progress.models import StatusLine
from ..progress.listing import TaskRow, directory, task_page, task_rows
from ..progress.forms import LineUpdateApiForm
from ..progress.services import ConflictError, line_by_agency, line_categories, update_line, validate_change
from . import errors
from .errors import Problem, invalid
from .paging import page_args, page_errors, page_response

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # the API authenticates each request by token, not by cookie


@bp.errorhandler(Problem)
def answer_problem(problem: Problem):
    """An endpoint's refusal as problem details."""
    return problem.response()


@bp.before_request
def authenticate():
    """A bearer token, or for reads a signed-in session; writes need a token (no cookie-driven CSRF)."""
    header = request.headers.get("Authorization", "")
    g.api_user = None
    if header:
        scheme, _space, secret = header.partition(" ")
        g.api_user = user_for_token(secret.strip()) if scheme.lower() == "bearer" and secret.strip() else None
        if g.api_user is None:
            raise Problem(401, _("Token không hợp lệ hoặc đã bị thu hồi."), type_=errors.TOKEN_NEEDED,
                          headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
        db.session.commit()  # keeps last_used_at
    elif request.method != "GET" or not current_user.is_authenticated:
        raise Problem(401, _("Gửi tiêu đề «Authorization: Bearer TOKEN»; tạo token trên trang hồ sơ của bạn."),
                      type_=errors.TOKEN_NEEDED)


def api_user():
    """The user this API request acts for."""
    return g.api_user or current_user


def as_of_arg() -> date | None:
    """?as_of=YYYY-MM-DD, today when absent, None when malformed."""
    raw = request.args.get("as_of")
    return parse_date(raw) if raw else local_today()


def as_of_or_400() -> date:
    """?as_of= as a date (today when absent), or a 400 problem."""
    as_of = as_of_arg()
    if as_of is None:
        raise invalid({"as_of": [BAD_DATE]})
    return as_of


def etag(line: StatusLine) -> str:
    """The line's entity tag: its id and version, so one line's tag never matches another's."""
    return f'"line-{line.id}-v{line.version}"'


def _line_response(line: StatusLine, today: date, status: int = 200):
    response = jsonify(line_json(line, line_categories(line.task, today)[line.id]))
    response.status_code = status
    response.headers["ETag"] = etag(line)
    response.headers["Location"] = url_for("api.status_line", line_id=line.id)
    return response


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
    as_of = as_of_arg()
    valid = form.validate()
    problems = {**form.errors, **page_errors()}  # the form's page message and ours are the same words
    if as_of is None:
        problems["as_of"] = [BAD_DATE]
    if not valid or problems:
        raise invalid(problems)
    page, per_page = page_args()
    result = task_page(plan, form.filters(), as_of=as_of, category=form.category.data or None,
                       sort=form.sort.data or "section", page=page, per_page=per_page)
    return page_response([task_json(row) for row in result.items], result.total, page, per_page,
                         as_of=as_of.isoformat())


@bp.get("/tasks/<code>")
def task(code: str):
    """One task by its code, such as IV.4, with its category and every body's line."""
    return jsonify(with_lines(task_or_404(code), as_of_or_400()))


@bp.get("/lines/<int:line_id>")
def status_line(line_id: int):
    """One body's line on a task, with its ETag (the version to send back in If-Match)."""
    line = db.session.get(StatusLine, line_id)
    if line is None:
        raise Problem(404, _("Không có dòng trạng thái này."), type_=errors.NOT_FOUND)
    return _line_response(line, local_today())


def _check_if_match(line: StatusLine) -> None:
    """If-Match (RFC 9110 §13.1.1): the write goes ahead only on the tag the client last saw (or `*`)."""
    header = request.headers.get("If-Match")
    if header is None:
        return
    tags = [tag.strip() for tag in header.split(",")]
    if "*" in tags or etag(line) in tags:
        return
    raise Problem(412, _("Dòng đã được thay đổi sau phiên bản bạn đọc (If-Match); đây là trạng thái mới hơn."),
                  type_=errors.STALE_ETAG, headers={"ETag": etag(line)},
                  line=line_json(line, line_categories(line.task, local_today())[line.id]))


@bp.post("/tasks/<code>/updates")
def post_update(code: str):
    """Update one body's line: JSON {agency, status, progress, note, paused_reason, completed_on, version}.

    The body is checked by the page's own form (LineUpdateApiForm) and the same service rules, so a bad
    value gets the same message here as on the task page. A stale `version` is a 409, a stale If-Match a
    412; both answer with the newer line.
    """
    task = task_or_404(code)
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict):
        raise invalid({"body": [_("Gửi một đối tượng JSON.")]})
    form = LineUpdateApiForm(formdata=json_formdata(payload), meta={"csrf": False})
    if not form.validate():
        raise invalid(form.errors)
    agency = find_agency(form.agency.data)
    if agency is None:
        raise invalid({"agency": [_("Không có cơ quan «%(agency)s».", agency=form.agency.data)]})
    line = line_by_agency(task, agency)
    if line is None:
        raise Problem(404, _("%(agency)s không có dòng trên công việc %(code)s.", agency=agency.name, code=task.code),
                      type_=errors.NOT_FOUND)
    user = api_user()
    if not can_update_line(user, line):
        raise Problem(403, _("Bạn chỉ được cập nhật dòng của cơ quan mình."), type_=errors.FORBIDDEN)
    _check_if_match(line)
    today = local_today()
    change = form.change()
    problems = validate_change(change, today, line)
    if problems:
        raise invalid({k: [v] for k, v in problems.items()})
    try:
        update_line(line, change, user, form.expected_version(), today)
        db.session.commit()
    except (ConflictError, StaleDataError):
        db.session.rollback()
        db.session.refresh(line)
        raise Problem(409, _("Dòng đã được thay đổi sau phiên bản bạn gửi; đây là trạng thái mới hơn."),
                      type_=errors.STALE_VERSION, headers={"ETag": etag(line)},
                      line=line_json(line, line_categories(line.task, today)[line.id])) from None
    return _line_response(line, today, 201)


def _counts_json(row) -> dict:
    return {"key": row.key, "label": row.label, "counts": row.counts, "total": row.total}


@bp.get("/dashboard")
def dashboard():
    """The dashboard's counts on ?as_of=: overall, per section, per agency (each by its own lines)."""
    as_of_or_400()
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
        raise invalid({"quarter": [_("Quý phải là 1, 2, 3 hoặc 4.")]})
    found = indicator_figures.quarter_figures(plan, plan.year, quarter, today=today)  # as_of: never a day to come
    now = found.now
    return jsonify({
        "plan": plan.year, "quarter": quarter, "as_of": found.day.isoformat(),
        "sample_communes": indicator_counts.has_sample(),
        "communes": {"recorded": now.recorded, "total": now.communes, "standard": now.standard, "average_criteria": now.average,
                     "border_average_criteria": now.border_average, "by_criteria_met": now.bands,
                     "per_criterion": {str(k): v for k, v in now.per_criterion.items()},
                     "previous_quarter": ({"standard": found.before.standard, "by_criteria_met": found.before.bands}
                                          if found.before.recorded else None)},
        "indicators": [_indicator_json(row) for row in found.rows],
        "districts": [{"id": row.district.id, "name": row.district.name, "communes": row.communes,
                       "standard": row.standard, "average_criteria": row.average,
                       "per_criterion": {str(k): v for k, v in row.per_criterion.items()}}
                      for row in indicator_counts.districts_on(found.day)],
        "closest": [{"id": near.commune.id, "name": near.commune.name, "district": near.commune.district.name,
                     "met": near.met, "missing": near.missing}
                    for near in indicator_counts.closest_communes(found.day)],
    })


from . import lists  # noqa: E402,F401  (the collections register on the same blueprint)
