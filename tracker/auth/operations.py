"""Every change to accounts: signing in and out, one's password, API tokens, calendar address and language, and
the office's accounts and invitations. Each asks the policy, flushes, raises a DomainError; never commits
(tracker/operations.py)."""
from __future__ import annotations

from datetime import datetime, timezone

from flask_babel import gettext as _

from .. import audit
from ..clock import to_local, utcnow
from ..extensions import db
from ..i18n import LANGUAGES
from ..operations import Conflict, DomainError, Invalid, NotAllowed, NotFound, operation
from ..plan.services import AgencyFileError, add_alias, find_agency
from . import directory, ldap, services, throttle, two_factor
from .directory import DirectoryPerson
from .forms import MIN_PASSWORD
from .invitations import invited_user, send_invitation
from .models import AccessRequest, ApiToken, SecuritySettings, User
from .policy import is_signed_in, manages_accounts, needs_two_factor
from .services import AccountError, user_for_token


class Throttled(DomainError):
    """Too many failed sign-ins for the account or the address; `retry_at` (epoch seconds) is when to retry."""

    status = 429

    def __init__(self, message: str, retry_at: float):
        super().__init__(message)
        self.retry_at = retry_at


def _signed_in(actor) -> None:
    if not is_signed_in(actor):
        raise NotAllowed(_("Cần đăng nhập bằng một tài khoản đang hoạt động."))


def _office(actor) -> None:
    if not manages_accounts(actor):
        raise NotAllowed(_("Chỉ Văn phòng Điều phối thực hiện việc này."))


def _password_rule(field: str, password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise Invalid({field: _("Mật khẩu cần ít nhất %(min)d ký tự.", min=MIN_PASSWORD)})


@operation
def authenticate_token(secret: str) -> User | None:
    """The active user a bearer token belongs to (None for an unknown or revoked one); notes its last use."""
    return user_for_token(secret)


@operation
def sign_in(email: str, password: str, address: str) -> User:
    """The account a password opens, within the failed-attempt budgets (a success gives back what it took); a
    password the directory (LDAP) vouched for opens the account made or brought up to date from its entry
    (UnknownAgency when it names no agency the tracker knows, DirectoryUnavailable when it cannot be asked)."""
    outcome = services.authenticate(email or "", password or "", address or "")
    if outcome.retry_at:
        until = to_local(datetime.fromtimestamp(outcome.retry_at, timezone.utc)).strftime("%H:%M")
        raise Throttled(_("Đã thử đăng nhập sai quá nhiều lần. Vui lòng thử lại sau %(until)s.", until=until),
                        outcome.retry_at)
    if outcome.person is not None:
        return sign_in_from_directory(outcome.person)
    if outcome.user is None:
        raise Invalid({"password": _("Tên đăng nhập hoặc mật khẩu không đúng.") if ldap.configured()
                       else _("Thư điện tử hoặc mật khẩu không đúng.")})
    return outcome.user


@operation
def sign_out(actor: User) -> None:
    """Every session cookie of the account stops working."""
    _signed_in(actor)
    actor.end_sessions()
    db.session.flush()


@operation(audited=True)
def change_password(actor: User, current: str, new: str, revoke_tokens: bool = False) -> int:
    """One's own new password, given the current one (other sessions end); how many tokens it also revoked."""
    _signed_in(actor)
    if actor.directory:
        raise Invalid({"current": _("Mật khẩu của tài khoản này do danh bạ của tỉnh quản lý, không đổi ở đây.")})
    if not actor.check_password(current or ""):
        raise Invalid({"current": _("Mật khẩu hiện tại không đúng.")})
    _password_rule("new", new)
    actor.set_password(new)  # ends the account's other sessions
    revoked = services.revoke_tokens(actor) if revoke_tokens else 0
    db.session.flush()
    return revoked


@operation(audited=True)
def create_token(actor: User, name: str = "") -> tuple[ApiToken, str]:
    """A new API token of one's own, and its secret (shown once, never stored)."""
    _signed_in(actor)
    token, secret = ApiToken.issue(actor, (name or "").strip())
    db.session.flush()
    return token, secret


@operation(audited=True)
def revoke_token(actor: User, token_id: int) -> ApiToken:
    """One of one's own tokens stops working (another's is as if it did not exist)."""
    _signed_in(actor)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != actor.id:
        raise NotFound(_("Không có token này."))
    if token.revoked_at is None:
        token.revoked_at = utcnow()
        db.session.flush()
    return token


@operation(audited=True)
def create_calendar(actor: User) -> str:
    """A new secret calendar address of one's own (an earlier one stops working); its secret, shown once."""
    _signed_in(actor)
    secret = actor.issue_calendar_token()
    db.session.flush()
    return secret


@operation(audited=True)
def revoke_calendar(actor: User) -> bool:
    """One's calendar address stops working; False when there was none."""
    _signed_in(actor)
    had = actor.calendar_token_hash is not None
    actor.revoke_calendar_token()
    db.session.flush()
    return had


@operation
def set_language(actor: User, language: str) -> bool:
    """One's own interface (and mail) language; False when it already was."""
    _signed_in(actor)
    if language not in LANGUAGES:
        raise Invalid({"language": _("Ngôn ngữ không có trong hệ thống.")})
    changed = actor.language != language
    actor.language = language
    db.session.flush()
    return changed


@operation(audited=True)
def create_user(actor: User, *, email: str, agency: str, role: str, password: str = "", name: str = "",
                active: bool = True) -> User:
    """The office opens an account; without a password the person is sent an invitation (queued with it)."""
    _office(actor)
    if not password and not active:
        # A locked account could not use an invitation: its link would only say it no longer works.
        raise Invalid({"password": _("Tài khoản tạo ở trạng thái khóa cần mật khẩu; hoặc chọn «Đang hoạt động» để "
                                     "gửi thư mời.")})
    if password:
        _password_rule("password", password)
    try:
        user = services.create_user(email or "", agency or "", role or "", password or "", name or "", active=active)
    except AccountError as exc:
        raise Invalid({exc.field: str(exc)}) from None
    if not password:
        send_invitation(user)  # queued in this transaction: no account without its mail, nor the reverse
    return user


@operation(audited=True)
def update_user(actor: User, user: User, *, email: str, agency: str, role: str, active: bool, name: str = "",
                password: str = "") -> User:
    """The office changes an account (a blank password keeps it); nobody takes the office's rights from themself."""
    _office(actor)
    if password and user.directory:
        raise Invalid({"password": _("Tài khoản này đăng nhập bằng mật khẩu của danh bạ của tỉnh; Văn phòng không đặt "
                                     "mật khẩu cho tài khoản này.")})
    if password:
        _password_rule("password", password)
    try:
        return services.update_user(user, actor, email=email or "", name=name or "", agency_name=agency or "",
                                    role=role or "", active=active, password=password or "")
    except AccountError as exc:
        raise Invalid({exc.field: str(exc)}) from None


@operation(audited=True)
def invite(actor: User, user: User) -> None:
    """The office sends an active account a new invitation to set its password (queued; sent after commit)."""
    _office(actor)
    if user.directory:
        raise Conflict(_("Tài khoản %(email)s đăng nhập bằng mật khẩu của danh bạ của tỉnh; không có mật khẩu nào để "
                         "mời đặt.", email=user.email))
    if not user.active:
        raise Conflict(_("Tài khoản %(email)s đang bị khóa; mở lại tài khoản trước khi gửi thư mời.", email=user.email))
    send_invitation(user)


@operation(audited=True)
def accept_invitation(token: str, new: str) -> User:
    """An invited person sets their own password through the link (which dies with it); the account."""
    user = invited_user(token) if len(token or "") < 500 else None
    if user is None:
        raise NotFound(_("Liên kết đặt mật khẩu này đã hết hạn, đã được dùng, hoặc không đầy đủ."))
    _password_rule("new", new)
    user.set_password(new)  # the link dies with the hash it was made with
    db.session.flush()
    return user


@operation(audited=True)
def sign_in_from_directory(person: DirectoryPerson) -> User:
    """The account of a person the directory (LDAP) or identity service (OIDC) vouched for, made or brought up to
    date from what it says; UnknownAgency (for `request_access`) when it names no agency the tracker knows."""
    return directory.account_for(person)


@operation
def request_access(person: DirectoryPerson) -> AccessRequest:
    """Keep the attempt of a person whose agency is unknown, for the office to answer."""
    return directory.request_access(person)


@operation(audited=True)
def answer_access_request(actor: User, request_id: int, agency: str = "") -> AccessRequest:
    """The office answers a request: with an agency, the directory's name for it becomes that agency's alias (the
    person can sign in now); without one, the request is dismissed."""
    _office(actor)
    request_ = db.session.get(AccessRequest, request_id)
    if request_ is None:
        raise NotFound(_("Không có yêu cầu này."))
    if request_.closed_at is not None:
        raise Conflict(_("Yêu cầu này đã được trả lời."))
    if agency:
        body = find_agency(agency)
        if body is None or body.is_group:
            raise Invalid({"agency": _("Chọn một cơ quan cụ thể trong danh bạ.")})
        names = [name.strip() for name in request_.agency_text.split(",") if name.strip()]
        if not names:
            raise Invalid({"agency": _("Danh bạ không ghi đơn vị nào cho người này; hãy tạo tài khoản cho họ.")})
        try:
            add_alias(body, names[0])
        except AgencyFileError as exc:
            raise Invalid({"agency": str(exc)}) from None
    request_.closed_at = utcnow()
    request_.closed_by_id = actor.id
    db.session.flush()
    return request_


@operation
def export_accounts(actor: User, page: str) -> None:
    """The office took a page of every account's personal data (names, e-mails) out of the tracker: noted in the
    administrative record."""
    _office(actor)
    # The summary is stored as data, in the language of the record (Vietnamese), not the reader's.
    audit.record("auth.export_accounts", actor, summary=f"Trang {page}")


# --- two-factor sign-in -------------------------------------------------------------------------------------------

@operation
def second_factor(user: User, code: str, address: str) -> User:
    """The second step of a sign-in: the account's TOTP code (or a recovery code), within the failed-attempt
    budgets of the password; the account."""
    attempt = throttle.reserve(f"2fa:{user.email}", address or "")
    if not attempt.allowed:
        until = to_local(datetime.fromtimestamp(attempt.retry_at, timezone.utc)).strftime("%H:%M")
        raise Throttled(_("Đã nhập sai mã quá nhiều lần. Vui lòng thử lại sau %(until)s.", until=until), attempt.retry_at)
    if not user.active or not two_factor.accept_code(user, code):
        raise Invalid({"code": _("Mã xác thực không đúng hoặc đã được dùng.")})
    throttle.succeeded(attempt)
    db.session.flush()  # the step or recovery code spent: after the counters, which write on their own connection
    return user


@operation(audited=True)
def enable_two_factor(actor: User, secret: str, code: str) -> list[str]:
    """Turn on two-factor sign-in with the secret the person's app scanned, proven by a code from it; the recovery
    codes, shown once."""
    _signed_in(actor)
    if actor.two_factor:
        raise Conflict(_("Xác thực hai lớp đã được bật."))
    if two_factor.matching_step(secret or "", code) is None:
        raise Invalid({"code": _("Mã không khớp. Kiểm tra giờ của điện thoại và nhập mã đang hiện.")})
    actor.totp_secret = secret
    actor.totp_enabled_at = utcnow()
    actor.totp_last_step = two_factor.matching_step(secret, code)
    return two_factor.new_recovery_codes(actor)


def _own_code(actor: User, code: str) -> None:
    if not actor.two_factor:
        raise Conflict(_("Xác thực hai lớp chưa được bật."))
    if not two_factor.accept_code(actor, code):
        raise Invalid({"code": _("Mã xác thực không đúng hoặc đã được dùng.")})
    db.session.flush()


@operation(audited=True)
def disable_two_factor(actor: User, code: str) -> None:
    """Turn off one's own two-factor sign-in, proven by a current code (refused where the office requires it)."""
    _signed_in(actor)
    if needs_two_factor(actor, two_factor.security_settings().require_two_factor):
        raise NotAllowed(_("Văn phòng Điều phối yêu cầu xác thực hai lớp với tài khoản của bạn."))
    _own_code(actor, code)
    two_factor.turn_off(actor)


@operation(audited=True)
def renew_recovery_codes(actor: User, code: str) -> list[str]:
    """New recovery codes for one's own account (the old ones stop working), proven by a current code."""
    _signed_in(actor)
    _own_code(actor, code)
    return two_factor.new_recovery_codes(actor)


@operation(audited=True)
def reset_two_factor(actor: User, user: User) -> None:
    """The office turns off an account's two-factor sign-in (a lost phone and no recovery code); its sessions end."""
    _office(actor)
    if not user.two_factor:
        raise Conflict(_("Tài khoản %(email)s không bật xác thực hai lớp.", email=user.email))
    two_factor.turn_off(user)
    user.end_sessions()
    db.session.flush()


@operation(audited=True)
def set_security(actor: User, require_two_factor: bool) -> SecuritySettings:
    """The office's sign-in rules: whether office and leader accounts must use two-factor sign-in."""
    _office(actor)
    settings = db.session.get(SecuritySettings, 1)
    if settings is None:
        settings = SecuritySettings(id=1)
        db.session.add(settings)
    settings.require_two_factor = bool(require_two_factor)
    settings.updated_at = utcnow()
    db.session.flush()
    return settings
