"""What the feed tests share: reading a calendar response, and making rows look older."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from icalendar import Calendar
from sqlalchemy import update

from outreach.database import db
from outreach.events.models import Event, EventSession
from tests.factories import SHANGHAI

TODAY = datetime.now(SHANGHAI).date()

FAR = date(2030, 5, 1)  # always ahead of the look-back window


def lines_of(raw: bytes) -> list[bytes]:
    """The physical lines of a feed, checked: CRLF ends, at most 75 octets, valid UTF-8."""
    assert raw.endswith(b"\r\n")
    lines = raw[:-2].split(b"\r\n")
    for line in lines:
        assert b"\n" not in line and b"\r" not in line, line
        assert len(line) <= 75, line
        line.decode("utf-8")  # a fold never splits a character
    return lines


def calendar_of(response) -> Calendar:
    """The parsed calendar of a 200 feed response, after checking the raw lines."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    raw = response.get_data()
    lines_of(raw)
    return Calendar.from_ical(raw)


def entries(response) -> dict[str, object]:
    """The VEVENTs of a feed by UID."""
    return {str(e["UID"]): e for e in calendar_of(response).walk("VEVENT")}


def uids(response) -> set[str]:
    """The UIDs of a feed's entries."""
    return set(entries(response))


def uid_list(response) -> list[str]:
    """The UIDs of a feed's entries, in the order they appear."""
    return [str(e["UID"]) for e in calendar_of(response).walk("VEVENT")]


def set_times(model, row_id: int, **values) -> None:
    """Give a row fixed timestamps (they would otherwise be "now")."""
    db.session.execute(update(model).where(model.id == row_id).values(**values))
    db.session.commit()


def an_hour_ago(*sessions: EventSession) -> None:
    """Date a session's and its event's last change an hour back, as a calendar would have
    seen them (LAST-MODIFIED counts whole seconds, so a change must be a second later)."""
    earlier = datetime.now(UTC) - timedelta(hours=1)
    for event_session in sessions:
        set_times(EventSession, event_session.id, updated_at=earlier)
        set_times(Event, event_session.event_id, updated_at=earlier)
