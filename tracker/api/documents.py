"""The API of a plan's document: upload it (202, read in the background), follow its reading, read and correct
the proposed rows, preview and run the import. Office only; each change through its operation."""
from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, make_response, request, url_for
from flask_babel import gettext as _
from wtforms import BooleanField, StringField
from wtforms.validators import Length, Optional

from ..auth.policy import require_office
from ..clock import local_today
from ..documents import operations as ops
from ..documents.forms import DocumentForm
from ..documents.models import FIELDS, PlanDocument, ProposedRow
from ..documents.services import flags_left
from ..extensions import db
from ..forms import Form
from ..operations import perform
from .errors import Problem, invalid
from .paging import paginate
from .spec import component, documented, nullable, paged, read_json, read_multipart
from .views import api_user, bp, iso

_OFFICE_ONLY = (403,)
_YEAR_PATH = {"year": {"type": "integer", "minimum": 2000, "maximum": 2100}}

DOCUMENT = component("PlanDocument", {
    "type": "object",
    "required": ["id", "year", "name", "size", "checksum", "status", "progress", "error", "uploaded_at", "finished_at",
                 "imported_at", "scanned_pages", "flags_left", "rows"],
    "properties": {
        "id": {"type": "integer"}, "year": {"type": "integer"}, "name": {"type": "string"},
        "size": {"type": "integer"}, "checksum": {"type": "string", "description": "SHA-256 of the file, hex"},
        "status": {"type": "string", "enum": ["queued", "reading", "ready", "failed", "imported"]},
        "progress": {"type": "object", "required": ["pages_done", "pages_total"],
                     "properties": {"pages_done": {"type": "integer"}, "pages_total": {"type": "integer"}}},
        "error": {"type": "string", "description": "Why it could not be read (status `failed`), for the office."},
        "uploaded_at": {"type": "string", "format": "date-time"},
        "finished_at": nullable({"type": "string", "format": "date-time"}),
        "imported_at": nullable({"type": "string", "format": "date-time"}),
        "scanned_pages": {"type": "integer", "description": "Pages read by OCR (no text layer)."},
        "flags_left": {"type": "integer", "description": "Cells still flagged for review."},
        "rows": {"type": "string", "description": "Where its proposed rows are."}},
    "description": "A plan's document as uploaded, and how far reading it has gone."})
ROW = component("ProposedRow", {
    "type": "object",
    "required": ["id", "position", "page", "section", "tt", "title", "flags", "reasons", "read_as", "version"],
    "properties": {
        "id": {"type": "integer"}, "position": {"type": "integer"}, "page": {"type": "integer"},
        "section": {"type": "boolean"},
        **{name: {"type": "string"} for name in FIELDS},
        "flags": {"type": "array", "items": {"type": "string", "enum": list(FIELDS)},
                  "description": "The fields still to review."},
        "reasons": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}},
                    "description": "Why, per field: low_confidence, corrected, numbering, timeline, empty, "
                                   "unknown_body, odd_words."},
        "read_as": {"type": "object", "additionalProperties": {"type": "string"},
                    "description": "The text as read, where a correction changed it."},
        "image": nullable({"type": "string", "description": "The scan's strip of the row (JPEG), for a scan."}),
        "version": {"type": "integer"}},
    "description": "A row proposed from the document, in document order: a section has `tt` and `title` only."})
PREVIEW = component("PlanImportPreview", {
    "type": "object",
    "required": ["ok", "problems", "sections", "items", "created", "changed", "unchanged", "removed", "linked",
                 "carry_over_lines"],
    "properties": {
        "ok": {"type": "boolean"}, "problems": {"type": "array", "items": {"type": "string"}},
        "sections": {"type": "integer"}, "items": {"type": "integer"},
        **{name: {"type": "array", "items": {"type": "string"}} for name in ("created", "changed", "unchanged", "removed")},
        "linked": {"type": "object", "additionalProperties": {"type": "string"},
                   "description": "This year's code → last year's task it continues."},
        "carry_over_lines": {"type": "integer", "description": "Last year's unfinished lines `carry_over` would take on."}},
    "description": "What importing the reviewed rows would do, changing nothing."})
IMPORTED = component("PlanImportResult", {
    "type": "object", "required": ["year", "created", "updated", "unchanged", "not_in_file", "linked", "carried_over"],
    "properties": {"year": {"type": "integer"},
                   **{name: {"type": "array", "items": {"type": "string"}}
                      for name in ("created", "updated", "unchanged", "not_in_file", "linked")},
                   "carried_over": {"type": "integer"}},
    "description": "What the import did to the year's plan."})


class RowApiForm(Form):
    """A proposed row's corrections: only the fields sent change; `confirm` accepts the rest as read."""

    tt = StringField(validators=[Optional(), Length(max=20)])
    title = StringField(validators=[Optional(), Length(max=2000)])
    lead = StringField(validators=[Optional(), Length(max=2000)])
    executing = StringField(validators=[Optional(), Length(max=2000)])
    coordinating = StringField(validators=[Optional(), Length(max=2000)])
    timeline = StringField(validators=[Optional(), Length(max=2000)])
    confirm = BooleanField()


class ImportApiForm(Form):
    """The import's choices: carry last year's unfinished lines over; and `links`, an object of this year's code →
    the id of last year's task it continues (for an item whose title changed)."""

    carry_over = BooleanField()
    api_extra = {"links": {"type": "object", "additionalProperties": {"type": "integer", "minimum": 1},
                           "description": "This year's code → the id of last year's task it continues."}}


def _links(payload: dict) -> dict[str, int]:
    links = payload.get("links", {})
    if not isinstance(links, dict) or not all(isinstance(k, str) and type(v) is int and 0 < v < 2**31
                                              for k, v in links.items()):
        raise invalid({"links": [_("Gửi một đối tượng: mã công việc → số (id) của công việc năm trước.")]})
    return links


def document_json(document: PlanDocument) -> dict:
    """A document as the API shows it."""
    return {"id": document.id, "year": document.year, "name": document.original_name, "size": document.size,
            "checksum": document.checksum, "status": document.status,
            "progress": {"pages_done": document.pages_done, "pages_total": document.pages_total},
            "error": document.error, "uploaded_at": iso(document.uploaded_at), "finished_at": iso(document.finished_at),
            "imported_at": iso(document.imported_at), "scanned_pages": document.scanned_pages,
            "flags_left": flags_left(document) if document.status in ("ready", "imported") else 0,
            "rows": url_for("api.document_rows", year=document.year, document_id=document.id)}


def row_json(row: ProposedRow) -> dict:
    """A proposed row as the API shows it (a section: tt and title)."""
    shown = ("tt", "title") if row.is_section else FIELDS
    flags = row.flags or {}
    return {"id": row.id, "position": row.position, "page": row.page, "section": row.is_section,
            **{name: getattr(row, name) for name in shown},
            "flags": [name for name in FIELDS if flags.get(name)], "reasons": {k: v for k, v in flags.items() if v},
            "read_as": dict(row.read_as or {}), "version": row.version,
            "image": url_for("api.document_row_image", year=row.document.year, document_id=row.document_id,
                             row_id=row.id) if row.has_image else None}


def _document(year: int, document_id: int) -> PlanDocument:
    require_office(api_user())
    return ops.find_document(year, document_id)


def _row(year: int, document_id: int, row_id: int) -> ProposedRow:
    return ops.find_row(_document(year, document_id), row_id)


def _check_year(year: int) -> None:
    if not 2000 <= year <= 2100:
        raise Problem(404, _("Năm kế hoạch phải từ 2000 đến 2100."))


@bp.post("/plans/<int:year>/documents")
@documented("Upload the plan as issued (office)", tag="Plan documents", body=DocumentForm, multipart=True,
            path=_YEAR_PATH,
            responses={202: {"description": "Stored and queued for reading; follow it at `Location`.", "schema": DOCUMENT}},
            errors=_OFFICE_ONLY)
def upload_document(year: int):
    """The office uploads the year's plan as the province issued it (multipart/form-data, field `file`): a PDF (text
    or scanned), an image (PNG, JPG, TIFF), DOCX, XLSX or CSV. It is read in the background: poll the document
    until `status` is `ready` (or `failed`, with `error`), then review its rows and import."""
    _check_year(year)
    require_office(api_user())
    form = read_multipart(DocumentForm)
    document = perform(ops.upload_document, api_user(), year, form.file.data)
    response = jsonify(document_json(document))
    response.status_code = 202
    response.headers["Location"] = url_for("api.document", year=year, document_id=document.id)
    return response


@bp.get("/plans/<int:year>/documents")
@documented("The year's uploaded documents (office)", tag="Plan documents", path=_YEAR_PATH, is_paged=True,
            responses={200: {"description": "Newest first.", "schema": paged(DOCUMENT)}}, errors=_OFFICE_ONLY)
def documents(year: int):
    """Every document uploaded for the year, newest first."""
    _check_year(year)
    require_office(api_user())
    query = sa.select(PlanDocument).where(PlanDocument.year == year).order_by(PlanDocument.id.desc())
    return paginate(query, lambda found: [document_json(d) for d in found])


@bp.get("/plans/<int:year>/documents/<int:document_id>")
@documented("A document and its reading's progress (office)", tag="Plan documents", path=_YEAR_PATH,
            responses={200: {"description": "As it stands.", "schema": DOCUMENT}}, errors=_OFFICE_ONLY + (404,))
def document(year: int, document_id: int):
    """Its status (`queued`, `reading`, `ready`, `failed`, `imported`), pages read of pages, and the error if any."""
    return jsonify(document_json(_document(year, document_id)))


@bp.get("/plans/<int:year>/documents/<int:document_id>/rows")
@documented("The rows proposed from a document (office)", tag="Plan documents", path=_YEAR_PATH, is_paged=True,
            responses={200: {"description": "In document order.", "schema": paged(ROW)}}, errors=_OFFICE_ONLY + (404,))
def document_rows(year: int, document_id: int):
    """Sections and items in document order, each cell as read and corrected, with the fields still to review."""
    found = _document(year, document_id)
    query = sa.select(ProposedRow).where(ProposedRow.document_id == found.id).order_by(ProposedRow.position)
    return paginate(query, lambda rows: [row_json(r) for r in rows])


@bp.get("/plans/<int:year>/documents/<int:document_id>/rows/<int:row_id>")
@documented("One proposed row (office)", tag="Plan documents", path=_YEAR_PATH,
            responses={200: {"description": "As it stands.", "schema": ROW}}, errors=_OFFICE_ONLY + (404,))
def document_row(year: int, document_id: int, row_id: int):
    """A proposed row with its flags."""
    return jsonify(row_json(_row(year, document_id, row_id)))


@bp.get("/plans/<int:year>/documents/<int:document_id>/rows/<int:row_id>/image")
@documented("The scan's strip of a proposed row (office)", tag="Plan documents", path=_YEAR_PATH,
            responses={200: {"description": "A JPEG.", "content": {"image/jpeg": {}}}}, errors=_OFFICE_ONLY + (404,))
def document_row_image(year: int, document_id: int, row_id: int):
    """The row's strip of the scanned page, to check a cell against (a digital document has none: 404)."""
    row = _row(year, document_id, row_id)
    if not row.has_image:
        raise Problem(404, _("Dòng này không có ảnh: tài liệu không phải bản scan."))
    response = make_response(row.image)
    response.headers["Content-Type"] = "image/jpeg"
    return response


@bp.patch("/plans/<int:year>/documents/<int:document_id>/rows/<int:row_id>")
@documented("Correct a proposed row (office)", tag="Plan documents", body=RowApiForm, path=_YEAR_PATH,
            example={"executing": "Sở KH&ĐT, TC và VPĐP", "confirm": True},
            responses={200: {"description": "The row as corrected.", "schema": ROW}},
            errors=_OFFICE_ONLY + (404, 409), etag_from="api.document_row")
def patch_document_row(year: int, document_id: int, row_id: int):
    """Change the cells sent (each keeps only the flags its new text deserves: still empty, a body the directory
    does not know, a timeline with no deadline); with `confirm`, the other flags of the row are accepted as read.
    409 once the document is imported."""
    row = _row(year, document_id, row_id)
    form = read_json(RowApiForm)
    payload = request.get_json(silent=True) or {}
    values = {name: getattr(form, name).data or "" for name in FIELDS if name in payload}
    perform(ops.correct_row, api_user(), row, values, confirm=bool(form.confirm.data))
    return jsonify(row_json(row))


@bp.get("/plans/<int:year>/documents/<int:document_id>/import")
@documented("What the import would do (office)", tag="Plan documents", path=_YEAR_PATH,
            responses={200: {"description": "Nothing is changed.", "schema": PREVIEW}}, errors=_OFFICE_ONLY + (404, 409))
def document_import_preview(year: int, document_id: int):
    """New, changed, unchanged and removed tasks, links to last year's tasks, and what blocks the import."""
    found = _document(year, document_id)
    if found.status != "ready":
        raise Problem(409, _("Tài liệu chưa sẵn sàng để nhập (trạng thái: %(status)s).", status=found.status))
    preview = ops.preview(found)
    return jsonify({"ok": preview.ok, "problems": preview.problems, "sections": preview.sections,
                    "items": preview.items, "created": preview.created, "changed": preview.changed,
                    "unchanged": preview.unchanged, "removed": preview.removed, "linked": preview.linked,
                    "carry_over_lines": preview.carry})


@bp.post("/plans/<int:year>/documents/<int:document_id>/import")
@documented("Import the reviewed rows as the year's plan (office)", tag="Plan documents", body=ImportApiForm,
            path=_YEAR_PATH, example={"carry_over": True},
            responses={200: {"description": "What the import did.", "schema": IMPORTED}},
            errors=_OFFICE_ONLY + (404, 409))
def import_document(year: int, document_id: int):
    """All rows or none, through the same import as `flask import-appendix`: a 400 lists the rows that block it.
    Unchanged tasks keep their progress; with `carry_over`, last year's unfinished lines go on in this year's."""
    found = _document(year, document_id)
    form = read_json(ImportApiForm)
    result = perform(ops.import_document, api_user(), found, local_today(), carry_over=bool(form.carry_over.data),
                     links=_links(request.get_json(silent=True) or {}))
    summary = result.summary
    return jsonify({"year": year, "created": summary.created, "updated": summary.updated,
                    "unchanged": summary.unchanged, "not_in_file": summary.not_in_file, "linked": result.linked,
                    "carried_over": result.carried})
