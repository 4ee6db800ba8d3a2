"""tracker: the plan's appendix as tracked tasks."""
from __future__ import annotations

import os
from urllib.parse import urlsplit

from flask import Flask, redirect, render_template, request, url_for
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, InternalError, OperationalError
from werkzeug.exceptions import Conflict, HTTPException, ServiceUnavailable

from . import i18n, logs
from .config import load_config
from .files.storage import check_files_url
from .clock import vn_date, vn_time
from .extensions import MigrationCommands, csrf, db, login_manager
from .web import HTTP_MESSAGES, IdConverter, install_security


def create_app(test_config: dict | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, commands. No database work here."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    app = Flask(__name__, instance_relative_config=True,
                template_folder=os.path.join(root, "templates"), static_folder=os.path.join(root, "static"))
    load_config(app, test_config)
    check_files_url(app.config)  # files sit above config in the layers: the check lives with them
    app.url_map.converters["int"] = IdConverter  # an id no column holds is a 404, not an overflow
    # "/tasks//assignments" is a missing code (404, a problem for the API), not a 308 to another path.
    app.url_map.merge_slashes = False
    app.json.ensure_ascii = False  # Vietnamese stays readable in API answers
    app.json.sort_keys = False
    os.makedirs(app.instance_path, exist_ok=True)

    logs.init_app(app)  # first, so every request has its id before any other hook can answer it
    db.init_app(app)
    app.cli.add_command(MigrationCommands(app))
    csrf.init_app(app)
    login_manager.init_app(app)
    i18n.init_app(app)
    from .auth.throttle import limiter  # also registers the database:// storage for the counters
    limiter.init_app(app)

    from . import backup, commands
    from . import models  # noqa: F401  (every model registered before migrations compare)
    from .api.views import bp as api_bp, reference_bp
    from .auth import cli as auth_cli
    from .files import cli as files_cli
    from .auth.views import bp as auth_bp
    from .auth import oidc
    from .auth import access_views, audit_views, two_factor_views  # noqa: F401  (their routes join the auth blueprint)
    from .plan import cli as plan_cli
    from .plan.views import bp as plan_bp
    from .progress.views import bp as progress_bp
    from .reminders import cli as reminders_cli
    from .reminders import invitations as reminders_invitations
    from .reminders.views import bp as reminders_bp
    from .reporting.views import bp as reporting_bp
    from .indicators import cli as indicators_cli
    from .indicators.views import bp as indicators_bp
    from .dashboard.views import bp as dashboard_bp
    from .documents import services as documents_services
    from .documents.views import bp as documents_bp
    from .exports.views import bp as exports_bp
    from .health import bp as health_bp

    for blueprint in (health_bp, auth_bp, oidc.bp, plan_bp, progress_bp, reporting_bp, indicators_bp, reminders_bp,
                      dashboard_bp, documents_bp, exports_bp, api_bp, reference_bp):
        app.register_blueprint(blueprint)
    documents_services.init_app(app)
    oidc.init_app(app)
    plan_cli.init_app(app)
    commands.init_app(app)
    backup.init_app(app)
    auth_cli.init_app(app)
    files_cli.init_app(app)
    reminders_cli.init_app(app)
    reminders_invitations.init_app(app)
    indicators_cli.init_app(app)
    _register_login(app)
    _register_filters(app)
    _register_errors(app)
    install_security(app)
    return app


# Pages anyone may open; everything else needs an account (the API checks its own tokens).
# The calendar feed authenticates by the secret in its address: calendar apps carry no session.
PUBLIC_ENDPOINTS = {"auth.login", "auth.second_step", "auth.language", "auth.invitation", "static", "exports.calendar", "health.healthz",
                    "api_docs.reference", "oidc.login", "oidc.callback"}


def _register_login(app: Flask) -> None:
    from .auth.models import User

    @login_manager.user_loader
    def load_user(session_id: str):
        # "id.version": a cookie from before a sign-out or a password change names an old version.
        account, _, version = session_id.partition(".")
        if not (account.isascii() and account.isdigit() and version.isascii() and version.isdigit()
                and len(account) < 19 and len(version) < 19):
            return None
        user = db.session.get(User, int(account))
        return user if user and user.active and user.session_version == int(version) else None

    @app.before_request
    def require_login():
        if request.endpoint in PUBLIC_ENDPOINTS or request.blueprint == "api" or request.endpoint is None:
            return None
        if not current_user.is_authenticated:
            if request.method == "POST" and any(value.strip() for value in request.form.values()):
                return kept_form_page("session")
            return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
        return None


def kept_form_page(reason: str):
    """A form that could not be accepted (the session ended, or its CSRF token with it): the text the
    user typed is shown back, to copy after signing in again, instead of being lost."""
    from .auth.services import safe_next

    kept = [(name, value) for name, value in request.form.items(multi=True)
            if value.strip() and not name.endswith(("csrf_token", "version", "password", "current", "new", "confirm"))]
    referrer = urlsplit(request.referrer or "")
    local = referrer.path + (f"?{referrer.query}" if referrer.query else "")
    back = (safe_next(local) if referrer.netloc == request.host else None) or url_for("progress.index")
    return render_template("auth/signed_out.html", kept=kept, back=back, reason=reason), 401 if reason == "session" else 400


def _register_filters(app: Flask) -> None:
    from . import forms
    from .auth import policy
    from .files.display import file_size
    from .quarters import roman
    from .text import line_breaks

    # Templates ask the same policy as views: they never compare role strings.
    app.jinja_env.globals.update(is_office=policy.is_office, is_officer=policy.is_officer,
                                 can_submit_report=policy.can_submit_report,
                                 can_enter_figure=policy.can_enter_figure, can_edit_commune=policy.can_edit_commune)

    app.add_template_filter(vn_date, "vndate")
    app.add_template_filter(vn_time, "vntime")
    app.add_template_filter(file_size, "filesize")
    app.add_template_filter(line_breaks, "linebreaks")
    app.add_template_filter(roman, "roman")  # a quarter's number as "I"–"IV"
    forms.init_app(app)  # the error summary at the top of every page with a form's errors


def _http_error(error) -> HTTPException:
    """A domain refusal as the HTTP error the error page shows: its status, its message or the status's own."""
    from werkzeug.exceptions import default_exceptions

    shown = default_exceptions[error.status]()
    shown.description = error.message or HTTP_MESSAGES.get(error.status, shown.description)
    return shown


def _register_errors(app: Flask) -> None:
    from .api import errors as api_errors
    from .files.storage import StorageUnavailable
    from .operations import DomainError

    @app.errorhandler(DomainError)
    def refused(error: DomainError):
        # An operation's refusal that its view did not turn into a form's messages: the HTTP answer it names,
        # with its own words (a page), or as problem details (the API).
        db.session.rollback()
        if request.path.startswith("/api/"):
            return api_errors.from_domain(error)
        return render_template("error.html", error=_http_error(error)), error.status

    @app.errorhandler(IntegrityError)
    def duplicate(error: IntegrityError):
        # Two requests raced to create the same thing (a submission, an assignment, an account): the
        # unique key kept one; the other gets a conflict, not a crash.
        db.session.rollback()
        message = gettext("Việc này vừa được thực hiện bởi một yêu cầu khác cùng lúc; tải lại trang để xem kết quả.")
        if request.path.startswith("/api/"):
            return api_errors.problem(409, message, type_=api_errors.RACE)
        return render_template("error.html", error=Conflict(message)), 409

    @app.errorhandler(OperationalError)
    @app.errorhandler(InternalError)  # PostgreSQL's "read-only transaction" (a standby after fail-over)
    @app.errorhandler(OSError)
    def storage_error(error: Exception):
        # The database is locked, read-only or full, or the disk refused a file: nothing was saved.
        # Roll back first, so the error page (which reads the signed-in user) can itself use the session.
        db.session.rollback()
        app.logger.error("storage fault on %s %s: %s", request.method, request.path, error)
        message = gettext("Máy chủ tạm thời không lưu được dữ liệu (cơ sở dữ liệu hoặc ổ đĩa); chưa có gì thay đổi. "
                          "Thử lại sau ít phút.")
        if request.path.startswith("/api/"):
            return api_errors.problem(503, message, type_=api_errors.STORAGE)
        return render_template("error.html", error=ServiceUnavailable(message)), 503

    @app.errorhandler(StorageUnavailable)
    def files_unavailable(error: StorageUnavailable):
        # The object store (or the upload volume) did not answer: a download waits for it, and a change that
        # carried files saved nothing (a line update saves its text without them: see progress.operations).
        db.session.rollback()
        app.logger.error("file storage unavailable on %s %s: %s", request.method, request.path, error)
        if request.method in ("GET", "HEAD"):
            message = gettext("Kho lưu trữ tệp tạm thời không phản hồi nên chưa tải được tệp. Thử lại sau ít phút.")
        else:
            message = gettext("Kho lưu trữ tệp tạm thời không phản hồi; chưa có gì được lưu. Thử lại sau ít phút.")
        if request.path.startswith("/api/"):
            return api_errors.problem(503, message, type_=api_errors.STORAGE)
        return render_template("error.html", error=ServiceUnavailable(message)), 503

    @app.errorhandler(HTTPException)
    def http_error(error: HTTPException):
        # Werkzeug's own descriptions are English; ours (given to abort()) are already Vietnamese.
        # Flask-Limiter describes its limit in English ("3 per 1 minute").
        if error.description == type(error).description or error.code == 429:
            error.description = HTTP_MESSAGES.get(error.code, error.description)
        if request.path.startswith("/api/"):
            return api_errors.from_http(error)  # problem details, in the client's language
        if error.code == 400 and "CSRF" in (error.description or ""):
            if request.method == "POST" and request.form:
                return kept_form_page("csrf")
            error.description = gettext("Biểu mẫu đã hết hạn hoặc không hợp lệ (CSRF). Tải lại trang rồi thử lại.")
        # Werkzeug's headers go along (Allow on a 405, Retry-After from the limiter); its HTML type does not.
        headers = [(name, value) for name, value in error.get_headers() if name.lower() != "content-type"]
        return render_template("error.html", error=error), error.code, headers
