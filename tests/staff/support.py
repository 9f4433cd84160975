"""What the staff page tests share: reading pages and the audit trail, and the forms of
the event, session and repeat-rule editors."""

from __future__ import annotations

import html
from datetime import UTC, date, datetime, time, timedelta

from babel.dates import format_date
from sqlalchemy import func, select

from outreach.accounts.models import AuditEntry
from outreach.database import db
from outreach.events.models import EventSession
from outreach.localtime import local_date, local_today
from tests.factories import SHANGHAI
from tests.web import post_form

TOMORROW = datetime.now(SHANGHAI).date() + timedelta(days=1)


def text_of(response) -> str:
    return response.get_data(as_text=True)


def page_text(response) -> str:
    """The page as a reader sees it (entities such as &#39; decoded)."""
    return html.unescape(response.get_data(as_text=True))


def audit_entries(action: str | None = None, target_type: str | None = None) -> list[AuditEntry]:
    """The audit trail, oldest first; of one action or kind of record when asked."""
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        statement = statement.where(AuditEntry.action == action)
    if target_type:
        statement = statement.where(AuditEntry.target_type == target_type)
    return list(db.session.scalars(statement))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model)) or 0


def local_date_of(event_session: EventSession) -> date:
    return local_date(event_session.starts_at)


def english_day(day: date) -> str:
    """A date as the English staff pages write it in full: Tuesday 3 June 2031."""
    return format_date(day, "EEEE d MMMM y", locale="en")


def fresh(obj):
    """The row as the database has it now (the request ran in its own unit of work)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def event_form(org, **changes) -> dict:
    data = {
        "title": "三天义诊",
        "summary": "脑卒中、骨伤、中医、全科",
        "description": "第一段\n\n第二段 https://example.org/",
        "category_id": str(org["category"].id),
        "organisation_id": str(org["centre"].id),
        "audience": "辖区居民",
        "status": "draft",
        "max_party_size": "4",
        "allow_waitlist": "y",
    }
    return {**data, **changes}


def rows(*entries: dict) -> dict:
    """Form data for the rows editor: one dict per row, the rest of the six left empty."""
    data = {}
    for number in range(max(6, len(entries))):
        entry = entries[number] if number < len(entries) else {}
        for key in ("day", "start", "end", "venue", "capacity"):
            data[f"rows-{number}-{key}"] = str(entry.get(key, ""))
        if entry.get("all_day"):
            data[f"rows-{number}-all_day"] = "y"
    return data


def row(venue, day: date = TOMORROW, start="09:00", end="11:30", **extra) -> dict:
    return {"day": day.isoformat(), "start": start, "end": end, "venue": venue.id, **extra}


def session_url(org, action: str, event_session=None) -> str:
    event_session = event_session or org["session"]
    return f"/staff/events/{org['event'].id}/sessions/{event_session.id}/{action}"


def session_form(venue, day: date = TOMORROW, start="09:00", end="11:00", **extra) -> dict:
    return {"day": day.isoformat(), "start": start, "end": end, "venue": venue.id, **extra}


BAD_ROWS = [
    ({"day": "2026-13-01"}, "“2026-13-01” is not a date; use the form YYYY-MM-DD"),
    ({"day": "15/08/2026"}, "“15/08/2026” is not a date"),
    ({"day": "0001-01-01"}, "Please enter a date from 2000 to 2100."),
    ({"start": "11:00", "end": "09:00"}, "The end time must be after the start time."),
    ({"start": "09:00", "end": "09:00"}, "The end time must be after the start time."),
    ({"start": "25:00"}, "“25:00” is not a time; use the form HH:MM"),
    ({"end": "9h"}, "“9h” is not a time"),
    ({"start": ""}, "Please enter the start time."),
    ({"end": ""}, "Please enter the end time."),
    ({"venue": ""}, "Please choose a venue."),
    ({"venue": "abc"}, "Please choose a venue."),
    ({"venue": "999999"}, "Please choose a venue."),
    ({"capacity": "-1"}, "The capacity must be a whole number from 0 to 100000"),
    ({"capacity": "1.5"}, "The capacity must be a whole number from 0 to 100000"),
    ({"capacity": "abc"}, "The capacity must be a whole number from 0 to 100000"),
    ({"capacity": "99999999999"}, "The capacity must be a whole number from 0 to 100000"),
]


# Repeat rules


def next_monday() -> date:
    """The first Monday after today (1 to 7 days ahead), in Beijing."""
    today = local_today()
    return today + timedelta(days=7 - today.weekday())


def mondays(count: int, start: date | None = None) -> list[date]:
    first = start or next_monday()
    return [first + timedelta(weeks=n) for n in range(count)]


def beijing(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)


def local_day(event_session) -> date:
    return event_session.starts_at.astimezone(SHANGHAI).date()


def series_form(clinic, **changes) -> dict:
    """A weekly Monday morning rule, four times from next Monday, with changes."""
    data = {
        "first_day": next_monday().isoformat(),
        "frequency": "weekly",
        "interval": "1",
        "weekdays": ["0"],
        "monthly_by": "day",
        "month_day": "",
        "ordinal": "1",
        "weekday": "0",
        "start_time": "09:00",
        "end_time": "11:00",
        "venue_id": str(clinic["venue"].id),
        "capacity": "20",
        "ends": "count",
        "count": "4",
        "until": "",
        "exdates": "",
        "save": "1",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def series_url(clinic, suffix: str = "") -> str:
    return f"/staff/events/{clinic['event'].id}/series{suffix}?lang=en"


def save_series(client, clinic, **changes):
    return post_form(client, series_url(clinic), series_form(clinic, **changes))


def series_sessions(clinic) -> list[EventSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(EventSession)
            .where(EventSession.event_id == clinic["event"].id)
            .order_by(EventSession.starts_at)
        )
    )
