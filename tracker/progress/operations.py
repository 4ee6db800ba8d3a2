"""Every change to a task's progress: a body's line, comments, files, the deadline, who is named on it.

Each takes the acting user and shaped input, asks the policy, flushes and raises a DomainError; never commits
(tracker/operations.py).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from flask_babel import gettext as _
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.datastructures import FileStorage

from ..auth.policy import can_comment, can_update_line, require_office
from ..extensions import db
from ..files.models import Attachment
from ..files.services import checked_uploads
from ..files.storage import StorageUnavailable
from ..operations import Conflict, Invalid, NotAllowed, NotFound, operation
from ..plan.models import ROLES, Assignment, Task
from ..plan.services import find_agency
from . import services
from .models import Comment, StatusLine


@dataclass
class LineSaved:
    """What a line update saved: the fields that changed, and the names of posted files the storage could not
    take (the update itself is saved all the same; the files can be attached again)."""

    changed: list[str]
    files_not_stored: list[str] = field(default_factory=list)


@operation
def update_line(actor, line: StatusLine, change: services.LineChange, expected_version: int | None, today: date,
                files: list[FileStorage] | None = None) -> LineSaved:
    """A body's update of its own line (the office may post for one), with files; what it saved."""
    if not can_update_line(actor, line):
        raise NotAllowed(_("Chỉ cơ quan thực hiện được cập nhật dòng của mình."))
    errors = services.validate_change(change, today, line)
    try:
        checked = checked_uploads(files)
    except Invalid as exc:
        errors = {**exc.errors, **errors}
    if errors:
        raise Invalid(errors)
    try:
        changed = services.update_line(line, change, actor, expected_version, today)
    except (services.ConflictError, StaleDataError):
        raise Conflict(_("Dòng đã được thay đổi sau phiên bản bạn gửi; đây là trạng thái mới hơn."),
                       current=line) from None
    try:
        attachments = services.attach_to_line(checked, actor, line)
    except StorageUnavailable:
        # The text is the person's work and needs no file store: it is saved, and they are told which files
        # to attach again. No file and no row of one was kept (store_uploads is all or none).
        return LineSaved(changed, [upload.original for upload in checked])
    return LineSaved(changed + (["attachments"] if attachments else []))


@operation
def attach(actor, line: StatusLine, files: list[FileStorage]) -> list[Attachment]:
    """Files added to a body's line without changing its status."""
    if not can_update_line(actor, line):
        raise NotAllowed(_("Chỉ cơ quan thực hiện được cập nhật dòng của mình."))
    checked = checked_uploads(files)
    if not checked:
        raise Invalid({"attachments": _("Chọn ít nhất một tệp.")})
    return services.attach_to_line(checked, actor, line)


@operation
def comment(actor, task: Task, body: str) -> Comment:
    """A comment by the office or any body named on the task."""
    if not can_comment(actor, task):
        raise NotAllowed(_("Chỉ cơ quan có tên trong công việc được góp ý."))
    if not (body or "").strip():
        raise Invalid({"body": _("Nhập nội dung ý kiến.")})
    return services.add_comment(task, actor, body)


@operation(audited=True)
def move_deadline(actor, task: Task, due: date, reason: str) -> bool:
    """The office moves a task's deadline, with its reason; False when the date was already the deadline."""
    require_office(actor)
    if not (reason or "").strip():
        raise Invalid({"reason": _("Đổi hạn cần nêu lý do.")})
    before = task.due_on
    try:
        services.change_deadline(task, actor, due, reason)
    except services.DeadlineError as exc:
        raise Invalid({"due_on": str(exc)}) from None
    return before != task.due_on


@operation(audited=True)
def assign(actor, task: Task, agency_name: str, role: str) -> Assignment | None:
    """The office names an agency or group on the task in a role; None when it already is."""
    require_office(actor)
    if role not in ROLES:
        raise Invalid({"role": _("Chọn một vai trò trong danh sách.")})
    agency = find_agency(agency_name or "")
    if agency is None:
        raise Invalid({"agency": _("Không có cơ quan «%(agency)s».", agency=agency_name)})
    return services.add_assignment(task, agency, role, actor)


@operation(audited=True)
def unassign(actor, task: Task, assignment_id: int) -> Assignment:
    """The office takes an agency off a task; its line stops counting, its history stays."""
    require_office(actor)
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.task_id != task.id:
        raise NotFound(_("Không có phân công này trên công việc %(code)s.", code=task.code))
    services.remove_assignment(task, assignment, actor)
    return assignment
