"""JSON API: read the plan; post a line update with a bearer token."""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from flask import Blueprint, current_app, g, jsonify, make_response, render_template, request, url_for
from flask_login import current_user

from ..dashboard.cache import figures
from ..dashboard.views import plan_and_day
from ..exports.views import quarterly_download
from ..auth.operations import authenticate_token
from ..operations import perform
from ..clock import BAD_DATE, local_today, parse_date
from ..extensions import csrf, db
from ..changes import data_version
from ..indicators import counts as indicator_counts, figures as indicator_figures
from ..quarters import Quarter
from ..indicators.figures import IndicatorRow
from ..web import int_arg
from ..progress.filters import TaskFilterForm
from ..plan.models import ROLES, Task
from ..plan.views import plan_or_404
from ..progress.views import task_or_404
from ..progress.models import StatusLine
from ..progress.listing import SORT_LABELS, BadCursor, TaskRow, directory, task_page, task_rows
from ..progress.services import line_categories
from . import errors
from .conditional import guard_write, tag_response
from .errors import Problem, invalid
from .paging import cursor_error, cursor_response, decode_cursor, encode_cursor, page_args, page_errors, page_response
from .spec import DATE_PARAMETER, build_document, check_query, component, documented, nullable, paged, query_param, ref
from ..plan.timeline import KIND_LABELS
from ..progress.categories import CATEGORIES
from ..progress.models import STATUSES

bp = Blueprint("api", __name__, url_prefix="/api/v1")
csrf.exempt(bp)  # the API authenticates each request by token, not by cookie
PUBLIC = {"api.openapi"}  # the document describes the API to anyone; every answer in it needs a token

_DATE = {"type": "string", "format": "date"}
_STRINGS = {"type": "array", "items": {"type": "string"}}
LINE = component("Line", {
    "type": "object",
    "required": ["id", "agency", "status", "progress", "note", "paused_reason", "completed_on", "version", "updated_at",
                 "category"],
    "properties": {"id": {"type": "integer"}, "agency": {"type": "string"},
                   "status": {"type": "string", "enum": list(STATUSES)},
                   "progress": {"type": "integer", "minimum": 0, "maximum": 100}, "note": {"type": "string"},
                   "paused_reason": nullable({"type": "string"}), "completed_on": nullable(_DATE),
                   "version": {"type": "integer"}, "updated_at": nullable({"type": "string", "format": "date-time"}),
                   "category": {"type": "string", "enum": list(CATEGORIES)}},
    "description": "One executing body's own line on a task; `category` is judged on the request's date."})
TASK = component("Task", {
    "type": "object",
    "required": ["code", "section", "section_title", "title", "timeline", "schedule", "needs_date", "flag_note",
                 "category", *ROLES, *(f"{role}_text" for role in ROLES), "executing_bodies"],
    "properties": {
        "code": {"type": "string", "examples": ["IV.4"]}, "section": {"type": "string"},
        "section_title": {"type": "string"}, "title": {"type": "string"}, "timeline": {"type": "string"},
        "schedule": {"type": "object", "required": ["kind", "start", "due", "recurrence"],
                     "properties": {"kind": {"type": "string", "enum": list(KIND_LABELS)}, "start": nullable(_DATE),
                                    "due": nullable(_DATE), "recurrence": nullable({"type": "string"})}},
        "needs_date": {"type": "boolean"}, "flag_note": nullable({"type": "string"}),
        "category": {"type": "string", "enum": list(CATEGORIES)},
        **{role: _STRINGS for role in ROLES}, **{f"{role}_text": {"type": "string"} for role in ROLES},
        "executing_bodies": _STRINGS}})
component("TaskWithLines", {"allOf": [TASK, {"type": "object", "required": ["lines"],
                                             "properties": {"lines": {"type": "array", "items": LINE}}}]})
_AS_OF = query_param("as_of", DATE_PARAMETER, "The day categories are judged on (today by default).")


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
        g.api_user = (perform(authenticate_token, secret.strip())  # keeps last_used_at
                      if scheme.lower() == "bearer" and secret.strip() else None)
        if g.api_user is None:
            raise Problem(401, _("Token không hợp lệ hoặc đã bị thu hồi."), type_=errors.TOKEN_NEEDED,
                          headers={"WWW-Authenticate": 'Bearer realm="api", error="invalid_token"'})
    elif request.endpoint in PUBLIC:
        return
    elif request.method != "GET" or not current_user.is_authenticated:
        raise Problem(401, _("Gửi tiêu đề «Authorization: Bearer TOKEN»; tạo token trên trang hồ sơ của bạn."),
                      type_=errors.TOKEN_NEEDED)
    doc = getattr(current_app.view_functions.get(request.endpoint), "openapi", None)
    if doc is not None:
        check_query(doc)  # the declared parameters, checked as the document states them
    guard_write()  # If-Match on a resource tagged by its content


@bp.after_request
def tag_changeable(response):
    """What can be changed answers with its ETag."""
    return tag_response(response)


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


def iso(moment) -> str | None:
    """A stored UTC moment as ISO 8601 with its Z."""
    return moment.isoformat() + "Z" if moment else None


def line_response(line: StatusLine, today: date, status: int = 200):
    """The line as JSON with its ETag and address."""
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


_YEAR = query_param("year", {"type": "integer", "minimum": 2000, "maximum": 2100},
                    "The plan's year (the latest plan by default); 404 when there is no plan of that year.")
_TASK_FILTERS = [
    _YEAR, query_param("q", {"type": "string", "maxLength": 200}, "Words of the title or a body's name, diacritics optional."),
    query_param("section", {"type": "string"}, "A section's numeral (I–XII)."),
    query_param("agency", {"type": "string", "maxLength": 200}, "An agency's id, name or short name."),
    query_param("role", {"type": "string", "enum": ["", *ROLES]}, "The agency's role on the task."),
    query_param("kind", {"type": "string", "enum": ["", *KIND_LABELS, "needs_date"]}, "The kind of timeline."),
    query_param("category", {"type": "string", "enum": ["", *CATEGORIES]}, "The category on `as_of`."),
    query_param("sort", {"type": "string", "enum": ["", *SORT_LABELS]}, "The order (the appendix's by default)."),
    _AS_OF]
_AFTER = query_param("after", {"type": "string", "minLength": 1, "maxLength": 500, "pattern": "^[A-Za-z0-9_-]+$"},
                     "Keyset paging: the `next_after` of the previous page (same filters and sort); the page starts "
                     "after that row, found by an index instead of skipping rows. `page` is ignored, and answered null.")


@bp.get("/tasks")
@documented("List the plan's tasks", tag="Tasks", query=[*_TASK_FILTERS, _AFTER], is_paged=True,
            responses={200: {"description": "A page of tasks, each with its category on `as_of`; `next_after` "
                                             "continues after its last row (null on the last page).",
                             "schema": {"allOf": [paged(TASK, keyset=True), {
                                 "type": "object", "required": ["as_of"], "properties": {"as_of": _DATE}}]}}})
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
    sort = form.sort.data or "section"
    raw_after = request.args.get("after")
    after = decode_cursor(raw_after, sort) if raw_after is not None else None
    try:
        result = task_page(plan, form.filters(), as_of=as_of, category=form.category.data or None,
                           sort=sort, page=page, per_page=per_page, after=after)
    except BadCursor:
        raise invalid(cursor_error()) from None
    items = [task_json(row) for row in result.items]
    next_after = encode_cursor(sort, result.next_after) if result.next_after is not None else None
    if after is not None:
        return cursor_response(items, result.total, per_page, next_after, as_of=as_of.isoformat())
    return page_response(items, result.total, page, per_page, as_of=as_of.isoformat(), next_after=next_after)


@bp.get("/tasks/<code>")
@documented("One task with every body's line", tag="Tasks", query=[_YEAR, _AS_OF],
            responses={200: {"description": "The task.", "schema": ref("TaskWithLines")}})
def task(code: str):
    """One task by its code, such as IV.4, with its category and every body's line."""
    return jsonify(with_lines(task_or_404(code), as_of_or_400()))


@bp.get("/lines/<int:line_id>")
@documented("One body's line", tag="Progress",
            responses={200: {"description": "The line, with its ETag.", "schema": LINE,
                             "headers": {"ETag": {"schema": {"type": "string"}}}}})
def status_line(line_id: int):
    """One body's line on a task, with its ETag (the version to send back in If-Match)."""
    line = db.session.get(StatusLine, line_id)
    if line is None:
        raise Problem(404, _("Không có dòng trạng thái này."), type_=errors.NOT_FOUND)
    return line_response(line, local_today())


def _counts_json(row) -> dict:
    return {"key": row.key, "label": row.label, "counts": row.counts, "total": row.total}


_COUNTS = {"type": "object", "additionalProperties": {"type": "integer"}}
_ROW = {"type": "object", "required": ["key", "label", "counts", "total"],
        "properties": {"key": {"type": "string"}, "label": {"type": "string"}, "counts": _COUNTS,
                       "total": {"type": "integer"}}}


@bp.get("/dashboard")
@documented("The dashboard's counts", tag="Reports", query=[_YEAR, _AS_OF], responses={200: {
    "description": "Counts by category: overall, per section, per agency.",
    "schema": {"type": "object", "required": ["plan", "as_of", "overall", "since", "sections", "agencies"],
               "properties": {"plan": {"type": "integer"}, "as_of": _DATE, "overall": _COUNTS,
                              "since": {"type": "object"}, "sections": {"type": "array", "items": _ROW},
                              "agencies": {"type": "array", "items": {"allOf": [_ROW, {
                                  "type": "object", "properties": {"id": {"type": "integer"}}}]}}}}}})
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


_FILE = {"contentMediaType": "application/octet-stream"}  # any bytes (OpenAPI 3.1 leaves binary bodies unschemed)


@bp.get("/reports/quarterly.<fmt>")
@documented("The quarterly report file", tag="Reports", path={"fmt": {"type": "string", "enum": ["xlsx", "docx", "csv"]}},
            query=[
    _YEAR, query_param("quarter", {"type": "integer", "minimum": 1, "maximum": 4}, "The quarter (1–4)."), _AS_OF,
    query_param("rows", {"type": "string", "enum": ["", "tasks", "lines"]}, "CSV only: a row per task or per line.")],
    responses={200: {"description": "The report: `fmt` is xlsx, docx or csv.", "content": {
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": {"schema": _FILE},
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document": {"schema": _FILE},
        "text/csv": {"schema": _FILE}}}})
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
@documented("The plan's numbers in a quarter", tag="Indicators", query=[
    _YEAR, query_param("quarter", {"type": "integer", "minimum": 1, "maximum": 4}, "The quarter (the current one by default).")],
    responses={200: {"description": "Communes at the standard, each indicator's actual against its target, "
                                    "each district.", "schema": {
        "type": "object", "required": ["plan", "quarter", "as_of", "communes", "indicators", "districts", "closest"],
        "properties": {"plan": {"type": "integer"}, "quarter": {"type": "integer"}, "as_of": _DATE,
                       "sample_communes": {"type": "boolean"}, "communes": {"type": "object"},
                       "indicators": {"type": "array", "items": ref("IndicatorFigure")},
                       "districts": {"type": "array", "items": {"type": "object"}},
                       "closest": {"type": "array", "items": {"type": "object"}}}}}})
def indicators():
    """The plan's numbers at the end of ?quarter= (1–4; the current one by default) of ?year=."""
    plan = plan_or_404()
    quarter = int_arg("quarter")
    today = local_today()
    if quarter is None:
        quarter = indicator_figures.default_quarter(plan, today)
    if quarter not in (1, 2, 3, 4):
        raise invalid({"quarter": [_("Quý phải là 1, 2, 3 hoặc 4.")]})
    this = Quarter(plan.year, quarter)
    days = [indicator_figures.counted_to(q, today) for q in (this, this.previous)]  # never a day to come
    counted = indicator_counts.kept_standings(days, data_version())
    found = indicator_figures.quarter_figures(plan, plan.year, quarter, counted, today=today)
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


@bp.get("/openapi.json")
@documented("This document", tag="Reference", public=True,
            responses={200: {"description": "The OpenAPI 3.1 document.", "schema": {"type": "object"}}})
def openapi():
    """The OpenAPI 3.1 document of this API, generated from the forms that validate its requests."""
    response = jsonify(build_document())
    response.headers["Cache-Control"] = "no-cache"
    return response


from . import accounts, documents as _documents, indicators as _indicators, lists, progress, reporting  # noqa: E402,F401  (the collections and changes register on the same blueprint)


# The readable reference: Redoc (vendored in static/vendor/redoc) renders the document above.
reference_bp = Blueprint("api_docs", __name__)
# Redoc styles itself with inline <style> and parses the document in a blob: worker; the page has no data of ours.
REFERENCE_POLICY = ("default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
                    "font-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; object-src 'none'; "
                    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


@reference_bp.get("/api/docs")
def reference():
    """The API's reference page, for people: every endpoint, its parameters, answers and errors."""
    response = make_response(render_template("api/docs.html"))
    response.headers["Content-Security-Policy"] = REFERENCE_POLICY
    return response
