"""Sign in and out, the profile (password, API tokens), and the office's user administration."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from ..extensions import db
from ..forms import show_errors
from ..operations import Conflict, DomainError, Invalid, NotFound, perform
from . import ldap
from . import operations as ops
from .forms import CodeForm, DirectoryLoginForm, LanguageForm, LoginForm, NewUserForm, PasswordForm, SetPasswordForm, TokenForm, UserForm
from .models import DIRECTORY_LABELS, AccessRequest, User
from .decorators import office_required
from .directory import UnknownAgency
from .policy import lands_on_own_work, needs_two_factor
from .invitations import INVITATION_HOURS, INVITATION_PATH, invited_user
from .services import safe_next
from .throttle import limiter

bp = Blueprint("auth", __name__)


def home_for(user: User) -> str:
    """Where a sign-in lands: an officer on its own work, the office and leaders on the dashboard."""
    return url_for("dashboard.my_work" if lands_on_own_work(user) else "dashboard.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(lambda: current_app.config["LOGIN_LIMIT_REQUESTS"], methods=["POST"])
def login():
    """Sign in; failed attempts are throttled per account and per client address."""
    form = (DirectoryLoginForm if ldap.configured() else LoginForm)(next=request.args.get("next", ""))
    if not form.validate_on_submit():
        return render_template("auth/login.html", form=form), 400 if form.errors else 200
    try:
        user = perform(ops.sign_in, form.email.data, form.password.data, request.remote_addr or "")
    except ops.Throttled as refused:
        flash(refused.message, "error")
        return render_template("auth/login.html", form=form), 429
    except Invalid as refused:
        flash(refused.first("password"), "error")
        return render_template("auth/login.html", form=form), 401
    except DomainError as refused:
        return refused_sign_in(refused, "auth/login.html", form=form)
    return finish_sign_in(user, form.next.data)


def refused_sign_in(refused: DomainError, template: str, **context):
    """A directory's sign-in refused: an unknown agency is kept as a request for the office; the directory being
    down, or a locked account, is said as it is."""
    if isinstance(refused, UnknownAgency):
        perform(ops.request_access, refused.person)
    flash(refused.message, "error")
    return render_template(template, **context), refused.status


def finish_sign_in(user: User, next_url: str | None = None):
    """The last step of every sign-in (password, directory, identity service): the code of an account with
    two-factor sign-in, else open the session and land (on the set-up page when the office requires it)."""
    from .two_factor_views import ask_second_factor  # registers its routes on bp: imported after it exists

    if user.two_factor:
        return ask_second_factor(user, next_url)
    login_user(user)
    return redirect(safe_next(next_url) or home_for(user))


@bp.post("/logout")
def logout():
    """Sign out, everywhere: every session cookie of the account stops working (and the identity service's
    session, when the sign-in came through it)."""
    from .oidc import end_provider_session  # it imports this module's sign-in steps

    provider_logout = end_provider_session()
    if current_user.is_authenticated:
        perform(ops.sign_out, current_user._get_current_object())
    logout_user()
    flash(_("Đã đăng xuất."), "success")
    return redirect(provider_logout or url_for("auth.login"))


def render_profile(status: int = 200, **forms):
    """The profile page with its forms (fresh ones unless given) and any secret to show once."""
    from . import two_factor

    user = current_user._get_current_object()
    return render_template("auth/profile.html", password_form=forms.pop("password_form", None) or PasswordForm(),
                           token_form=forms.pop("token_form", None) or TokenForm(), code_form=CodeForm(),
                           recovery_left=two_factor.recovery_codes_left(user) if user.two_factor else 0,
                           two_factor_required=needs_two_factor(user, two_factor.security_settings().require_two_factor),
                           directory_label=DIRECTORY_LABELS.get(user.directory or "", ""),
                           new_token=forms.pop("new_token", None), **forms), status


@bp.get("/profile")
@login_required
def profile():
    """One's account, password and API tokens."""
    return render_profile()


@bp.post("/profile/password")
@login_required
def change_password():
    """Change one's own password."""
    form = PasswordForm()
    if not form.validate_on_submit():
        return render_profile(400, password_form=form)
    user = current_user._get_current_object()
    try:
        revoked = perform(ops.change_password, user, form.current.data, form.new.data, form.revoke_tokens.data)
    except Invalid as refused:
        show_errors(form, refused.errors)
        return render_profile(400, password_form=form)
    login_user(user)  # this browser stays signed in under the new session version
    flash(_("Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc và %(count)s token API đã bị thu hồi.",
            count=revoked) if form.revoke_tokens.data
          else _("Đã đổi mật khẩu; các phiên đăng nhập khác đã kết thúc."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/tokens")
@login_required
def create_token():
    """Create an API token; its secret is shown once."""
    form = TokenForm()
    if not form.validate_on_submit():
        return render_profile(400, token_form=form)
    _token, secret = perform(ops.create_token, current_user._get_current_object(), form.name.data or "")
    return render_profile(new_token=secret)


@bp.post("/profile/tokens/<int:token_id>/revoke")
@login_required
def revoke_token(token_id: int):
    """Revoke one of one's own tokens."""
    if not TokenForm().validate_on_submit():
        abort(400)
    perform(ops.revoke_token, current_user._get_current_object(), token_id)  # another's: 404
    flash(_("Đã thu hồi token."), "success")
    return redirect(url_for("auth.profile"))


@bp.post("/profile/calendar")
@login_required
def create_calendar():
    """A new secret calendar address (any earlier one stops working); shown once."""
    if not TokenForm().validate_on_submit():
        abort(400)
    secret = perform(ops.create_calendar, current_user._get_current_object())
    return render_profile(calendar_secret=secret)


@bp.post("/profile/calendar/revoke")
@login_required
def revoke_calendar():
    """The calendar address stops working."""
    if TokenForm().validate_on_submit():
        perform(ops.revoke_calendar, current_user._get_current_object())
        flash(_("Đã thu hồi địa chỉ lịch; lịch đã đăng ký sẽ không còn cập nhật."), "success")
    return redirect(url_for("auth.profile"))


def account_fields(form: UserForm) -> dict:
    """An account form's values as the account operations take them."""
    return {"email": form.email.data, "name": form.name.data or "", "agency": form.agency.data,
            "role": form.role.data, "active": form.active.data, "password": form.password.data or ""}


@bp.route("/admin/users", methods=["GET", "POST"])
@login_required
@office_required
def users():
    """The office lists accounts and creates new ones; a blank password sends the person an invitation."""
    form = NewUserForm()
    if form.validate_on_submit():
        try:
            user = perform(ops.create_user, current_user._get_current_object(), **account_fields(form))
        except Invalid as refused:
            show_errors(form, refused.errors)
        else:
            if form.password.data:
                flash(_("Đã tạo tài khoản %(email)s.", email=user.email), "success")
            else:
                flash(_("Đã tạo tài khoản %(email)s và gửi thư mời tự đặt mật khẩu (liên kết có hiệu lực %(hours)s giờ).",
                        email=user.email, hours=INVITATION_HOURS), "success")
            return redirect(url_for("auth.users"))
    accounts = db.session.scalars(sa.select(User).order_by(User.email)).all()
    waiting = db.session.scalar(sa.select(sa.func.count()).select_from(AccessRequest)
                                .where(AccessRequest.closed_at.is_(None)))
    return render_template("auth/users.html", form=form, accounts=accounts, waiting=waiting,
                           directory_labels=DIRECTORY_LABELS), 400 if request.method == "POST" else 200


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
            perform(ops.update_user, current_user._get_current_object(), user, **account_fields(form))
        except Invalid as refused:
            show_errors(form, refused.errors)
        else:
            flash(_("Đã lưu tài khoản %(email)s.", email=user.email), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_edit.html", form=form, account=user, invite_form=TokenForm(formdata=None),
                           directory_label=DIRECTORY_LABELS.get(user.directory or "", "")), 400 if form.errors else 200


@bp.post("/admin/users/<int:user_id>/invitation")
@login_required
@office_required
def invite_user(user_id: int):
    """The office sends an account a new invitation to set its password (an earlier one expired, or was lost);
    the current password keeps working until the person sets a new one."""
    user = db.get_or_404(User, user_id)
    if not TokenForm().validate_on_submit():
        abort(400)
    try:
        perform(ops.invite, current_user._get_current_object(), user)
    except Conflict as refused:
        flash(refused.message, "error")
    else:
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
        try:
            user = perform(ops.accept_invitation, token, form.new.data)
        except NotFound:
            return render_template("auth/invitation_invalid.html", hours=INVITATION_HOURS), 410
        except Invalid as refused:
            show_errors(form, refused.errors)
        else:
            login_user(user)
            flash(_("Đã đặt mật khẩu. Từ nay đăng nhập bằng %(email)s và mật khẩu này.", email=user.email), "success")
            return redirect(home_for(user))
    return render_template("auth/invitation.html", form=form, account=user), 400 if form.errors else 200


@bp.post("/language")
def language():
    """Switch the interface's language: the user's own setting, or the session's before signing in."""
    form = LanguageForm()
    if not form.validate():
        abort(400, description=_("Ngôn ngữ không có trong hệ thống."))
    if current_user.is_authenticated:
        perform(ops.set_language, current_user._get_current_object(), form.language.data)
    session["language"] = form.language.data
    return redirect(safe_next(form.next.data) or url_for("progress.index"))
