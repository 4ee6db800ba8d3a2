"""Pages of two-factor sign-in: the code after the password, setting it up, recovery codes, and the office's rule
and resets. Registered on the auth blueprint."""
from __future__ import annotations

import time

from flask import abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from ..extensions import db
from ..operations import Conflict, Invalid, NotAllowed, perform
from . import operations as ops
from . import two_factor
from .decorators import office_required
from .forms import CodeForm, SecurityForm, TokenForm
from .models import User
from .policy import needs_two_factor
from .services import safe_next
from .views import bp, home_for

PENDING = "second_step"  # the session's note of a password accepted, waiting for its code
SETUP = "totp_setup"  # the secret shown to the person's app, until a code from it proves the scan
PENDING_SECONDS = 600
# What an account that must set up two-factor sign-in may still open.
_OPEN_WHILE_SETTING_UP = {"auth.two_factor_setup", "auth.logout", "auth.language", "static", "health.healthz"}


def ask_second_factor(user: User, next_url: str | None):
    """After the password: an account with two-factor sign-in is asked for its code before a session opens."""
    session[PENDING] = {"user": user.id, "version": user.session_version, "next": safe_next(next_url) or "",
                        "at": time.time()}
    return redirect(url_for("auth.second_step"))


def _pending_user() -> tuple[User | None, str]:
    pending = session.get(PENDING) or {}
    if not pending or time.time() - float(pending.get("at", 0)) > PENDING_SECONDS:
        return None, ""
    user = db.session.get(User, int(pending.get("user", 0)))
    if user is None or not user.active or user.session_version != pending.get("version") or not user.two_factor:
        return None, ""
    return user, pending.get("next", "")


@bp.route("/login/two-factor", methods=["GET", "POST"])
def second_step():
    """The code from the authenticator app (or a recovery code), after the password; wrong codes count against
    the account's and the address's budgets of failed sign-ins (`ops.second_factor`)."""
    user, next_url = _pending_user()
    if user is None:
        session.pop(PENDING, None)
        flash(_("Phiên đăng nhập đã hết hạn; vui lòng nhập lại mật khẩu."), "error")
        return redirect(url_for("auth.login"))
    form = CodeForm()
    if not form.validate_on_submit():
        return render_template("auth/second_step.html", form=form), 400 if form.errors else 200
    try:
        perform(ops.second_factor, user, form.code.data, request.remote_addr or "")
    except ops.Throttled as refused:
        flash(refused.message, "error")
        return render_template("auth/second_step.html", form=form), 429
    except Invalid as refused:
        form.code.errors = [refused.first("code")]
        return render_template("auth/second_step.html", form=form), 401
    session.pop(PENDING, None)
    login_user(user)
    left = two_factor.recovery_codes_left(user)
    if left <= 2:
        flash(_("Bạn còn %(left)d mã khôi phục; hãy tạo mã mới trong trang tài khoản.", left=left), "warn")
    return redirect(next_url or home_for(user))


@bp.before_app_request
def _require_set_up():
    """An office or leader account, when the office requires it, sets up two-factor sign-in before anything else."""
    if request.endpoint in _OPEN_WHILE_SETTING_UP or request.path.startswith("/api/"):
        return None
    if current_user.is_authenticated and two_factor.must_set_up(current_user):
        return redirect(url_for("auth.two_factor_setup"))
    return None


@bp.route("/profile/two-factor", methods=["GET", "POST"])
@login_required
def two_factor_setup():
    """Set up two-factor sign-in: scan the QR code, then prove it with a code from the app."""
    if current_user.two_factor:
        return redirect(url_for("auth.profile") + "#hai-lop")
    secret = session.get(SETUP) or two_factor.new_secret()
    session[SETUP] = secret
    form = CodeForm()
    status = 200
    if form.validate_on_submit():
        try:
            codes = perform(ops.enable_two_factor, current_user._get_current_object(), secret, form.code.data)
        except Invalid as refused:
            form.code.errors, status = [refused.first("code")], 400
        except Conflict:
            return redirect(url_for("auth.profile") + "#hai-lop")
        else:
            session.pop(SETUP, None)
            flash(_("Đã bật xác thực hai lớp."), "success")
            return render_template("auth/recovery_codes.html", codes=codes)
    elif form.errors:
        status = 400
    uri = two_factor.provisioning_uri(current_user, secret)
    return render_template("auth/two_factor_setup.html", form=form, secret=secret, qr=two_factor.qr_svg(uri),
                           required=two_factor.must_set_up(current_user)), status


@bp.post("/profile/two-factor/off")
@login_required
def two_factor_off():
    """Turn one's own two-factor sign-in off, with a current code."""
    form = CodeForm()
    if not form.validate_on_submit():
        flash(_("Nhập mã xác thực hiện tại."), "error")
        return redirect(url_for("auth.profile") + "#hai-lop")
    try:
        perform(ops.disable_two_factor, current_user._get_current_object(), form.code.data)
    except (Invalid, Conflict, NotAllowed) as refused:
        flash(refused.first("code") if isinstance(refused, Invalid) else refused.message, "error")
        return redirect(url_for("auth.profile") + "#hai-lop")
    flash(_("Đã tắt xác thực hai lớp."), "success")
    return redirect(url_for("auth.profile") + "#hai-lop")


@bp.post("/profile/two-factor/recovery-codes")
@login_required
def two_factor_codes():
    """New recovery codes (the old ones stop working), with a current code."""
    form = CodeForm()
    if form.validate_on_submit():
        try:
            codes = perform(ops.renew_recovery_codes, current_user._get_current_object(), form.code.data)
        except (Invalid, Conflict) as refused:
            flash(refused.first("code") if isinstance(refused, Invalid) else refused.message, "error")
        else:
            return render_template("auth/recovery_codes.html", codes=codes)
    else:
        flash(_("Nhập mã xác thực hiện tại."), "error")
    return redirect(url_for("auth.profile") + "#hai-lop")


@bp.post("/admin/users/<int:user_id>/two-factor/reset")
@office_required
def reset_two_factor(user_id: int):
    """The office turns off an account's two-factor sign-in (a lost phone and no recovery code)."""
    user = db.session.get(User, user_id) or abort(404)
    if not TokenForm().validate_on_submit():
        abort(400)
    try:
        perform(ops.reset_two_factor, current_user._get_current_object(), user)
    except Conflict as refused:
        flash(refused.message, "error")
    else:
        flash(_("Đã tắt xác thực hai lớp của %(email)s; họ đăng nhập bằng mật khẩu và có thể bật lại.",
                email=user.email), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


@bp.route("/admin/security", methods=["GET", "POST"])
@office_required
def security():
    """The office's sign-in rule: two-factor sign-in for every office and leader account."""
    settings = two_factor.security_settings()
    form = SecurityForm(obj=settings)
    if form.validate_on_submit():
        perform(ops.set_security, current_user._get_current_object(), form.require_two_factor.data)
        flash(_("Đã lưu."), "success")
        return redirect(url_for("auth.security"))
    missing = db.session.scalars(db.select(User).where(User.active, User.totp_enabled_at.is_(None))
                                 .order_by(User.email)).all()
    missing = [user for user in missing if needs_two_factor(user, True)]
    return render_template("auth/security.html", form=form, missing=missing), 400 if form.errors else 200
