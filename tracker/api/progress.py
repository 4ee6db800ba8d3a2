"""The API of a task's progress: its lines, history, comments and files, and every change the task page offers."""
from __future__ import annotations

import sqlalchemy as sa
from flask import jsonify, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy.orm import joinedload

from ..auth.policy import can_comment, can_download, can_update_line
from ..clock import local_today
from ..extensions import db
from ..files.models import Attachment
from ..files.services import FileDamaged, open_verified
from ..operations import Conflict, NotAllowed, NotFound, perform
from ..plan.models import ROLES
from ..plan.services import find_agency
from ..progress import operations as ops
from ..progress.forms import AssignmentForm, AttachmentsForm, CommentForm, DeadlineForm, LineUpdateApiForm, LineUpdateForm
from ..progress.models import Comment, StatusLine, TaskEvent
from ..progress.services import line_by_agency, line_categories
from ..progress.views import damaged_message, task_or_404
from . import errors
from .errors import Problem
from .paging import paginate
from .spec import component, documented, nullable, paged, read_json, ref
from .views import api_user, bp, etag, iso, line_json, line_response

ATTACHMENT = component("Attachment", {
    "type": "object", "required": ["id", "name", "content_type", "size", "uploaded_at", "line_id", "url"],
    "properties": {"id": {"type": "integer"}, "name": {"type": "string"}, "content_type": {"type": "string"},
                   "size": {"type": "integer"}, "uploaded_at": {"type": "string", "format": "date-time"},
                   "uploaded_by": nullable({"type": "string"}), "line_id": nullable({"type": "integer"}),
                   "url": {"type": "string"}}})
COMMENT = component("Comment", {
    "type": "object", "required": ["id", "body", "at", "author", "agency"],
    "properties": {"id": {"type": "integer"}, "body": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                   "author": nullable({"type": "string"}), "agency": nullable({"type": "string"})}})
EVENT = component("HistoryEntry", {
    "type": "object", "required": ["id", "kind", "at", "by", "agency", "before", "after", "reason"],
    "properties": {"id": {"type": "integer"}, "kind": {"type": "string"}, "at": {"type": "string", "format": "date-time"},
                   "by": nullable({"type": "string"}), "agency": nullable({"type": "string"}),
                   "line_id": nullable({"type": "integer"}), "before": {}, "after": {}, "reason": {"type": "string"}},
    "description": "One change to the task, appended and never edited; `before`/`after` as stored (text, number, "
                   "date as YYYY-MM-DD, or an object for an assignment)."})
ASSIGNMENT = component("Assignment", {
    "type": "object", "required": ["id", "agency", "role"],
    "properties": {"id": {"type": "integer"}, "agency": {"type": "string"},
                   "role": {"type": "string", "enum": list(ROLES)}}})
_LINE = {"schema": ref("Line"), "headers": {"ETag": {"schema": {"type": "string"}}}}


def attachment_json(attachment: Attachment) -> dict:
    """A file as the API lists it, with the address to download it under its original name."""
    return {"id": attachment.id, "name": attachment.original_name, "content_type": attachment.content_type,
            "size": attachment.size, "uploaded_at": iso(attachment.uploaded_at),
            "uploaded_by": attachment.uploaded_by.display_name if attachment.uploaded_by else None,
            "line_id": attachment.line_id, "url": url_for("api.attachment_file", attachment_id=attachment.id)}


def _line(line_id: int) -> StatusLine:
    line = db.session.get(StatusLine, line_id)
    if line is None:
        raise Problem(404, _("Không có dòng trạng thái này."), type_=errors.NOT_FOUND)
    return line


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


def _change_line(line: StatusLine, form):
    """One line update through its operation: 201 with the line, or a problem (409 carries the newer line)."""
    if not can_update_line(api_user(), line):  # before If-Match: a stranger learns nothing of the line
        raise NotAllowed(_("Bạn chỉ được cập nhật dòng của cơ quan mình."))
    _check_if_match(line)
    today = local_today()
    try:
        perform(ops.update_line, api_user(), line, form.change(), form.expected_version(), today)
    except Conflict:
        db.session.refresh(line)
        raise Problem(409, _("Dòng đã được thay đổi sau phiên bản bạn gửi; đây là trạng thái mới hơn."),
                      type_=errors.STALE_VERSION, headers={"ETag": etag(line)},
                      line=line_json(line, line_categories(line.task, today)[line.id])) from None
    return line_response(line, today, 201)


_UPDATE_EXAMPLE = {"agency": "Sở KH&ĐT", "status": "in_progress", "progress": 40, "note": "Đã trình UBND tỉnh",
                   "version": 1}


@bp.post("/tasks/<code>/updates")
@documented("Update a body's line on a task", tag="Progress", body=LineUpdateApiForm, example=_UPDATE_EXAMPLE,
            responses={201: {"description": "The line as saved.", **_LINE}}, errors=(403, 409, 412))
def post_update(code: str):
    """Update one body's line, named by `agency` (name or short name). A stale `version` is a 409, a stale
    If-Match a 412; both answer with the newer line in `line`."""
    task = task_or_404(code)
    form = read_json(LineUpdateApiForm)
    agency = find_agency(form.agency.data)
    if agency is None:
        raise errors.invalid({"agency": [_("Không có cơ quan «%(agency)s».", agency=form.agency.data)]})
    line = line_by_agency(task, agency)
    if line is None:
        raise NotFound(_("%(agency)s không có dòng trên công việc %(code)s.", agency=agency.name, code=task.code))
    return _change_line(line, form)


@bp.put("/lines/<int:line_id>")
@documented("Update a line by its id", tag="Progress", body=LineUpdateForm,
            example={k: v for k, v in _UPDATE_EXAMPLE.items() if k != "agency"},
            responses={201: {"description": "The line as saved.", **_LINE}}, errors=(403, 409, 412))
def put_line(line_id: int):
    """The same update as POST /tasks/{code}/updates, addressed by the line's id (from GET /lines/{line_id})."""
    return _change_line(_line(line_id), read_json(LineUpdateForm))


@bp.get("/tasks/<code>/history")
@documented("A task's history", tag="Progress", is_paged=True,
            responses={200: {"description": "Newest first.", "schema": paged(EVENT)}})
def history(code: str):
    """Every change to the task, newest first: lines, deadlines, assignments, comments, files."""
    task = task_or_404(code)
    query = (sa.select(TaskEvent).where(TaskEvent.task_id == task.id)
             .options(joinedload(TaskEvent.user), joinedload(TaskEvent.agency))
             .order_by(TaskEvent.at.desc(), TaskEvent.id.desc()))
    return paginate(query, lambda found: [
        {"id": e.id, "kind": e.kind, "at": iso(e.at), "by": e.user.display_name if e.user else None,
         "agency": e.agency.name if e.agency else None, "line_id": e.line_id, "before": e.before, "after": e.after,
         "reason": e.reason or ""} for e in found])


@bp.get("/tasks/<code>/comments")
@documented("A task's comments", tag="Progress", is_paged=True,
            responses={200: {"description": "Oldest first.", "schema": paged(COMMENT)}})
def comments(code: str):
    """The comments on a task, oldest first."""
    task = task_or_404(code)
    query = (sa.select(Comment).where(Comment.task_id == task.id)
             .options(joinedload(Comment.author), joinedload(Comment.agency)).order_by(Comment.id))
    return paginate(query, lambda found: [_comment_json(c) for c in found])


def _comment_json(comment: Comment) -> dict:
    return {"id": comment.id, "body": comment.body, "at": iso(comment.created_at),
            "author": comment.author.display_name if comment.author else None,
            "agency": comment.agency.name if comment.agency else None}


@bp.post("/tasks/<code>/comments")
@documented("Comment on a task", tag="Progress", body=CommentForm, example={"body": "Đề nghị bổ sung số liệu quý I."},
            responses={201: {"description": "The comment.", "schema": COMMENT}}, errors=(403,))
def post_comment(code: str):
    """The office and any body named on the task (coordinating bodies too) may comment."""
    task = task_or_404(code)
    if not can_comment(api_user(), task):
        raise NotAllowed(_("Chỉ cơ quan có tên trong công việc được góp ý."))
    form = read_json(CommentForm)
    comment = perform(ops.comment, api_user(), task, form.body.data)
    return jsonify(_comment_json(comment)), 201


@bp.get("/tasks/<code>/attachments")
@documented("A task's files", tag="Progress", is_paged=True,
            responses={200: {"description": "In the order attached.", "schema": paged(ATTACHMENT)}})
def attachments(code: str):
    """The files attached to a task's lines, with their download addresses."""
    task = task_or_404(code)
    query = (sa.select(Attachment).where(Attachment.task_id == task.id)
             .options(joinedload(Attachment.uploaded_by)).order_by(Attachment.id))
    return paginate(query, lambda found: [attachment_json(a) for a in found])


@bp.post("/lines/<int:line_id>/attachments")
@documented("Attach files to a line", tag="Progress", body=AttachmentsForm, multipart=True,
            responses={201: {"description": "The files as stored.", "schema": {"type": "array", "items": ATTACHMENT}}},
            errors=(403,))
def post_attachments(line_id: int):
    """Upload files (multipart/form-data, field `attachments`, PDF, DOCX, XLSX, PNG or JPG) to a body's line."""
    line = _line(line_id)
    if not can_update_line(api_user(), line):
        raise NotAllowed(_("Bạn chỉ được cập nhật dòng của cơ quan mình."))
    if not (request.content_type or "").startswith("multipart/form-data"):
        raise errors.invalid({"attachments": [_("Gửi tệp dạng multipart/form-data, trường «attachments».")]})
    stored = perform(ops.attach, api_user(), line, request.files.getlist("attachments"))
    return jsonify([attachment_json(a) for a in stored]), 201


@bp.get("/attachments/<int:attachment_id>")
@documented("Download a file", tag="Progress",
            responses={200: {"description": "The file, under its original name (Content-Disposition).",
                             "content": {"*/*": {}}}},
            errors=(403, 502))
def attachment_file(attachment_id: int):
    """The file's bytes, with its content type and original name."""
    attachment = db.session.get(Attachment, attachment_id)
    if attachment is None:
        raise NotFound(_("Không có tệp này."))
    if not can_download(api_user()):
        raise NotAllowed()
    try:
        stream = open_verified(attachment.stored_name, attachment.checksum)
    except FileDamaged:
        raise Problem(502, damaged_message(attachment.original_name), type_=errors.DAMAGED) from None
    if stream is None:
        raise NotFound(_("Tệp không còn trên máy chủ."))
    response = send_file(stream, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.original_name, last_modified=attachment.uploaded_at)
    if attachment.checksum is not None:  # bytes just verified: exactly the size recorded, so the browser can say so
        response.content_length = attachment.size
    return response


@bp.put("/tasks/<code>/deadline")
@documented("Move a task's deadline (office)", tag="Progress", body=DeadlineForm,
            example={"due_on": "2021-06-30", "reason": "Lùi hạn theo chỉ đạo của UBND tỉnh"},
            responses={200: {"description": "The task with its new deadline.", "schema": ref("TaskWithLines")}},
            errors=(403,), etag_from="api.task")
def put_deadline(code: str):
    """The office moves a task's deadline; the reason is kept in its history."""
    task = task_or_404(code)
    form = read_json(DeadlineForm)
    perform(ops.move_deadline, api_user(), task, form.due_on.data, form.reason.data)
    from .views import with_lines
    return jsonify(with_lines(task, local_today()))


@bp.get("/tasks/<code>/assignments")
@documented("Who is named on a task", tag="Progress",
            responses={200: {"description": "Each agency or group in its role.",
                             "schema": {"type": "array", "items": ASSIGNMENT}}})
def assignments(code: str):
    """The agencies and groups named on the task, each with its role (and the id to remove it by)."""
    task = task_or_404(code)
    return jsonify([{"id": a.id, "agency": a.agency.name, "role": a.role} for a in task.assignments])


@bp.post("/tasks/<code>/assignments")
@documented("Name an agency on a task (office)", tag="Progress", body=AssignmentForm,
            example={"agency": "Sở Nội vụ", "role": "coordinating"},
            responses={201: {"description": "Named.", "schema": ASSIGNMENT},
                       200: {"description": "Already named in that role.", "schema": ASSIGNMENT}}, errors=(403,))
def post_assignment(code: str):
    """The office names an agency or group on the task in a role; a group's members each get their own line."""
    task = task_or_404(code)
    form = read_json(AssignmentForm)
    added = perform(ops.assign, api_user(), task, form.agency.data, form.role.data)
    found = added or next(a for a in task.assignments
                          if a.agency_id == find_agency(form.agency.data).id and a.role == form.role.data)
    return jsonify({"id": found.id, "agency": found.agency.name, "role": found.role}), 201 if added else 200


@bp.delete("/tasks/<code>/assignments/<int:assignment_id>")
@documented("Take an agency off a task (office)", tag="Progress",
            responses={204: {"description": "Removed; its line stops counting, its history stays."}}, errors=(403,))
def delete_assignment(code: str, assignment_id: int):
    """The office takes an agency or group off the task."""
    task = task_or_404(code)
    perform(ops.unassign, api_user(), task, assignment_id)
    return "", 204

