"""Time in one place: timestamps are stored as naive UTC, dates are Vietnamese calendar dates."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app
from flask_babel import lazy_gettext


def zone() -> ZoneInfo:
    """The configured zone, Asia/Ho_Chi_Minh by default."""
    return ZoneInfo(current_app.config.get("TIMEZONE", "Asia/Ho_Chi_Minh"))


def utcnow() -> datetime:
    """Now as naive UTC, the form every timestamp column stores (SQLite drops zones)."""
    return datetime.now(timezone.utc).replace(tzinfo=None)


def local_today() -> date:
    """Today's date in the configured zone; a naive UTC date can be yesterday in Hà Nội."""
    return datetime.now(zone()).date()


def to_local(moment: datetime | None) -> datetime | None:
    """A stored naive-UTC timestamp in the configured zone."""
    if moment is None:
        return None
    return moment.replace(tzinfo=timezone.utc).astimezone(zone())


BAD_DATE = lazy_gettext("Ngày không hợp lệ; viết dạng dd/mm/yyyy, ví dụ 15/04/2021.")


def parse_iso_date(raw: str | None) -> date | None:
    """A YYYY-MM-DD date, or None when absent or malformed (never an exception); `parse_date` also reads dd/mm/yyyy."""
    if not raw or len(raw) != 10 or not raw.isascii():
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def parse_date(raw: str | None) -> date | None:
    """A date as Vietnamese write it (dd/mm/yyyy, or d/m/yyyy) or as links carry it (YYYY-MM-DD); None when
    absent, malformed or not a real day (31/02/2021), never an exception. Every form field and ?as_of= use it."""
    raw = (raw or "").strip()
    if len(raw) > 10 or not raw.isascii():
        return None
    if "/" not in raw:
        return parse_iso_date(raw)
    parts = raw.split("/")
    if len(parts) != 3 or not all(p.isdigit() for p in parts) or len(parts[0]) > 2 or len(parts[1]) > 2 \
            or len(parts[2]) != 4:
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        return None


def vn_date(value: date | None) -> str:
    """A date as Vietnamese offices write it, dd/mm/yyyy ("" for none); the one date format of the app."""
    return value.strftime("%d/%m/%Y") if value else ""


def vn_time(moment: datetime | None) -> str:
    """A stored naive-UTC timestamp as "HH:MM dd/mm/yyyy" in Việt Nam, where it may already be the next day."""
    local = to_local(moment)
    return local.strftime("%H:%M ") + vn_date(local.date()) if local else ""
