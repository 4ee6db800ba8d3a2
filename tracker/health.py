"""GET /healthz for load balancers and monitoring: the database answers and its schema is this code's."""
from __future__ import annotations

import ast
import functools
import os

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .extensions import db, migrations_directory

bp = Blueprint("health", __name__)


@functools.cache
def _head_revision(directory: str) -> str | None:
    """The newest migration: the one revision no other script names as its parent (None if not exactly one).

    Read from the scripts' `revision` and `down_revision` rather than through Alembic, so that a web worker
    answering load balancers never imports Alembic and Mako (some 11 MiB); tests/test_migrations.py checks that
    this is Alembic's head.
    """
    revisions, parents = set(), set()
    for name in sorted(os.listdir(os.path.join(directory, "versions"))):
        if not name.endswith(".py"):
            continue
        with open(os.path.join(directory, "versions", name), encoding="utf-8") as script:
            tree = ast.parse(script.read())
        for node in tree.body:
            targets = node.targets if isinstance(node, ast.Assign) else [node.target] if isinstance(
                node, ast.AnnAssign) and node.value is not None else []
            for target in (t.id for t in targets if isinstance(t, ast.Name)):
                if target == "revision":
                    revisions.add(ast.literal_eval(node.value))
                elif target == "down_revision":
                    parent = ast.literal_eval(node.value)
                    parents.update(parent if isinstance(parent, (tuple, list)) else [parent] if parent else [])
    heads = revisions - parents
    return next(iter(heads)) if len(heads) == 1 else None


@bp.get("/healthz")
def healthz():
    """200 when the database answers and is migrated to this release; 503, with the reason, otherwise."""
    head = _head_revision(migrations_directory(current_app))
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
