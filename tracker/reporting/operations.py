"""Every change to reporting rounds: a body submits its report (with files), the office sends one back, opens an
ad-hoc round, sets the quarterly policy.

Each takes the acting user and shaped input, asks the policy, flushes and raises a DomainError; never commits
(tracker/operations.py).
"""
from __future__ import annotations

from datetime import date

from flask_babel import gettext as _
from werkzeug.datastructures import FileStorage

from ..auth.policy import can_submit_report, require_office
from ..files.services import checked_uploads, store_uploads
from ..operations import Invalid, NotAllowed, operation
from ..plan.models import Plan
from . import services
from .models import ReportingPolicy, ReportingRound, Submission




@operation
def submit(actor, round_: ReportingRound, body: str, today: date,
           files: list[FileStorage] | None = None) -> Submission:
    """An officer's body submits its report for a round it owes, with files (again after a return)."""
    if not can_submit_report(actor, round_):
        raise NotAllowed(_("Chỉ cơ quan phải nộp mới nộp được báo cáo kỳ này."))
    if not (body or "").strip():
        raise Invalid({"body": _("Nhập nội dung báo cáo.")})
    checked = checked_uploads(files)
    try:
        submission = services.submit_report(round_, actor.agency, actor, body, today)
    except services.ReportError as exc:
        raise Invalid({exc.field: str(exc)}) from None
    store_uploads(checked, actor, submission=submission)
    return submission


@operation
def send_back(actor, submission: Submission, reason: str) -> Submission:
    """The office sends a submitted report back with its reason; the body must submit again."""
    require_office(actor)
    if not (reason or "").strip():
        raise Invalid({"reason": _("Trả lại cần nêu lý do.")})
    try:
        services.return_submission(submission, actor, reason)
    except services.ReportError as exc:
        raise Invalid({"reason": str(exc)}) from None
    return submission


@operation(audited=True)
def open_round(actor, plan: Plan, title: str, due_on: date, bodies: str, today: date, note: str = "") -> ReportingRound:
    """The office opens an ad-hoc round: a title, a due date and the bodies (named one a line) that owe it."""
    require_office(actor)
    errors = {}
    if not (title or "").strip():
        errors["title"] = _("Nhập tên kỳ báo cáo.")
    if not (bodies or "").strip():
        errors["bodies"] = _("Nhập ít nhất một cơ quan.")
    if errors:
        raise Invalid(errors)
    try:
        return services.open_adhoc_round(plan, title, due_on, services.resolve_bodies(bodies), actor, today, note or "")
    except services.ReportError as exc:
        raise Invalid({exc.field: str(exc)}) from None


@operation(audited=True)
def set_policy(actor, plan: Plan, cutoff_day: int, due_day: int, levels: str, today: date) -> ReportingPolicy:
    """The office sets the quarterly rounds' cut-off and due days and the levels that owe them; open rounds follow."""
    require_office(actor)
    errors = {name: _("Số phải từ %(min)s đến %(max)s.", min=1, max=31)
              for name, day in (("cutoff_day", cutoff_day), ("due_day", due_day)) if not 1 <= day <= 31}
    if errors:
        raise Invalid(errors)
    try:
        return services.set_policy(plan, cutoff_day, due_day, levels or "", today)
    except services.ReportError as exc:
        raise Invalid({exc.field: str(exc)}) from None
