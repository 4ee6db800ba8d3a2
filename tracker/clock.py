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


BAD_DATE = lazy_gettext("Ngày không hợp lệ; dùng dạng YYYY-MM-DD, ví dụ 2021-04-15.")


def parse_iso_date(raw: str | None) -> date | None:
    """A YYYY-MM-DD date, or None when absent or malformed (never an exception): the app's one date parser,
    for ?as_of= on pages and the API and for every date field of every form."""
    if not raw or len(raw) != 10 or not raw.isascii():
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None


def vn_date(value: date | None) -> str:
    """A date as Vietnamese offices write it, dd/mm/yyyy ("" for none); the one date format of the app."""
    return value.strftime("%d/%m/%Y") if value else ""


def vn_time(moment: datetime | None) -> str:
    """A stored naive-UTC timestamp as "HH:MM dd/mm/yyyy" in Việt Nam, where it may already be the next day."""
    local = to_local(moment)
    return local.strftime("%H:%M ") + vn_date(local.date()) if local else ""
