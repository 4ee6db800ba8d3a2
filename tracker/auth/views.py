"""Sign in and out, the profile (password, API tokens), and the office's user administration."""
from __future__ import annotations

from datetime import datetime, timezone

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..clock import to_local, utcnow
from ..extensions import db
from .forms import LoginForm, NewUserForm, PasswordForm, SetPasswordForm, TokenForm, UserForm
from .models import ApiToken, User
from .decorators import office_required
from .policy import lands_on_own_work
from .invitations import INVITATION_HOURS, INVITATION_PATH, invited_user, send_invitation
from .services import AccountError, authenticate, create_user, revoke_tokens, safe_next, update_user
from .throttle import limiter

bp = Blueprint("auth", __name__)


def home_for(user: User) -> str:
    """Where a sign-in lands: an officer on its own work, the office and leaders on the dashboard."""
    return url_for("dashboard.my_work" if lands_on_own_work(user) else "dashboard.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_REQUESTS"], methods=["POST"])
def login():
    """Sign in; failed attempts are throttled per account and per client address."""
    form = LoginForm(next=request.args.get("next", ""))
    if form.validate_on_submit():
        outcome = authenticate(form.email.data, form.password.data, request.remote_addr or "")
        if outcome.user:
            login_user(outcome.user)
            return redirect(safe_next(form.next.data) or home_for(outcome.user))
        if outcome.retry_at:
            until = to_local(datetime.fromtimestamp(outcome.retry_at, timezone.utc)).strftime("%H:%M")
            flash(_("Đã thử đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(until)s.", until=until), "error")
            return render_template("auth/login.html", form=form), 429
        flash(_("Thư điện tử hoặc mật khẩu không đúng."), "error")
        return render_template("auth/login.html", form=form), 401
    return render_template("auth/login.html", form=form), 400 if form.errors else 200


@bp.post("/logout")
def logout():
    """Sign out, everywhere: every session cookie of the account stops working."""
    if current_user.is_authenticated:
        current_user.end_sessions()
        db.session.commit()
    logout_user()
    flash(_("Đã đăng xuất."), "success")
    return redirect(url_for("auth.login"))


@bp.get("/profile")
@login_required
def profile():
    """One's account, password and API tokens."""
    return render_template("auth/profile.html", password_form=PasswordForm(), token_form=TokenForm(),
                           new_token=None)


@bp.post("/profile/password")
@login_required
def change_password():
    """Change one's own password."""
    form = PasswordForm()
    if form.validate_on_submit() and current_user.check_password(form.current.data):
        user = current_user._get_current_object()
        user.set_password(form.new.data)  # ends the account's other sessions
        revoked = revoke_tokens(user) if form.revoke_tokens.data else 0
        db.session.commit()
        login_user(user)  # this browser stays signed in under the new session version
        flash(_("Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc và %(count)s token API đã bị thu hồi.",
                count=revoked) if form.revoke_tokens.data
              else _("Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc."), "success")
        return redirect(url_for("auth.profile"))
    if form.current.data and not form.errors:
        form.current.errors = [_("Mật khẩu hiện tại không đúng.")]
    return render_template("auth/profile.html", password_form=form, token_form=TokenForm(), new_token=None), 400


@bp.post("/profile/tokens")
@login_required
def create_token():
    """Create an API token; its secret is shown once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return render_template("auth/profile.html", password_form=PasswordForm(), token_form=form,
                               new_token=None), 400
    _token, secret = ApiToken.issue(current_user, form.name.data or "")
    db.session.commit()
    return render_template("auth/profile.html", password_form=PasswordForm(), token_form=TokenForm(),
                           new_token=secret)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of one's own tokens."""
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != current_user.id:
        abort(404)
    if TokenForm().validate_on_submit() and token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.commit()
        flash(_("Đã thu hồi token."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/calendar")
@login_required
def create_calendar():
    """A new secret calendar address (any earlier one stops working); shown once."""
    if not TokenForm().validate_on_submit():
        abort(400)
    secret = current_user.issue_calendar_token()
    db.session.commit()
    return render_template("auth/profile.html", password_form=PasswordForm(), token_form=TokenForm(), new_token=None,
                           calendar_secret=secret)


@bp.post("/profile/calendar/revoke")
@login_required
def revoke_calendar():
    """The calendar address stops working."""
    if TokenForm().validate_on_submit():
        current_user.revoke_calendar_token()
        db.session.commit()
        flash(_("Đã thu hồi địa chỉ lịch; lịch đã đăng ký sẽ không còn cập nhật."), "success")
    return redirect(url_for("auth.profile"))


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
@office_required
def users():
    """The office lists accounts and creates new ones; a blank password sends the person an invitation."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            if not form.password.data and not form.active.data:
                # A locked account could not use an invitation: its link would only say it no longer works.
                raise AccountError(_("Tài khoản tạo ở trạng thái khóa cần mật khẩu; hoặc chọn «Đang hoạt động» để "
                                     "gửi thư mời."), "password")
            user = create_user(form.email.data, form.agency.data, form.role.data, form.password.data or "",
                               form.name.data or "", active=form.active.data)
            if not form.password.data:
                send_invitation(user)  # queued in this transaction: no account without its mail, nor the reverse
            db.session.commit()
            if form.password.data:
                flash(_("Đã tạo tài khoản %(email)s.", email=user.email), "success")
            else:
                flash(_("Đã tạo tài khoản %(email)s và gửi thư mời tự đặt mật khẩu (liên kết có hiệu lực %(hours)s giờ).",
                        email=user.email, hours=INVITATION_HOURS), "success")
            return redirect(url_for("auth.users"))
        except AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors = [str(exc)]
    accounts = db.session.scalars(sa.select(User).order_by(User.email)).all()
    return render_template("auth/users.html", form=form, accounts=accounts), 400 if request.method == "POST" else 200


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@login_required
@office_required
def edit_user(user_id: int):
    """The office changes an account's agency, role, password or whether it is active."""
    user = db.get_or_404(User, user_id)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    if request.method == "GET":
        form.agency.data = user.agency.name
    if form.validate_on_submit():
        try:
            update_user(user, current_user, email=form.email.data, name=form.name.data or "",
                        agency_name=form.agency.data, role=form.role.data, active=form.active.data,
                        password=form.password.data or "")
            db.session.commit()
            flash(_("Đã lưu tài khoản %(email)s.", email=user.email), "success")
            return redirect(url_for("auth.users"))
        except AccountError as exc:
            db.session.rollback()
            getattr(form, exc.field).errors = [str(exc)]
    return render_template("auth/user_edit.html", form=form, account=user, invite_form=TokenForm(formdata=None)), \
        400 if form.errors else 200


@bp.post("/admin/users/<int:user_id>/invitation")
@login_required
@office_required
def invite_user(user_id: int):
    """The office sends an account a new invitation to set its password (an earlier one expired, or was lost);
    the current password keeps working until the person sets a new one."""
    user = db.get_or_404(User, user_id)
    if not TokenForm().validate_on_submit():
        abort(400)
    if not user.active:
        flash(_("Tài khoản %(email)s đang bị khóa; mở lại tài khoản trước khi gửi thư mời.", email=user.email), "error")
        return redirect(url_for("auth.edit_user", user_id=user.id))
    send_invitation(user)
    db.session.commit()
    flash(_("Đã gửi thư mời tự đặt mật khẩu tới %(email)s (liên kết có hiệu lực %(hours)s giờ).",
            email=user.email, hours=INVITATION_HOURS), "success")
    return redirect(url_for("auth.edit_user", user_id=user.id))


@bp.route(INVITATION_PATH + "<token>", methods=["GET", "POST"])
def invitation(token: str):
    """An invited person sets their own password, then is signed in; a used or expired link says so."""
    user = invited_user(token) if len(token) < 500 else None
    if user is None:
        return render_template("auth/invitation_invalid.html", hours=INVITATION_HOURS), 410
    form = SetPasswordForm()
    if form.validate_on_submit():
        user.set_password(form.new.data)  # the link dies with the hash it was made with
        db.session.commit()
        login_user(user)
        flash(_("Đã đặt mật khẩu. Từ nay đăng nhập bằng %(email)s và mật khẩu này.", email=user.email), "success")
        return redirect(home_for(user))
    return render_template("auth/invitation.html", form=form, account=user), 400 if form.errors else 200


@bp.post("/language")
def language():
    """Switch the interface's language: the user's own setting, or the session's before signing in."""
    from ..i18n import LANGUAGES

    chosen = request.form.get("language", "")
    if chosen not in LANGUAGES:
        abort(400, description=_("Ngôn ngữ không có trong hệ thống."))
    if current_user.is_authenticated:
        current_user.language = chosen
        db.session.commit()
    session["language"] = chosen
    return redirect(safe_next(request.form.get("next")) or url_for("progress.index"))
