"""Where the suite's databases live: SQLite files by default, or PostgreSQL databases on one server.

`TRACKER_TEST_DATABASE_URL=postgresql+psycopg://user:password@127.0.0.1/postgres` runs the whole suite on
that server. Deliberately not TRACKER_DATABASE_URL: the suite creates and drops databases (every name
starts with "trk_test_"), and must never be pointed at production by the variable production sets.
"""
from __future__ import annotations

import hashlib
import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

SERVER = os.environ.get("TRACKER_TEST_DATABASE_URL", "").strip() or None
PREFIX = "trk_test_"
_made: set[str] = set()  # by this run: another run of the suite on the same server keeps its own


def on_postgresql() -> bool:
    """Whether this run of the suite uses PostgreSQL."""
    return SERVER is not None


def _name_for(folder: Path) -> str:
    # PostgreSQL names are at most 63 bytes; a folder's path names the test's database uniquely.
    return PREFIX + hashlib.sha1(str(folder).encode()).hexdigest()[:20]


def _admin():
    return sa.create_engine(make_url(SERVER), isolation_level="AUTOCOMMIT", poolclass=sa.pool.NullPool)


def url_of(name: str) -> str:
    """The URL of the database `name` on the test server."""
    return make_url(SERVER).set(database=name).render_as_string(hide_password=False)


def fresh_database(folder: Path, template: str | None = None) -> str:
    """A new, empty database for `folder` (a copy of `template` if given), replacing any before it; its URL."""
    if not on_postgresql():
        path = folder / "test.sqlite"
        for stale in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
            stale.unlink(missing_ok=True)
        return f"sqlite:///{path}"
    name = _name_for(folder)
    engine = _admin()
    with engine.connect() as connection:
        # FORCE: a connection another app of the last test left open must not keep the old copy alive.
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    engine.dispose()
    _made.add(name)
    return url_of(name)


def database_name(url: str) -> str:
    """The database part of a URL: a file path on SQLite, a name on PostgreSQL."""
    return make_url(url).database


def copy_into(url: str, template_url: str) -> None:
    """Replace the database at `url` by a copy of the one at `template_url`."""
    if not on_postgresql():
        import shutil

        target = database_name(url)
        for stale in (target, f"{target}-wal", f"{target}-shm"):
            if os.path.exists(stale):
                # A new file, not the old one overwritten: a connection another app of the last test kept
                # open still points at the old file, and its write-ahead log must not be replayed onto it.
                os.unlink(stale)
        shutil.copyfile(database_name(template_url), target)
        return
    name, template = database_name(url), database_name(template_url)
    engine = _admin()
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    engine.dispose()
    _made.add(name)


def drop_all_test_databases() -> None:
    """Remove every database this run of the suite made on the server (at the end of the run)."""
    if not on_postgresql():
        return
    engine = _admin()
    with engine.connect() as connection:
        for name in sorted(_made):
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    engine.dispose()
    _made.clear()
