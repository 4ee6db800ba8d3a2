"""Pages of the plan's progress: the plan as a list judged on a date, agency sheets, the task page and its changes."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, send_file, url_for
from flask_login import current_user
from sqlalchemy.orm import joinedload, selectinload

from ..auth.decorators import office_required
from ..auth.policy import can_comment, can_download, can_update_line, is_office
from ..changes import data_version, kept
from ..clock import local_today
from ..extensions import db
from ..plan.models import ROLE_LABELS, ROLES, Agency, Assignment, Task
from ..plan.views import agency_links, as_of_param, plan_or_404, plan_years
from .filters import TaskFilterForm
from .listing import agency_sheet, directory, task_page
from .categories import CATEGORY_LABELS
from .forms import AssignmentForm, CommentForm, ConfirmForm, DeadlineForm, LineUpdateForm
from ..files.models import Attachment
from ..files.services import FileDamaged, open_verified
from ..forms import show_errors
from ..operations import Conflict, Invalid, perform
from . import operations as ops
from .models import Comment, StatusLine, TaskEvent
from .services import category_of_task, line_categories, lines_lost_by_removing

bp = Blueprint("progress", __name__)


_NAMED = (selectinload(Agency.aliases),)
# Everything the task page and the API show of a task, in a fixed number of queries however many bodies.
_TASK_PAGE_LOADS = (
    joinedload(Task.section), joinedload(Task.plan),
    selectinload(Task.lines).options(joinedload(StatusLine.agency).options(*_NAMED), joinedload(StatusLine.updated_by)),
    selectinload(Task.assignments).joinedload(Assignment.agency).options(*_NAMED, selectinload(Agency.members)),
)


def task_or_404(code: str) -> Task:
    """The task of the current plan with this code."""
    plan = plan_or_404()
    task = db.session.scalar(sa.select(Task).where(Task.plan_id == plan.id, Task.code == code.upper())
                             .options(*_TASK_PAGE_LOADS))
    if task is None:
        abort(404, description=_("Không có công việc «%(code)s» trong kế hoạch năm %(year)s.", code=code, year=plan.year))
    return task


def line_form(line: StatusLine) -> LineUpdateForm:
    """A form loaded with the line's current state and version."""
    return LineUpdateForm(formdata=None, status=line.status, progress=line.progress, note=line.note,
                          paused_reason=line.paused_reason, completed_on=line.completed_on, version=line.version,
                          prefix=f"line{line.id}")


def render_task(task: Task, status: int = 200, forms: dict | None = None, **extra):
    """The task page, with forms for what the current user may change."""
    as_of = as_of_param()
    forms = forms or {}
    # An officer's own line first: a district need not scroll past ten others on a phone.
    lines = sorted(task.lines, key=lambda line: line.agency_id != current_user.agency_id)
    line_forms = {line.id: forms.get(line.id) or line_form(line)
                  for line in task.lines if can_update_line(current_user, line)}
    history = db.session.scalars(sa.select(TaskEvent).where(TaskEvent.task_id == task.id)
                                 .options(joinedload(TaskEvent.user), joinedload(TaskEvent.agency).options(*_NAMED))
                                 .order_by(TaskEvent.at.desc(), TaskEvent.id.desc())).all()
    comments = db.session.scalars(sa.select(Comment).where(Comment.task_id == task.id).order_by(Comment.id)
                                  .options(joinedload(Comment.author), joinedload(Comment.agency).options(*_NAMED))).all()
    attachments = db.session.scalars(sa.select(Attachment).where(Attachment.task_id == task.id)
                                     .order_by(Attachment.id)).all()
    return render_template(
        "progress/task.html", task=task, lines=lines, plan=task.plan, roles=ROLES, as_of=as_of,
        category=category_of_task(task, as_of), line_categories=line_categories(task, as_of),
        categories=CATEGORY_LABELS, line_forms=line_forms, history=history, comments=comments,
        attachments=attachments, comment_form=forms.get("comment") or (CommentForm() if can_comment(current_user, task) else None),
        deadline_form=forms.get("deadline") or (DeadlineForm(formdata=None, due_on=task.due_on) if is_office(current_user) else None),
        assignment_form=forms.get("assignment") or (AssignmentForm(formdata=None) if is_office(current_user) else None),
        confirm_form=ConfirmForm(), today=local_today(), **extra), status


@bp.get("/")
def index():
    """The plan's tasks in the appendix's layout, with filters, search, sorting and pages."""
    plan = plan_or_404()
    form = TaskFilterForm(request.args, plan)
    valid = form.validate()
    as_of = (form.as_of.data if valid else None) or local_today()
    pagination = None
    if valid:
        pagination = task_page(plan, form.filters(), as_of=as_of, category=form.category.data or None,
                               sort=form.sort.data or "section", page=form.page.data or 1,
                               per_page=current_app.config["PAGE_SIZE"])
        for row in pagination.items:  # built here, not in the template: three cells a row, a hundred rows
            row.links = {role: agency_links(row.agencies(role), short=True) for role in ROLES}
    filtered = any(request.args.get(k) for k in ("q", "section", "agency", "role", "kind", "category"))
    page = render_template("plan/index.html", plan=plan, form=form, pagination=pagination,
                           rows=pagination.items if pagination else [], filtered=filtered,
                           agencies=directory().for_choosing(), as_of=as_of, years=plan_years(),
                           category_labels=CATEGORY_LABELS)
    return page, 200 if valid else 400


@bp.get("/agencies/<int:agency_id>")
def agency_detail(agency_id: int):
    """An agency's responsibility sheet: by role, its counts by category and its first tasks."""
    plan = plan_or_404()
    # Its groups with their members: each group's link says how many bodies it holds.
    agency = db.get_or_404(Agency, agency_id, description=_("Không có cơ quan này."),
                           options=[selectinload(Agency.aliases), selectinload(Agency.members),
                                    selectinload(Agency.groups).selectinload(Agency.members)])
    as_of = as_of_param()
    # Kept per version of the data, as the dashboard's figures: counting a district's thousands of lines in
    # three roles is most of the page, and leaders read these sheets far more often than anyone writes.
    sheets = kept("agency_sheets", (plan.id, agency.id, as_of, data_version()),
                  lambda: agency_sheet(plan, agency, as_of), size=64)
    return render_template("plan/agency.html", plan=plan, agency=agency, as_of=as_of,
                           sheets=sheets, category_labels=CATEGORY_LABELS,
                           role_labels=ROLE_LABELS)


@bp.get("/tasks/<code>")
def task_detail(code: str):
    """One work item: its cells, its bodies' lines and categories, comments, files and history."""
    return render_task(task_or_404(code))


def line_of(task: Task, line_id: int) -> StatusLine:
    """The task's line with this id, or a 404."""
    line = db.session.get(StatusLine, line_id)
    if line is None or line.task_id != task.id:
        abort(404, description=_("Không có dòng này trên công việc %(code)s.", code=task.code))
    return line


@bp.post("/tasks/<code>/lines/<int:line_id>")
def update_line_view(code: str, line_id: int):
    """An executing body updates its own line; a stale form gets the newer state, not an overwrite."""
    task = task_or_404(code)
    line = line_of(task, line_id)
    if not can_update_line(current_user, line):
        abort(403, description=_("Chỉ cơ quan thực hiện được cập nhật dòng của mình."))
    form = LineUpdateForm(prefix=f"line{line.id}")
    if not form.validate_on_submit():
        return render_task(task, 400, forms={line.id: form})
    files = [f for f in form.attachments.data or [] if f and f.filename]
    try:
        saved = perform(ops.update_line, current_user, line, form.change(), form.expected_version(), local_today(),
                        files)
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_task(task, 400, forms={line.id: form})
    except Conflict:
        db.session.refresh(line)
        # Nothing typed is lost: the form comes back with the user's own values, beside the
        # newer saved state in the line's row, and carries the new version for the next save.
        flash(_("Dòng này vừa được người khác cập nhật: hàng trên là trạng thái mới nhất đã lưu, "
                "biểu mẫu vẫn giữ những gì bạn đã nhập. Xem lại rồi bấm Lưu (chọn lại tệp đính kèm).")
              if files else
              _("Dòng này vừa được người khác cập nhật: hàng trên là trạng thái mới nhất đã lưu, "
                "biểu mẫu vẫn giữ những gì bạn đã nhập. Xem lại rồi bấm Lưu."), "error")
        return render_task(task, 409, forms={line.id: form}, conflict_line=line.id)
    if saved.files_not_stored:
        flash(_("Đã lưu cập nhật, nhưng chưa lưu được tệp %(names)s: kho lưu trữ tệp tạm thời không phản hồi. "
                "Hãy đính kèm lại tệp sau ít phút (chọn tệp rồi bấm Lưu).",
                names=", ".join(f"«{name}»" for name in saved.files_not_stored)), "error")
    else:
        flash(_("Đã lưu cập nhật.") if saved.changed else _("Không có thay đổi."), "success")
    return redirect(url_for("progress.task_detail", code=task.code, _anchor=f"line-{line.id}"))


@bp.post("/tasks/<code>/comments")
def comment_view(code: str):
    """Any body named on the task, coordinating bodies included, may comment."""
    task = task_or_404(code)
    form = CommentForm()
    if can_comment(current_user, task) and not form.validate_on_submit():
        return render_task(task, 400, forms={"comment": form})
    perform(ops.comment, current_user, task, form.body.data)
    flash(_("Đã gửi ý kiến."), "success")
    return redirect(url_for("progress.task_detail", code=task.code, _anchor="comments"))


@bp.post("/tasks/<code>/deadline")
@office_required
def deadline_view(code: str):
    """The office moves a task's deadline, giving a reason."""
    task = task_or_404(code)
    form = DeadlineForm()
    if not form.validate_on_submit():
        return render_task(task, 400, forms={"deadline": form})
    try:
        perform(ops.move_deadline, current_user, task, form.due_on.data, form.reason.data)
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_task(task, 400, forms={"deadline": form})
    flash(_("Đã đổi hạn."), "success")
    return redirect(url_for("progress.task_detail", code=task.code))


@bp.post("/tasks/<code>/assignments")
@office_required
def add_assignment_view(code: str):
    """The office names an agency or group on the task."""
    task = task_or_404(code)
    form = AssignmentForm()
    if not form.validate_on_submit():
        return render_task(task, 400, forms={"assignment": form})
    try:
        added = perform(ops.assign, current_user, task, form.agency.data, form.role.data)
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_task(task, 400, forms={"assignment": form})
    if added is None:
        flash(_("«%(name)s» đã có trong vai trò này.", name=form.agency.data), "success")
    return redirect(url_for("progress.task_detail", code=task.code))


@bp.route("/tasks/<code>/assignments/<int:assignment_id>/delete", methods=["GET", "POST"])
@office_required
def remove_assignment_view(code: str, assignment_id: int):
    """The office takes an agency off a task, after a page that says what happens to its line."""
    task = task_or_404(code)
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or assignment.task_id != task.id:
        abort(404)
    form = ConfirmForm()
    if request.method == "GET":
        return render_template("progress/remove_assignment.html", task=task, assignment=assignment, form=form,
                               lines=lines_lost_by_removing(task, assignment), role_labels=ROLE_LABELS)
    if not form.validate_on_submit():
        abort(400, description=_("Biểu mẫu đã hết hạn; tải lại trang."))
    name = assignment.agency.name
    perform(ops.unassign, current_user, task, assignment.id)
    flash(_("Đã bỏ «%(name)s» khỏi công việc %(code)s; lịch sử vẫn giữ các cập nhật trước đây.", name=name, code=task.code), "success")
    return redirect(url_for("progress.task_detail", code=task.code))


def damaged_message(name: str) -> str:
    """What a person is told of a stored file whose bytes no longer match those uploaded."""
    return _("Tệp «%(name)s» trong kho lưu trữ không còn giống bản đã tải lên (có thể đã hỏng) nên không được gửi. "
             "Lỗi đã được ghi lại; hãy báo Văn phòng Điều phối để khôi phục tệp từ bản sao lưu, hoặc đính kèm lại.",
             name=name)


@bp.get("/attachments/<int:attachment_id>")
def download(attachment_id: int):
    """Download an attachment under its original Vietnamese name."""
    attachment = db.get_or_404(Attachment, attachment_id)
    if not can_download(current_user):
        abort(403)
    try:
        stream = open_verified(attachment.stored_name, attachment.checksum)
    except FileDamaged:
        abort(502, description=damaged_message(attachment.original_name))
    if stream is None:
        abort(404, description=_("Tệp không còn trên máy chủ."))
    response = send_file(stream, mimetype=attachment.content_type, as_attachment=True,
                         download_name=attachment.original_name, last_modified=attachment.uploaded_at)
    if attachment.checksum is not None:  # bytes just verified: exactly the size recorded, so the browser can say so
        response.content_length = attachment.size
    return response
