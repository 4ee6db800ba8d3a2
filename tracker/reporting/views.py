"""Reporting rounds: who owes, who submitted, who is late; submitting and returning reports."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_login import current_user

from ..auth.decorators import office_required
from ..auth.policy import can_submit_report, is_office
from ..clock import local_today
from ..extensions import db
from ..files.models import Attachment
from ..forms import show_errors
from ..indicators.figures import figures_owed, round_quarter
from ..plan.models import Agency
from ..plan.views import plan_or_404
from ..operations import Invalid, perform
from . import operations as ops
from .forms import AdhocRoundForm, PolicyForm, ReturnForm, SubmitForm
from .models import ReportingRound, Submission
from .services import BODY_STATE_LABELS, body_state, policy_of, round_summaries

bp = Blueprint("reporting", __name__, url_prefix="/rounds")


def round_or_404(round_id: int) -> ReportingRound:
    """A round of any plan."""
    return db.get_or_404(ReportingRound, round_id, description=_("Không có kỳ báo cáo này."))


@bp.get("")
def rounds():
    """Every round of the plan, with how many bodies have submitted and how many are late."""
    plan = plan_or_404()
    today = local_today()
    found = db.session.scalars(sa.select(ReportingRound).where(ReportingRound.plan_id == plan.id)
                               .order_by(ReportingRound.due_on, ReportingRound.id)).all()
    return render_template("reporting/rounds.html", plan=plan, rounds=found, summary=round_summaries(found, today),
                           today=today, labels=BODY_STATE_LABELS)


def render_round(round_: ReportingRound, status: int = 200, submit_form=None, return_forms=None):
    """A round's page with the forms the current user may use."""
    today = local_today()
    mine = can_submit_report(current_user, round_)
    own = round_.submission_of(current_user.agency_id) if mine else None
    can_submit = mine and (own is None or own.status == "returned")
    files = {s.id: db.session.scalars(sa.select(Attachment).where(Attachment.submission_id == s.id)).all()
             for s in round_.submissions}
    quarter = round_quarter(round_.period_start, round_.kind)
    # A quarterly round asks for the quarter's figures too: who still owes which.
    owed = figures_owed(round_.plan_id, quarter.year, quarter.number) if quarter else {}
    # Each body that owes figures by its own name (a district owes its own figure of a per-district aim).
    owers = {agency.id: agency for agency in db.session.scalars(
        sa.select(Agency).where(Agency.id.in_(owed)).order_by(Agency.sort_key))} if owed else {}
    return render_template(
        "reporting/round.html", round=round_, today=today, labels=BODY_STATE_LABELS, quarter=quarter, owed=owed,
        owers=owers,
        states={b.id: body_state(round_, b.id, today) for b in round_.bodies}, files=files, own=own,
        # After a return, the form starts from the text sent back: the body corrects it rather than retypes it.
        submit_form=submit_form or (SubmitForm(body=own.body if own else "") if can_submit else None),
        return_forms=return_forms or ({s.id: ReturnForm(prefix=f"s{s.id}") for s in round_.submissions}
                                      if is_office(current_user) else {})), status


@bp.get("/<int:round_id>")
def round_detail(round_id: int):
    """Who owes the round, who submitted (on time or late), who was sent back."""
    return render_round(round_or_404(round_id))


@bp.post("/<int:round_id>/submit")
def submit(round_id: int):
    """An officer submits its agency's report for the round."""
    round_ = round_or_404(round_id)
    if not can_submit_report(current_user, round_):
        abort(403, description=_("Chỉ cơ quan phải nộp mới nộp được báo cáo kỳ này."))
    form = SubmitForm()
    if not form.validate_on_submit():
        return render_round(round_, 400, submit_form=form)
    try:
        perform(ops.submit, current_user, round_, form.body.data, local_today(), form.attachments.data)
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_round(round_, 400, submit_form=form)
    flash(_("Đã nộp báo cáo."), "success")
    return redirect(url_for("reporting.round_detail", round_id=round_.id))


def submission_of(round_: ReportingRound, submission_id: int) -> Submission:
    """The round's submission with this id, or a 404."""
    submission = db.session.get(Submission, submission_id)
    if submission is None or submission.round_id != round_.id:
        abort(404, description=_("Không có báo cáo này trong kỳ."))
    return submission


@bp.post("/<int:round_id>/submissions/<int:submission_id>/return")
@office_required
def send_back(round_id: int, submission_id: int):
    """The office sends a report back with a reason."""
    round_ = round_or_404(round_id)
    submission = submission_of(round_, submission_id)
    form = ReturnForm(prefix=f"s{submission.id}")
    if form.validate_on_submit():
        try:
            perform(ops.send_back, current_user, submission, form.reason.data)
            flash(_("Đã trả lại báo cáo của %(name)s.", name=submission.agency.name), "success")
            return redirect(url_for("reporting.round_detail", round_id=round_.id))
        except Invalid as refused:
            show_errors(form, refused.errors)
    forms = {s.id: ReturnForm(prefix=f"s{s.id}") for s in round_.submissions}
    forms[submission.id] = form
    return render_round(round_, 400, return_forms=forms)


@bp.route("/new", methods=["GET", "POST"])
@office_required
def new_round():
    """The office opens an ad-hoc round for a list of bodies."""
    plan = plan_or_404()
    form = AdhocRoundForm()
    if form.validate_on_submit():
        try:
            round_ = perform(ops.open_round, current_user, plan, form.title.data, form.due_on.data, form.bodies.data,
                             local_today(), form.note.data or "")
            flash(_("Đã mở kỳ báo cáo đột xuất."), "success")
            return redirect(url_for("reporting.round_detail", round_id=round_.id))
        except Invalid as refused:
            show_errors(form, refused.errors)
    return render_template("reporting/new.html", form=form, plan=plan), 400 if form.errors else 200


@bp.route("/policy", methods=["GET", "POST"])
@office_required
def policy():
    """The office sets when quarterly reports are counted and due, and which levels owe them."""
    plan = plan_or_404()
    form = PolicyForm(obj=policy_of(plan))
    if form.validate_on_submit():
        try:
            perform(ops.set_policy, current_user, plan, form.cutoff_day.data, form.due_day.data, form.levels.data,
                    local_today())
            flash(_("Đã lưu lịch báo cáo quý."), "success")
            return redirect(url_for("reporting.rounds"))
        except Invalid as refused:
            show_errors(form, refused.errors)
    return render_template("reporting/policy.html", form=form, plan=plan), 400 if form.errors else 200
