"""The web edge: ids and numbers no column can hold are refused, not crashed on; security headers; proxies."""
from __future__ import annotations

from flask import Flask, Response, abort, request
from flask_babel import lazy_gettext as _l
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, ValidationError

# Ids are INTEGER columns (PostgreSQL's int4): a larger number cannot name a row, and PostgreSQL refuses
# to compare it with one ("integer out of range") rather than find nothing.
MAX_ID = 2**31 - 1
MAX_ID_DIGITS = len(str(MAX_ID))


def _up_to(limit: str) -> str:
    """A regular expression for strings of len(limit) digits not above limit (same length: text order is number order)."""
    parts = [limit[:i] + (f"[0-{int(digit) - 1}]" if digit != "1" else "0") + r"\d" * (len(limit) - i - 1)
             for i, digit in enumerate(limit) if digit != "0"]
    return "|".join([*parts, limit])


class IdConverter(IntegerConverter):
    """`<int:…>` in a route: ASCII digits naming an id a column can hold; anything else is a 404, not a 500.

    The bound is in the pattern, not only in to_python: a number no rule's pattern takes is a 404 for every
    method, where one refused after matching made a POST to a GET-and-POST path a 405.
    """

    regex = r"(?:\d{1,%d}|%s)" % (MAX_ID_DIGITS - 1, _up_to(str(MAX_ID)))

    def to_python(self, value: str) -> int:
        number = int(value)
        if number > MAX_ID:
            raise ValidationError()
        return number


def int_arg(name: str, default: int | None = None, digits: int = 9) -> int | None:
    """?name= as a whole number in ASCII digits, or `default` when absent or anything else ("²", 10**30)."""
    raw = request.args.get(name, "")
    if raw.isascii() and raw.isdigit() and len(raw) <= digits:
        return int(raw)
    return default


HTTP_MESSAGES = {
    400: _l("Yêu cầu không hợp lệ."),
    401: _l("Cần đăng nhập."),
    403: _l("Bạn không có quyền thực hiện việc này."),
    404: _l("Không tìm thấy trang hoặc dữ liệu này."),
    405: _l("Trang này không nhận yêu cầu kiểu này."),
    409: _l("Dữ liệu vừa bị thay đổi; tải lại trang rồi thử lại."),
    413: _l("Tệp hoặc biểu mẫu quá lớn."),
    429: _l("Quá nhiều yêu cầu; thử lại sau ít phút."),
    500: _l("Hệ thống gặp lỗi; Văn phòng Điều phối đã được ghi nhận. Thử lại sau."),
    503: _l("Hệ thống tạm thời không phục vụ được; thử lại sau."),
}


NUL_MESSAGE = _l("Dữ liệu gửi lên chứa ký tự không hợp lệ (NUL); chưa có gì được lưu.")


# No inline script or style anywhere in the pages, so the policy can forbid them; nothing loads from
# another site, and no site may frame ours.
CONTENT_SECURITY_POLICY = ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                           "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'")


def install_security(app: Flask) -> None:
    """Security headers on every response, and, behind a reverse proxy, trust in its forwarded headers."""
    proxies = int(app.config.get("PROXY_FIX") or 0)
    if proxies > 0:
        # Only as many hops as the deployment says: trusting X-Forwarded-* blindly lets anyone set them.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies, x_prefix=proxies)

    @app.before_request
    def refuse_nul():
        # No text column stores NUL (PostgreSQL refuses it outright), and no user types one: a request
        # carrying it is refused whole, before anything is written.
        values = [request.path] + [value for source in (request.args, request.form) for _, value in source.items(multi=True)]
        values += [upload.filename or "" for _, upload in request.files.items(multi=True)]
        if any("\x00" in value for value in values) or (request.is_json and b"\\u0000" in request.get_data()):
            abort(400, NUL_MESSAGE)

    @app.after_request
    def security_headers(response: Response) -> Response:
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if request.is_secure:
            headers.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        return response
