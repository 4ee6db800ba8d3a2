"""Invitations: a new account without a password gets a one-use link to set its own, valid 72 hours.

The link is signed with the app's secret key and carries a fingerprint of the account's password hash:
setting a password changes the hash, so the link dies with its first use (and an older link with any
later password). Nothing is stored. The mail goes through the outbox, which belongs to the reminders
domain above this one: it registers the function that queues it (`register_mailer`), called here.
"""
from __future__ import annotations

import hashlib
from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from ..extensions import db
from .models import User

INVITATION_HOURS = 72
INVITATION_PATH = "/invitation/"  # + the token; mails link to BASE_URL + this
_SALT = "tracker.invitation"
_MAILER = "tracker.invitation_mailer"


class InvitationError(RuntimeError):
    """No way to send the invitation (no mailer registered)."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=_SALT)


def _fingerprint(user: User) -> str:
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


def invitation_token(user: User) -> str:
    """A signed token naming the account and its current password hash (by fingerprint)."""
    return _serializer().dumps({"user": user.id, "hash": _fingerprint(user)})


def invitation_link(user: User) -> str:
    """The absolute address the invitation mail carries."""
    return current_app.config["BASE_URL"].rstrip("/") + INVITATION_PATH + invitation_token(user)


def invited_user(token: str) -> User | None:
    """The active account a token was made for, while it is under 72 hours old and its password is still
    the one it was made with; None for an expired, used, forged or malformed token."""
    try:
        data = _serializer().loads(token, max_age=INVITATION_HOURS * 3600)
    except (SignatureExpired, BadSignature):
        return None
    if not isinstance(data, dict) or not isinstance(data.get("user"), int):
        return None
    user = db.session.scalar(sa.select(User).where(User.id == data["user"]))
    # An account of the directory has no password of ours to set (an older link must not give it one).
    if user is None or not user.active or user.directory or data.get("hash") != _fingerprint(user):
        return None
    return user


def register_mailer(app, mailer: Callable[[User, str, int], None]) -> None:
    """Name the function that queues an invitation mail (user, link, hours valid) in the current transaction."""
    app.extensions[_MAILER] = mailer


def send_invitation(user: User) -> None:
    """Queue the invitation mail in the current transaction (the view commits; it goes out after)."""
    mailer = current_app.extensions.get(_MAILER)
    if mailer is None:
        raise InvitationError("no invitation mailer registered")
    mailer(user, invitation_link(user), INVITATION_HOURS)
