"""Sign-in throttling: failed attempts counted per account, per client address and per pair.

The counters live in Flask-Limiter's storage. By default that is the application's own database
(`database://`, below), which every worker and host already shares; `TRACKER_RATELIMIT_STORAGE_URI`
may name Redis instead (`redis://host:6379`).
"""
from __future__ import annotations

import time
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask import current_app
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from limits import parse
from limits.storage import Storage
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from ..extensions import db
from .models import RateLimitCounter

limiter = Limiter(key_func=get_remote_address)

# Which budgets a sign-in attempt draws on, narrowest first: when one is spent, the wider ones are
# left untouched, so hammering one account from one address cannot lock that account for others.
BUDGETS = (
    ("pair", "LOGIN_LIMIT_ACCOUNT_ADDRESS"),
    ("address", "LOGIN_LIMIT_ADDRESS"),
    ("account", "LOGIN_LIMIT_ACCOUNT"),
)


@dataclass
class Attempt:
    """Budget held for one sign-in attempt; `retry_at` (epoch seconds) is set when it was refused."""

    held: list = field(default_factory=list)
    retry_at: float | None = None

    @property
    def allowed(self) -> bool:
        """Whether the password may be checked."""
        return self.retry_at is None


def _identifiers(budget: str, email: str, address: str) -> tuple[str, ...]:
    return {"pair": (email, address), "address": (address,), "account": (email,)}[budget]


def reserve(email: str, address: str) -> Attempt:
    """Take one attempt from every budget before the password is checked.

    Counting first and checking after makes the limit exact under parallel requests: the sixth of
    forty simultaneous attempts already sees a count of six. A refused attempt gives back what it
    took, so it does not use up the wider budgets.
    """
    strategy = limiter.limiter
    attempt = Attempt()
    for budget, setting in BUDGETS:
        item = parse(current_app.config[setting])
        identifiers = ("login", budget, *_identifiers(budget, email, address))
        if not strategy.hit(item, *identifiers):
            attempt.retry_at = strategy.get_window_stats(item, *identifiers).reset_time
            _give_back([*attempt.held, (item, identifiers)])
            attempt.held = []
            return attempt
        attempt.held.append((item, identifiers))
    return attempt


def succeeded(attempt: Attempt) -> None:
    """A successful sign-in costs nothing: only failures use up the budgets."""
    _give_back(attempt.held)
    attempt.held = []


def _give_back(held) -> None:
    for item, identifiers in held:
        limiter.limiter.hit(item, *identifiers, cost=-1)


class DatabaseStorage(Storage):
    """A `limits` storage in the application's database: one row per counter, incremented atomically."""

    STORAGE_SCHEME = ["database"]

    @property
    def base_exceptions(self):
        return sa.exc.OperationalError

    def _run(self, statement, read=lambda result: result.scalar()):
        # Its own short transaction: a failed sign-in is counted even though its request rolls back.
        # The result is read inside it: SQLite cannot commit while a RETURNING cursor is open.
        with db.engine.begin() as connection:
            return read(connection.execute(statement))

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add to a counter, starting a new window if the old one has ended; the new count."""
        now = time.time()
        table = RateLimitCounter.__table__
        insert = pg_insert if db.engine.dialect.name == "postgresql" else sqlite_insert
        expired = table.c.expires_at <= now
        statement = insert(table).values(key=key, hits=amount, expires_at=now + expiry)
        statement = statement.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"hits": sa.case((expired, amount), else_=table.c.hits + amount),
                  "expires_at": sa.case((expired, now + expiry), else_=table.c.expires_at)},
        ).returning(table.c.hits)
        return self._run(statement, lambda result: result.scalar_one())

    def _live(self, column):
        return sa.select(column).where(RateLimitCounter.key == sa.bindparam("key"),
                                       RateLimitCounter.expires_at > time.time())

    def get(self, key: str) -> int:
        """The counter's value in its current window."""
        return self._run(self._live(RateLimitCounter.hits).params(key=key)) or 0

    def get_expiry(self, key: str) -> float:
        """When the counter's window ends (epoch seconds)."""
        return self._run(self._live(RateLimitCounter.expires_at).params(key=key)) or time.time()

    def check(self) -> bool:
        """Whether the database answers."""
        try:
            self._run(sa.select(1))
        except sa.exc.SQLAlchemyError:
            return False
        return True

    def reset(self) -> int:
        """Forget every counter."""
        return self._run(sa.delete(RateLimitCounter), lambda result: result.rowcount)

    def clear(self, key: str) -> None:
        """Forget one counter."""
        self._run(sa.delete(RateLimitCounter).where(RateLimitCounter.key == key), lambda result: None)
