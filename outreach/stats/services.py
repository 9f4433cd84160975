"""The figures of the statistics pages, added up by the database.

Registrations are not read here: each session's counts are kept in `session_tally` by
triggers on `registration` (outreach/stats/tally.py), so a page costs what its sessions
cost, not what their registrations do (a year at city scale is two million of them).

Two levels of GROUP BY keep every figure exact: slot places are summed per session, joined
with the session's tally, then those per-session rows are summed per campaign, place and
local month (or day). Where and when a session is held, its category and status are read
from the live rows, so a session moved or an event re-categorised counts where it now is.

Each table is one such aggregate query, grouped by the table's own key and joined to the
names of its lines only: per campaign, community, township, category and month, or per
community and day of one campaign. The campaigns table is keyset-paged in the query itself,
so a week of a city's thousands of campaigns returns, and names, one page of them; Python
only reads the lines shown or written to a file. The tally keeps counts, party sizes and
arrivals only, which the personal-data purge does not touch, so the figures stay when names
are erased.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import BigInteger, ColumnElement, Subquery, case, cast, func, select
from sqlalchemy.orm import joinedload

from outreach.accounts.models import Organisation
from outreach.database import db, utcnow
from outreach.errors import InvalidInput
from outreach.events.models import Category, Event, EventSession, EventStatus, SessionStatus
from outreach.localtime import local_midnight
from outreach.pagination import CursorPage, Order, keyset_page
from outreach.places.models import Community, Township, Venue
from outreach.registrations.models import Slot
from outreach.stats.periods import DAY, MONTH, local_period
from outreach.stats.tally import SessionTally
from outreach.text import localised

# Tables of the overview and of a campaign's page, by the name used in URLs.
OVERVIEW_TABLES = ("events", "communities", "townships", "categories", "months")
CAMPAIGN_TABLES = ("communities", "days")


def _ratio(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class Figures:
    """What is counted for a group of sessions; cancelled sessions count only themselves."""

    sessions: int = 0  # held or still to come: neither the session nor its event cancelled
    cancelled_sessions: int = 0
    unlimited_sessions: int = 0  # no capacity and no slots: left out of the fill rate
    registrations: int = 0  # confirmed registrations
    people: int = 0  # party sizes of confirmed registrations
    capacity: int = 0  # places of the sessions with a limit
    people_limited: int = 0  # people confirmed in the sessions with a limit
    ended_registrations: int = 0  # confirmed registrations of sessions that have ended
    ended_checked_in: int = 0  # … of which checked in
    checked_in_people: int = 0  # people who arrived, at sessions that have started
    waitlisted_ever: int = 0  # waiting now, moved up, or cancelled while waiting
    waitlisted_ever_people: int = 0
    promoted: int = 0  # moved up from the waitlist (whatever became of them since)
    waiting: int = 0  # still on the waitlist
    waiting_people: int = 0

    def __add__(self, other: Figures) -> Figures:
        return Figures(
            **{f.name: getattr(self, f.name) + getattr(other, f.name) for f in fields(self)}
        )

    @property
    def fill_rate(self) -> float | None:
        """People confirmed ÷ places, over sessions with a limit; None without any."""
        return _ratio(self.people_limited, self.capacity)

    @property
    def no_shows(self) -> int:
        """Confirmed registrations of ended sessions that never checked in."""
        return self.ended_registrations - self.ended_checked_in

    @property
    def check_in_rate(self) -> float | None:
        """Checked in ÷ confirmed registrations, over sessions that have ended."""
        return _ratio(self.ended_checked_in, self.ended_registrations)

    @property
    def no_show_rate(self) -> float | None:
        """Not checked in ÷ confirmed registrations, over sessions that have ended."""
        return _ratio(self.no_shows, self.ended_registrations)


def total(figures: Iterable[Figures]) -> Figures:
    """The sum of many groups' figures."""
    result = Figures()
    for item in figures:
        result = result + item
    return result


@dataclass(frozen=True)
class Name:
    """A bilingual name read from a query row, shown with the `name` template filter."""

    zh: str
    en: str | None = None

    def display_name(self, locale: str) -> str:
        """The name in the reader's language."""
        return localised(self.zh, self.en, locale)


@dataclass(frozen=True)
class Line:
    """One row of a table: what it is about, and its figures.

    `key` is the event's id, the community's (township, community) ids, the township's or
    category's id, or the local 'YYYY-MM' month or 'YYYY-MM-DD' day.
    """

    key: Any
    names: dict[str, Name | None]
    figures: Figures
    first_start: datetime | None = None
    last_start: datetime | None = None
    # Where the line stands in its table: the table's order, then the line's own key (plain
    # numbers, text and times, as a page cursor carries them).
    position: tuple = ()


@dataclass(frozen=True)
class Filters:
    """Which sessions the overview counts: by the local day they start on, and more."""

    date_from: date
    date_to: date
    visible: frozenset[int] | None  # the user's organisations; None: all (administrators)
    organisation_id: int | None = None
    category_id: int | None = None

    @property
    def by_event(self) -> bool:
        """Whether the filters choose sessions by their event's organisation or category."""
        return any(
            chosen is not None for chosen in (self.visible, self.organisation_id, self.category_id)
        )

    def period(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses on the sessions' start."""
        return [
            EventSession.starts_at >= local_midnight(self.date_from),
            EventSession.starts_at < local_midnight(self.date_to + timedelta(days=1)),
        ]

    def conditions(self) -> list[ColumnElement[bool]]:
        """The WHERE clauses, on EventSession and Event."""
        found = [Event.status != EventStatus.DRAFT, *self.period()]
        if self.visible is not None:
            found.append(Event.organisation_id.in_(sorted(self.visible)))
        if self.organisation_id is not None:
            found.append(Event.organisation_id == self.organisation_id)
        if self.category_id is not None:
            found.append(Event.category_id == self.category_id)
        return found


# ---------------------------------------------------------------------------------------------
# The two levels of aggregation


PER_SESSION_COUNTS = (
    "registrations",
    "people",
    "checked_in",
    "checked_in_people",
    "waitlisted_ever",
    "waitlisted_ever_people",
    "promoted",
    "waiting",
    "waiting_people",
)


def _tally_of_session():
    """The tally's row of each session in scope. On PostgreSQL a lateral subquery, so that each
    session's row is read by its key: joined plainly, the planner hashes the whole tally (a
    row per session of the city, 200 ms) for a week's few thousand sessions."""
    tally = SessionTally.__table__
    if db.session.get_bind().dialect.name != "postgresql":
        return tally
    return (
        select(tally)
        .where(tally.c.session_id == EventSession.id)
        .limit(1)  # kept apart: a plain subquery would be flattened into a join again
        .lateral("tally")
    )


def _per_session(conditions: list[ColumnElement[bool]], now: datetime) -> Subquery:
    """One row per session in scope: where and when, places, held or not, ended or not."""
    in_scope = select(EventSession.id).join(EventSession.event).where(*conditions)
    slot_places = (
        select(Slot.session_id.label("session_id"), func.sum(Slot.capacity).label("places"))
        .where(Slot.session_id.in_(in_scope))
        .group_by(Slot.session_id)
        .subquery("slot_places")
    )
    # A session is full when its own capacity or all its slots are: the smaller of the two.
    # Neither set means unlimited (NULL).
    capacity, slots = EventSession.capacity, slot_places.c.places
    places = case(
        (capacity.is_(None), slots),
        (slots.is_(None), capacity),
        (capacity < slots, capacity),
        else_=slots,
    )
    held = (EventSession.status != SessionStatus.CANCELLED) & (
        Event.status != EventStatus.CANCELLED
    )
    tally = _tally_of_session()
    counts = [func.coalesce(tally.c[name], 0).label(name) for name in PER_SESSION_COUNTS]
    return (
        select(
            EventSession.id.label("session_id"),
            EventSession.event_id.label("event_id"),
            Event.category_id.label("category_id"),
            Venue.township_id.label("township_id"),
            Venue.community_id.label("community_id"),
            EventSession.starts_at.label("starts_at"),
            case((held, 1), else_=0).label("held"),
            case((EventSession.ends_at <= now, 1), else_=0).label("ended"),
            case((EventSession.starts_at <= now, 1), else_=0).label("started"),
            places.label("places"),
            *counts,
        )
        .select_from(EventSession)
        .join(Event, Event.id == EventSession.event_id)
        .join(Venue, Venue.id == EventSession.venue_id)
        .outerjoin(tally, tally.c.session_id == EventSession.id)
        .outerjoin(slot_places, slot_places.c.session_id == EventSession.id)
        .where(*conditions)
        .subquery("per_session")
    )


def _measures(per_session: Subquery) -> list[ColumnElement[int]]:
    """The Figures fields, summed over a group of per-session rows."""
    c = per_session.c
    held = c.held == 1
    limited = held & c.places.is_not(None)
    ended = held & (c.ended == 1)
    # People served only on a day that has come: a check-in made early by mistake is not.
    started = held & (c.started == 1)

    def added(value, when: ColumnElement[bool] = held) -> ColumnElement[int]:
        return func.sum(case((when, value), else_=0))

    return [
        added(1).label("sessions"),
        added(1, c.held == 0).label("cancelled_sessions"),
        added(1, held & c.places.is_(None)).label("unlimited_sessions"),
        added(c.registrations).label("registrations"),
        added(c.people).label("people"),
        added(c.places, limited).label("capacity"),
        added(c.people, limited).label("people_limited"),
        added(c.registrations, ended).label("ended_registrations"),
        added(c.checked_in, ended).label("ended_checked_in"),
        added(c.checked_in_people, started).label("checked_in_people"),
        added(c.waitlisted_ever).label("waitlisted_ever"),
        added(c.waitlisted_ever_people).label("waitlisted_ever_people"),
        added(c.promoted).label("promoted"),
        added(c.waiting).label("waiting"),
        added(c.waiting_people).label("waiting_people"),
    ]


# ---------------------------------------------------------------------------------------------
# Each table added up by the database: one query per table, names read only for its lines


FIELDS = tuple(f.name for f in fields(Figures))
WIDTH = len(FIELDS)


def _summed(per_session: Subquery, *keys: ColumnElement, extra: tuple = ()) -> Subquery:
    """The sessions in scope added up per `keys`: the keys (labelled key0, key1…), `extra`
    columns, then the figures, as whole numbers whatever the engine sums to."""
    labelled = [key.label(f"key{n}") for n, key in enumerate(keys)]
    measures = [cast(m, BigInteger).label(m.name) for m in _measures(per_session)]
    return select(*labelled, *extra, *measures).group_by(*keys).subquery("summed")


def _figures(row: Any) -> Figures:
    """The figures at the end of a row (see _summed)."""
    return Figures(*row[-WIDTH:])


def _name(zh: str | None, en: str | None) -> Name | None:
    return None if zh is None else Name(zh, en)


def _lines(statement: Any, make: Callable[[Any], Line]) -> list[Line]:
    """The table's lines, in their positions' order (sorted here rather than by the database,
    whose collation may order the pinyin slugs otherwise than the page cursors compare)."""
    lines = [make(row) for row in db.session.execute(statement)]
    lines.sort(key=attrgetter("position"))
    return lines


def _communities(per_session: Subquery) -> list[Line]:
    """By pinyin (the slugs), as Chinese lists are read; venues outside a community last."""
    c = per_session.c
    summed = _summed(per_session, c.township_id, c.community_id)
    statement = (
        select(
            Township.name,
            Township.name_en,
            Township.slug,
            Community.name,
            Community.name_en,
            Community.slug,
            summed,
        )
        .select_from(summed)
        .join(Township, Township.id == summed.c.key0)
        .outerjoin(Community, Community.id == summed.c.key1)
    )

    def line(row: Any) -> Line:
        township_id, community_id = row[6], row[7]
        return Line(
            key=(township_id, community_id),
            names={"community": _name(row[3], row[4]), "township": Name(row[0], row[1])},
            figures=_figures(row),
            position=(
                row[2],
                int(community_id is None),
                row[5] or "",
                township_id,
                community_id or 0,
            ),
        )

    return _lines(statement, line)


def _named(per_session: Subquery, key: ColumnElement, model: Any, name: str) -> list[Line]:
    """A table per township or category, by its slug then its id."""
    summed = _summed(per_session, key)
    statement = (
        select(model.name, model.name_en, model.slug, summed)
        .select_from(summed)
        .join(model, model.id == summed.c.key0)
    )
    return _lines(
        statement,
        lambda row: Line(
            key=row[3],
            names={name: Name(row[0], row[1])},
            figures=_figures(row),
            position=(row[2], row[3]),
        ),
    )


def _periods(per_session: Subquery, unit: str) -> list[Line]:
    """A table per local month or day."""
    statement = select(_summed(per_session, local_period(per_session.c.starts_at, unit)))
    return _lines(
        statement,
        lambda row: Line(key=row[0], names={}, figures=_figures(row), position=(row[0], row[0])),
    )


def _events_summed(per_session: Subquery) -> Subquery:
    c = per_session.c
    return _summed(
        per_session,
        c.event_id,
        extra=(
            func.min(c.starts_at).label("first_start"),
            func.max(c.starts_at).label("last_start"),
        ),
    )


def _event_lines(summed: Any, order: tuple) -> list[Line]:
    """The campaigns of `summed` (a subquery, perhaps one page of them) with their names."""
    statement = (
        select(
            Event.title,
            Organisation.name,
            Organisation.name_en,
            Category.name,
            Category.name_en,
            summed,
        )
        .select_from(summed)
        .join(Event, Event.id == summed.c.key0)
        .join(Organisation, Organisation.id == Event.organisation_id)
        .join(Category, Category.id == Event.category_id)
        .order_by(*order)
    )
    return [
        Line(
            key=row[5],
            names={
                "event": Name(row[0]),
                "organisation": Name(row[1], row[2]),
                "category": Name(row[3], row[4]),
            },
            figures=_figures(row),
            first_start=row[6],
            last_start=row[7],
            position=(row[6], row[5], row[5]),
        )
        for row in db.session.execute(statement)
    ]


def _events(per_session: Subquery) -> list[Line]:
    """Every campaign, in the order of its first session (the CSV file)."""
    summed = _events_summed(per_session)
    return _event_lines(summed, (summed.c.first_start, summed.c.key0))


def events_page(per_session: Subquery, cursor: str | None, per_page: int) -> CursorPage[Line]:
    """A keyset page of the campaigns table, in the order of their first session: the database
    adds every campaign up but returns, and names, only the page's (a week of a city holds
    thousands of campaigns). One query."""
    summed = _events_summed(per_session)
    order = Order(
        (summed.c.first_start, summed.c.key0), key=lambda line: (line.first_start, line.key)
    )

    def fetch(limited: Any, forward: bool) -> list[Line]:
        page = limited.subquery("page")
        walk = (page.c.first_start, page.c.key0)
        return _event_lines(page, walk if forward else tuple(c.desc() for c in walk))

    return keyset_page(select(summed), order, per_page, cursor, name="stats.events", fetch=fetch)


def months_between(first: date, last: date) -> list[str]:
    """Every month from `first`'s to `last`'s, as 'YYYY-MM'."""
    found = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        found.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return found


def _every_month(lines: list[Line], filters: Filters) -> list[Line]:
    """The month lines with the empty months of the range filled in, for charts and CSV."""
    found = {line.key: line for line in lines}
    return [
        found.get(month) or Line(key=month, names={}, figures=Figures())
        for month in months_between(filters.date_from, filters.date_to)
    ]


def _table(name: str, per_session: Subquery, unit: str = MONTH) -> list[Line]:
    """One whole table: a query adding its lines up, with their names."""
    c = per_session.c
    if name == "events":
        return _events(per_session)
    if name == "communities":
        return _communities(per_session)
    if name == "townships":
        return _named(per_session, c.township_id, Township, "township")
    if name == "categories":
        return _named(per_session, c.category_id, Category, "category")
    return _periods(per_session, unit)


class TooWide(InvalidInput):
    """The filters hold more sessions than a page may add up within its time budget."""


def check_bounded(filters: Filters) -> None:
    """Refuse filters holding more sessions than STATS_MAX_SESSIONS, with a message in the
    reader's language. Counting stops one past the limit, so the check itself is bounded."""
    limit = current_app.config["STATS_MAX_SESSIONS"]
    in_scope = select(EventSession.id)
    if filters.by_event:
        in_scope = in_scope.join(EventSession.event).where(*filters.conditions())
    else:
        # Everyone's figures: the sessions of the period along the start-time index alone,
        # drafts' too (a few, and the page's query reads them before leaving them out),
        # rather than joining every event of the city to leave the drafts out first.
        in_scope = in_scope.where(*filters.period())
    in_scope = in_scope.limit(limit + 1).subquery("in_scope")
    if db.session.scalar(select(func.count()).select_from(in_scope)) > limit:
        raise TooWide(
            _(
                "This choice holds more than %(limit)s sessions, too many to add up at once."
                " Please choose a shorter period, or one organisation or category.",
                limit=f"{limit:,}",
            )
        )


def overview_table(name: str, filters: Filters, now: datetime | None = None) -> list[Line]:
    """One table of the overview: events, communities, townships, categories or months."""
    if name not in OVERVIEW_TABLES:
        raise ValueError(f"unknown table {name!r}")
    lines = _table(name, _per_session(filters.conditions(), now or utcnow()))
    return _every_month(lines, filters) if name == "months" else lines


@dataclass(frozen=True)
class Overview:
    """Every table of the statistics page, and the total over all of them."""

    filters: Filters
    tables: dict[str, list[Line]]
    # A page of the campaigns table (its lines are not all added up: see events_page).
    events: CursorPage[Line] | None = None

    @property
    def total(self) -> Figures:
        """All sessions counted (each table splits the same sessions, so any table adds up):
        the categories', a handful of lines."""
        return total(line.figures for line in self.tables["categories"])


def overview(
    filters: Filters,
    now: datetime | None = None,
    *,
    events_cursor: str | None = None,
    per_page: int | None = None,
) -> Overview:
    """The statistics page's tables, a query each whatever the number of rows; with
    `per_page`, the campaigns table as a page (from `events_cursor`) instead."""
    per_session = _per_session(filters.conditions(), now or utcnow())
    names = OVERVIEW_TABLES if per_page is None else OVERVIEW_TABLES[1:]
    tables = {name: _table(name, per_session) for name in names}
    tables["months"] = _every_month(tables["months"], filters)
    if per_page is None:
        return Overview(filters, tables)
    return Overview(filters, tables, events_page(per_session, events_cursor, per_page))


# ---------------------------------------------------------------------------------------------
# A campaign: one event across its communities and days


def campaign_event(event_id: int) -> Event | None:
    """The event with its organisation and category, drafts included."""
    return db.session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .options(joinedload(Event.organisation), joinedload(Event.category))
    )


def _campaign_sessions(event: Event, now: datetime | None) -> Subquery:
    return _per_session([EventSession.event_id == event.id], now or utcnow())


def campaign_table(name: str, event: Event, now: datetime | None = None) -> list[Line]:
    """One table of a campaign: per community or per local day."""
    if name not in CAMPAIGN_TABLES:
        raise ValueError(f"unknown table {name!r}")
    return _table(name, _campaign_sessions(event, now), DAY)


@dataclass(frozen=True)
class Campaign:
    """A campaign rolled up across its communities and days."""

    event: Event
    tables: dict[str, list[Line]]

    @property
    def total(self) -> Figures:
        """The whole campaign."""
        return total(line.figures for line in self.tables["communities"])

    @property
    def day_count(self) -> int:
        """Local days on which at least one session was held (or is to be)."""
        return sum(1 for line in self.tables["days"] if line.figures.sessions)

    @property
    def community_count(self) -> int:
        """Communities where at least one session was held (or is to be)."""
        return sum(
            1
            for line in self.tables["communities"]
            if line.names["community"] is not None and line.figures.sessions
        )


def campaign(event: Event, now: datetime | None = None) -> Campaign:
    """The campaign page's tables, a query each whatever the number of sessions."""
    per_session = _campaign_sessions(event, now)
    return Campaign(event, {name: _table(name, per_session, DAY) for name in CAMPAIGN_TABLES})
