"""Core's time tools (``time.now``, ``time.convert``), registered by its built-in plugin."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import ToolArgumentError, quoted
from .decorator import tool

__all__ = ["convert_time", "current_time"]


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ToolArgumentError(
            f"unknown time zone {quoted(name)}; use an IANA name like 'Europe/Paris'"
        ) from None


@tool
def current_time(timezone: str = "UTC") -> str:
    """The current date and time, ISO 8601.

    Args:
        timezone: an IANA time zone name such as "Europe/Paris".
    """
    return datetime.now(_zone(timezone)).isoformat(timespec="seconds")


@tool
def convert_time(time: str, to_timezone: str, from_timezone: str = "UTC") -> str:
    """Convert a date and time to another time zone, ISO 8601.

    Args:
        time: an ISO 8601 date and time, e.g. "2025-03-01T14:30"; an offset in it wins
            over from_timezone.
        to_timezone: the IANA time zone to convert to, e.g. "Asia/Tokyo".
        from_timezone: the IANA time zone the time is in when it has no offset.
    """
    try:
        moment = datetime.fromisoformat(time)
    except ValueError:
        raise ToolArgumentError(
            f"{quoted(time)} is not an ISO 8601 date and time like '2025-03-01T14:30'"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_zone(from_timezone))
    return moment.astimezone(_zone(to_timezone)).isoformat(timespec="seconds")
