"""Our calendars read the same in three independent parsers, and as the database says.

Python `icalendar`, `recurring_ical_events` (which expands a window as a syncing client does)
and Mozilla's `ical.js` (the parser inside Thunderbird, run with node from tests/js) must find
the same UIDs, start and end instants, summaries, statuses and sequences in the same bytes.
The sessions are chosen to be awkward: times that cross local midnight, all-day sessions of one
and two days, cancellations, a session without an end, titles with CJK, emoji, `,;\\`,
newlines and tabs, long folded text, and sessions just inside and outside the windows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
import recurring_ical_events
from icalendar import Calendar
from sqlalchemy import select

from outreach.database import db, utcnow
from outreach.events.models import (
    PUBLIC_EVENT_STATUSES,
    Event,
    EventSession,
    EventStatus,
    SessionStatus,
)
from outreach.feeds.calendar import build_calendar, clean
from outreach.feeds.content import session_facts
from outreach.localtime import local_date, local_midnight, local_today, local_zone
from tests.feeds import icaljs

# The title prefixes of a cancelled session, in the two languages a feed can be read in.
CANCELLED_PREFIXES = ("[Cancelled]", "[已取消]")
# recurring_ical_events expands from a month ago to two years ahead, as a phone might sync.
WINDOW_BEFORE = timedelta(days=31)
WINDOW_AFTER = timedelta(days=2 * 365)
ENGLISH = {"Accept-Language": "en"}
# An escape sequence a reader would see: the names used here contain none of their own.
VISIBLE_ESCAPE = re.compile(r"\\[\\,;nN]")

Instant = datetime | date


# What the parsers read ------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """What one parser read of one VEVENT; instants in UTC, dates for all-day events."""

    summary: str
    status: str
    sequence: int
    start: Instant
    end: Instant
    description: str
    location: str


def utc_instant(value: Instant) -> Instant:
    """A parsed DTSTART/DTEND as a UTC instant; a date stays a date. Floating times fail."""
    if isinstance(value, datetime):
        assert value.tzinfo is not None, f"floating time {value}: its TZID was not resolved"
        return value.astimezone(UTC)
    return value


def read_with_icalendar(body: bytes) -> dict[str, Seen]:
    """Each VEVENT as Python icalendar reads it, by UID."""
    seen: dict[str, Seen] = {}
    for vevent in Calendar.from_ical(body).walk("VEVENT"):
        uid = str(vevent["UID"])
        assert uid not in seen, f"UID {uid} appears twice"
        seen[uid] = Seen(
            summary=str(vevent["SUMMARY"]),
            status=str(vevent["STATUS"]),
            sequence=int(vevent["SEQUENCE"]),
            start=utc_instant(vevent.start),
            end=utc_instant(vevent.end),
            description=str(vevent.get("DESCRIPTION", "")),
            location=str(vevent.get("LOCATION", "")),
        )
    return seen


def read_with_icaljs(node: str, body: bytes) -> dict[str, Seen]:
    """Each VEVENT as ical.js reads it (every VTIMEZONE of the document registered), by UID."""
    seen: dict[str, Seen] = {}
    for event in icaljs.parse(node, body)["events"]:
        uid = event["uid"]
        assert uid not in seen, f"UID {uid} appears twice"
        for zone in (event["start_zone"], event["end_zone"]):
            # ical.js falls back to floating time for a TZID it cannot resolve.
            assert zone != "floating", f"ical.js read {uid} in floating time:\n{raw(body, uid)}"
        seen[uid] = Seen(
            summary=event["summary"],
            status=event["status"],
            sequence=event["sequence"],
            start=js_instant(event["start"]),
            end=js_instant(event["end"]),
            description=event["description"] or "",
            location=event["location"] or "",
        )
    return seen


def js_instant(text: str) -> Instant:
    """An instant printed by parse_ics.mjs: `YYYY-MM-DD` for dates, else UTC `…Z`."""
    if len(text) == len("YYYY-MM-DD"):
        return date.fromisoformat(text)
    return datetime.fromisoformat(text).astimezone(UTC)


def occurrences_in_window(body: bytes, start: datetime, end: datetime) -> set[tuple[str, Instant]]:
    """(UID, start) of every occurrence recurring_ical_events finds between start and end."""
    calendar = Calendar.from_ical(body)
    return {
        (str(occurrence["UID"]), utc_instant(occurrence["DTSTART"].dt))
        for occurrence in recurring_ical_events.of(calendar).between(start, end)
    }


def raw(body: bytes, uid: str) -> str:
    """The raw (folded) lines of the VEVENT with this UID, for failure messages."""
    for block in body.decode().split("BEGIN:VEVENT")[1:]:
        if f"\r\nUID:{uid}\r\n" in block.replace("\r\n ", ""):
            return "BEGIN:VEVENT" + block.split("END:VEVENT")[0] + "END:VEVENT"
    return f"(no VEVENT with UID {uid})"


# What the database says ------------------------------------------------------------------------


@dataclass(frozen=True)
class Expected:
    """What a VEVENT must say of a session: a cancelled title may carry either language's prefix."""

    summaries: frozenset[str]
    status: str
    sequence: int
    start: Instant
    end: Instant

    @classmethod
    def of(cls, event_session: EventSession) -> Expected:
        """What the database says a calendar must show of this session."""
        title = event_session.event.title
        summaries = {title}
        if event_session.is_cancelled:
            summaries = {f"{prefix} {title}" for prefix in CANCELLED_PREFIXES}
        return cls(
            summaries=frozenset(clean(summary) for summary in summaries),
            status="CANCELLED" if event_session.is_cancelled else "CONFIRMED",
            sequence=event_session.sequence,
            start=expected_start(event_session),
            end=expected_end(event_session),
        )

    def problems(self, seen: Seen) -> list[str]:
        """How what a parser read differs from this (empty when it agrees)."""
        found = []
        if seen.summary not in self.summaries:
            found.append(f"summary {seen.summary!r} is none of {sorted(self.summaries)!r}")
        for name in ("status", "sequence", "start", "end"):
            if getattr(seen, name) != getattr(self, name):
                found.append(f"{name} {getattr(seen, name)!r} != {getattr(self, name)!r}")
        return found


def expected_start(event_session: EventSession) -> Instant:
    """The session's first local day when all-day, else its UTC start."""
    if event_session.all_day:
        return local_date(event_session.starts_at)
    return event_session.starts_at.astimezone(UTC)


def expected_end(event_session: EventSession) -> Instant:
    """The day after the last local day when all-day (exclusive), else the UTC end."""
    if event_session.all_day:
        return local_date(event_session.ends_at)
    return event_session.ends_at.astimezone(UTC)


def public_sessions() -> list[EventSession]:
    """Every session of a published or cancelled event (drafts never reach a calendar)."""
    statement = (
        select(EventSession)
        .join(EventSession.event)
        .where(Event.status.in_(PUBLIC_EVENT_STATUSES))
        .order_by(EventSession.starts_at, EventSession.id)
    )
    return list(db.session.scalars(statement))


def in_feed_window(app, sessions: Iterable[EventSession]) -> list[EventSession]:
    """The sessions a feed holds: those not yet over or ended within the look-back window."""
    since = utcnow() - timedelta(days=app.config["FEED_LOOKBACK_DAYS"])
    return [s for s in sessions if s.ends_at >= since]


def expansion_window() -> tuple[datetime, datetime]:
    """From a month ago to two years ahead."""
    now = utcnow()
    return now - WINDOW_BEFORE, now + WINDOW_AFTER


def overlapping(sessions: Iterable[EventSession], start: datetime, end: datetime):
    """The sessions that overlap [start, end) (none of them lies on an edge)."""
    return [s for s in sessions if s.starts_at < end and s.ends_at >= start]


def assert_reads_as(seen: dict[str, Seen], sessions: list[EventSession], body: bytes) -> None:
    """What a parser read is exactly these sessions, each as the database says."""
    expected = {s.uid: Expected.of(s) for s in sessions}
    missing = sorted(expected.keys() - seen.keys())
    extra = sorted(seen.keys() - expected.keys())
    assert not missing, f"sessions missing from the calendar: {missing}"
    assert not extra, f"VEVENTs that should not be there: {extra}"
    problems = [
        f"{uid}: {'; '.join(found)}\n{raw(body, uid)}"
        for uid in sorted(expected)
        if (found := expected[uid].problems(seen[uid]))
    ]
    assert not problems, "\n\n".join(problems)


# The sessions --------------------------------------------------------------------------------


@dataclass
class AwkwardSessions:
    """Awkward sessions in one township, community, organisation and category, and a few
    elsewhere; the personal feed token of one registration."""

    township_slug: str
    community_slug: str
    organisation_slug: str
    category_slug: str
    feed_token: str
    registered_uid: str
    home: Callable[[EventSession], dict[str, bool]]


@pytest.fixture
def awkward_sessions(make) -> AwkwardSessions:
    """The awkward sessions."""
    township = make.township(name="朝阳门街道", name_en="Chaoyangmen Subdistrict")
    community = make.community(township, name="大西洋新城社区", name_en="Atlantic New Town")
    venue = make.venue(
        community,
        name="社区活动室 🏠",
        address='1号楼, 2单元; 东城区\\朝阳门 "北小街"',
        latitude=Decimal("39.924211"),
        longitude=Decimal("116.433912"),
    )
    organisation = make.organisation(name="朝阳门社区卫生服务中心, 东城区; 第一站")
    category = make.category(name="健康义诊", name_en="Health, checks; and more")
    today = local_today()

    def event(title: str, **fields) -> Event:
        return make.event(title, organisation=organisation, category=category, **fields)

    def timed(title: str, days: int, at: time, hours: float = 2, **fields) -> EventSession:
        event_ = fields.pop("event_", None) or event(title)
        day = today + timedelta(days=days)
        return make.event_session(event_, venue, day=day, start=at, hours=hours, **fields)

    def all_day(title: str, days: int, length: int) -> EventSession:
        first = today + timedelta(days=days)
        after = local_midnight(first + timedelta(days=length))
        return make.event_session(
            event(title), venue, day=first, start=time(0), ends_at=after, all_day=True
        )

    timed("健康义诊：测血压、测血糖，免费！𠀀𪚥", 1, time(9, 0))
    timed("夜间观星 🌙✨ 跨过午夜", 2, time(23, 30), hours=2)
    timed("清晨太极, 八段锦; 24式\\简化版", 3, time(0, 30), hours=1)
    booked = timed("读书会\n第二期：《红楼梦》\t🙂", 4, time(14, 0), capacity=20)
    all_day("垃圾分类宣传日", 5, 1)
    all_day("社区文化节（两天）👨‍👩‍👧‍👦", 6, 2)
    timed("防诈骗讲座 ⚠️", 7, time(10, 0), status=SessionStatus.CANCELLED, sequence=2)
    timed(
        "整场取消的活动",
        8,
        time(10, 0),
        event_=event("整场取消的活动", status=EventStatus.CANCELLED),
    )
    long_summary = ("很长的简介🙂，含逗号, 分号; 反斜杠\\ 和换行\n" * 20)[:500]
    timed(
        "长" * 190 + "🎉,;\\",
        9,
        time(15, 0),
        event_=event("长" * 190 + "🎉,;\\", summary=long_summary),
    )
    timed("签到提醒（无结束时间）", 10, time(8, 0), hours=0)
    timed("上周的活动", -10, time(9, 0))
    timed("很久以前的活动", -60, time(9, 0))
    timed("三年后的活动", 3 * 365, time(9, 0))
    timed("草稿活动", 1, time(11, 0), event_=event("草稿活动", status=EventStatus.DRAFT))
    make.event_session(make.event("别处的活动, 另一个单位"), day=today + timedelta(days=1))

    registration = make.registration(booked)
    return AwkwardSessions(
        township_slug=township.slug,
        community_slug=community.slug,
        organisation_slug=organisation.slug,
        category_slug=category.slug,
        feed_token=registration.feed_token,
        registered_uid=booked.uid,
        home=lambda s: {
            "township": s.venue.township_id == township.id,
            "community": s.venue.community_id == community.id,
            "organisation": s.event.organisation_id == organisation.id,
            "category": s.event.category_id == category.id,
        },
    )


# Where the calendars come from -----------------------------------------------------------------


def built_calendar(
    app, client, awkward_sessions: AwkwardSessions
) -> tuple[list[bytes], list[EventSession]]:
    """The public sessions of the feed window through build_calendar, as a feed would be."""
    sessions = in_feed_window(app, public_sessions())
    with app.test_request_context("/", headers=ENGLISH):
        facts = [session_facts(s, "en") for s in sessions]
    body = build_calendar(
        "大西洋新城社区 · 社区活动", facts, local_zone(), refresh=timedelta(hours=1)
    )
    return [body], sessions


def session_downloads(
    app, client, awkward_sessions: AwkwardSessions
) -> tuple[list[bytes], list[EventSession]]:
    """Every public session's own `/sessions/<id>.ics`, the past ones included."""
    sessions = public_sessions()
    return [fetch(client, f"/sessions/{s.id}.ics") for s in sessions], sessions


def fetch(client, url: str) -> bytes:
    """A calendar fetched as a calendar app would: no cookies, no login."""
    response = client.get(url, headers=ENGLISH)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "text/calendar", (url, response.content_type)
    return response.data


def feed(scope: str | None, url: Callable[[AwkwardSessions], str]):
    """A public or personal feed endpoint and the sessions it must hold."""

    def source(
        app, client, awkward_sessions: AwkwardSessions
    ) -> tuple[list[bytes], list[EventSession]]:
        sessions = in_feed_window(app, public_sessions())
        if scope == "me":
            sessions = [s for s in sessions if s.uid == awkward_sessions.registered_uid]
        elif scope is not None:
            sessions = [s for s in sessions if awkward_sessions.home(s)[scope]]
        return [fetch(client, url(awkward_sessions))], sessions

    return source


SOURCES = {
    "build_calendar": built_calendar,
    "session downloads": session_downloads,
    "all": feed(None, lambda w: "/feeds/all.ics"),
    "township": feed("township", lambda w: f"/feeds/townships/{w.township_slug}.ics"),
    "community": feed("community", lambda w: f"/feeds/communities/{w.community_slug}.ics"),
    "organisation": feed(
        "organisation", lambda w: f"/feeds/organisations/{w.organisation_slug}.ics"
    ),
    "category": feed("category", lambda w: f"/feeds/categories/{w.category_slug}.ics"),
    "category in English": feed(
        "category", lambda w: f"/feeds/categories/{w.category_slug}.ics?lang=en"
    ),
    "filters combined": feed(
        "organisation",
        lambda w: f"/feeds/all.ics?organisation={w.organisation_slug}&category={w.category_slug}",
    ),
    "personal": feed("me", lambda w: f"/feeds/me/{w.feed_token}.ics"),
}


@pytest.fixture(params=list(SOURCES))
def calendars(request, app, client, awkward_sessions) -> tuple[list[bytes], list[EventSession]]:
    """The documents of one source and the database's sessions they must hold."""
    return SOURCES[request.param](app, client, awkward_sessions)


@pytest.fixture(scope="session")
def node() -> str:
    """node with ical.js installed in tests/js: skipped when missing, but a failure on CI."""
    return icaljs.node_or_skip()


def merged(reads: Iterable[dict[str, Seen]]) -> dict[str, Seen]:
    """The VEVENTs of several documents, each UID in one only."""
    seen: dict[str, Seen] = {}
    for read in reads:
        assert not seen.keys() & read.keys(), f"UIDs in two documents: {seen.keys() & read.keys()}"
        seen.update(read)
    return seen


# The tests -------------------------------------------------------------------------------------


def test_icalendar_and_recurring_ical_events_read_exactly_the_database_sessions(calendars):
    bodies, sessions = calendars
    seen = merged(read_with_icalendar(body) for body in bodies)
    assert_reads_as(seen, sessions, b"".join(bodies))
    # Expanding a window, as a syncing client does, finds exactly the sessions inside it.
    start, end = expansion_window()
    found = set().union(*(occurrences_in_window(body, start, end) for body in bodies))
    assert found == {(s.uid, expected_start(s)) for s in overlapping(sessions, start, end)}


def test_icaljs_reads_exactly_what_icalendar_reads(calendars, node):
    bodies, sessions = calendars
    seen = merged(read_with_icaljs(node, body) for body in bodies)
    assert_reads_as(seen, sessions, b"".join(bodies))
    # Beyond the database's view: descriptions and locations read the same in both parsers.
    by_icalendar = merged(read_with_icalendar(body) for body in bodies)
    differ = [uid for uid in seen if seen[uid] != by_icalendar[uid]]
    assert not differ, "\n".join(
        f"ical.js: {seen[uid]}\nicalendar: {by_icalendar[uid]}" for uid in differ
    )
    for body in bodies:
        assert_calendar_name_reads_plainly(node, body)


def assert_calendar_name_reads_plainly(node: str, body: bytes) -> None:
    """NAME and X-WR-CALNAME read the same in both parsers, and show no escape sequence."""
    calendar = Calendar.from_ical(body)
    by_icalendar = {"name": str(calendar["NAME"]), "x_wr_calname": str(calendar["X-WR-CALNAME"])}
    unfolded = body.decode().replace("\r\n ", "").split("\r\n")
    lines = [line for line in unfolded if line.startswith(("NAME", "X-WR-CALNAME"))]
    assert icaljs.parse(node, body)["calendar"] == by_icalendar, lines
    for name in by_icalendar.values():
        assert not VISIBLE_ESCAPE.search(name), f"the calendar's name reads {name!r} from {lines}"


def test_the_sessions_cover_the_awkward_cases(awkward_sessions, app):
    """Guards the fixture: each case the parsers are checked on is really there."""
    sessions = public_sessions()
    start, end = expansion_window()
    in_feed = in_feed_window(app, sessions)
    assert any(
        s.all_day and local_date(s.ends_at) - local_date(s.starts_at) == timedelta(2)
        for s in sessions
    )
    assert any(not s.all_day and local_date(s.starts_at) != local_date(s.ends_at) for s in sessions)
    assert any(s.starts_at.astimezone(UTC).date() != local_date(s.starts_at) for s in sessions)
    assert any(s.ends_at == s.starts_at for s in sessions)
    assert {s.status for s in sessions if s.is_cancelled} == {
        SessionStatus.CANCELLED,
        SessionStatus.SCHEDULED,  # the session of a cancelled event
    }
    assert len(in_feed) < len(sessions), "a session before the look-back window"
    assert len(overlapping(in_feed, start, end)) < len(in_feed), "a session past two years"
    drafts = db.session.scalars(select(Event).where(Event.status == EventStatus.DRAFT)).all()
    assert drafts and drafts[0].sessions


def test_a_draft_sessions_download_is_not_found(awkward_sessions, client):
    draft = db.session.scalar(
        select(EventSession).join(EventSession.event).where(Event.status == EventStatus.DRAFT)
    )
    assert client.get(f"/sessions/{draft.id}.ics").status_code == 404
