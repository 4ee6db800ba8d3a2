"""tracker: the plan's appendix as tracked tasks."""
from __future__ import annotations

import os
from datetime import date

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from .config import load_config
from .extensions import csrf, db, migrate


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, commands. No database work here."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(__name__, instance_relative_config=True,
                template_folder=os.path.join(root, "templates"), static_folder=os.path.join(root, "static"))
    load_config(app, test_config)
    app.json.ensure_ascii = False  # Vietnamese stays readable in API answers
    app.json.sort_keys = False
    os.makedirs(app.instance_path, exist_ok=True)

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(root, "migrations"))
    csrf.init_app(app)

    from . import models  # noqa: F401  (every model registered before migrations compare)
    from .api.views import bp as api_bp
    from .plan import cli as plan_cli
    from .plan.views import bp as plan_bp

    app.register_blueprint(plan_bp)
    app.register_blueprint(api_bp)
    plan_cli.init_app(app)
    _register_filters(app)
    _register_errors(app)
    return app


def _register_filters(app: Flask) -> None:
    @app.template_filter("vndate")
    def vndate(value: date | None) -> str:
        # Babel's Vietnamese short date is d/M/yy; offices write dd/mm/yyyy.
        return value.strftime("%d/%m/%Y") if value else ""


def _register_errors(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        if request.path.startswith("/api/"):
            return jsonify({"error": error.name, "message": error.description}), error.code
        return render_template("error.html", error=error), error.code
