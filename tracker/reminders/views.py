"""Reminder pages: what goes out on a date, the outbox, the office's settings, each user's choices."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from ..auth.policy import is_office
from ..extensions import db
from ..plan.views import as_of_param
from .forms import PreferencesForm, SettingsForm
from .models import RULE_LABELS, RULES, OutboxMessage, ReminderOptOut
from .outbox import smtp_configured
from .planner import FORCED_FOR_OFFICE, settings
from .sweep import overview

bp = Blueprint("reminders", __name__)


def _scope() -> int | None:
    """Officers see the reminders addressed to them; the office and leaders see everyone's."""
    return current_user.id if current_user.role == "officer" else None


@bp.get("/reminders")
def index():
    """What is due to go out on a date and what went out that day."""
    as_of = as_of_param()
    result = overview(as_of, _scope())
    return render_template("reminders/index.html", result=result, rules=RULE_LABELS, as_of=as_of,
                           smtp=smtp_configured())


@bp.get("/outbox")
def outbox():
    """Every queued or sent message (the coordination office only)."""
    if not is_office(current_user):
        abort(403, description="Chỉ Văn phòng Điều phối xem hộp thư đi.")
    status = request.args.get("status", "")
    query = sa.select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(200)
    if status:
        query = query.where(OutboxMessage.status == status)
    return render_template("reminders/outbox.html", messages=db.session.scalars(query).all(), status=status,
                           smtp=smtp_configured())


@bp.get("/outbox/<int:message_id>")
def outbox_message(message_id: int):
    """One message as it was (or will be) sent."""
    message = db.get_or_404(OutboxMessage, message_id)
    if not is_office(current_user) and message.recipient_id != current_user.id:
        abort(403)
    return render_template("reminders/message.html", message=message)


@bp.route("/reminders/settings", methods=["GET", "POST"])
def edit_settings():
    """The office sets the days before deadlines, the weekly digest, nudges and holidays."""
    if not is_office(current_user):
        abort(403, description="Chỉ Văn phòng Điều phối đổi cài đặt nhắc việc.")
    current = settings()
    form = SettingsForm(obj=current)
    if request.method == "GET":
        form.digest_weekday.data = str(current.digest_weekday)
    if form.validate_on_submit():
        current.before_days = ",".join(str(d) for d in sorted({int(p) for p in form.before_days.data.split(",")
                                                               if p.strip()}, reverse=True))
        current.overdue_notice = form.overdue_notice.data
        current.digest_weekday = int(form.digest_weekday.data)
        current.nudge_days, current.catch_up_days = form.nudge_days.data, form.catch_up_days.data
        current.holidays = form.holidays.data.strip()
        db.session.commit()
        flash("Đã lưu cài đặt nhắc việc.", "success")
        return redirect(url_for("reminders.edit_settings"))
    return render_template("reminders/settings.html", form=form), 400 if form.errors else 200


@bp.route("/profile/reminders", methods=["GET", "POST"])
def preferences():
    """Each user chooses the reminders they get; the office's overdue digest stays on."""
    forced = FORCED_FOR_OFFICE if current_user.role == "office" else set()
    opted = set(db.session.scalars(sa.select(ReminderOptOut.rule).where(ReminderOptOut.user_id == current_user.id)))
    if request.method == "POST":
        if not PreferencesForm().validate_on_submit():
            abort(400, description="Biểu mẫu đã hết hạn; tải lại trang.")
        wanted = {rule for rule in RULES if request.form.get(rule) == "y"} | forced
        db.session.execute(sa.delete(ReminderOptOut).where(ReminderOptOut.user_id == current_user.id))
        db.session.add_all(ReminderOptOut(user_id=current_user.id, rule=rule) for rule in RULES if rule not in wanted)
        db.session.commit()
        flash("Đã lưu lựa chọn nhắc việc.", "success")
        return redirect(url_for("reminders.preferences"))
    return render_template("reminders/preferences.html", rules=RULE_LABELS, opted=opted, forced=forced,
                           form=PreferencesForm())
