"""Sign-in within throttled budgets, user creation, token lookup."""
from __future__ import annotations

import functools
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utcnow
from ..extensions import db
from ..plan.services import find_agency
from ..text import nfc
from . import throttle
from .models import ROLES, ApiToken, User, hash_token
from .policy import gives_up_office

if TYPE_CHECKING:
    from .directory import DirectoryPerson

@functools.cache
def _dummy_hash(method: str) -> str:
    """A valid hash, by the method accounts use, to check against when the e-mail is unknown, so timing does not
    reveal accounts. Made at the first need rather than at import: scrypt takes 32 MiB and a tenth of a second,
    which every process started (web workers, each `flask` command) would otherwise pay."""
    return generate_password_hash(secrets.token_hex(8), method=method)


def _check_nothing(password: str) -> None:
    check_password_hash(_dummy_hash(current_app.config["PASSWORD_HASH_METHOD"]), password)


class AccountError(ValueError):
    """An account cannot be created or changed as asked; `field` names the input at fault."""

    def __init__(self, message: str, field: str = "email"):
        super().__init__(message)
        self.field = field


@dataclass
class SignIn:
    """The outcome of a sign-in attempt; `retry_at` (epoch seconds) is set when it was throttled, `person` when the
    directory (LDAP) vouched for the password (its account is made or updated from it by the caller)."""

    user: User | None = None
    retry_at: float | None = None
    person: DirectoryPerson | None = None


def normalise_email(email: str) -> str:
    """E-mail addresses compare case-insensitively."""
    return nfc(email).lower()


def authenticate(email: str, password: str, address: str) -> SignIn:
    """Check a password within the failed-attempt budgets of the account and the client's address.

    A local account's password is checked here; an account of the directory (LDAP), or a login no account has
    while the directory is configured, is checked by the directory (`ldap.authenticate`), within the same
    budgets. Unknown, wrong and throttled attempts cost one password hash each, so neither the answer nor
    its timing tells whether an account exists; the budgets are kept by the e-mail (or login) as typed, known
    or not, for the same reason. DirectoryUnavailable when the directory cannot be asked.
    """
    # Imported here: ldap.py builds on directory.py, which needs this module's normalise_email.
    from . import ldap
    from .directory import DirectoryUnavailable

    email = normalise_email(email)
    attempt = throttle.reserve(email, address)
    if not attempt.allowed:
        _check_nothing(password)
        return SignIn(retry_at=attempt.retry_at)
    user = db.session.scalar(sa.select(User).where(User.email == email))
    if ldap.configured() and (user is None or user.directory == ldap.DIRECTORY):
        try:
            person = ldap.authenticate(email, password)
        except DirectoryUnavailable:
            throttle.succeeded(attempt)  # no password was checked: nothing to count against anyone
            raise
        if person is None:
            return SignIn()
        throttle.succeeded(attempt)
        return SignIn(person=person)
    # A local account keeps its own password; an account of a directory opens only through that directory.
    if user is None or not user.active or user.directory is not None:
        _check_nothing(password)
        return SignIn()
    if not user.check_password(password):
        return SignIn()
    throttle.succeeded(attempt)
    return SignIn(user=user)


def safe_next(target: str | None) -> str | None:
    """Only a path on this site may follow a sign-in; anything else is dropped."""
    if not target or "\\" in target or any(ord(c) < 32 for c in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    return target


def _account_agency(agency_name: str):
    """The one body an account belongs to, by any name or alias; AccountError for an unknown name or a group."""
    agency = find_agency(agency_name)
    if agency is None:
        raise AccountError(gettext("Không có cơ quan «%(agency_name)s».", agency_name=agency_name), "agency")
    if agency.is_group:
        raise AccountError(gettext("«%(name)s» là một nhóm cơ quan; tài khoản thuộc về một cơ quan cụ thể.", name=agency.name), "agency")
    return agency


def _email_free(email: str, except_id: int | None = None) -> None:
    taken = sa.select(User.id).where(User.email == email)
    if except_id is not None:
        taken = taken.where(User.id != except_id)
    if db.session.scalar(taken):
        raise AccountError(gettext("Đã có tài khoản %(email)s.", email=email))


def create_user(email: str, agency_name: str, role: str, password: str, name: str = "",
                active: bool = True) -> User:
    """A new account; the agency may be given by any name or alias the importer accepts.

    A blank password leaves the account without one anybody knows (a random secret, never shown), for
    the person to set through an invitation (`invitations.send_invitation`).
    """
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(gettext("Vai trò phải là một trong: %(roles)s.", roles=', '.join(ROLES)), "role")
    agency = _account_agency(agency_name)
    _email_free(email)
    user = User(email=email, name=nfc(name), agency=agency, role=role, active=active)
    user.set_password(password or secrets.token_urlsafe(32))
    db.session.add(user)
    db.session.flush()
    return user


def update_user(user: User, by: User, *, email: str, name: str, agency_name: str, role: str, active: bool,
                password: str = "") -> User:
    """The office changes an account; nobody may take the office's rights away from themself."""
    email = normalise_email(email)
    if role not in ROLES:
        raise AccountError(gettext("Vai trò phải là một trong: %(roles)s.", roles=', '.join(ROLES)), "role")
    agency = _account_agency(agency_name)
    _email_free(email, except_id=user.id)
    if gives_up_office(user, by, role, active):
        raise AccountError(gettext("Không thể tự bỏ quyền Văn phòng Điều phối của chính mình."), "role")
    user.email, user.name, user.agency, user.role, user.active = email, nfc(name), agency, role, active
    if password:
        user.set_password(password)
    db.session.flush()
    return user


def revoke_tokens(user: User, now: datetime | None = None) -> int:
    """Revoke every live API token of an account; how many there were."""
    now = now or utcnow()
    live = [token for token in user.tokens if token.revoked_at is None]
    for token in live:
        token.revoked_at = now
    db.session.flush()
    return len(live)


def user_for_token(secret: str, now: datetime | None = None) -> User | None:
    """The active user a bearer token belongs to, or None for an unknown or revoked token."""
    token = db.session.scalar(sa.select(ApiToken).where(ApiToken.token_hash == hash_token(secret),
                                                        ApiToken.revoked_at.is_(None)))
    if token is None or not token.user.active:
        return None
    now = now or utcnow()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        token.last_used_at = now
    return token.user


def user_for_calendar(secret: str) -> User | None:
    """The active user whose calendar address carries this secret, or None."""
    if not secret.startswith("cal_") or len(secret) > 100:
        return None
    user = db.session.scalar(sa.select(User).where(User.calendar_token_hash == hash_token(secret)))
    return user if user is not None and user.active else None
