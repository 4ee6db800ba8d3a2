"""Two-factor sign-in: a TOTP code (RFC 6238) from an authenticator app after the password, or a one-time
recovery code when the phone is lost.

A code is accepted within one 30-second step either side (a phone's clock drifts), and each step once: the
account keeps the last step it accepted, so a code read over a shoulder cannot open a second session. Recovery
codes are kept as SHA-256 (they are random) and each works once.
"""
from __future__ import annotations

import hmac
import secrets
import string
from datetime import datetime, timezone

import pyotp
import sqlalchemy as sa
from flask import current_app

from ..clock import utcnow
from ..extensions import db
from .models import RecoveryCode, SecuritySettings, User, hash_token
from .policy import needs_two_factor

RECOVERY_CODES = 10
_RECOVERY_ALPHABET = string.ascii_lowercase.replace("l", "").replace("o", "") + "23456789"


def new_secret() -> str:
    """A fresh shared secret (base32, 160 bits) for an authenticator app."""
    return pyotp.random_base32(32)


def provisioning_uri(user: User, secret: str) -> str:
    """The otpauth:// address an authenticator app reads from the QR code."""
    return pyotp.TOTP(secret).provisioning_uri(name=user.email,
                                               issuer_name=current_app.config.get("TWO_FACTOR_ISSUER") or "NTM Lạng Sơn")


def qr_svg(uri: str) -> str:
    """The QR code of an address, as an inline SVG (no image request, no external service)."""
    import segno  # only for turning two-factor sign-in on

    return segno.make(uri, error="m").svg_inline(scale=4, dark="#111", light="#fff", title="QR")


def _clean(code: str) -> str:
    return "".join(ch for ch in (code or "").lower() if ch.isalnum())[:40]


def matching_step(secret: str, code: str, now: datetime | None = None) -> int | None:
    """The time step a six-digit code belongs to (this one or one either side), or None."""
    code = _clean(code)
    if not secret or len(code) != 6 or not code.isdigit():
        return None
    totp = pyotp.TOTP(secret)
    moment = now or utcnow()
    # The app keeps naive datetimes in UTC; a naive one must not be read as the machine's local time.
    step = int((moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)).timestamp() // totp.interval)
    for candidate in (step, step - 1, step + 1):
        if hmac.compare_digest(totp.generate_otp(candidate), code):
            return candidate
    return None


def accept_code(user: User, code: str, now: datetime | None = None) -> bool:
    """Whether `code` is the account's current TOTP code, not used before, or one of its unused recovery codes
    (which is then spent). Does not flush: the sign-in's counters are written first, on their own connection,
    which a flushed write here would lock out on SQLite."""
    step = matching_step(user.totp_secret or "", code, now)
    if step is not None:
        if user.totp_last_step is not None and step <= user.totp_last_step:
            return False
        user.totp_last_step = step
        return True
    return use_recovery_code(user, code, now)


def use_recovery_code(user: User, code: str, now: datetime | None = None) -> bool:
    """Spend one of the account's recovery codes (not flushed); False when it is not one of them (or was used)."""
    code = _clean(code)
    if len(code) != 10:
        return False
    found = db.session.scalar(sa.select(RecoveryCode).where(RecoveryCode.user_id == user.id,
                                                            RecoveryCode.code_hash == hash_token(code),
                                                            RecoveryCode.used_at.is_(None)))
    if found is None:
        return False
    found.used_at = now or utcnow()
    return True


def new_recovery_codes(user: User) -> list[str]:
    """Replace the account's recovery codes with RECOVERY_CODES new ones, shown once (as xxxxx-xxxxx)."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = ["".join(secrets.choice(_RECOVERY_ALPHABET) for _ in range(10)) for _ in range(RECOVERY_CODES)]
    db.session.add_all(RecoveryCode(user_id=user.id, code_hash=hash_token(code)) for code in codes)
    db.session.flush()
    return [f"{code[:5]}-{code[5:]}" for code in codes]


def recovery_codes_left(user: User) -> int:
    """How many unused recovery codes the account has."""
    return db.session.scalar(sa.select(sa.func.count()).select_from(RecoveryCode)
                             .where(RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None))) or 0


def turn_off(user: User) -> None:
    """The account signs in with its password alone again; its recovery codes go."""
    user.totp_secret = user.totp_enabled_at = user.totp_last_step = None
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    db.session.flush()


def security_settings() -> SecuritySettings:
    """The office's sign-in rules (defaults until the office saves them)."""
    return db.session.get(SecuritySettings, 1) or SecuritySettings(id=1, require_two_factor=False)


def must_set_up(user: User) -> bool:
    """Whether the account must set up two-factor sign-in before doing anything else."""
    return not user.two_factor and needs_two_factor(user, security_settings().require_two_factor)
