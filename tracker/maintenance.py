"""Database upkeep: statistics for the query planner, and expired sign-in counters cleared away."""
from __future__ import annotations

import time

import sqlalchemy as sa

from .auth.models import RateLimitCounter
from .changes import forget_old_changes
from .extensions import db


def prune(now: float | None = None) -> None:
    """Nightly: expired sign-in counters and all but the newest change record go."""
    forget_expired_counters(now)
    forget_old_changes()


def forget_expired_counters(now: float | None = None) -> int:
    """Delete rate-limit counters whose window has ended (a new attempt starts a fresh one anyway)."""
    now = time.time() if now is None else now
    return db.session.execute(sa.delete(RateLimitCounter).where(RateLimitCounter.expires_at <= now)).rowcount


def refresh_statistics() -> None:
    """Let the database re-measure its tables (SQLite ANALYZE, PostgreSQL ANALYZE).

    Without statistics SQLite walks a whole plan for "tasks of this agency" instead of starting from
    the agency's assignments; after a large import or seed, and once a day, they are brought up to date.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")  # sample large indexes: fast, and enough
    connection.exec_driver_sql("ANALYZE")
