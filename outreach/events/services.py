"""Queries the public pages and the API need, with the rules of what residents may see."""

from __future__ import annotations

import functools
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import groupby
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, bindparam, exists, func, or_, select
from sqlalchemy.orm import aliased, contains_eager, joinedload, raiseload, selectinload

from outreach.accounts.models import Organisation
from outreach.database import db
from outreach.errors import NotFoundError
from outreach.events.loading import event_and_places, session_places
from outreach.events.models import PUBLIC_EVENT_STATUSES, Category, Event, EventSession
from outreach.localtime import local_date, local_midnight, local_today
from outreach.pagination import CursorPage, Order, Page, keyset_page, offset
from outreach.places import services as places
from outreach.places.models import Community, Township, Venue

T = TypeVar("T")


@dataclass(frozen=True)
class SessionFilter:
    """Which public sessions a listing shows: places, kind, organiser and a date range."""

    township: Township | None = None
    community: Community | None = None
    category: Category | None = None
    organisation: Organisation | None = None
    date_from: date | None = None
    date_to: date | None = None
    # Everything but this community: the home page, after the resident's own community.
    elsewhere_than: Community | None = None

    def apply(self, statement: Select) -> Select:
        """Add the filter to a statement that already joins Event and Venue."""
        statement = statement.where(Event.status.in_(PUBLIC_EVENT_STATUSES))
        if self.category is not None:
            statement = statement.where(Event.category_id == self.category.id)
        if self.organisation is not None:
            statement = statement.where(Event.organisation_id == self.organisation.id)
        return statement.where(*self.place_and_time(EventSession, Venue))

    @property
    def by_place(self) -> bool:
        """Whether the filter has conditions on the venue."""
        return any(
            place is not None for place in (self.township, self.community, self.elsewhere_than)
        )

    def place_and_time(self, event_session: Any, venue: Any) -> list[ColumnElement[bool]]:
        """The filter's conditions on a session and its venue (either may be an alias; no
        venue: only those on time)."""
        conditions = []
        if venue is not None and self.township is not None:
            conditions.append(venue.township_id == self.township.id)
        if venue is not None and self.community is not None:
            conditions.append(venue.community_id == self.community.id)
        if venue is not None and self.elsewhere_than is not None:
            conditions.append(
                or_(venue.community_id.is_(None), venue.community_id != self.elsewhere_than.id)
            )
        # Without a start date, "upcoming" begins at today's midnight so the whole of today
        # stays on the page; a bound on starts_at keeps the listing on its index.
        start = self.date_from or local_today()
        conditions.append(event_session.starts_at >= local_midnight(start))
        if self.date_to is not None:
            end = local_midnight(self.date_to + timedelta(days=1))
            conditions.append(event_session.starts_at < end)
        return conditions


# Counting every upcoming session of a city costs more than showing a page of them: listings
# count this many at most (or up to the page asked for) and otherwise say "more than".
COUNT_LIMIT = 1000


def _bounded_count(statement: Select, page: int, per_page: int) -> tuple[int, bool]:
    """Rows of `statement` up to max(COUNT_LIMIT, the end of this page), and whether that
    is all of them. Reads at most that many index entries, whatever the table's size."""
    limit = max(COUNT_LIMIT, page * per_page)
    # In start order, so the count walks the same index as the page (and stops early).
    counted = (
        statement.with_only_columns(EventSession.id)
        .order_by(EventSession.starts_at)
        .limit(limit + 1)
        .subquery()
    )
    found = db.session.scalar(select(func.count()).select_from(counted)) or 0
    return min(found, limit), found <= limit


def _by_slug(model: type, slug: str | None, kind: str):
    if not slug:
        return None
    found = db.session.scalar(select(model).where(model.slug == slug))
    if found is None:
        raise NotFoundError(kind, slug)
    return found


def build_filter(
    *,
    township: str | None = None,
    community: str | None = None,
    category: str | None = None,
    organisation: str | None = None,
    date_from: date | None = None,
    date_to: date | None = None,
) -> SessionFilter:
    """Resolve slugs into a filter; an unknown slug raises NotFoundError."""
    return SessionFilter(
        township=_by_slug(Township, township, "township"),
        community=_by_slug(Community, community, "community"),
        category=_by_slug(Category, category, "category"),
        organisation=_by_slug(Organisation, organisation, "organisation"),
        date_from=date_from,
        date_to=date_to,
    )


def _with_places_and_event(statement: Select) -> Select:
    """Eager-load what a session card shows, in the same query."""
    return statement.options(*event_and_places(joined=True), selectinload(EventSession.slots))


def _filtered_sessions(filters: SessionFilter) -> Select:
    base = select(EventSession).join(EventSession.event).join(EventSession.venue)
    return filters.apply(base)


def upcoming_sessions(filters: SessionFilter, page: int, per_page: int) -> Page[EventSession]:
    """Public sessions matching the filter in start order, one page: two queries."""
    statement = _filtered_sessions(filters)
    total, exact = _bounded_count(statement, page, per_page)
    rows = db.session.scalars(
        _with_places_and_event(statement)
        .order_by(EventSession.starts_at, EventSession.id)
        .limit(per_page)
        .offset(offset(page, per_page))
    ).all()
    return Page(items=rows, page=page, per_page=per_page, total=total, exact=exact)


def group_by_local_day(
    sessions: Iterable[EventSession],
) -> list[tuple[date, list[EventSession]]]:
    """Sessions in order, grouped under the local date they start on."""
    by_day = groupby(sessions, key=lambda item: local_date(item.starts_at))
    return [(day, list(group)) for day, group in by_day]


def upcoming_events(filters: SessionFilter, page: int, per_page: int) -> Page[Event]:
    """Public events with sessions matching the filter, ordered by their first such session.

    Each event's `sessions` holds only its matching sessions (not all of them), so a listing
    shows what the filter asked for. Three queries whatever the page size.
    """
    matching = _filtered_sessions(filters)
    first_start = func.min(EventSession.starts_at).label("first_start")
    per_event = matching.with_only_columns(EventSession.event_id, first_start).group_by(
        EventSession.event_id
    )
    total = db.session.scalar(select(func.count()).select_from(per_event.subquery())) or 0
    ids = db.session.scalars(
        per_event.order_by(first_start, EventSession.event_id)
        .limit(per_page)
        .offset(offset(page, per_page))
    ).all()
    if not ids:
        return Page(items=[], page=page, per_page=per_page, total=total)
    sessions = db.session.scalars(
        _with_places_and_event(matching.where(EventSession.event_id.in_(ids))).order_by(
            EventSession.starts_at, EventSession.id
        )
    ).all()
    by_event: dict[int, Event] = {}
    grouped: dict[int, list[EventSession]] = {}
    for event_session in sessions:
        by_event[event_session.event_id] = event_session.event
        grouped.setdefault(event_session.event_id, []).append(event_session)
    items = []
    for event_id in ids:
        event = by_event[event_id]
        # Present only the matching sessions without touching the loaded relationship.
        items.append(EventWithSessions(event, grouped[event_id]))
    return Page(items=items, page=page, per_page=per_page, total=total)


def upcoming_event_page(
    filters: SessionFilter, cursor: str | None, per_page: int
) -> CursorPage[EventWithSessions]:
    """Public events with sessions matching the filter, ordered by their first such session,
    in keyset pages (the API): two queries, each reading only this page's rows.

    The page walks matching sessions in start order along the start-time index and keeps
    those that are their event's first match (an index probe per session on the event's
    sessions), so no page groups every upcoming session of the city."""
    earlier = aliased(EventSession)
    earlier_venue = aliased(Venue)
    before_it = select(earlier.id).join(earlier_venue, earlier.venue_id == earlier_venue.id)
    before_it = before_it.where(
        earlier.event_id == EventSession.event_id,
        *filters.place_and_time(earlier, earlier_venue),
        earlier.starts_at <= EventSession.starts_at,
        or_(earlier.starts_at < EventSession.starts_at, earlier.id < EventSession.id),
    )
    firsts = _filtered_sessions(filters).where(~exists(before_it))
    order = Order((EventSession.starts_at, EventSession.id))
    page = keyset_page(firsts, order, per_page, cursor, name="api.events")
    ids = [first.event_id for first in page.items]
    grouped: dict[int, list[EventSession]] = {event_id: [] for event_id in ids}
    if ids:
        # At most LISTED_SESSIONS (and one more, to tell there are more) of each event's
        # matching sessions, ranked in time by the database: a campaign of thousands of
        # sessions brings a few, not all of them with their places and slots.
        venue = Venue if filters.by_place else None
        ranked = select(
            EventSession.id,
            func.row_number()
            .over(
                partition_by=EventSession.event_id,
                order_by=(EventSession.starts_at, EventSession.id),
            )
            .label("rank"),
        ).where(EventSession.event_id.in_(ids), *filters.place_and_time(EventSession, venue))
        if venue is not None:
            ranked = ranked.join(EventSession.venue)
        ranked = ranked.subquery("ranked")
        wanted = select(ranked.c.id).where(ranked.c.rank <= LISTED_SESSIONS + 1)
        sessions = db.session.scalars(
            select(EventSession)
            .join(EventSession.event)
            .where(EventSession.id.in_(wanted))
            .options(
                contains_eager(EventSession.event).joinedload(Event.organisation),
                contains_eager(EventSession.event).joinedload(Event.category),
                selectinload(EventSession.venue).options(
                    joinedload(Venue.township), joinedload(Venue.community)
                ),
                selectinload(EventSession.slots),
            )
            .order_by(EventSession.starts_at, EventSession.id)
        )
        for event_session in sessions:
            grouped[event_session.event_id].append(event_session)
    items = [
        EventWithSessions(
            sessions[0].event, sessions[:LISTED_SESSIONS], len(sessions) > LISTED_SESSIONS
        )
        for sessions in grouped.values()
    ]
    return CursorPage(items, page.per_page, page.next_cursor, page.prev_cursor)


# How many of an event's matching sessions a page of the API's events carries; the event's
# own resource (/api/v1/events/<id>) has them all.
LISTED_SESSIONS = 5


@dataclass(frozen=True)
class EventWithSessions:
    """An event together with the subset of its sessions a listing selected."""

    event: Event
    sessions: list[EventSession]
    # Whether the event has more matching sessions than those listed.
    more_sessions: bool = False


@functools.cache
def event_with_sessions(slots: bool = True) -> Select:
    """Select events with their organisation, category, sessions, places and slots (built
    once: a statement is never changed, only copied by each `.where`).

    Without `slots`, for the event page (which reads them as plain rows, see its hooks): the
    sessions' slots are not loaded, and reading them raises rather than running a query per
    session; the sessions and their places come in the event's own statement (joined: read
    its result `unique()`), which saves a statement and half a millisecond of the ORM's."""
    if not slots:
        return select(Event).options(
            joinedload(Event.organisation),
            joinedload(Event.category),
            joinedload(Event.sessions).options(*session_places(), raiseload(EventSession.slots)),
        )
    return select(Event).options(
        joinedload(Event.organisation),
        joinedload(Event.category),
        selectinload(Event.sessions).options(*session_places(), selectinload(EventSession.slots)),
    )


@functools.cache
def _public_event(slots: bool) -> Select:
    """Select a public event (`event_id`) as `event_with_sessions`, built once: a statement
    made again for each request has its cache key and loader options worked out again (about
    a millisecond and a half of the event page's cold render at demo scale)."""
    return event_with_sessions(slots).where(
        Event.id == bindparam("event_id"), Event.status.in_(PUBLIC_EVENT_STATUSES)
    )


def public_event(event_id: int, *, slots: bool = True) -> Event:
    """A public event with all its sessions and their places loaded, and their slots unless
    told not to (`event_with_sessions`)."""
    found = db.session.execute(_public_event(slots), {"event_id": event_id})
    event = found.unique().scalar_one_or_none()
    if event is None:
        raise NotFoundError("event", event_id)
    return event


def public_event_of_session(session_id: int) -> tuple[Event, EventSession]:
    """A session's public event with all its sessions loaded, and the session itself."""
    event = db.session.scalar(
        event_with_sessions()
        .join(Event.sessions)
        .where(EventSession.id == session_id, Event.status.in_(PUBLIC_EVENT_STATUSES))
    )
    if event is None:
        raise NotFoundError("session", session_id)
    return event, next(s for s in event.sessions if s.id == session_id)


def public_session(session_id: int) -> EventSession:
    """A session of a public event, with its event and place loaded."""
    statement = _with_places_and_event(
        select(EventSession)
        .join(EventSession.event)
        .join(EventSession.venue)
        .where(EventSession.id == session_id, Event.status.in_(PUBLIC_EVENT_STATUSES))
    )
    event_session = db.session.scalar(statement)
    if event_session is None:
        raise NotFoundError("session", session_id)
    return event_session


def township_by_slug(slug: str) -> Township:
    """A township with its communities loaded."""
    township = db.session.scalar(
        select(Township).where(Township.slug == slug).options(selectinload(Township.communities))
    )
    if township is None:
        raise NotFoundError("township", slug)
    return township


# A slug longer than any the site makes is no slug (the column holds at most this many).
MAX_SLUG = 80


def chosen_community(slug: str | None) -> Community | None:
    """The community a resident chose (its slug from a cookie), with its township; None
    for no choice or one that names no community (any more)."""
    if not slug or len(slug) > MAX_SLUG:
        return None
    return db.session.scalar(
        select(Community).where(Community.slug == slug).options(joinedload(Community.township))
    )


def townships_to_choose() -> list[Township]:
    """Streets and townships with at least one community, by name: the first step of choosing
    one's community."""
    has_community = exists().where(Community.township_id == Township.id)
    return list(db.session.scalars(select(Township).where(has_community).order_by(Township.name)))


def filter_choices(filters: SessionFilter) -> dict[str, list]:
    """What the listing's filter form offers: four queries, five in a city-sized site."""
    around = [
        filters.township.id if filters.township else None,
        filters.community.township_id if filters.community else None,
    ]
    return {
        "townships": list(db.session.scalars(select(Township).order_by(Township.name))),
        "communities": places.communities_to_choose(around),
        "categories": list(db.session.scalars(select(Category).order_by(Category.id))),
        "organisations": list(db.session.scalars(select(Organisation).order_by(Organisation.name))),
    }
