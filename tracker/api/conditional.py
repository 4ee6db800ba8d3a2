"""ETag and If-Match on every changeable resource (RFC 9110 §8.8.3, §13.1.1).

A status line carries its own versioned tag (`views.etag`). Every other resource the API can change (an
account, a commune, the letterhead, the settings…) is tagged by its content: the hash of the JSON its GET
answers. A write declares that GET as its twin (`@documented(…, etag_from="api.letterhead")`); then

- the twin's 200 answers carry `ETag`;
- a write with `If-Match` is checked against the twin's tag *before* the change, and the check runs inside
  `perform` after the operation's own checks (so a refusal or bad input answers first, RFC 9110 §13.2.1) and
  before the commit (so a stale tag changes nothing): 412 with the current `ETag`;
- a successful write answers the resource's new `ETag`, ready for the next If-Match.
"""
from __future__ import annotations

import hashlib

from flask import current_app, request
from flask_babel import gettext as _
from werkzeug.exceptions import HTTPException

from ..operations import DomainError, PreconditionFailed, check_before_commit
from .errors import Problem
from .spec import tagged_endpoints

# The statuses that mean "nothing was changed": a failed write keeps the tag the client should refresh.
_SUCCESS = range(200, 300)


def content_etag(body: bytes) -> str:
    """A strong entity tag for a JSON body: the same bytes give the same tag (Flask sorts keys)."""
    return '"' + hashlib.sha256(body).hexdigest()[:32] + '"'


def matches(header: str, tag: str) -> bool:
    """Whether an If-Match header names this tag (or `*`)."""
    return any(candidate.strip() in ("*", tag) for candidate in header.split(","))


def twin_of(endpoint: str | None) -> str | None:
    """The GET endpoint whose representation a write changes, as its @documented declaration names it."""
    doc = getattr(current_app.view_functions.get(endpoint or ""), "openapi", None)
    return getattr(doc, "etag_from", None)


def _tagged() -> set[str]:
    # Read from the declarations at the first request, not in create_app.
    return current_app.extensions.setdefault("api_tagged_endpoints", tagged_endpoints(current_app))


def current_tag(twin: str) -> str | None:
    """The twin's ETag for this request's resource now, or None when the twin would not answer 200."""
    view = current_app.view_functions[twin]
    rule_args = next(rule.arguments for rule in current_app.url_map.iter_rules(twin))
    args = {name: value for name, value in (request.view_args or {}).items() if name in rule_args}
    try:
        response = current_app.make_response(view(**args))
    except (Problem, DomainError, HTTPException):
        return None  # the write will give its own answer (403, 404…); a precondition has nothing to add
    return content_etag(response.get_data()) if response.status_code == 200 else None


def guard_write() -> None:
    """Before a write with If-Match: read the resource's tag now and have `perform` refuse a stale one."""
    header = request.headers.get("If-Match")
    twin = twin_of(request.endpoint)
    if header is None or twin is None or request.method == "GET":
        return
    tag = current_tag(twin)
    if tag is None or matches(header, tag):
        return

    def refuse() -> None:
        raise PreconditionFailed(
            _("Dữ liệu đã được thay đổi sau phiên bản bạn đọc (If-Match); đọc lại rồi gửi thay đổi."),
            headers={"ETag": tag})

    check_before_commit(refuse)


def tag_response(response):
    """A twin's 200, or a write's success, carries the resource's ETag."""
    endpoint = request.endpoint
    if response.status_code not in _SUCCESS or "ETag" in response.headers:
        return response
    if request.method in ("GET", "HEAD"):
        if response.status_code == 200 and endpoint in _tagged():
            response.headers["ETag"] = content_etag(response.get_data())
        return response
    twin = twin_of(endpoint)
    if twin is not None:
        tag = current_tag(twin)
        if tag is not None:
            response.headers["ETag"] = tag
    return response
