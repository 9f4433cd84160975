"""The district's time zone: everything is stored in UTC and shown in local time."""

from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from flask import current_app

from outreach.database import utcnow


def local_zone() -> ZoneInfo:
    """The configured time zone (Asia/Shanghai unless OUTREACH_TIMEZONE says otherwise)."""
    return ZoneInfo(current_app.config["TIMEZONE"])


def local_midnight(day: date) -> datetime:
    """The instant a local calendar day begins, as an aware datetime."""
    return datetime.combine(day, time.min, tzinfo=local_zone())


def local_today() -> date:
    """Today's date in the district."""
    return utcnow().astimezone(local_zone()).date()


def local_date(value: datetime) -> date:
    """The local calendar date of an instant."""
    return value.astimezone(local_zone()).date()


def local_minute(value: datetime) -> datetime:
    """An instant as local wall time to the minute, still aware: what staff read and sort."""
    return value.astimezone(local_zone()).replace(second=0, microsecond=0)


def stamp(value: datetime | None) -> str:
    """An instant as local "YYYY-MM-DD HH:MM" (exports, rosters); "" for none."""
    return "" if value is None else local_minute(value).strftime("%Y-%m-%d %H:%M")
