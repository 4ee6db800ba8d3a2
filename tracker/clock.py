"""Time in one place: timestamps are stored as naive UTC, dates are Vietnamese calendar dates."""
from __future__ import annotations

from datetime import date, datetime, timezone
from zoneinfo import ZoneInfo

from flask import current_app


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


def parse_iso_date(raw: str | None) -> date | None:
    """A YYYY-MM-DD date, or None when absent or malformed (never an exception)."""
    if not raw or len(raw) != 10 or not raw.isascii():
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return None
