"""The figures of the statistics pages, added up by the database.

Registrations are not read here: each session's counts are kept in `session_tally` by
triggers on `registration` (outreach/stats/tally.py), so a page costs what its sessions
cost, not what their registrations do (a year at city scale is two million of them).

Two levels of GROUP BY keep every figure exact: slot places are summed per session, joined
with the session's tally, then those per-session rows are summed per campaign, place and
local month (or day). Where and when a session is held, its category and status are read
from the live rows, so a session moved or an event re-categorised counts where it now is.

A page runs that one aggregate query; its rows (cells, at most one per session) are then
added up into each table: per campaign, community, township, category and month, or per
community and day of one campaign. The tally keeps counts, party sizes and arrivals only,
which the personal-data purge does not touch, so the figures stay when names are erased.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, fields, replace
from datetime import date, datetime, timedelta
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Subquery, case, func, select
from sqlalchemy.orm import joinedload

from outreach.accounts.models import Organisation
from outreach.database import db, utcnow
from outreach.errors import InvalidInput
from outreach.events.models import Category, Event, EventSession, EventStatus, SessionStatus
from outreach.localtime import local_midnight
from outreach.pagination import CursorPage, keyset_slice
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
# The grain: one query, rolled up into every table


FIELDS = tuple(f.name for f in fields(Figures))


@dataclass(frozen=True)
class Cell:
    """The figures of one campaign at one place in one local month (or day): the finest grain
    the database returns. The tables add cells up; there are at most as many as sessions."""

    event_id: int
    category_id: int
    township_id: int
    community_id: int | None
    period: str
    first_start: datetime
    last_start: datetime
    values: tuple[int, ...]
    names: dict[str, Name | None]
    slugs: dict[str, str | None]


def _cells(conditions: list[ColumnElement[bool]], unit: str, now: datetime) -> list[Cell]:
    """Sessions in scope summed per campaign, township, community and local period: 1 query."""
    per_session = _per_session(conditions, now)
    c = per_session.c
    keys = (c.event_id, c.category_id, c.township_id, c.community_id)
    period = local_period(c.starts_at, unit).label("period")
    grain = (
        select(
            *keys,
            period,
            func.min(c.starts_at).label("first_start"),
            func.max(c.starts_at).label("last_start"),
            *_measures(per_session),
        )
        .group_by(*keys, period)
        .subquery("grain")
    )
    g = grain.c
    rows = db.session.execute(
        select(
            grain,
            Event.title.label("event_title"),
            Organisation.name.label("organisation_name"),
            Organisation.name_en.label("organisation_name_en"),
            Category.name.label("category_name"),
            Category.name_en.label("category_name_en"),
            Category.slug.label("category_slug"),
            Township.name.label("township_name"),
            Township.name_en.label("township_name_en"),
            Township.slug.label("township_slug"),
            Community.name.label("community_name"),
            Community.name_en.label("community_name_en"),
            Community.slug.label("community_slug"),
        )
        .join(Event, Event.id == g.event_id)
        .join(Organisation, Organisation.id == Event.organisation_id)
        .join(Category, Category.id == g.category_id)
        .join(Township, Township.id == g.township_id)
        .outerjoin(Community, Community.id == g.community_id)
    ).all()
    return [_cell(row._mapping) for row in rows]


def _cell(row: Any) -> Cell:
    community = None
    if row["community_id"] is not None:
        community = Name(row["community_name"], row["community_name_en"])
    return Cell(
        event_id=row["event_id"],
        category_id=row["category_id"],
        township_id=row["township_id"],
        community_id=row["community_id"],
        period=row["period"],
        first_start=row["first_start"],
        last_start=row["last_start"],
        values=tuple(int(row[name] or 0) for name in FIELDS),
        names={
            "event": Name(row["event_title"]),
            "organisation": Name(row["organisation_name"], row["organisation_name_en"]),
            "category": Name(row["category_name"], row["category_name_en"]),
            "township": Name(row["township_name"], row["township_name_en"]),
            "community": community,
        },
        slugs={
            "category": row["category_slug"],
            "township": row["township_slug"],
            "community": row["community_slug"],
        },
    )


@dataclass(frozen=True)
class Table:
    """How cells add up into one table: the key of a line, its names, and the lines' order."""

    key: Callable[[Cell], Any]
    names: tuple[str, ...]
    order: Callable[[Cell, Line], Any]


TABLES = {
    "events": Table(
        lambda cell: cell.event_id,
        ("event", "organisation", "category"),
        lambda cell, line: (line.first_start, cell.event_id),
    ),
    # By pinyin (the slugs), as Chinese lists are read; venues outside a community last.
    "communities": Table(
        lambda cell: (cell.township_id, cell.community_id),
        ("community", "township"),
        lambda cell, line: (
            cell.slugs["township"],
            cell.community_id is None,
            cell.slugs["community"] or "",
        ),
    ),
    "townships": Table(
        lambda cell: cell.township_id,
        ("township",),
        lambda cell, line: (cell.slugs["township"], cell.township_id),
    ),
    "categories": Table(
        lambda cell: cell.category_id,
        ("category",),
        lambda cell, line: (cell.slugs["category"], cell.category_id),
    ),
    "months": Table(lambda cell: cell.period, (), lambda cell, line: cell.period),
    "days": Table(lambda cell: cell.period, (), lambda cell, line: cell.period),
}


def _roll_up(cells: Iterable[Cell], table: Table) -> list[Line]:
    """The table's lines: the cells of each line added up, in the table's order."""
    lines = [_line(key, members, table) for key, members in _grouped(cells, table).items()]
    lines.sort(key=lambda line: line.position)
    return lines


def _grouped(cells: Iterable[Cell], table: Table) -> dict[Any, list[Cell]]:
    groups: dict[Any, list[Cell]] = {}
    for cell in cells:
        groups.setdefault(table.key(cell), []).append(cell)
    return groups


def _line(key: Any, members: list[Cell], table: Table) -> Line:
    """One line of a table: its cells added up."""
    first = members[0]
    line = Line(
        key=key,
        names={name: first.names[name] for name in table.names},
        figures=Figures(*_summed(members)),
        first_start=min(m.first_start for m in members),
        last_start=max(m.last_start for m in members),
    )
    order = table.order(first, line)
    return replace(line, position=_plain((*_flat(order), *_flat(key))))


def events_page(cells: list[Cell], cursor: str | None, per_page: int) -> CursorPage[Line]:
    """A keyset page of the campaigns table, in the order of their first session: only the
    page's lines are added up (a week of a city holds thousands of campaigns)."""
    table = TABLES["events"]
    groups = _grouped(cells, table)
    positions = sorted(
        (min(m.first_start for m in members), event_id) for event_id, members in groups.items()
    )
    page = keyset_slice(positions, lambda item: item, per_page, cursor, name="stats.events")
    lines = [_line(event_id, groups[event_id], table) for _first, event_id in page.items]
    return CursorPage(lines, page.per_page, page.next_cursor, page.prev_cursor)


def _summed(members: list[Cell]) -> tuple[int, ...]:
    if len(members) == 1:  # most lines of a short period: a campaign held once in it
        return members[0].values
    return tuple(map(sum, zip(*(m.values for m in members), strict=True)))


def _flat(value: Any) -> tuple:
    return value if isinstance(value, tuple) else (value,)


def _plain(values: tuple) -> tuple:
    """A sort key a cursor can carry: a venue outside a community has community 0, and yes
    or no is 1 or 0."""
    return tuple(0 if v is None else (int(v) if isinstance(v, bool) else v) for v in values)


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


def _table(name: str, cells: list[Cell], filters: Filters) -> list[Line]:
    lines = _roll_up(cells, TABLES[name])
    return _every_month(lines, filters) if name == "months" else lines


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
    return _table(name, _cells(filters.conditions(), MONTH, now or utcnow()), filters)


@dataclass(frozen=True)
class Overview:
    """Every table of the statistics page, and the total over all of them."""

    filters: Filters
    tables: dict[str, list[Line]]
    # A page of the campaigns table (its lines are not all added up: see events_page).
    events: CursorPage[Line] | None = None

    @property
    def total(self) -> Figures:
        """All sessions counted (each table splits the same sessions, so any table adds up)."""
        return total(line.figures for line in self.tables["categories"])


def overview(
    filters: Filters,
    now: datetime | None = None,
    *,
    events_cursor: str | None = None,
    per_page: int | None = None,
) -> Overview:
    """The statistics page's tables, from one query whatever the number of rows; with
    `per_page`, the campaigns table as a page (from `events_cursor`) instead."""
    cells = _cells(filters.conditions(), MONTH, now or utcnow())
    if per_page is None:
        return Overview(filters, {name: _table(name, cells, filters) for name in OVERVIEW_TABLES})
    names = [name for name in OVERVIEW_TABLES if name != "events"]
    tables = {name: _table(name, cells, filters) for name in names}
    return Overview(filters, tables, events_page(cells, events_cursor, per_page))


# ---------------------------------------------------------------------------------------------
# A campaign: one event across its communities and days


def campaign_event(event_id: int) -> Event | None:
    """The event with its organisation and category, drafts included."""
    return db.session.scalar(
        select(Event)
        .where(Event.id == event_id)
        .options(joinedload(Event.organisation), joinedload(Event.category))
    )


def _campaign_cells(event: Event, now: datetime | None) -> list[Cell]:
    return _cells([EventSession.event_id == event.id], DAY, now or utcnow())


def campaign_table(name: str, event: Event, now: datetime | None = None) -> list[Line]:
    """One table of a campaign: per community or per local day."""
    if name not in CAMPAIGN_TABLES:
        raise ValueError(f"unknown table {name!r}")
    return _roll_up(_campaign_cells(event, now), TABLES[name])


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
    """The campaign page's tables, from one query whatever the number of sessions."""
    cells = _campaign_cells(event, now)
    return Campaign(event, {name: _roll_up(cells, TABLES[name]) for name in CAMPAIGN_TABLES})
