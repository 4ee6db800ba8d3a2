"""The office's pages for a plan's document: upload, watch it being read, review the rows, import."""
from __future__ import annotations

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.decorators import office_required
from ..clock import local_today
from ..extensions import db
from ..forms import show_errors
from ..operations import Conflict, DomainError, Invalid, perform
from ..plan.models import Plan
from ..plan.services import AgencyDirectory, alias_map
from . import operations as ops
from . import services
from .forms import AliasForm, DocumentForm, ImportForm, RowForm
from .models import FIELD_LABELS, FIELDS, FLAG_LABELS, PlanDocument, ProposedRow
from .services import BODY_FIELDS, flags_left, unknown_names

def _scans_readable() -> bool:
    # Imported here: the scan reader brings numpy and Pillow, which a web worker needs for nothing else.
    from .scan import scans_readable

    return scans_readable()


bp = Blueprint("documents", __name__, url_prefix="/plans/<int:year>/documents")
READING = ("queued", "reading")


@bp.url_value_preprocessor
def check_year(endpoint, values) -> None:
    if not 2000 <= values.get("year", 0) <= 2100:
        abort(404)


def _document(year: int, document_id: int) -> PlanDocument:
    try:
        return ops.find_document(year, document_id)
    except DomainError as missing:
        abort(404, description=missing.message)


def _version(raw: str | None) -> int | None:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


@bp.get("")
@office_required
def index(year: int, form: DocumentForm | None = None, status: int = 200):
    """The year's uploaded documents, newest first, and the form to upload another."""
    documents = db.session.scalars(db.select(PlanDocument).where(PlanDocument.year == year)
                                   .order_by(PlanDocument.id.desc())).all()
    plan = db.session.scalar(db.select(Plan).where(Plan.year == year))
    return render_template("documents/index.html", year=year, plan=plan, documents=documents,
                           form=form or DocumentForm(), scans_readable=_scans_readable()), status


@bp.post("")
@office_required
def upload(year: int):
    """The office uploads the plan as issued; it is read in the background."""
    form = DocumentForm()
    if not form.validate_on_submit():
        return index(year, form, 400)
    try:
        document = perform(ops.upload_document, current_user, year, form.file.data)
    except Invalid as refused:
        show_errors(form, refused.errors)
        return index(year, form, 400)
    flash(_("Đã nhận «%(name)s»; máy đang đọc tài liệu, trang này tự cập nhật.", name=document.original_name), "success")
    return redirect(url_for("documents.show", year=year, document_id=document.id))


def render_review(document: PlanDocument, forms: dict[int, RowForm] | None = None, alias_form: AliasForm | None = None,
                  status: int = 200):
    """The review screen: progress while reading; then the rows, flagged ones first, each beside its image."""
    rows = document.rows if document.status in ("ready", "imported") else []
    forms = dict(forms or {})
    for row in rows:
        if row.id not in forms:
            forms[row.id] = RowForm(prefix=f"row{row.id}", formdata=None, obj=row)
            forms[row.id].version.data = str(row.version)
    flagged = [row for row in rows if row.flag_count]
    aliases = alias_map()
    unknown = sorted({fragment for row in flagged for name in BODY_FIELDS if "unknown_body" in row.flags.get(name, [])
                      for fragment in unknown_names(getattr(row, name), aliases)})
    alias_form = alias_form or AliasForm(formdata=None, alias=unknown[0] if unknown else "")
    directory = AgencyDirectory.load().for_choosing()
    alias_form.agency.choices = [("", _("— chọn cơ quan —"))] + [(str(a.id), a.name) for a in directory]
    return render_template(
        "documents/show.html", document=document, year=document.year, rows=rows, flagged=flagged,
        others=[row for row in rows if not row.flag_count], forms=forms, flags_left=flags_left(document) if rows else 0,
        field_labels=FIELD_LABELS, fields=FIELDS, flag_labels=FLAG_LABELS, reading=document.status in READING,
        unknown=unknown, alias_form=alias_form, directory=directory), status


@bp.get("/<int:document_id>")
@office_required
def show(year: int, document_id: int):
    """A document: its progress while being read, its proposed rows once read, its error if it could not be."""
    return render_review(_document(year, document_id))


@bp.post("/<int:document_id>/rows/<int:row_id>")
@office_required
def correct(year: int, document_id: int, row_id: int):
    """The office saves a row's cells (and, with the second button, confirms the rest as read)."""
    document = _document(year, document_id)
    try:
        row = ops.find_row(document, row_id)
    except DomainError as missing:
        abort(404, description=missing.message)
    form = RowForm(prefix=f"row{row.id}")
    if not form.validate_on_submit():
        return render_review(document, {row.id: form}, status=400)
    # Only the cells the form sent: a post without any is a mistake, not an order to empty the row.
    values = {name: getattr(form, name).data or "" for name in FIELDS if getattr(form, name).raw_data}
    if not values and not form.confirm.data:
        form.form_errors.append(_("Không có ô nào để lưu; tải lại trang rồi sửa."))
        return render_review(document, {row.id: form}, status=400)
    try:
        perform(ops.correct_row, current_user, row, values, _version(form.version.data), confirm=form.confirm.data)
    except Conflict as stale:
        flash(stale.message, "error")
        db.session.refresh(row)
        return render_review(document, status=409)
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_review(document, {row.id: form}, status=400)
    flash(_("Đã lưu dòng %(tt)s.", tt=row.tt or row.position), "success")
    return redirect(url_for("documents.show", year=year, document_id=document.id, _anchor=f"row-{row.id}"))


@bp.post("/<int:document_id>/names")
@office_required
def name_body(year: int, document_id: int):
    """The office maps a name the document uses to a body of the directory."""
    document = _document(year, document_id)
    form = AliasForm()
    if not form.validate_on_submit():
        return render_review(document, alias_form=form, status=400)
    try:
        settled = perform(ops.name_body, current_user, document, form.alias.data, _version(form.agency.data))
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_review(document, alias_form=form, status=400)
    except Conflict as stale:
        flash(stale.message, "error")
        return redirect(url_for("documents.show", year=year, document_id=document.id))
    flash(_("Đã ghi «%(alias)s» vào danh mục; %(count)s ô đã khớp.", alias=form.alias.data, count=settled), "success")
    return redirect(url_for("documents.show", year=year, document_id=document.id))


@bp.get("/<int:document_id>/rows/<int:row_id>/image")
@office_required
def row_image(year: int, document_id: int, row_id: int):
    """The scan's strip of a row (JPEG)."""
    document = _document(year, document_id)
    row = db.session.get(ProposedRow, row_id) if row_id < 2**31 else None
    if row is None or row.document_id != document.id or not row.has_image:
        abort(404)
    response = make_response(row.image)
    response.headers["Content-Type"] = "image/jpeg"
    response.headers["Cache-Control"] = "private, max-age=86400"  # a row's image never changes once read
    return response


def render_import(document: PlanDocument, form: ImportForm | None = None, status: int = 200):
    """What the import will do, and the confirmation."""
    form = form or ImportForm(formdata=None)
    form.version.data = str(document.version)
    found = ops.preview(document) if document.status == "ready" else None
    choices = services.last_years_tasks(document.year) if found and found.unlinked else []
    return render_template("documents/import.html", document=document, year=document.year, preview=found, form=form,
                           flags_left=flags_left(document), choices=choices), status


def chosen_links() -> dict[str, int]:
    """The office's choices of last year's task for items whose title changed: `link-<code>` = a task's id."""
    return {name[5:]: int(value) for name, value in request.form.items()
            if name.startswith("link-") and value.isascii() and value.isdigit() and len(value) <= 9}


@bp.get("/<int:document_id>/import")
@office_required
def preview(year: int, document_id: int):
    """New, changed, unchanged and removed tasks, and last year's links, before the office confirms."""
    return render_import(_document(year, document_id))


@bp.post("/<int:document_id>/import")
@office_required
def confirm_import(year: int, document_id: int):
    """The office imports the reviewed rows as the year's plan, all or nothing."""
    document = _document(year, document_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return render_import(document, form, 400)
    try:
        result = perform(ops.import_document, current_user, document, local_today(), carry_over=form.carry_over.data,
                         links=chosen_links(), expected_version=_version(form.version.data))
    except Invalid as refused:
        for messages in refused.errors.values():
            for message in messages:
                flash(message, "error")
        return render_import(document, form, 400)
    except Conflict as stale:
        flash(stale.message, "error")
        db.session.refresh(document)
        return render_import(document, status=409)
    summary = result.summary
    flash(_("Đã nhập kế hoạch năm %(year)s: %(new)s công việc mới, %(changed)s thay đổi, %(same)s giữ nguyên.",
            year=year, new=len(summary.created), changed=len(summary.updated), same=len(summary.unchanged)), "success")
    return redirect(url_for("progress.index", year=year))
