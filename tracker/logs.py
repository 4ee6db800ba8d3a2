"""Logs as one JSON line per request and per job, each request with an id that nginx can pass on.

The app only emits records (with their fields in `extra`); where they go is the process's choice:
`configure_logging` is called by wsgi.py, gunicorn.conf.py and `flask scheduler`, never by create_app,
so tests and embedding programs keep their own logging.
"""
from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, Response, g, has_request_context, request

# The attributes every LogRecord has; anything else on a record came from `extra=`.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}
# An id we accept from the proxy (nginx's $request_id is 32 hex digits); anything else is replaced.
_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")

log = logging.getLogger("tracker.request")


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC), level, logger, message, the record's extra fields, and
    the request id of the request it was logged in."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {"time": datetime.fromtimestamp(record.created, timezone.utc).isoformat(timespec="milliseconds"),
                 "level": record.levelname.lower(), "logger": record.name, "message": record.getMessage()}
        entry.update({key: value for key, value in vars(record).items() if key not in _STANDARD})
        if "request_id" not in entry and has_request_context() and "request_id" in g:
            entry["request_id"] = g.request_id
        if record.exc_info:
            entry["error"] = self.formatException(record.exc_info)
        return json.dumps(entry, ensure_ascii=False, default=str)


def configure_logging(config) -> None:
    """Send every log record of this process to standard error, as JSON lines (LOG_FORMAT=json, the
    default) or as plain text (LOG_FORMAT=text), at LOG_LEVEL. Idempotent; a process whose server set
    up logging already (gunicorn, from gunicorn_conf.py) is left as it is."""
    root = logging.getLogger()
    if any(not getattr(h, "_tracker", False) for h in root.handlers):
        return
    handler = logging.StreamHandler(sys.stderr)
    if str(config.get("LOG_FORMAT", "json")).lower() == "text":
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    else:
        handler.setFormatter(JsonFormatter())
    for old in [h for h in root.handlers if getattr(h, "_tracker", False)]:
        root.removeHandler(old)
    handler._tracker = True
    root.addHandler(handler)
    root.setLevel(str(config.get("LOG_LEVEL", "INFO")).upper())
    # Werkzeug's development server logs each request in its own words; ours already does.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)


def init_app(app: Flask) -> None:
    """Give each request an id (the proxy's X-Request-ID if sane), echo it, and log the request once."""

    @app.before_request
    def start_request() -> None:
        incoming = request.headers.get("X-Request-ID", "")
        g.request_id = incoming if _REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        g.request_started = time.perf_counter()

    @app.after_request
    def log_request(response: Response) -> Response:
        if "request_id" not in g:  # a response made before start_request ran (an early abort)
            return response
        response.headers["X-Request-ID"] = g.request_id
        if request.endpoint == "health.healthz" and response.status_code == 200:
            return response  # the load balancer asks every few seconds; only failures are news
        # The user only if the request loaded one: a static file must not cost a query.
        loaded = g.get("_login_user")
        user = loaded.id if loaded is not None and loaded.is_authenticated else None
        log.info("%s %s %s", request.method, request.path, response.status_code, extra={
            "event": "request", "request_id": g.request_id, "method": request.method, "path": request.path,
            "status": response.status_code, "ms": round((time.perf_counter() - g.request_started) * 1000, 1),
            "bytes": response.calculate_content_length(), "user_id": user, "remote": request.remote_addr})
        return response
