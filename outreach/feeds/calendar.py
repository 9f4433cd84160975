"""Building iCalendar documents: pure functions from plain facts to RFC 5545 text."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo

from icalendar import Alarm, Calendar, Event, Timezone, vCalAddress, vDuration, vText

PRODID = "-//outreach//community events//ZH"
# C0 controls but tab and line breaks, DEL, C1 controls (NEL among them, which some parsers
# take for a line break) and the byte-order mark: none of them is text a calendar can show.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]")


def clean(text: str | None) -> str:
    """Text without control characters or byte-order marks (tabs and line breaks are kept)."""
    return _CONTROL.sub("", text or "")


def one_line(text: str | None) -> str:
    """Text on one line: any run of whitespace, line breaks included, becomes one space."""
    return " ".join(clean(text).split())


class Text(vText):
    """TEXT escaped exactly as RFC 5545 §3.3.11 says.

    The library's own escaping first reads a literal backslash-N as a line break, so that
    "C:\\New folder" would come back as "C:", a new line and "ew folder".
    """

    __slots__ = ()

    def to_ical(self) -> bytes:
        """Backslash, semicolon and comma escaped; every kind of line break as \\n."""
        text = str(self).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
        text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
        return text.encode(self.encoding)


@dataclass(frozen=True)
class SessionFacts:
    """Everything one VEVENT says, already in the reader's language."""

    uid: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    sequence: int
    created: datetime
    last_modified: datetime
    description: str = ""
    location: str = ""
    url: str = ""
    organizer: str = ""
    categories: tuple[str, ...] = ()
    cancelled: bool = False
    geo: tuple[float, float] | None = None
    alarms: tuple[timedelta, ...] = field(default_factory=tuple)


def _vevent(facts: SessionFacts, zone: ZoneInfo) -> Event:
    event = Event()
    event.add("uid", facts.uid)
    # DTSTAMP is the last change, not "now": an unchanged feed is byte-for-byte the same.
    event.add("dtstamp", facts.last_modified)
    if facts.all_day:
        first: date = facts.starts_at.astimezone(zone).date()
        after: date = facts.ends_at.astimezone(zone).date()
        event.add("dtstart", first)
        event.add("dtend", max(after, first + timedelta(days=1)))
    else:
        event.add("dtstart", facts.starts_at.astimezone(zone))
        if facts.ends_at > facts.starts_at:
            event.add("dtend", facts.ends_at.astimezone(zone))
    event.add("summary", Text(clean(facts.summary)))
    if facts.description:
        event.add("description", Text(clean(facts.description)))
    if facts.location:
        event.add("location", Text(clean(facts.location)))
    if facts.geo is not None:
        event.add("geo", facts.geo)
    if facts.url:
        event.add("url", facts.url)
    if facts.categories:
        event.add("categories", [clean(c) for c in facts.categories])
    if facts.organizer:
        organizer = vCalAddress("mailto:noreply@invalid")
        # A parameter value is one line, and backslashes in it are no escapes in RFC 5545
        # but are read as such by icalendar and ical.js: leave them out.
        organizer.params["cn"] = one_line(facts.organizer.replace("\\", ""))
        event.add("organizer", organizer)
    event.add("status", "CANCELLED" if facts.cancelled else "CONFIRMED")
    event.add("sequence", facts.sequence)
    event.add("created", facts.created)
    event.add("last-modified", facts.last_modified)
    for lead in facts.alarms:
        event.add_component(_alarm(facts.summary, lead))
    return event


def _alarm(summary: str, lead: timedelta) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", Text(clean(summary)))
    alarm.add("trigger", -lead)
    return alarm


def _head(name: str, zone: ZoneInfo, refresh: timedelta | None, description: str) -> Calendar:
    """The calendar's own properties, without components."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    # One line, written as it is: RFC 7986 makes NAME a TEXT, but ical.js (Thunderbird) and
    # icalendar read NAME and X-WR-CALNAME unescaped: an escaped comma would keep its backslash.
    calendar.add("x-wr-calname", one_line(name))
    calendar.add("name", one_line(name))
    calendar.add("x-wr-timezone", zone.key)
    if description:
        calendar.add("x-wr-caldesc", one_line(description))
        calendar.add("description", Text(clean(description)))
    if refresh is not None:
        calendar.add("refresh-interval", refresh, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", vDuration(refresh))
    return calendar


_END = b"END:VCALENDAR\r\n"


def _document(head: Calendar, timezone: bytes, entries: list[bytes]) -> bytes:
    """The head, the serialised VTIMEZONE and entries: what Calendar.to_ical would write with
    them as components, without serialising each entry again."""
    text = head.to_ical()
    return text[: -len(_END)] + timezone + b"".join(entries) + _END


def _zone_for(zone: ZoneInfo, sessions: Sequence[SessionFacts]) -> bytes:
    """The serialised VTIMEZONE the timed sessions need (nothing when all are all-day)."""
    timed = [f.starts_at for f in sessions if not f.all_day]
    if not timed:
        return b""
    first, last = min(timed).astimezone(zone).date(), max(timed).astimezone(zone).date()
    return _timezone_bytes(zone.key, first, last)


def build_calendar(
    name: str,
    sessions: Iterable[SessionFacts],
    zone: ZoneInfo,
    *,
    refresh: timedelta | None,
    description: str = "",
) -> bytes:
    """A complete VCALENDAR with one VEVENT per session and a VTIMEZONE for the zone."""
    sessions = list(sessions)
    entries = [_vevent(facts, zone).to_ical() for facts in sessions]
    return _document(_head(name, zone, refresh, description), _zone_for(zone, sessions), entries)


@dataclass(frozen=True)
class Bounded:
    """A calendar kept under a size, and how many of the sessions offered it holds."""

    body: bytes
    shown: int


def build_bounded_calendar(
    name: str,
    sessions: Sequence[SessionFacts],
    zone: ZoneInfo,
    *,
    refresh: timedelta | None,
    max_bytes: int,
    more: bool,
    cut_description: Callable[[int], str],
) -> Bounded:
    """A VCALENDAR of at most `max_bytes` bytes holding the first sessions that fit.

    When sessions are left out (or `more` says there were others beyond those offered), the
    calendar's description is `cut_description(number shown)`. Each entry is serialised
    once; the room for them is what the longest head (with that description and a time zone
    spanning every session offered) leaves.
    """
    # The zone spans every session offered: still exact for those shown, and built once.
    timezone = _zone_for(zone, sessions)
    longest = _head(name, zone, refresh, cut_description(len(sessions)))
    room = max_bytes - len(_document(longest, timezone, []))
    entries: list[bytes] = []
    used = 0
    for facts in sessions:
        entry = _vevent(facts, zone).to_ical()
        used += len(entry)
        if used > room:
            break
        entries.append(entry)
    cut = more or len(entries) < len(sessions)
    head = _head(name, zone, refresh, cut_description(len(entries)) if cut else "")
    return Bounded(_document(head, timezone, entries), len(entries))


@lru_cache(maxsize=64)
def _timezone_bytes(key: str, first: date, last: date) -> bytes:
    """The zone's observances over the span the sessions need (for Asia/Shanghai, one),
    serialised. Remembered: the library takes tens of milliseconds to work them out, and
    feeds built on the same day ask for the same span."""
    timezone = Timezone.from_tzid(
        key, first_date=first - timedelta(days=1), last_date=last + timedelta(days=366)
    )
    timezone.pop("COMMENT", None)
    return timezone.to_ical()
