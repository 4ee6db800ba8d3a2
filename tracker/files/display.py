"""How an attachment is described on a page: its size as a person reads it."""
from __future__ import annotations

from ..i18n import number

KB = 1024
MB = 1024 * 1024


def file_size(size: int | None) -> str:
    """A file's size: "<1 KB" for a tiny file, "340 KB", "1,2 MB" (the decimal comma in Vietnamese, a point in
    English); "—" when unknown. Whole kilobytes below a megabyte: a tenth of a KB tells a reader nothing."""
    if size is None or size < 0:
        return "—"
    if size < KB:
        return "<1 KB"
    if round(size / KB) < 1000:
        return f"{round(size / KB)} KB"
    return f"{number(size / MB, 1)} MB"
