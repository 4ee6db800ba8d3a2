"""GET /healthz for load balancers and monitoring: the database answers and its schema is this code's."""
from __future__ import annotations

import functools
import os

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db

bp = Blueprint("health", __name__)


@functools.cache
def _head_revision(directory: str) -> str | None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", directory)
    return ScriptDirectory.from_config(config).get_current_head()


@bp.get("/healthz")
def healthz():
    """200 when the database answers and is migrated to this release; 503, with the reason, otherwise."""
    head = _head_revision(os.path.join(os.path.dirname(current_app.root_path), "migrations"))
    try:
        db.session.execute(sa.text("SELECT 1"))
        has_versions = sa.inspect(db.engine).has_table("alembic_version")
        revision = db.session.scalar(sa.text("SELECT version_num FROM alembic_version")) if has_versions else None
        db.session.rollback()
    except SQLAlchemyError as error:
        db.session.rollback()
        current_app.logger.error("health check: the database does not answer: %s", error)
        return jsonify(status="error", database="unreachable"), 503
    if has_versions and revision != head:
        return jsonify(status="error", database="ok", schema=revision, expected=head,
                       message="run `flask db upgrade`"), 503
    # A database made by create_all (tests) has no version table; production always has one.
    return jsonify(status="ok", database="ok", schema=revision or "unversioned")
