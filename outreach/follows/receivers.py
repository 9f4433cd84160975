"""Receivers: the retention purge command erases followers idle for a year."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from outreach.follows import services
from outreach.registrations.signals import purging


def on_purging(_sender: Any, now: datetime, **_details: Any) -> str:
    """Erase followers without activity for a year (their follows end, counts stay)."""
    erased = services.purge(now)
    return f"Erased {erased} follower(s) idle for {services.KEPT_DAYS} days (counts kept)."


def connect() -> None:
    """Connect the receivers (again is harmless)."""
    purging.connect(on_purging)
