"""Changing progress: status lines, comments, deadlines, assignments, files on a line. Flush, never commit."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

import sqlalchemy as sa
from flask_babel import gettext

from ..clock import utcnow
from ..extensions import db
from ..files.models import Attachment
from ..files.services import Upload, store_uploads
from ..plan.models import Agency, Assignment, Task
from ..plan.services import search_text
from ..text import nfc, nfc_lines
from .categories import NO_DEADLINE_KINDS
from .category_sql import line_category, task_category
from .models import Comment, StatusLine, TaskEvent
from ..i18n import label as vocab


class ConflictError(Exception):
    """Someone saved the line since this form was loaded."""

    def __init__(self, line: StatusLine):
        super().__init__(f"line {line.id} is at version {line.version}")
        self.line = line


def _plain(value):
    """A value as the JSON history column keeps it: dates as ISO text, enum members as their text."""
    return None if value is None else json.loads(json.dumps(value, ensure_ascii=False, default=str))


def record(task: Task, kind: str, before, after, user, *, line: StatusLine | None = None,
           agency: Agency | None = None, reason: str = "") -> TaskEvent:
    """Append one entry to the task's history."""
    entry = TaskEvent(task_id=task.id, line_id=line.id if line else None,
                      agency_id=(agency.id if agency else (line.agency_id if line else None)),
                      user_id=user.id if user else None, kind=kind, reason=reason, at=utcnow(),
                      before=_plain(before), after=_plain(after))
    db.session.add(entry)
    return entry


def sync_lines(task: Task, keep_updated: bool = True) -> None:
    """Give every executing body of the task its own line, and drop the lines of bodies no longer named.

    An import keeps a dropped body's line if the body had reported on it (a corrected file should lose
    nothing); the office taking a body off the task drops it (keep_updated=False): the line stops
    counting in the task's category, while its history stays in the task's history.
    """
    bodies = {body.id: body for body in task.bodies("executing")}
    existing = {line.agency_id: line for line in task.lines}
    for agency_id, body in bodies.items():
        if agency_id not in existing:
            task.lines.append(StatusLine(agency=body, agency_id=agency_id))
    for agency_id, line in existing.items():
        if agency_id not in bodies and (line.updated_at is None or not keep_updated):
            task.lines.remove(line)


def lines_lost_by_removing(task: Task, assignment: Assignment) -> list[StatusLine]:
    """The lines that would stop counting if this assignment went: its bodies not named otherwise."""
    if assignment.role != "executing":
        return []
    others = {body.id for a in task.assignments if a.id != assignment.id and a.role == "executing"
              for body in a.agency.bodies()}
    leaving = {body.id for body in assignment.agency.bodies()} - others
    return [line for line in task.lines if line.agency_id in leaving]


@dataclass
class LineChange:
    """What an officer submits for a line."""

    status: str
    progress: int
    note: str
    paused_reason: str = ""
    completed_on: date | None = None


def validate_change(change: LineChange, today: date, line: StatusLine | None = None) -> dict[str, str]:
    """Field errors for a line change, in Vietnamese; empty when it is acceptable.

    Reopening a finished line clears its completion date: the date the form still carries from
    the line is not an error.
    """
    errors: dict[str, str] = {}
    if change.status == "paused" and not nfc(change.paused_reason):
        errors["paused_reason"] = gettext("Tạm dừng cần nêu lý do.")
    if change.status == "not_started" and change.progress:
        errors["progress"] = gettext("Chưa thực hiện thì tiến độ phải là 0%.")
    if change.completed_on and change.completed_on > today:
        errors["completed_on"] = gettext("Ngày hoàn thành không thể sau hôm nay.")
    kept = line is not None and change.completed_on == line.completed_on
    if change.completed_on and change.status != "done" and not kept:
        errors["completed_on"] = gettext("Chỉ nhập ngày hoàn thành khi trạng thái là Hoàn thành.")
    return errors


def update_line(line: StatusLine, change: LineChange, user, expected_version: int, today: date) -> list[str]:
    """Apply a validated change, recording each changed field; raises ConflictError on a stale version."""
    if expected_version != line.version:
        raise ConflictError(line)
    new = {
        "status": change.status,
        "progress": 100 if change.status == "done" else change.progress,
        "note": nfc_lines(change.note),
        "paused_reason": nfc(change.paused_reason) if change.status == "paused" else "",
        "completed_on": (change.completed_on or line.completed_on or today) if change.status == "done" else None,
    }
    changed = [field for field, value in new.items() if getattr(line, field) != value]
    if not changed:
        return []
    for field in changed:
        record(line.task, field, getattr(line, field), new[field], user, line=line)
        setattr(line, field, new[field])
    if line.status != "not_started" and line.started_on is None:
        line.started_on = today
    if line.status == "not_started":
        line.started_on = None
    line.updated_at, line.updated_by = utcnow(), user
    db.session.flush()  # the version check happens here: a concurrent save raises StaleDataError
    return changed


def add_comment(task: Task, user, body: str) -> Comment:
    """Post a comment and record it in the history."""
    comment = Comment(task_id=task.id, author=user, agency_id=user.agency_id, body=nfc_lines(body))
    db.session.add(comment)
    record(task, "comment", None, comment.body, user, agency=user.agency)
    db.session.flush()
    return comment


class DeadlineError(ValueError):
    """A deadline that cannot be set as asked."""


def change_deadline(task: Task, user, due: date, reason: str) -> None:
    """The office moves a deadline; the reason is kept in the history.

    Work that recurs or goes on all year ("Thường xuyên", "Hàng quý", "Định kỳ và đột xuất") has no
    single deadline to be late against; a date set on it would be announced and then ignored by the
    categories and reminders, so it is refused with that reason.
    """
    if task.schedule_kind in NO_DEADLINE_KINDS:
        raise DeadlineError(gettext("Việc «%(timeline)s» không có một hạn cố định nên không đặt hạn được: tình hình "
                                    "của việc này được theo dõi qua các lần cập nhật.",
                                    timeline=task.timeline or vocab(task.kind_label)))
    if task.due_on == due:
        return
    record(task, "deadline", task.due_on, due, user, reason=nfc(reason))
    task.due_on = due
    task.needs_date = False
    db.session.flush()


def add_assignment(task: Task, agency: Agency, role: str, user) -> Assignment | None:
    """Name an agency or group on a task in a role; None when it already is."""
    if any(a.agency_id == agency.id and a.role == role for a in task.assignments):
        return None
    assignment = Assignment(agency=agency, agency_id=agency.id, role=role)
    task.assignments.append(assignment)
    record(task, "assignment", None, {"role": role, "agency": agency.name}, user, agency=agency)
    _after_assignments(task)
    return assignment


def remove_assignment(task: Task, assignment: Assignment, user) -> None:
    """Take an agency off a task's role."""
    record(task, "assignment", {"role": assignment.role, "agency": assignment.agency.name}, None, user,
           agency=assignment.agency)
    task.assignments.remove(assignment)
    _after_assignments(task, keep_updated=False)


def _after_assignments(task: Task, keep_updated: bool = True) -> None:
    db.session.flush()
    sync_lines(task, keep_updated)
    task.search_text = search_text(task, [a.agency for a in task.assignments])
    db.session.flush()


def attach_to_line(checked: list[Upload], user, line: StatusLine) -> list[Attachment]:
    """Store files posted with a line update and record each in the task's history."""
    attachments = store_uploads(checked, user, task=line.task, line=line)
    for attachment in attachments:
        record(line.task, "attachment", None, attachment.original_name, user, line=line)
    return attachments


def category_of_task(task: Task, as_of: date) -> str:
    """A task's category on as_of (one query, the same SQL as every list)."""
    return db.session.scalar(sa.select(task_category(as_of)).where(Task.id == task.id))


def line_categories(task: Task, as_of: date) -> dict[int, str]:
    """Each of the task's lines' category on as_of, by line id (one query)."""
    return dict(db.session.execute(
        sa.select(StatusLine.id, line_category(as_of)).join(StatusLine.task).where(StatusLine.task_id == task.id)).all())


def line_by_agency(task: Task, agency: Agency) -> StatusLine | None:
    """The task's line of an agency, or None."""
    return next((line for line in task.lines if line.agency_id == agency.id), None)
