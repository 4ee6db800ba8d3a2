"""Accounts: users of one agency with one role, and their API tokens."""
from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship
from werkzeug.security import check_password_hash, generate_password_hash

from ..i18n import N_
from ..clock import utcnow
from ..extensions import db, enum_column, vocabulary
from ..plan.models import Agency

ROLE_LABELS = {
    "office": N_("Văn phòng Điều phối"),
    "officer": N_("Cán bộ cơ quan"),
    "leader": N_("Lãnh đạo (chỉ xem)"),
}
ROLES = tuple(ROLE_LABELS)
UserRole = vocabulary("UserRole", ROLE_LABELS)
DIRECTORY_LABELS = {
    "ldap": N_("Danh bạ LDAP"),
    "oidc": N_("Dịch vụ định danh (OpenID Connect)"),
}
Directory = vocabulary("Directory", DIRECTORY_LABELS)


class User(UserMixin, db.Model):
    """A person who signs in; belongs to one agency and has one role."""

    __table_args__ = (sa.Index("uq_user_directory_id", "directory", "directory_id", unique=True),)

    id: Mapped[int] = mapped_column(primary_key=True)
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    agency_id: Mapped[int] = mapped_column(sa.ForeignKey("agency.id", ondelete="RESTRICT"), index=True)
    role: Mapped[str] = mapped_column(enum_column(UserRole, "role"))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Part of the id a session cookie carries: raising it ends every session of the account at once
    # (sign-out, a new password), including cookies copied elsewhere.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # The secret part of the user's calendar (ICS) address, as SHA-256; NULL when none or revoked.
    calendar_token_hash: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # The interface's language this user chose with the switch ("vi" or "en"); NULL until they choose, when
    # the browser's Accept-Language decides pages and mail is in Vietnamese.
    language: Mapped[str | None] = mapped_column(sa.String(5))
    # Where the password is checked: NULL here (password_hash), "ldap" or "oidc" at the province's directory,
    # which then names the account by `directory_id` (its DN, or the provider's subject).
    directory: Mapped[str | None] = mapped_column(enum_column(Directory, "user_directory", length=10))
    directory_id: Mapped[str | None] = mapped_column(sa.String(500))
    # Two-factor sign-in (TOTP, RFC 6238): the shared secret (base32) once set up, and since when it is asked for.
    totp_secret: Mapped[str | None] = mapped_column(sa.String(64))
    totp_enabled_at: Mapped[datetime | None]
    # The last TOTP time step accepted, so one code opens one session only.
    totp_last_step: Mapped[int | None]

    agency: Mapped[Agency] = relationship()
    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", order_by="ApiToken.id")

    @property
    def is_active(self) -> bool:  # Flask-Login refuses inactive accounts
        return self.active

    def get_id(self) -> str:
        """What the session cookie keeps: the account and its session version."""
        return f"{self.id}.{self.session_version}"

    def end_sessions(self) -> None:
        """Make every session cookie of this account stop working."""
        self.session_version = (self.session_version or 1) + 1

    @property
    def role_label(self) -> str:
        """The role in Vietnamese."""
        return ROLE_LABELS.get(self.role, self.role)

    @property
    def display_name(self) -> str:
        """The name, or the e-mail when no name was given."""
        return self.name or self.email

    def set_password(self, password: str) -> None:
        """Store a salted hash of the password (scrypt unless configured otherwise); sessions of the old one end."""
        if self.password_hash:
            self.end_sessions()
        self.password_hash = generate_password_hash(password, method=current_app.config["PASSWORD_HASH_METHOD"])

    def check_password(self, password: str) -> bool:
        """True when the password matches the stored hash (never for an account of the directory, which has none)."""
        return bool(self.password_hash) and check_password_hash(self.password_hash, password)

    @property
    def two_factor(self) -> bool:
        """Whether signing in asks for a TOTP code after the password."""
        return self.totp_enabled_at is not None

    def issue_calendar_token(self) -> str:
        """A new secret for the calendar address (the old address stops working); shown once, stored hashed."""
        secret = "cal_" + secrets.token_urlsafe(24)
        self.calendar_token_hash = hash_token(secret)
        return secret

    def revoke_calendar_token(self) -> None:
        """The calendar address stops working."""
        self.calendar_token_hash = None


def hash_token(token: str) -> str:
    """Tokens are stored as SHA-256: they are random, so a slow hash adds nothing."""
    return hashlib.sha256(token.encode()).hexdigest()


class ApiToken(db.Model):
    """A per-user bearer token for the API; only its hash is kept."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(100), default="")
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    prefix: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(back_populates="tokens")

    @classmethod
    def issue(cls, user: User, name: str = "") -> tuple[ApiToken, str]:
        """A new token for the user, and its secret, which is shown once and never stored."""
        secret = "trk_" + secrets.token_urlsafe(32)
        token = cls(user=user, name=name, token_hash=hash_token(secret), prefix=secret[:10])
        db.session.add(token)
        return token, secret


class RateLimitCounter(db.Model):
    """One rate-limit counter (sign-in attempts) and the end of its window, shared by every worker."""

    __tablename__ = "rate_limit"

    key: Mapped[str] = mapped_column(sa.String(600), primary_key=True)
    hits: Mapped[int]
    expires_at: Mapped[float] = mapped_column(index=True)  # epoch seconds, as the limits library counts


class RecoveryCode(db.Model):
    """A one-time code that stands in for a lost authenticator; kept as SHA-256, spent once."""

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]


class AccessRequest(db.Model):
    """A person the directory knows whose department or district the tracker does not: the office decides.

    One row per person of a directory; a new attempt updates it (what the directory said, when, how often).
    """

    __table_args__ = (sa.UniqueConstraint("directory", "login", name="uq_access_request_login"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    directory: Mapped[str] = mapped_column(enum_column(Directory, "access_request_directory", length=10))
    login: Mapped[str] = mapped_column(sa.String(500))  # what identifies them there: DN or subject
    email: Mapped[str] = mapped_column(sa.String(254), default="")
    name: Mapped[str] = mapped_column(sa.String(200), default="")
    agency_text: Mapped[str] = mapped_column(sa.String(300), default="")  # the directory's words, as given
    role: Mapped[str] = mapped_column(enum_column(UserRole, "access_request_role"))
    attempts: Mapped[int] = mapped_column(default=1)
    first_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Set when the office answered it: by adding the name as an agency's alias, or by dismissing it.
    closed_at: Mapped[datetime | None]
    closed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id", ondelete="SET NULL"))


class SecuritySettings(db.Model):
    """The office's sign-in rules (one row)."""

    id: Mapped[int] = mapped_column(primary_key=True)
    # Office and leader accounts must set up two-factor sign-in before anything else.
    require_two_factor: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    updated_at: Mapped[datetime | None]
