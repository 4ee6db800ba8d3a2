"""Every API list pages the same way: ?page=&per_page=, {items, page, per_page, total}, RFC 8288 Link headers.

The task list also pages by keyset: ?after=<the previous page's next_after> starts after that row, by the index.
"""
from __future__ import annotations

import base64
import binascii
import json
import math
from collections.abc import Callable, Iterable
from datetime import date
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import Response, jsonify, request
from flask_babel import gettext as _

from ..extensions import db
from .errors import invalid

DEFAULT_PER_PAGE = 100
MAX_PER_PAGE = 500
MAX_PAGE = 100_000


def _whole(name: str, default: int) -> int | None:
    raw = request.args.get(name, "").strip()
    if not raw:
        return default
    return int(raw) if raw.isascii() and raw.isdigit() and len(raw) <= 9 else None


def page_errors() -> dict[str, list[str]]:
    """Messages for a bad ?page= or ?per_page= (none when both are fine)."""
    errors: dict[str, list[str]] = {}
    page, per_page = _whole("page", 1), _whole("per_page", DEFAULT_PER_PAGE)
    if page is None or not 1 <= page <= MAX_PAGE:
        errors["page"] = [_("Trang từ 1 đến 100000.")]
    if per_page is None or not 1 <= per_page <= MAX_PER_PAGE:
        errors["per_page"] = [_("Số dòng mỗi trang từ 1 đến %(max_per_page)s.", max_per_page=MAX_PER_PAGE)]
    return errors


def page_args() -> tuple[int, int]:
    """(page, per_page) from the query, or a 400 problem naming the bad one."""
    errors = page_errors()
    if errors:
        raise invalid(errors)
    return _whole("page", 1), _whole("per_page", DEFAULT_PER_PAGE)


def page_response(items: list, total: int, page: int, per_page: int, **extra) -> Response:
    """{items, page, per_page, total, …extra} with Link: first, prev, next, last (other query args kept)."""
    response = jsonify({"items": items, "page": page, "per_page": per_page, "total": total, **extra})
    response.headers["Link"] = link_header(total, page, per_page)
    return response


def link_header(total: int, page: int, per_page: int) -> str:
    """RFC 8288 links to the first, previous, next and last pages of this request's list."""
    last = max(1, math.ceil(total / per_page))
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page", "after")]

    def url(number: int) -> str:
        return f"{request.path}?{urlencode([*kept, ('page', number), ('per_page', per_page)])}"

    links = [(url(1), "first")]
    if page > 1:
        links.append((url(min(page - 1, last)), "prev"))
    if page < last:
        links.append((url(page + 1), "next"))
    links.append((url(last), "last"))
    return ", ".join(f'<{target}>; rel="{rel}"' for target, rel in links)


MAX_CURSOR = 500  # characters: a sort name and a few keys


def encode_cursor(sort: str, key: tuple) -> str:
    """The opaque ?after= cursor of a row: base64url (unpadded) of the JSON [sort, *the row's sort key]."""
    values = [sort, *(value.isoformat() if isinstance(value, date) else value for value in key)]
    return base64.urlsafe_b64encode(json.dumps(values, separators=(",", ":")).encode()).decode().rstrip("=")


def cursor_error() -> dict[str, list[str]]:
    """The 400 message of a bad ?after=."""
    return {"after": [_("Con trỏ trang không hợp lệ: dùng đúng giá trị «next_after» của trang trước, "
                        "với cùng cách sắp xếp.")]}


def decode_cursor(raw: str, sort: str) -> tuple:
    """The sort key an ?after= cursor carries, or a 400 problem when it is not one of this sort's cursors."""
    try:
        if len(raw) > MAX_CURSOR:
            raise ValueError("too long")
        values = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise invalid(cursor_error()) from None
    if not isinstance(values, list) or len(values) < 2 or values[0] != sort:
        raise invalid(cursor_error())
    return tuple(values[1:])


def cursor_response(items: list, total: int, per_page: int, next_after: str | None, **extra) -> Response:
    """A page found by ?after=: {items, page: null, per_page, total, next_after}, linked to the first and next pages."""
    response = jsonify({"items": items, "page": None, "per_page": per_page, "total": total,
                        "next_after": next_after, **extra})
    kept = [(k, v) for k, v in request.args.items(multi=True) if k not in ("page", "per_page", "after")]
    links = [(f"{request.path}?{urlencode([*kept, ('page', 1), ('per_page', per_page)])}", "first")]
    if next_after:
        links.append((f"{request.path}?{urlencode([*kept, ('after', next_after), ('per_page', per_page)])}", "next"))
    response.headers["Link"] = ", ".join(f'<{target}>; rel="{rel}"' for target, rel in links)
    return response


def paginate(query: sa.Select, render: Callable[[Iterable], list], **extra) -> Response:
    """One page of a select's rows (counted in SQL, not in Python), rendered and linked; the query must be ordered."""
    page, per_page = page_args()
    total = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery()))
    rows = db.session.scalars(query.limit(per_page).offset((page - 1) * per_page)) if total else []
    return page_response(render(rows), total, page, per_page, **extra)
