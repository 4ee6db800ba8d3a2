"""Database upkeep that keeps the query planner choosing the indexes the lists are built on."""
from __future__ import annotations

from .extensions import db


def refresh_statistics() -> None:
    """Let the database re-measure its tables (SQLite ANALYZE, PostgreSQL ANALYZE).

    Without statistics SQLite walks a whole plan for "tasks of this agency" instead of starting from
    the agency's assignments; after a large import or seed, and once a day, they are brought up to date.
    """
    connection = db.session.connection()
    if connection.dialect.name == "sqlite":
        connection.exec_driver_sql("PRAGMA analysis_limit=1000")  # sample large indexes: fast, and enough
    connection.exec_driver_sql("ANALYZE")
