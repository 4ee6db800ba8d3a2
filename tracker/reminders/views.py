"""Reminder pages: what goes out on a date, the outbox, the office's settings, each user's choices."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import gettext as _
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.decorators import office_required
from ..auth.policy import can_read_message, sees_every_reminder
from ..extensions import db
from ..i18n import current_language
from ..plan.views import as_of_param
from ..forms import show_errors
from ..operations import Invalid, perform
from . import operations as ops
from .forms import PreferencesForm, SettingsForm
from .models import OUTBOX_STATES, RULE_LABELS, OutboxMessage, ReminderOptOut
from ..clock import local_today, utcnow
from .outbox import smtp_configured
from .planner import forced_rules, settings
from .sweep import overview

bp = Blueprint("reminders", __name__)


def _scope() -> int | None:
    """Officers see the reminders addressed to them; the office and leaders see everyone's."""
    return None if sees_every_reminder(current_user) else current_user.id


@bp.get("/reminders")
def index():
    """What is due to go out on a date and what went out that day."""
    as_of = as_of_param()
    result = overview(as_of, _scope(), language=current_language())
    return render_template("reminders/index.html", result=result, rules=RULE_LABELS, as_of=as_of,
                           smtp=smtp_configured())


@bp.get("/outbox")
@office_required
def outbox():
    """Every queued or sent message (the coordination office only)."""
    status = request.args.get("status", "")
    if status and status not in OUTBOX_STATES:
        abort(400, description=_("Không có trạng thái thư «%(status)s».", status=status[:30]))
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    if status:
        query = query.where(OutboxMessage.status == status)
    return render_template("reminders/outbox.html", messages=db.session.scalars(query).all(), status=status,
                           smtp=smtp_configured())


@bp.get("/outbox/<int:message_id>")
def outbox_message(message_id: int):
    """One message as it was (or will be) sent."""
    message = db.get_or_404(OutboxMessage, message_id)
    if not can_read_message(current_user, message):
        abort(403)
    return render_template("reminders/message.html", message=message)


@bp.post("/outbox/<int:message_id>/send-again")
@office_required
def send_message_again(message_id: int):
    """The office sends again a message whose delivery is unconfirmed or failed (409 for any other)."""
    message = db.get_or_404(OutboxMessage, message_id)
    perform(ops.send_again, current_user, message, utcnow())
    flash(_("Thư sẽ được gửi lại trong lần gửi tới, với cùng Message-ID."), "success")
    return redirect(url_for("reminders.outbox_message", message_id=message.id))


@bp.route("/reminders/settings", methods=["GET", "POST"])
@office_required
def edit_settings():
    """The office sets the days before deadlines, the weekly digest, nudges and holidays."""
    current = settings()
    form = SettingsForm(obj=current)
    if request.method == "GET":
        form.digest_weekday.data = str(current.digest_weekday)
    if form.validate_on_submit():
        try:
            perform(ops.save_settings, current_user, **form.values(), today=local_today())
            flash(_("Đã lưu cài đặt nhắc việc."), "success")
            return redirect(url_for("reminders.edit_settings"))
        except Invalid as refused:
            show_errors(form, refused.errors)
    return render_template("reminders/settings.html", form=form), 400 if form.errors else 200


@bp.route("/profile/reminders", methods=["GET", "POST"])
def preferences():
    """Each user chooses the reminders they get; the office's overdue digest stays on."""
    forced = forced_rules(current_user)
    if request.method == "POST":
        form = PreferencesForm()
        if not form.validate_on_submit():
            abort(400, description=_("Biểu mẫu đã hết hạn; tải lại trang."))
        perform(ops.choose_reminders, current_user, form.wanted())
        flash(_("Đã lưu lựa chọn nhắc việc."), "success")
        return redirect(url_for("reminders.preferences"))
    opted = set(db.session.scalars(sa.select(ReminderOptOut.rule).where(ReminderOptOut.user_id == current_user.id)))
    return render_template("reminders/preferences.html", rules=RULE_LABELS, opted=opted, forced=forced,
                           form=PreferencesForm(formdata=None))
