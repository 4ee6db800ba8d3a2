"""Flask extensions, created unbound and initialised in create_app(); column types every domain uses."""
import logging
import os
import sqlite3
from enum import StrEnum

import click
import sqlalchemy as sa

from flask import Flask
from flask_babel import lazy_gettext
from flask_login import LoginManager
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base with a naming convention so migrations can name every constraint."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)
csrf = CSRFProtect()
login_manager = LoginManager()
login_manager.login_view = "auth.login"
login_manager.login_message = lazy_gettext("Vui lòng đăng nhập để tiếp tục.")
login_manager.login_message_category = "error"


def migrations_directory(app: Flask) -> str:
    """The Alembic scripts beside the package (migrations/)."""
    return os.path.join(os.path.dirname(app.root_path), "migrations")


def bind_migrations(app: Flask) -> None:
    """Flask-Migrate on the app: its `flask db` commands and flask_migrate.upgrade() and the like.

    Not part of create_app: Flask-Migrate imports Alembic and Mako (some 11 MiB) that a web worker never uses.
    `flask db …` binds it as the command starts; code that calls flask_migrate's functions binds it first.
    """
    if "migrate" not in app.extensions:
        # Alembic announces each plugin it sets up as it is imported: noise among the command's own lines.
        logging.getLogger("alembic.runtime.plugins").setLevel(logging.WARNING)
        from flask_migrate import Migrate

        Migrate(app, db, directory=migrations_directory(app), render_as_batch=True)


class MigrationCommands(click.Group):
    """`flask db …`: Flask-Migrate's commands, bound to the app (and Alembic imported) only when one runs."""

    def __init__(self, app: Flask):
        super().__init__("db", help="Perform database migrations (Flask-Migrate).")
        self.app = app

    def _commands(self) -> click.Group:
        bind_migrations(self.app)
        from flask_migrate.cli import db as commands

        return commands

    def make_context(self, info_name, args, parent=None, **extra) -> click.Context:
        # From here on Flask-Migrate's own group parses and runs the command (its options, its --help).
        return self._commands().make_context(info_name, args, parent=parent, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return self._commands().list_commands(ctx)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return self._commands().get_command(ctx, name)


SQLITE_CACHE_KIB = 8000
SWEEP_CACHE_KIB = 32000


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # SQLite ignores foreign keys unless asked on every connection; WAL and a busy timeout let
    # the web server and the scheduler write to one file without "database is locked".
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=5000")
        cursor.execute("PRAGMA journal_mode=WAL")
        # 8 MB of page cache per connection (the default is 2 MB); a web worker holds one connection a
        # thread, so this bounds its memory. The reminder sweep raises its own (see sweep.py).
        cursor.execute(f"PRAGMA cache_size=-{SQLITE_CACHE_KIB}")
        cursor.close()


def vocabulary(name: str, labels: dict[str, str]) -> type[StrEnum]:
    """A StrEnum of the keys of a labels dict: the vocabulary is written once, with its Vietnamese labels."""
    return StrEnum(name, {value.upper(): value for value in labels})


def enum_column(vocabulary_: type[StrEnum], name: str, length: int = 20) -> sa.Enum:
    """A non-native enum: a VARCHAR with a CHECK constraint named `name`, alike on SQLite and PostgreSQL.

    Values are stored as the members' values; a member compares equal to its plain string.
    """
    return sa.Enum(vocabulary_, name=name, native_enum=False, create_constraint=True, length=length,
                   values_callable=lambda members: [m.value for m in members], validate_strings=True)
