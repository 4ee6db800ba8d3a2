"""The API's one error shape: RFC 9457 problem details (application/problem+json), in the client's language.

Every error under /api/ answers {type, title, status, detail} and, for bad input, {errors: {field: [message]}};
the app's error handlers (tracker/__init__.py) send /api/ paths here, so unknown paths, wrong methods, too
large bodies, the rate limiter and uncaught errors answer the same way as the endpoints themselves.
"""
from __future__ import annotations

import time

from flask import Response, json
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..web import HTTP_MESSAGES

MEDIA_TYPE = "application/problem+json"

# Stable identifiers a client may branch on; plain HTTP errors are "about:blank" (RFC 9457 §4.2.1).
INVALID = "/api/problems/invalid-input"
STALE_VERSION = "/api/problems/stale-version"
STALE_ETAG = "/api/problems/stale-etag"
NOT_FOUND = "/api/problems/not-found"
TOKEN_NEEDED = "/api/problems/token-needed"
FORBIDDEN = "/api/problems/forbidden"
RACE = "/api/problems/concurrent-change"
STORAGE = "/api/problems/storage-unavailable"
DAMAGED = "/api/problems/file-damaged"

# A client that sends no Retry-After-worthy limit still gets a pause to wait (seconds).
DEFAULT_RETRY_AFTER = 60


def _titles() -> dict[int, str]:
    # Built per call: each title is translated in the request's language.
    return {
        400: _("Yêu cầu không hợp lệ"),
        401: _("Cần xác thực"),
        403: _("Không được phép"),
        404: _("Không tìm thấy"),
        405: _("Phương thức không được hỗ trợ"),
        409: _("Xung đột dữ liệu"),
        412: _("Phiên bản đã cũ"),
        413: _("Dữ liệu gửi lên quá lớn"),
        429: _("Quá nhiều yêu cầu"),
        500: _("Lỗi máy chủ"),
        502: _("Tệp lưu trữ bị hỏng"),
        503: _("Dịch vụ tạm thời gián đoạn"),
    }


class Problem(Exception):
    """An API error an endpoint raises; answered as problem details by the blueprint's handler."""

    def __init__(self, status: int, detail: str | None = None, *, type_: str = "about:blank",
                 title: str | None = None, errors: dict | None = None, headers: dict | None = None, **extra):
        super().__init__(detail)
        self.status, self.detail, self.type, self.title = status, detail, type_, title
        self.errors, self.headers, self.extra = errors, headers or {}, extra

    def response(self) -> Response:
        """This problem as an application/problem+json response."""
        return problem(self.status, self.detail, type_=self.type, title=self.title, errors=self.errors,
                       headers=self.headers, **self.extra)


def invalid(errors: dict) -> Problem:
    """Bad input: 400 with each field's messages ({field: [message, …]})."""
    fields = {("body" if name is None else str(name)): [str(m) for m in (messages if isinstance(messages, (list, tuple)) else [messages])]
              for name, messages in errors.items()}
    return Problem(400, _("Dữ liệu gửi lên chưa hợp lệ; xem từng trường trong «errors»."), type_=INVALID,
                   title=_("Dữ liệu không hợp lệ"), errors=fields)


def problem(status: int, detail: str | None = None, *, type_: str = "about:blank", title: str | None = None,
            errors: dict | None = None, headers: dict | None = None, **extra) -> Response:
    """A problem-details response: type, title, status, detail, then errors and any extension members."""
    body = {"type": type_, "title": title or _titles().get(status) or str(status), "status": status,
            "detail": str(detail) if detail is not None else str(HTTP_MESSAGES.get(status, ""))}
    if errors:
        body["errors"] = errors
    body.update(extra)
    response = Response(json.dumps(body), status=status, mimetype=MEDIA_TYPE)
    response.headers["Content-Language"] = _language()
    for name, value in (headers or {}).items():
        response.headers[name] = value
    if status == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="api"')
    if status == 429:
        response.headers.setdefault("Retry-After", str(_retry_after()))
    return response


def from_http(error: HTTPException) -> Response:
    """A Werkzeug/Flask error (unknown path, wrong method, too large, limiter, abort(…)) as problem details."""
    status = error.code or 500  # an uncaught error arrives as a 500, already logged by Flask with its traceback
    # Werkzeug's own headers (Allow on a 405, Retry-After from the limiter) go along; its HTML type does not.
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    plain = error.description == type(error).description or status == 429 or not error.description
    detail = HTTP_MESSAGES.get(status) if plain else error.description
    type_ = NOT_FOUND if status == 404 else "about:blank"
    return problem(status, detail, type_=type_, headers=headers)


# Each kind of refusal an operation raises, as the problem type a client branches on.
_DOMAIN_TYPES = {400: INVALID, 403: FORBIDDEN, 404: NOT_FOUND, 409: STALE_VERSION, 412: STALE_ETAG}


def from_domain(error) -> Response:
    """An operation's refusal (tracker.operations.DomainError) as problem details."""
    errors = getattr(error, "errors", None)
    if errors is not None:
        return invalid(errors).response()
    detail = error.message or HTTP_MESSAGES.get(error.status)
    return problem(error.status, detail, type_=_DOMAIN_TYPES.get(error.status, "about:blank"),
                   headers=error.extra.pop("headers", None), **error.extra)


def _language() -> str:
    from ..i18n import current_language

    return current_language()


def _retry_after() -> int:
    """Seconds until the rate limit that refused this request lets the client in again."""
    from ..auth.throttle import limiter

    try:
        current = limiter.current_limit
    except Exception:  # noqa: BLE001 — no limit in this request's context: the default pause
        current = None
    if current is None:
        return DEFAULT_RETRY_AFTER
    return max(1, int(current.reset_at - time.time()) + 1)
