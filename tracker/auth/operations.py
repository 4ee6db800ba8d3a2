"""Every change to accounts: signing in with a token, … Each asks the policy, flushes, raises a DomainError;
never commits (tracker/operations.py)."""
from __future__ import annotations

from ..operations import operation
from .models import User
from .services import user_for_token


@operation
def authenticate_token(secret: str) -> User | None:
    """The active user a bearer token belongs to (None for an unknown or revoked one); notes its last use."""
    return user_for_token(secret)
