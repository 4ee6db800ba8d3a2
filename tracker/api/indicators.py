"""The API of the plan's numbers: one indicator quarter by quarter, the figures entered for it, the communes with
their criteria, and every change the indicator and commune pages offer (each through its operation)."""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa
from flask import jsonify, request, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload, selectinload

from ..auth.policy import can_edit_commune, can_enter_figure, require_office
from ..clock import local_today
from ..extensions import db
from ..files.models import Attachment
from ..indicators import counts, figures
from ..indicators import operations as ops
from ..indicators.forms import CommunesFileForm, CriteriaApiForm, FigureApiForm, ResponsibleApiForm
from ..indicators.models import Commune, CommuneCriterion, Indicator, IndicatorEntry
from ..indicators.services import criterion_history
from ..operations import NotFound, perform
from ..plan.models import Agency
from ..plan.views import plan_or_404
from ..quarters import Quarter
from ..web import int_arg
from .paging import paginate
from .progress import ATTACHMENT, attachment_json
from .spec import component, documented, nullable, paged, query_param, read_json, read_multipart
from .views import _YEAR, _indicator_json as indicator_json, api_user, bp, iso

_DATE = {"type": "string", "format": "date"}
_NUMBER = nullable({"type": "number"})
_NAMED = {"type": "object", "required": ["id", "name"],
          "properties": {"id": {"type": "integer"}, "name": {"type": "string"}}}
_QUARTER = query_param("quarter", {"type": "integer", "minimum": 1, "maximum": 4},
                       "The quarter (1–4; the current one by default).")

INDICATOR = component("IndicatorFigure", {
    "type": "object",
    "required": ["id", "key", "group", "criterion", "name", "unit", "measure", "computed", "target", "target_high",
                 "bound", "per_district", "of_total", "stated_percent", "added", "actual", "previous_quarter",
                 "share_percent", "progress_percent", "missing", "responsible", "tasks", "by_district", "entered"],
    "properties": {
        "id": {"type": "integer"}, "key": {"type": "string", "examples": ["tc02"]}, "group": {"type": "string"},
        "criterion": nullable({"type": "integer"}), "name": {"type": "string"}, "unit": {"type": "string"},
        "measure": {"type": "string"}, "computed": {"type": "boolean"}, "target": _NUMBER, "target_high": _NUMBER,
        "bound": nullable({"type": "string"}), "per_district": {"type": "boolean"},
        "of_total": nullable({"type": "integer"}), "stated_percent": _NUMBER, "added": nullable({"type": "integer"}),
        "actual": _NUMBER, "previous_quarter": _NUMBER, "share_percent": _NUMBER, "progress_percent": _NUMBER,
        "missing": {"type": "boolean"}, "responsible": nullable(_NAMED),
        "tasks": {"type": "array", "items": {"type": "string"}},
        "by_district": nullable({"type": "object", "additionalProperties": {"type": "number"}}),
        "entered": nullable({"type": "object", "required": ["at", "note", "by"], "properties": {
            "at": {"type": "string"}, "note": {"type": "string"}, "by": nullable({"type": "string"})}})},
    "description": "An indicator at a quarter's end: its target as the plan states it, the actual (counted from the "
                   "communes, or the newest figure entered), last quarter's, the share of its whole and the progress "
                   "towards the target (0–100). `by_district`: each district's figure, by district id, of an aim set "
                   "per district."})
ENTRY = component("IndicatorEntry", {
    "type": "object",
    "required": ["id", "indicator_id", "year", "quarter", "value", "district", "note", "agency", "entered_by",
                 "entered_at", "attachments"],
    "properties": {"id": {"type": "integer"}, "indicator_id": {"type": "integer"}, "year": {"type": "integer"},
                   "quarter": {"type": "integer", "minimum": 1, "maximum": 4}, "value": {"type": "number"},
                   "district": nullable(_NAMED), "note": {"type": "string"}, "agency": nullable({"type": "string"}),
                   "entered_by": nullable({"type": "string"}), "entered_at": {"type": "string", "format": "date-time"},
                   "attachments": {"type": "array", "items": ATTACHMENT}},
    "description": "A figure entered for a quarter, cumulative to its end; a correction is a new entry, so the "
                   "newest of a quarter (of a district, for an aim set per district) is its value."})
QUARTER_FIGURE = component("IndicatorQuarter", {
    "type": "object",
    "required": ["quarter", "counted_to", "running", "actual", "previous_quarter", "progress_percent",
                 "share_percent", "missing", "entry", "by_district"],
    "properties": {"quarter": {"type": "integer", "minimum": 1, "maximum": 4}, "counted_to": _DATE,
                   "running": {"type": "boolean"}, "actual": _NUMBER, "previous_quarter": _NUMBER,
                   "progress_percent": _NUMBER, "share_percent": _NUMBER, "missing": {"type": "boolean"},
                   "entry": nullable(ENTRY),
                   "by_district": nullable({"type": "object", "additionalProperties": {"type": "number"}})},
    "description": "The indicator at a quarter's end (today for the quarter still running; nothing for one not "
                   "begun), beside the quarter before."})
INDICATOR_DETAIL = component("IndicatorDetail", {"allOf": [INDICATOR, {
    "type": "object", "required": ["plan", "quarter", "text", "target_text", "may_enter", "quarters"],
    "properties": {"plan": {"type": "integer"}, "quarter": {"type": "integer"}, "text": {"type": "string"},
                   "target_text": {"type": "string"}, "may_enter": {"type": "boolean"},
                   "quarters": {"type": "array", "items": QUARTER_FIGURE}}}]})
COMMUNE = component("Commune", {
    "type": "object", "required": ["id", "name", "district", "border", "sample", "criteria_met", "criteria"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "district": _NAMED,
                   "border": {"type": "boolean"}, "sample": {"type": "boolean"},
                   "criteria_met": {"type": "integer", "minimum": 0, "maximum": 19},
                   "criteria": {"type": "array", "items": {"type": "integer", "minimum": 1, "maximum": 19}}},
    "description": "A commune with the criteria (1–19) it meets on the list's day; `sample` marks the shipped "
                   "sample, never a real commune."})
CRITERION_CHANGE = {
    "type": "object", "required": ["id", "criterion", "met", "since", "until", "note", "entered_by", "entered_at"],
    "properties": {"id": {"type": "integer"}, "criterion": {"type": "integer"}, "met": {"type": "boolean"},
                   "since": _DATE, "until": nullable(_DATE), "note": {"type": "string"},
                   "entered_by": nullable({"type": "string"}), "entered_at": {"type": "string", "format": "date-time"}}}
COMMUNE_DETAIL = component("CommuneDetail", {"allOf": [COMMUNE, {
    "type": "object", "required": ["as_of", "may_edit", "history"],
    "properties": {"as_of": _DATE, "may_edit": {"type": "boolean"},
                   "changed": {"type": "integer", "minimum": 0,
                               "description": "After a change: how many criteria it changed."},
                   "history": {"type": "array", "items": CRITERION_CHANGE,
                               "description": "Every change recorded, newest first."}}}]})
IMPORT_SUMMARY = component("CommunesImport", {
    "type": "object", "required": ["communes", "created", "changes", "removed_sample"],
    "properties": {"communes": {"type": "integer"}, "created": {"type": "integer"}, "changes": {"type": "integer"},
                   "removed_sample": {"type": "integer"}},
    "description": "What the file did: communes named, new ones, criteria changed, sample communes removed."})


# --- indicators ------------------------------------------------------------------------------------------------

def _indicator(indicator_id: int) -> Indicator:
    indicator = db.session.get(Indicator, indicator_id)
    if indicator is None:
        raise NotFound(_("Không có chỉ tiêu này."))
    return indicator


def _quarter_arg(plan) -> int:
    quarter = int_arg("quarter")
    return figures.default_quarter(plan, local_today()) if quarter is None else quarter


def _files_of(entries: list[IndicatorEntry]) -> dict[int, list[Attachment]]:
    files: dict[int, list[Attachment]] = {}
    if entries:
        for attachment in db.session.scalars(sa.select(Attachment).where(
                Attachment.entry_id.in_([e.id for e in entries])).options(joinedload(Attachment.uploaded_by))
                .order_by(Attachment.id)):
            files.setdefault(attachment.entry_id, []).append(attachment)
    return files


def entry_json(entry: IndicatorEntry, files: list[Attachment]) -> dict:
    """A figure entered, with who entered it and its evidence."""
    return {"id": entry.id, "indicator_id": entry.indicator_id, "year": entry.year, "quarter": entry.quarter,
            "value": entry.value, "district": {"id": entry.district.id, "name": entry.district.name}
            if entry.district else None, "note": entry.note or "",
            "agency": entry.agency.name if entry.agency else None,
            "entered_by": entry.entered_by.display_name if entry.entered_by else None,
            "entered_at": iso(entry.entered_at), "attachments": [attachment_json(a) for a in files]}


def indicator_detail_json(indicator: Indicator, quarter: int) -> dict:
    """The indicator at ?quarter=, as GET /indicators lists it, with each quarter of its year."""
    plan, today = indicator.plan, local_today()
    rows = figures.indicator_by_quarter(indicator, plan.year, today)
    files = _files_of([row.entry for row in rows.values() if row.entry])
    quarters = []
    for q in Quarter.of_year(plan.year):
        row = rows[q.number]
        quarters.append({
            "quarter": q.number, "counted_to": figures.counted_to(q, today).isoformat(),
            "running": q.begun_by(today) and not q.ended_by(today), "actual": row.actual,
            "previous_quarter": row.previous, "progress_percent": row.progress, "share_percent": row.share,
            "missing": row.missing, "entry": entry_json(row.entry, files.get(row.entry.id, [])) if row.entry else None,
            "by_district": {str(d): e.value for d, e in row.by_district.items()} if indicator.per_district else None})
    return {**indicator_json(rows[quarter]), "plan": plan.year, "quarter": quarter, "text": indicator.text or "",
            "target_text": indicator.target_text, "may_enter": can_enter_figure(api_user(), indicator) and not indicator.computed,
            "quarters": quarters}


@bp.get("/indicators/<int:indicator_id>")
@documented("One indicator, quarter by quarter", tag="Indicators", query=[_QUARTER],
            responses={200: {"description": "The indicator at the quarter's end, and each quarter of its year.",
                             "schema": INDICATOR_DETAIL}})
def indicator(indicator_id: int):
    """One indicator of any plan: its target, its actual at the end of ?quarter= (as GET /indicators lists it), and
    each quarter of the year with the figure entered and its evidence."""
    found = _indicator(indicator_id)
    return jsonify(indicator_detail_json(found, _quarter_arg(found.plan)))


@bp.get("/indicators/<int:indicator_id>/entries")
@documented("The figures entered for an indicator", tag="Indicators", is_paged=True, query=[
    query_param("quarter", {"type": "integer", "minimum": 1, "maximum": 4}, "Only this quarter's (1–4)."),
    query_param("district", {"type": "integer", "minimum": 1}, "Only this district's (an aim set per district).")],
    responses={200: {"description": "Newest first.", "schema": paged(ENTRY)}})
def indicator_entries(indicator_id: int):
    """Every figure entered for the indicator, newest first: the history the indicator page shows."""
    found = _indicator(indicator_id)
    query = (sa.select(IndicatorEntry).where(IndicatorEntry.indicator_id == found.id)
             .options(joinedload(IndicatorEntry.district), joinedload(IndicatorEntry.agency),
                      joinedload(IndicatorEntry.entered_by))
             .order_by(IndicatorEntry.id.desc()))
    if int_arg("quarter"):
        query = query.where(IndicatorEntry.quarter == int_arg("quarter"))
    if int_arg("district"):
        query = query.where(IndicatorEntry.district_id == int_arg("district"))

    def render(rows) -> list[dict]:
        entries = list(rows)
        files = _files_of(entries)
        return [entry_json(e, files.get(e.id, [])) for e in entries]

    return paginate(query, render)


_FIGURE_EXAMPLE = {"quarter": 1, "value": "1.250", "note": "Theo báo cáo của các huyện"}


@bp.post("/indicators/<int:indicator_id>/entries")
@documented("Enter a quarter's figure", tag="Indicators", body=FigureApiForm, example=_FIGURE_EXAMPLE,
            responses={201: {"description": "The figure as recorded.", "schema": ENTRY}}, errors=(403,))
def post_indicator_entry(indicator_id: int):
    """The body the indicator is given to (a district its own figure of an aim set per district, or the office)
    enters a quarter's figure, cumulative to the quarter's end. A correction is a new entry. Indicators counted
    from the communes take no figure: record the communes' criteria instead (PATCH /communes/{commune_id})."""
    found = _indicator(indicator_id)
    ops.check_may_enter(api_user(), found)
    form = read_json(FigureApiForm)
    entry = perform(ops.enter_figure, api_user(), found, form.quarter.data, form.value.data, form.note.data,
                    local_today(), _whole(form.district.data))
    response = jsonify(entry_json(entry, []))
    response.status_code = 201
    response.headers["Location"] = url_for("api.indicator_entries", indicator_id=found.id)
    return response


def _whole(raw: str | None) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) < 10 else None


@bp.put("/indicators/<int:indicator_id>/responsible")
@documented("Give an indicator to a body (office)", tag="Indicators", body=ResponsibleApiForm,
            example={"agency": 12},
            responses={200: {"description": "The indicator with its body.", "schema": INDICATOR_DETAIL}},
            errors=(403,), etag_from="api.indicator")
def put_responsible(indicator_id: int):
    """The office names the body that reports the indicator and enters its figures (`agency`: a single body's id
    from GET /agencies, never a group's), or null for none."""
    found = _indicator(indicator_id)
    require_office(api_user())
    form = read_json(ResponsibleApiForm)
    perform(ops.set_responsible, api_user(), found, _whole(form.agency.data))
    return jsonify(indicator_detail_json(found, _quarter_arg(found.plan)))


# --- communes --------------------------------------------------------------------------------------------------

def _criteria_on(day: date, ids: list[int]) -> dict[int, list[int]]:
    """The criteria each of these communes meets on the day."""
    met = counts.met_on(day)
    found: dict[int, list[int]] = {i: [] for i in ids}
    if ids:
        for commune_id, criterion in db.session.execute(sa.select(met.c.commune_id, met.c.criterion)
                                                        .where(met.c.commune_id.in_(ids)).order_by(met.c.criterion)):
            found[commune_id].append(criterion)
    return found


def commune_json(commune: Commune, criteria: list[int]) -> dict:
    """A commune with the criteria it meets."""
    return {"id": commune.id, "name": commune.name, "district": {"id": commune.district.id, "name": commune.district.name},
            "border": commune.border, "sample": commune.sample, "criteria_met": len(criteria), "criteria": criteria}


_CLOSE = query_param("close", {"type": "string", "enum": ["", "0", "1"]},
                     "1: only the communes one or two criteria short of the standard.")


@bp.get("/communes")
@documented("The communes and the criteria each meets", tag="Communes", is_paged=True, query=[
    _YEAR, _QUARTER, query_param("district", {"type": "integer", "minimum": 1}, "Only this district's communes."),
    _CLOSE],
    responses={200: {"description": "Most criteria met first, as on the communes page.", "schema": {"allOf": [
        paged(COMMUNE), {"type": "object", "required": ["plan", "quarter", "as_of", "sample_communes"],
                         "properties": {"plan": {"type": "integer"}, "quarter": {"type": "integer"}, "as_of": _DATE,
                                        "sample_communes": {"type": "boolean"}}}]}}})
def communes():
    """The communes of a district (or all) with the criteria each meets at the end of ?quarter= of ?year= (today
    for the quarter still running), most criteria met first; ?close=1 keeps those one or two criteria short."""
    plan = plan_or_404()
    quarter = _quarter_arg(plan)
    day = figures.counted_to(Quarter(plan.year, quarter), local_today())
    per = counts.criteria_met_per_commune(day)
    query = (sa.select(Commune).join(per, per.c.commune_id == Commune.id)
             .join(Agency, Agency.id == Commune.district_id).options(joinedload(Commune.district))
             .order_by(per.c.n.desc(), Agency.sort_key, Commune.name, Commune.id))
    if int_arg("district"):
        query = query.where(Commune.district_id == int_arg("district"))
    if request.args.get("close", "").strip() == "1":
        query = query.where(counts.close_to_standard(per.c.n))

    def render(rows) -> list[dict]:
        found = list(rows)
        met = _criteria_on(day, [c.id for c in found])
        return [commune_json(c, met[c.id]) for c in found]

    return paginate(query, render, plan=plan.year, quarter=quarter, as_of=day.isoformat(),
                    sample_communes=counts.has_sample())


def _commune(commune_id: int) -> Commune:
    commune = db.session.get(Commune, commune_id, options=[selectinload(Commune.district)])
    if commune is None:
        raise NotFound(_("Không có xã này."))
    return commune


def commune_detail_json(commune: Commune, **extra) -> dict:
    """A commune today, with its criteria's history."""
    today = local_today()
    history: list[CommuneCriterion] = criterion_history(commune)
    return {**commune_json(commune, _criteria_on(today, [commune.id])[commune.id]), "as_of": today.isoformat(),
            "may_edit": can_edit_commune(api_user(), commune),
            "history": [{"id": row.id, "criterion": row.criterion, "met": row.met, "since": row.since.isoformat(),
                         "until": row.until.isoformat() if row.until else None, "note": row.note or "",
                         "entered_by": row.entered_by.display_name if row.entered_by else None,
                         "entered_at": iso(row.entered_at)} for row in history], **extra}


@bp.get("/communes/<int:commune_id>")
@documented("One commune's criteria", tag="Communes",
            responses={200: {"description": "The criteria it meets today, and every change recorded.",
                             "schema": COMMUNE_DETAIL}})
def commune(commune_id: int):
    """One commune: the criteria it meets today and every change recorded, newest first."""
    return jsonify(commune_detail_json(_commune(commune_id)))


@bp.patch("/communes/<int:commune_id>")
@documented("Record a commune's criteria from a date on", tag="Communes", body=CriteriaApiForm, lists=("met",),
            example={"since": "2021-05-08", "met": [1, 2, 3, 5, 8], "note": "Quyết định công nhận số 12/QĐ-UBND"},
            responses={200: {"description": "The commune as it now stands, with `changed`.", "schema": COMMUNE_DETAIL}},
            errors=(403,), etag_from="api.commune")
def patch_commune(commune_id: int):
    """The commune's district (or the office) records that from `since` (not a day to come) the commune meets
    exactly the criteria in `met`; a row is added for each criterion that changes, the history is kept."""
    found = _commune(commune_id)
    ops.check_may_edit(api_user(), found)
    form = read_json(CriteriaApiForm, lists=("met",))
    changed = perform(ops.update_commune, api_user(), found, form.since.data, {int(k) for k in form.met.data or []},
                      form.note.data, local_today())
    return jsonify(commune_detail_json(found, changed=changed))


@bp.post("/communes/import")
@documented("Import the communes file (office)", tag="Communes", body=CommunesFileForm, multipart=True,
            responses={200: {"description": "What the file did.", "schema": IMPORT_SUMMARY}}, errors=(403,))
def import_communes():
    """The office uploads the districts' communes file (multipart/form-data, field `file`; CSV or XLSX with the
    columns Huyện, Xã, Biên giới, Ngày, TC1 … TC19, Ghi chú). All of it is taken, or nothing: a bad file is a 400
    whose `errors.file` names each bad line. A real list replaces the shipped sample; the same file again changes
    nothing."""
    require_office(api_user())
    form = read_multipart(CommunesFileForm)
    summary = perform(ops.import_communes, api_user(), form.file.data, local_today())
    return jsonify({"communes": summary.communes, "created": summary.created, "changes": summary.changes,
                    "removed_sample": summary.removed_sample})

