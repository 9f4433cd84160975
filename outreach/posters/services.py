"""What a poster shows, loaded eagerly and condensed so that it always fits on one A4 page.

A campaign may put booths in a dozen communities and a series may meet every week for a year;
a page cannot list every session. Sessions are gathered into rows (one per venue on an event's
poster, one per event and venue on a community's), each row lists its days under each time of
day it uses, and the poster keeps as many rows, in order of their first session, as the page
holds (see fitting.py). What it leaves out is counted ("and 9 more sessions") and left to the
website, which the poster's QR code opens.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, replace
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from outreach.database import db
from outreach.errors import NotFoundError
from outreach.events.loading import event_and_places
from outreach.events.models import PUBLIC_EVENT_STATUSES, Event, EventSession, EventStatus
from outreach.formatting import day, session_time
from outreach.i18n import current_language
from outreach.localtime import local_date, local_midnight, local_today, local_zone
from outreach.places.models import Community, Township, Venue
from outreach.posters import fitting
from outreach.posters.dates import days_units

# How many days one row lists; a row with the page nearly to itself (a weekly series at one
# venue) lists more.
DAYS_PER_ROW = 6
DAYS_ALONE = 12
ALONE = 3

# The community poster covers the coming weeks.
DEFAULT_WEEKS = 4
MIN_WEEKS = 1
MAX_WEEKS = 8


# A poster has room for a few words of why a day was called off; the web page has the rest.
REASON_LENGTH = 16


@dataclass(frozen=True)
class Day:
    """A day on which a row's sessions meet at one time; cancelled when all of them are, with
    the reason given (cut short to fit beside the date)."""

    day: date
    cancelled: bool
    reason: str = ""


def short_reason(event_session: EventSession) -> str:
    """Why a session was called off (its own reason, else its event's), in a few words."""
    reason = " ".join(
        (event_session.cancellation_reason or event_session.event.cancellation_reason).split()
    )
    return reason if len(reason) <= REASON_LENGTH else reason[: REASON_LENGTH - 1] + "…"


@dataclass(frozen=True)
class Times:
    """The days on which a row's sessions share one time of day (09:30–11:30, all day…)."""

    sample: EventSession  # one of them, to say the time with
    days: tuple[Day, ...]


@dataclass(frozen=True)
class Row:
    """The sessions at one venue (of one event, on a community's poster), condensed."""

    event: Event
    venue: Venue
    venue_label: str  # the venue's name, less its community's when it starts with it
    address: str  # the venue's address in the reader's language, or ""
    times: tuple[Times, ...]
    more: int  # sessions of this row left out for space
    shape: fitting.RowShape


@dataclass(frozen=True)
class Group:
    """The rows of one community, or of a township's own venues (community None)."""

    community: Community | None
    rows: tuple[Row, ...]

    @property
    def table_rows(self) -> int:
        """How many rows of the table it spans: one per time of day of each of its rows."""
        return sum(len(row.times) for row in self.rows)


@dataclass(frozen=True)
class Area:
    """A township's part of an event's schedule."""

    township: Township
    groups: tuple[Group, ...]


@dataclass(frozen=True)
class Schedule:
    """The rows a poster shows, in order, what it left out, and the size of its type."""

    rows: tuple[Row, ...]
    areas: tuple[Area, ...]  # the same rows by township and community (an event's poster)
    total: int  # sessions in all
    more_rows: int  # rows left out
    more_sessions: int  # sessions of the rows left out
    density: str  # "spacious", "roomy", "normal" or "compact"
    description_lines: int  # how much of the event's description the room left holds
    cancelled: int = 0  # sessions of `total` called off (listed, struck through)

    @property
    def held(self) -> int:
        """Sessions that still take place: what the heading counts."""
        return self.total - self.cancelled

    @property
    def has_cancelled(self) -> bool:
        """Whether a day shown is struck through (the poster then says what that means)."""
        return any(day.cancelled for row in self.rows for t in row.times for day in t.days)


@dataclass(frozen=True)
class EventPoster:
    """A published event and its coming schedule; `community` when it runs in only one."""

    event: Event
    schedule: Schedule
    community: Community | None


@dataclass(frozen=True)
class CommunityPoster:
    """A community's sessions from `first_day` to `last_day`, and the poster's heading."""

    community: Community
    title: str
    period: str
    first_day: date
    last_day: date
    weeks: int
    schedule: Schedule


# ---------------------------------------------------------------------------------------------
# Condensing


def time_key(event_session: EventSession) -> Hashable:
    """Sessions share a line when they start and end at the same local times."""
    zone = local_zone()
    starts = event_session.starts_at.astimezone(zone)
    ends = event_session.ends_at.astimezone(zone)
    return (event_session.all_day, starts.time(), ends.time(), (ends.date() - starts.date()).days)


def venue_label(venue: Venue, language: str) -> str:
    """A venue's name, less its community's when it starts with it: the poster names the
    community beside it (大西洋新城社区 · 服务站)."""
    name = venue.display_name(language)
    if venue.community is not None:
        community = venue.community.display_name(language)
        rest = name.removeprefix(community).strip(" ·-–—,")
        if rest != name and fitting.text_width(rest) >= 2:
            return rest
    return name


def time_text(times: Times) -> str:
    """When a line's sessions run: 09:30–11:30, or all day."""
    return session_time(times.sample)


def _row(
    sessions: Sequence[EventSession], budget: int, first_column: str, with_address: bool = True
) -> Row:
    """One row from its sessions (in start order), listing at most `budget` days;
    `first_column` is what the row's first cell says (its community, or its event), and the
    venue's address is under its name `with_address`."""
    lines: dict[Hashable, tuple[EventSession, dict[date, bool]]] = {}
    reasons: dict[date, str] = {}
    listed = used = 0
    for event_session in sessions:
        key = time_key(event_session)
        on = local_date(event_session.starts_at)
        line = lines.get(key)
        if line is not None and on in line[1]:
            # Another session at the same place, day and time (a second room): the same day.
            line[1][on] = line[1][on] and event_session.is_cancelled
            used += 1
            continue
        if listed == budget:
            break
        if line is None:
            line = lines[key] = (event_session, {})
        line[1][on] = event_session.is_cancelled
        if event_session.is_cancelled:
            reasons.setdefault(on, short_reason(event_session))
        listed += 1
        used += 1
    times = tuple(
        Times(
            sample,
            tuple(
                Day(on, cancelled, reasons.get(on, "") if cancelled else "")
                for on, cancelled in days.items()
            ),
        )
        for sample, days in lines.values()
    )
    venue = sessions[0].venue
    language = current_language()
    label = venue_label(venue, language)
    address = " ".join(venue.text("address", language).split()) if with_address else ""
    more = len(sessions) - used
    shape = fitting.RowShape(
        first=first_column,
        venue=label,
        address=address,
        times=tuple((days_units(t.days), time_text(t)) for t in times),
        more=more > 0,
    )
    return Row(sessions[0].event, venue, label, address, times, more, shape)


def condense(
    sessions: Sequence[EventSession],
    key: Callable[[EventSession], Hashable],
    first_column: Callable[[EventSession], str],
    header: fitting.Header,
    by_place: bool = False,
) -> Schedule:
    """Rows of the sessions (given in start order) by `key`, as many as the page holds
    under this header, soonest first.

    `first_column` says what a row's first cell shows. `by_place` counts a heading for each
    township among the rows kept (the poster shows them by township and community).
    """
    by_row: dict[Hashable, list[EventSession]] = {}
    for event_session in sessions:
        by_row.setdefault(key(event_session), []).append(event_session)
    groups = list(by_row.values())
    budget = DAYS_ALONE if len(groups) <= ALONE else DAYS_PER_ROW

    def keep(with_address: bool) -> tuple[list[Row], set[int]]:
        """The rows, in order, that fit on the page, and the townships they head."""
        kept: list[Row] = []
        townships: set[int] = set()
        for row_sessions in groups:
            row = _row(row_sessions, budget, first_column(row_sessions[0]), with_address)
            headed = townships | {row.venue.township_id} if by_place else set()
            if not fitting.fits([r.shape for r in (*kept, row)], len(headed), header):
                break
            kept.append(row)
            townships = headed
        return kept, townships

    # Addresses cost a line a row: they give way before any row does.
    kept, townships = keep(with_address=True)
    if len(kept) < len(groups):
        plain, plain_townships = keep(with_address=False)
        if len(plain) > len(kept):
            kept, townships = plain, plain_townships
    left_out = groups[len(kept) :]
    density, description = fitting.layout([r.shape for r in kept], len(townships), header)
    cancelled = sum(1 for event_session in sessions if event_session.is_cancelled)
    schedule = _schedule(
        kept, len(sessions), len(left_out), sum(map(len, left_out)), density.name, description
    )
    return replace(schedule, cancelled=cancelled)


def _schedule(
    rows: list[Row], total: int, more_rows: int, more: int, density: str, description: int
) -> Schedule:
    """The schedule of the kept rows, also arranged by township and community, each in the
    order of its first session."""
    areas: dict[int, tuple[Township, dict[int | None, list[Row]]]] = {}
    for row in rows:
        venue = row.venue
        _township, communities = areas.setdefault(venue.township_id, (venue.township, {}))
        communities.setdefault(venue.community_id, []).append(row)
    return Schedule(
        rows=tuple(rows),
        areas=tuple(
            Area(township, tuple(Group(r[0].venue.community, tuple(r)) for r in by.values()))
            for township, by in areas.values()
        ),
        total=total,
        more_rows=more_rows,
        more_sessions=more,
        density=density,
        description_lines=description,
    )


# ---------------------------------------------------------------------------------------------
# Queries


def sessions_with_places() -> Select:
    """Sessions in start order, with their event, organisation and places in the same query."""
    return (
        select(EventSession)
        .join(EventSession.event)
        .join(EventSession.venue)
        .options(*event_and_places(joined=True))
        .order_by(EventSession.starts_at, EventSession.id)
    )


def _community_name(event_session: EventSession) -> str:
    """A row's first cell on an event's poster: its community, or its township for a venue
    of the township's own (a school)."""
    venue = event_session.venue
    return (venue.community or venue.township).display_name(current_language())


def published_event(
    event_id: int, statuses: tuple[EventStatus, ...] = (EventStatus.PUBLISHED,)
) -> Event:
    """A published event with its organisation and category; drafts and cancelled events
    have no poster (NotFoundError). `statuses` widens what is found."""
    event = db.session.scalar(
        select(Event)
        .options(joinedload(Event.organisation), joinedload(Event.category))
        .where(Event.id == event_id, Event.status.in_(statuses))
    )
    if event is None:
        raise NotFoundError("event", event_id)
    return event


def public_event(event_id: int) -> Event:
    """A public event (published, or cancelled: residents may still share that it is off)."""
    return published_event(event_id, PUBLIC_EVENT_STATUSES)


def event_poster(event_id: int) -> EventPoster:
    """A published event's sessions from today on, by township, community and venue:
    two queries whatever their number."""
    event = published_event(event_id)
    sessions = db.session.scalars(
        sessions_with_places().where(
            EventSession.event_id == event.id,
            EventSession.starts_at >= local_midnight(local_today()),
        )
    ).all()
    language = current_language()
    header = fitting.Header(
        event.text("title", language),
        event.text("summary", language),
        bool(event.text("audience", language)),
        event.text("description", language).replace("\r", ""),
        contact=bool(event.contact_name or event.contact_phone),
    )
    schedule = condense(sessions, lambda s: s.venue_id, _community_name, header, by_place=True)
    communities = {s.venue.community_id for s in sessions}
    only = sessions[0].venue.community if len(communities) == 1 and sessions else None
    return EventPoster(event=event, schedule=schedule, community=only)


def community_by_slug(slug: str) -> Community:
    """A community with its township."""
    community = db.session.scalar(
        select(Community).options(joinedload(Community.township)).where(Community.slug == slug)
    )
    if community is None:
        raise NotFoundError("community", slug)
    return community


def community_poster(slug: str, weeks: int = DEFAULT_WEEKS) -> CommunityPoster:
    """A community's public sessions of the coming `weeks` weeks (today included), one row
    per event and venue: two queries whatever their number."""
    community = community_by_slug(slug)
    first_day = local_today()
    end = first_day + timedelta(weeks=weeks)
    sessions = db.session.scalars(
        sessions_with_places().where(
            Venue.community_id == community.id,
            Event.status.in_(PUBLIC_EVENT_STATUSES),
            EventSession.starts_at >= local_midnight(first_day),
            EventSession.starts_at < local_midnight(end),
        )
    ).all()
    last_day = end - timedelta(days=1)
    language = current_language()
    title = _("What's on in %(community)s", community=community.display_name(language))
    period = _("%(first)s to %(last)s", first=day(first_day), last=day(last_day))
    header = fitting.Header(title, period)
    return CommunityPoster(
        community=community,
        title=title,
        period=period,
        first_day=first_day,
        last_day=last_day,
        weeks=weeks,
        schedule=condense(
            sessions,
            lambda s: (s.event_id, s.venue_id),
            lambda s: s.event.text("title", language),
            header,
        ),
    )
