"""Reading requests safely: ids and numbers that no database column can hold are refused, not crashed on."""
from __future__ import annotations

from flask import request
from werkzeug.routing import IntegerConverter

# The largest id a 64-bit integer column holds has 19 digits; anything longer cannot name a row.
MAX_ID_DIGITS = 18


class IdConverter(IntegerConverter):
    """`<int:…>` in a route: ASCII digits only, at most 18 of them; anything else is a 404, not a 500."""

    regex = r"\d{1,%d}" % MAX_ID_DIGITS

    def to_python(self, value: str) -> int:
        return int(value)


def int_arg(name: str, default: int | None = None, digits: int = 9) -> int | None:
    """?name= as a whole number in ASCII digits, or `default` when absent or anything else ("²", 10**30)."""
    raw = request.args.get(name, "")
    if raw.isascii() and raw.isdigit() and len(raw) <= digits:
        return int(raw)
    return default


HTTP_MESSAGES = {
    400: "Yêu cầu không hợp lệ.",
    401: "Cần đăng nhập.",
    403: "Bạn không có quyền thực hiện việc này.",
    404: "Không tìm thấy trang hoặc dữ liệu này.",
    405: "Trang này không nhận yêu cầu kiểu này.",
    409: "Dữ liệu vừa bị thay đổi; tải lại trang rồi thử lại.",
    413: "Tệp hoặc biểu mẫu quá lớn.",
    429: "Quá nhiều yêu cầu; thử lại sau ít phút.",
    500: "Hệ thống gặp lỗi; Văn phòng Điều phối đã được ghi nhận. Thử lại sau.",
    503: "Hệ thống tạm thời không phục vụ được; thử lại sau.",
}
