"""Every change to a plan's document: upload it, correct a proposed row, import it (tracker/operations.py)."""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from ..auth.policy import require_office
from ..clock import utcnow
from ..extensions import db
from ..files.services import clean_name, measure, stage_file
from ..operations import Conflict, Invalid, NotFound, operation
from ..plan.appendix import parse_appendix
from ..plan.models import Agency, Plan, Task
from ..plan.services import AgencyFileError, PlanInfo, add_alias, alias_map
from ..text import fold
from . import services
from .models import FIELDS, PlanDocument, ProposedRow
from .proposal import to_appendix_rows
from .readers import EXTENSIONS, signature_matches, sniff_text

MAX_CELL = 2000


@operation
def upload_document(actor, year: int, upload: FileStorage | None) -> PlanDocument:
    """The office uploads the year's plan as issued (PDF, scan, DOCX, XLSX, CSV): stored, queued for reading."""
    require_office(actor)
    if not isinstance(upload, FileStorage) or not upload.filename:
        raise Invalid({"file": _("Chọn tệp kế hoạch (PDF, ảnh scan, DOCX, XLSX hoặc CSV).")})
    original = clean_name(upload.filename)
    extension = os.path.splitext(original)[1].lower()
    if extension not in EXTENSIONS:
        raise Invalid({"file": _("«%(name)s»: chỉ nhận PDF, ảnh scan (PNG, JPG, TIFF), DOCX, XLSX hoặc CSV.",
                                 name=original)})
    limit = current_app.config["DOCUMENT_MAX_BYTES"]
    # Read once in chunks (measured, hashed, its head kept for the checks), then copied to the storage from the
    # temporary file Werkzeug spooled it to: a 30 MB scan is never one bytes object.
    stream, size, checksum, head = measure(upload.stream, limit)
    if size > limit:
        raise Invalid({"file": _("«%(name)s» lớn hơn %(limit)s MB.", name=original, limit=limit // (1024 * 1024))})
    if not size:
        raise Invalid({"file": _("«%(name)s» rỗng.", name=original)})
    if not signature_matches(extension, head) or (extension == ".csv" and not sniff_text(head)):
        raise Invalid({"file": _("«%(name)s» không đúng định dạng %(kind)s.", name=original, kind=extension[1:].upper())})
    document = PlanDocument(year=year, original_name=original, content_type=EXTENSIONS[extension], size=size,
                            checksum=checksum, stored_name=stage_file(stream), uploaded_by=actor)
    db.session.add(document)
    db.session.flush()
    return document


def find_document(year: int, document_id: int) -> PlanDocument:
    """The year's document with that id; NotFound otherwise."""
    document = db.session.get(PlanDocument, document_id) if 0 < document_id < 2**31 else None
    if document is None or document.year != year:
        raise NotFound(_("Không có tài liệu này."))
    return document


def find_row(document: PlanDocument, row_id: int) -> ProposedRow:
    """The document's proposed row with that id; NotFound otherwise."""
    row = db.session.get(ProposedRow, row_id) if 0 < row_id < 2**31 else None
    if row is None or row.document_id != document.id:
        raise NotFound(_("Không có dòng này."))
    return row


def _require_review(document: PlanDocument) -> None:
    if document.status != "ready":
        raise Conflict(_("Tài liệu chưa sẵn sàng để rà soát (trạng thái: %(status)s).", status=document.status_label))


@operation
def correct_row(actor, row: ProposedRow, values: dict[str, str], expected_version: int | None = None,
                confirm: bool = False) -> ProposedRow:
    """The office corrects a proposed row's cells (and with confirm, accepts the rest as read): each cell it
    typed keeps only the flags its text still deserves."""
    require_office(actor)
    document = row.document
    _require_review(document)
    if expected_version is not None and expected_version != row.version:
        raise Conflict(_("Dòng này vừa được người khác sửa; hãy xem lại."), current=row)
    unknown = set(values) - set(FIELDS)
    if unknown:
        raise Invalid({name: _("Không có cột này.") for name in sorted(unknown)})
    cleaned = {name: services.clean_cell(text) for name, text in values.items()}
    too_long = {name: _("Dài quá %(limit)s ký tự.", limit=MAX_CELL) for name, text in cleaned.items() if len(text) > MAX_CELL}
    if too_long:
        raise Invalid(too_long)
    if "tt" in cleaned and len(cleaned["tt"]) > 20:
        raise Invalid({"tt": _("Số thứ tự dài quá 20 ký tự.")})
    aliases = alias_map()
    flags = dict(row.flags or {})
    for name, text in cleaned.items():
        if text != getattr(row, name):
            setattr(row, name, text)
        flags[name] = services.recheck(name, text, row.is_section, aliases, document.year)
    if confirm:
        for name in FIELDS:
            flags[name] = [code for code in flags.get(name, []) if code in services.BLOCKING]
    row.flags = {name: codes for name, codes in flags.items() if codes}
    row.reviewed_by_id = actor.id
    db.session.flush()
    return row


@operation(audited=True)
def name_body(actor, document: PlanDocument, alias: str, agency_id: int | None) -> int:
    """The office says a name the document uses ("BCĐ các xã") is a body of the directory: the name is kept
    as that body's alias and every row of the document is checked again; how many cells it settled."""
    require_office(actor)
    _require_review(document)
    agency = db.session.get(Agency, agency_id) if agency_id and 0 < agency_id < 2**31 else None
    if agency is None:
        raise Invalid({"agency": _("Chọn một cơ quan trong danh mục.")})
    alias = services.clean_cell(alias)
    if not alias or len(alias) > 200:
        raise Invalid({"alias": _("Nhập tên (tối đa 200 ký tự).")})
    try:
        add_alias(agency, alias)
    except AgencyFileError as exc:
        raise Invalid({"alias": str(exc)}) from None
    aliases = alias_map()
    settled = 0
    for row in document.rows:
        flags = dict(row.flags or {})
        for name in services.BODY_FIELDS:
            if "unknown_body" in flags.get(name, []) and not services.recheck(name, getattr(row, name), row.is_section,
                                                                            aliases, document.year):
                flags[name] = [code for code in flags[name] if code != "unknown_body"]
                settled += 1
        row.flags = {name: codes for name, codes in flags.items() if codes}
    db.session.flush()
    return settled


@dataclass
class Preview:
    """What importing the document would do to the year's plan, shown before the office confirms."""

    problems: list[str] = field(default_factory=list)
    created: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    linked: dict[str, str] = field(default_factory=dict)  # this year's code -> last year's code
    unlinked: list[tuple[str, str]] = field(default_factory=list)  # (code, title) of items with no such match
    carry: int = 0  # last year's unfinished lines that would go on
    sections: int = 0
    items: int = 0

    @property
    def ok(self) -> bool:
        """True when nothing blocks the import."""
        return not self.problems


def preview(document: PlanDocument) -> Preview:
    """Compare the reviewed rows with the year's plan as it stands, without changing anything."""
    appendix = parse_appendix(to_appendix_rows(document.rows), alias_map())
    result = Preview(problems=[str(p) for p in appendix.problems], sections=len(appendix.sections),
                     items=len(appendix.items))
    if not appendix.ok:
        return result
    plan = db.session.scalar(sa.select(Plan).where(Plan.year == document.year))
    existing = {t.code: t for t in db.session.scalars(sa.select(Task).where(Task.plan_id == plan.id))} if plan else {}
    for item in appendix.items:
        task = existing.get(item.code)
        if task is None:
            result.created.append(item.code)
        elif (task.title, task.lead_text, task.executing_text, task.coordinating_text, task.timeline,
              task.section.numeral) != (item.title, item.cells["lead"], item.cells["executing"],
                                        item.cells["coordinating"], item.timeline, item.section):
            result.changed.append(item.code)
        else:
            result.unchanged.append(item.code)
    result.removed = sorted(set(existing) - {i.code for i in appendix.items})
    before = services.previous_tasks(document.year)
    for item in appendix.items:
        match = before.get(fold(item.title))
        if match is not None:
            result.linked[item.code] = match.code
        else:
            result.unlinked.append((item.code, item.title))
    if result.linked:
        result.carry = services.unfinished_lines([before[fold(i.title)].id for i in appendix.items
                                                  if i.code in result.linked])
    return result


@operation(audited=True)
def import_document(actor, document: PlanDocument, today: date, *, carry_over: bool = False,
                    links: dict[str, int] | None = None, expected_version: int | None = None) -> services.PlanImport:
    """The office imports the reviewed rows as the year's plan, all or nothing, through the same import as
    `flask import-appendix`; `links` names last year's task an item continues, where its title differs. The
    document is marked imported."""
    require_office(actor)
    _require_review(document)
    if expected_version is not None and expected_version != document.version:
        raise Conflict(_("Tài liệu vừa thay đổi; hãy xem lại trước khi nhập."), current=document)
    appendix = parse_appendix(to_appendix_rows(document.rows), alias_map())
    if not appendix.ok:
        raise Invalid({"rows": [str(p) for p in appendix.problems]})
    links = links or {}
    last_year = {task.id for task in services.last_years_tasks(document.year)}
    codes = {item.code for item in appendix.items}
    wrong = sorted(code for code, task_id in links.items() if code not in codes or task_id not in last_year)
    if wrong:
        raise Invalid({"links": _("Chỉ nối công việc của tài liệu với công việc của kế hoạch năm %(year)s (sai ở: "
                                  "%(codes)s).", year=document.year - 1, codes=", ".join(wrong))})
    existing = db.session.scalar(sa.select(Plan).where(Plan.year == document.year))
    info = PlanInfo(
        year=document.year,
        # The plan's own words, in Vietnamese whatever the office's language: the header is data.
        title=existing.title if existing else f"Kế hoạch xây dựng nông thôn mới năm {document.year}",
        number=existing.number if existing else "",
        issuer=existing.issuer if existing else "Ủy ban nhân dân tỉnh Lạng Sơn",
        issued_on=existing.issued_on if existing else None, note=existing.note if existing else "")
    result = services.import_plan(appendix, info, today, carry_over=carry_over, links=links)
    document.status, document.imported_at = "imported", utcnow()
    db.session.flush()
    return result
