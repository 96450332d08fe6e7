"""Ready-made tools core registers through its built-in plugin."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ..errors import quoted
from .decorator import tool

__all__ = ["current_time"]


@tool
def current_time(timezone: str = "UTC") -> str:
    """The current date and time, ISO 8601.

    Args:
        timezone: an IANA time zone name such as "Europe/Paris".
    """
    try:
        zone = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(
            f"unknown time zone {quoted(timezone)}; use an IANA name like 'Europe/Paris'"
        ) from None
    return datetime.now(zone).isoformat(timespec="seconds")
