"""The figures of the statistics pages, added up by the database.

Neither registrations nor sessions are read here: each session has a `session_tally` row,
kept by triggers (outreach/stats/tally.py), which holds its registrations' counts and copies
where, when and what it is (start and end, event, organisation, category, status, township,
community, capacity and the places of its slots). A page reads the rows of its period along
one index, so it costs what its sessions cost, not what their registrations do (a year at
city scale is two million of them), and joins nothing but the names of the lines it shows.
The triggers set the copies again when a session moves, an event is re-categorised or
cancelled, a venue changes community or a slot its places, so each counts where it now is.

Each session row says whether the session is held, has ended or has started, and its places;
each table adds up, per line, the counts of the sessions each figure counts (an aggregate
with FILTER per figure), so every figure is exact.

The session rows are a common table expression, read once per page; each table groups them
by its own key and joins the names of its lines only (per campaign, community, township,
category and month, or per community and day of one campaign), and a page's tables come back
together as one UNION ALL. The campaigns, communities, and streets and townships tables are
keyset-paged in the query, so a week of a city's thousands of each returns, and names, one
page of them (the campaigns page adds up its own campaigns only), and the community chart
gets only the lines among the most people with the table's counts; Python only reads the
lines shown or written to a file. The overview's statement is made once per kind of request
and run with each request's values. The tally keeps counts, party sizes and arrivals only,
which the personal-data purge does not touch, so the figures stay when names are erased.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, fields
from datetime import date, datetime, timedelta
from operator import attrgetter
from typing import Any

import cachetools
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import (
    BigInteger,
    ColumnElement,
    Integer,
    Select,
    String,
    Subquery,
    bindparam,
    case,
    cast,
    func,
    literal_column,
    null,
    select,
    text,
    true,
    union_all,
)
from sqlalchemy.orm import aliased, joinedload

from outreach.accounts.models import Organisation
from outreach.database import db, utcnow
from outreach.errors import InvalidInput
from outreach.events.models import Category, Event, EventSession, EventStatus, SessionStatus
from outreach.localtime import local_midnight, local_zone
from outreach.pagination import (
    CursorPage,
    Order,
    beyond_parameters,
    cursor_parameters,
    cursor_position,
    ordered,
    page_of,
)
from outreach.places.models import Community, Township
from outreach.stats.periods import DAY, MONTH, local_period
from outreach.stats.tally import SessionTally
from outreach.text import localised

TALLY = SessionTally.__table__

# The community chart draws up to this many lines, those with the most people.
CHART_COMMUNITIES = 15

# Tables of the overview and of a campaign's page, by the name used in URLs.
OVERVIEW_TABLES = ("events", "communities", "townships", "categories", "months")
# The overview's tables paged by the database (thousands of lines in a week of a city; the
# streets and townships are hundreds).
PAGED = ("events", "communities", "townships")
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
    def shape(self) -> tuple[bool, ...]:
        """Which filters are set (not their values): the conditions' SQL is the same for
        every filters of one shape, their values bound as parameters."""
        return (self.visible is None, self.organisation_id is None, self.category_id is None)

    def parameters(self) -> dict[str, Any]:
        """The values of the conditions' parameters."""
        found: dict[str, Any] = {
            "stats_from": local_midnight(self.date_from),
            "stats_to": local_midnight(self.date_to + timedelta(days=1)),
        }
        if self.visible is not None:
            found["stats_visible"] = sorted(self.visible)
        if self.organisation_id is not None:
            found["stats_organisation"] = self.organisation_id
        if self.category_id is not None:
            found["stats_category"] = self.category_id
        return found

    def conditions(self, *, bound: bool = True) -> list[ColumnElement[bool]]:
        """The WHERE clauses, on the sessions' statistics rows (SessionTally): with their
        values bound, or (`bound` False) as parameters given when the statement runs."""
        c = TALLY.c
        values = self.parameters()

        def parameter(name: str, column: Any, **kwargs: Any) -> Any:
            if bound:
                return bindparam(name, values[name], type_=column.type, **kwargs)
            return bindparam(name, type_=column.type, **kwargs)

        found = [
            c.event_status != EventStatus.DRAFT.value,
            c.starts_at >= parameter("stats_from", c.starts_at),
            c.starts_at < parameter("stats_to", c.starts_at),
        ]
        if self.visible is not None:
            found.append(
                c.organisation_id.in_(parameter("stats_visible", c.organisation_id, expanding=True))
            )
        if self.organisation_id is not None:
            found.append(c.organisation_id == parameter("stats_organisation", c.organisation_id))
        if self.category_id is not None:
            found.append(c.category_id == parameter("stats_category", c.category_id))
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


# The session rows' columns each line of a table is grouped or filtered by.
WHERE_AND_WHEN = (
    "session_id",
    "event_id",
    "category_id",
    "township_id",
    "community_id",
    "starts_at",
)


def _per_session(conditions: list[ColumnElement[bool]], now: datetime | None) -> Any:
    """One row per session in scope: where and when, whether it is held (1 or 0), has ended,
    has started, its places, and its counts, all read from the sessions' statistics rows (no
    join). A common table expression, which PostgreSQL computes once for all the tables
    reading it; each table adds a session's counts to the figures they count for (_figures).
    `now` is the parameter stats_now (given when the statement runs, when None)."""
    c = TALLY.c
    now = bindparam("stats_now", now, type_=c.ends_at.type, required=now is None)
    # A session is full when its own capacity or all its slots are: the smaller of the two.
    # Neither set means unlimited (NULL).
    capacity, slots = c.capacity, c.slot_places
    places = case(
        (capacity.is_(None), slots),
        (slots.is_(None), capacity),
        (capacity < slots, capacity),
        else_=slots,
    )
    cancelled = SessionStatus.CANCELLED.value
    held = (c.session_status != cancelled) & (c.event_status != EventStatus.CANCELLED.value)
    return (
        select(
            *(c[name] for name in WHERE_AND_WHEN),
            case((held, 1), else_=0).label("held"),
            case((c.ends_at <= now, 1), else_=0).label("ended"),
            case((c.starts_at <= now, 1), else_=0).label("started"),
            places.label("places"),
            *(c[name] for name in PER_SESSION_COUNTS),
        )
        .where(*conditions)
        .cte("per_session")
    )


def _figures(per_session: Any) -> list[ColumnElement[int]]:
    """Each Figures field over a group of sessions, as aggregates of their rows: what counts,
    and among which sessions (FILTER), whole numbers (0 for none) whatever the engine sums to.

    The session rows carry their counts and flags only, and each table adds up what counts:
    making a column of each session's share of every figure first (fifteen CASE expressions a
    session) took twice as long, as the database wrote them all down for the tables to read."""
    c = per_session.c
    held = c.held == 1
    ended = held & (c.ended == 1)
    # People served only on a day that has come: a check-in made early by mistake is not.
    started = held & (c.started == 1)
    counted = {
        "sessions": (None, held),
        "cancelled_sessions": (None, c.held == 0),
        "unlimited_sessions": (None, held & c.places.is_(None)),
        "registrations": (c.registrations, held),
        "people": (c.people, held),
        # The places of the sessions with a limit (sum leaves out the others' NULL).
        "capacity": (c.places, held),
        "people_limited": (c.people, held & c.places.is_not(None)),
        "ended_registrations": (c.registrations, ended),
        "ended_checked_in": (c.checked_in, ended),
        "checked_in_people": (c.checked_in_people, started),
        "waitlisted_ever": (c.waitlisted_ever, held),
        "waitlisted_ever_people": (c.waitlisted_ever_people, held),
        "promoted": (c.promoted, held),
        "waiting": (c.waiting, held),
        "waiting_people": (c.waiting_people, held),
    }
    found = []
    for name in FIELDS:
        value, when = counted[name]
        total = func.count() if value is None else func.sum(value)
        found.append(cast(func.coalesce(total.filter(when), 0), BigInteger).label(name))
    return found


# ---------------------------------------------------------------------------------------------
# Every table of a page in one query: the sessions read once, each table grouped by its key


FIELDS = tuple(f.name for f in fields(Figures))
WIDTH = len(FIELDS)
# The columns every table's rows share, before the figures: which table, the line's key (one
# or two ids, or a local period), first and last start (campaigns) and up to three names
# (Chinese, English, slug), then two counts over a whole table (the community chart's).
TAG, KEY0, KEY1, PERIOD, FIRST, LAST = range(6)
NAME0, NAME0_EN, SLUG0, NAME1, NAME1_EN, SLUG1, NAME2, NAME2_EN = range(6, 14)
COUNT0, COUNT1 = range(14, 16)


def _summed(per_session: Any, *keys: ColumnElement, extra: tuple = ()) -> Subquery:
    """The sessions in scope added up per `keys`: the keys (labelled key0, key1…), `extra`
    columns, then the figures, as whole numbers whatever the engine sums to."""
    labelled = [key.label(f"key{n}") for n, key in enumerate(keys)]
    return select(*labelled, *extra, *_figures(per_session)).group_by(*keys).subquery()


def _text(value: str) -> ColumnElement[str]:
    return literal_column(f"'{value}'", String)


def _rows(tag: str, summed: Subquery, *columns: tuple[int, ColumnElement]) -> Select:
    """A table's rows in the shared shape: the given columns at their places, typed NULLs
    elsewhere (so that every branch of the UNION agrees on types on both engines)."""
    time = EventSession.starts_at.type
    kinds = [BigInteger(), BigInteger(), String(), time, time] + [String()] * 8
    kinds += [BigInteger(), BigInteger()]
    shaped: list[ColumnElement] = [_text(tag)]
    shaped += [cast(null(), kind) for kind in kinds]
    for place, column in columns:
        shaped[place] = column
    measures = [summed.c[name] for name in FIELDS]
    return select(*(c.label(f"c{n}") for n, c in enumerate(shaped)), *measures).select_from(summed)


def _name(zh: str | None, en: str | None) -> Name | None:
    return None if zh is None else Name(zh, en)


def _events_rows(summed: Subquery) -> Select:
    return (
        _rows(
            "events",
            summed,
            (KEY0, summed.c.key0),
            (FIRST, summed.c.first_start),
            (LAST, summed.c.last_start),
            (NAME0, Event.title),
            (NAME1, Organisation.name),
            (NAME1_EN, Organisation.name_en),
            (NAME2, Category.name),
            (NAME2_EN, Category.name_en),
        )
        .join(Event, Event.id == summed.c.key0)
        .join(Organisation, Organisation.id == Event.organisation_id)
        .join(Category, Category.id == Event.category_id)
    )


def _events_summed(per_session: Any) -> Subquery:
    c = per_session.c
    return _summed(
        per_session,
        c.event_id,
        extra=(
            func.min(c.starts_at).label("first_start"),
            func.max(c.starts_at).label("last_start"),
        ),
    )


def _binary(column: ColumnElement[str]) -> ColumnElement[str]:
    """Text compared by code point, as Python compares it (page cursors are compared in both
    places): PostgreSQL's "C" collation; SQLite compares so already."""
    if db.session.get_bind().dialect.name == "postgresql":
        return column.collate("C")
    return column


def _community_lines(per_session: Any) -> Select:
    """Every community line of the period: its figures, the slugs that order it and whether
    anyone came (names are joined later, to the lines returned only)."""
    c = per_session.c
    summed = _summed(per_session, c.township_id, c.community_id)
    anyone = (summed.c.people > 0) | (summed.c.checked_in_people > 0)
    return (
        select(
            summed,
            Township.slug.label("township_slug"),
            Community.slug.label("community_slug"),
            case((summed.c.key1.is_(None), 1), else_=0).label("outside"),
            case((anyone, 1), else_=0).label("anyone"),
        )
        .join(Township, Township.id == summed.c.key0)
        .outerjoin(Community, Community.id == summed.c.key1)
    )


def _community_order(lines: Any) -> list[ColumnElement]:
    """A community line's place in its table (Line.position): by pinyin (the slugs), as
    Chinese lists are read, venues outside a community last in their township."""
    c = lines.c
    return [
        _binary(c.township_slug),
        c.outside,
        _binary(func.coalesce(c.community_slug, "")),
        c.key0,
        func.coalesce(c.key1, 0),
    ]


def _community_rows(
    tag: str, lines: Any, *more: tuple[int, ColumnElement], few: bool = True
) -> Select:
    """Community lines in the shared shape, with their names: looked up by key for a few
    lines (a join would hash every community of the city for a page of them), joined for a
    whole table."""
    c = lines.c
    township, community = aliased(Township), aliased(Community)

    def named(model: Any, key: ColumnElement[int], column: str) -> ColumnElement[str]:
        if not few:
            return getattr(model, column)
        return select(getattr(model, column)).where(model.id == key).scalar_subquery()

    rows = _rows(
        tag,
        lines,
        (KEY0, c.key0),
        (KEY1, c.key1),
        (NAME0, named(township, c.key0, "name")),
        (NAME0_EN, named(township, c.key0, "name_en")),
        (SLUG0, c.township_slug),
        (NAME1, named(community, c.key1, "name")),
        (NAME1_EN, named(community, c.key1, "name_en")),
        (SLUG1, c.community_slug),
        *more,
    )
    if few:
        return rows
    return rows.join(township, township.id == c.key0).outerjoin(community, community.id == c.key1)


def _community_leaders(lines: Any) -> Select:
    """The community lines the chart may draw, with how many lines the table has and how many
    of them anyone came to: every line among the CHART_COMMUNITIES with most people (ties
    included), and of the lines tied on people (and on anyone coming) the first ones only.
    The chart picks its bars from these as it would from the whole table.

    Only the lines with at least the people of the CHART_COMMUNITIES-th line are ranked (a
    top-N sort finds that line): a line's rank by people counts the lines with more, and
    lines tied on people are all kept, so the ranks and the order among ties are those of
    the whole table, and the window functions sort a few lines rather than thousands."""
    c = lines.c
    last_place = (
        select(c.people).order_by(c.people.desc()).offset(CHART_COMMUNITIES - 1).limit(1)
    ).scalar_subquery()
    candidates = select(lines).where(c.people >= func.coalesce(last_place, -1)).subquery("top")
    t = candidates.c
    ranked = select(
        candidates,
        func.rank().over(order_by=t.people.desc()).label("by_people"),
        func.row_number()
        .over(partition_by=(t.people, t.anyone), order_by=_community_order(candidates))
        .label("among"),
    ).subquery("ranked")
    r = ranked.c
    whole = select(func.count().label("lines"), func.sum(c.anyone).label("with_anyone"))
    whole = whole.select_from(lines).subquery("whole")
    return (
        _community_rows(
            "community_chart", ranked, (COUNT0, whole.c.lines), (COUNT1, whole.c.with_anyone)
        )
        .join(whole, true())
        .where(r.by_people <= CHART_COMMUNITIES, r.among <= CHART_COMMUNITIES)
    )


def _table_rows(name: str, per_session: Any, unit: str) -> Select:
    """The rows of one table (the campaigns: every one of them), with their lines' names."""
    c = per_session.c
    if name == "events":
        return _events_rows(_events_summed(per_session))
    if name == "communities":
        return _community_rows(name, _community_lines(per_session).subquery(), few=False)
    if name in ("townships", "categories"):
        key, model = (c.township_id, Township) if name == "townships" else (c.category_id, Category)
        summed = _summed(per_session, key)
        return _rows(
            name,
            summed,
            (KEY0, summed.c.key0),
            (NAME0, model.name),
            (NAME0_EN, model.name_en),
            (SLUG0, model.slug),
        ).join(model, model.id == summed.c.key0)
    summed = _summed(per_session, local_period(c.starts_at, unit))
    return _rows(name, summed, (PERIOD, summed.c.key0))


def _line(tag: str, r: Any) -> Line:
    """A table's line from its row (see _rows)."""
    figures = Figures(*r[-WIDTH:])
    if tag == "events":
        names = {
            "event": Name(r[NAME0]),
            "organisation": Name(r[NAME1], r[NAME1_EN]),
            "category": Name(r[NAME2], r[NAME2_EN]),
        }
        return Line(r[KEY0], names, figures, r[FIRST], r[LAST], (r[FIRST], r[KEY0], r[KEY0]))
    if tag in ("communities", "community_chart"):
        names = {"community": _name(r[NAME1], r[NAME1_EN]), "township": Name(r[NAME0], r[NAME0_EN])}
        # By pinyin (the slugs), as Chinese lists are read; venues outside a community last.
        position = (r[SLUG0], int(r[KEY1] is None), r[SLUG1] or "", r[KEY0], r[KEY1] or 0)
        return Line((r[KEY0], r[KEY1]), names, figures, position=position)
    if tag in ("townships", "categories"):
        names = {tag[:-1] if tag == "townships" else "category": Name(r[NAME0], r[NAME0_EN])}
        return Line(r[KEY0], names, figures, position=(r[SLUG0], r[KEY0]))
    return Line(r[PERIOD], {}, figures, position=(r[PERIOD], r[PERIOD]))


def _without_jit() -> None:
    """On PostgreSQL, no just-in-time compilation for the rest of this (read-only) transaction.
    A week of a city is estimated past `jit_above_cost`, and compiling the query's expressions
    then takes longer (about 200 ms) than running them does (about 100 ms)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SET LOCAL jit = off"))


def _read(
    statement: Any, parameters: dict[str, Any], counts: dict[str, tuple[int, int]] | None = None
) -> dict[str, list[Line]]:
    """Run a statement of tables' rows; each table's lines in their positions' order (sorted
    here, where the page cursors compare them). The counts some rows carry over their whole
    table go to `counts`, by table."""
    _without_jit()
    found: dict[str, list[Line]] = {}
    for row in db.session.execute(statement, parameters).all():
        found.setdefault(row[TAG], []).append(_line(row[TAG], row))
        if counts is not None and row[COUNT0] is not None:
            counts[row[TAG]] = (int(row[COUNT0]), int(row[COUNT1]))
    for lines in found.values():
        lines.sort(key=attrgetter("position"))
    return found


def _tables(statements: list[Select]) -> dict[str, list[Line]]:
    """Run the tables' rows as one query (see _read)."""
    return _read(union_all(*statements), {})


@dataclass(frozen=True)
class Leaders:
    """What the community chart draws from: the lines it may draw (see _community_leaders),
    in the table's order, and how many lines the whole table has, and with anyone."""

    lines: list[Line]
    count: int
    with_anyone: int


@dataclass(frozen=True)
class Pages:
    """The long tables of the overview as pages, and the community chart's lines."""

    events: CursorPage[Line]
    communities: CursorPage[Line]
    townships: CursorPage[Line]
    leaders: Leaders


# The overview's pages: the campaigns' in the order of their first session, the communities'
# in the table's order (_community_order), each from its own cursor.
EVENTS_CURSOR, EVENTS_WIDTH, EVENTS_AFTER = "stats.events", 2, "stats_events_"
PLACES_CURSOR, PLACES_WIDTH, PLACES_AFTER = "stats.communities", 5, "stats_places_"
TOWNSHIPS_CURSOR, TOWNSHIPS_WIDTH, TOWNSHIPS_AFTER = "stats.townships", 2, "stats_townships_"
Walk = tuple[bool, bool]  # forward or back, and from a cursor or from the start


@dataclass(frozen=True)
class _Made:
    """The overview's query for one kind of request, and the orders of its two pages."""

    statement: Any
    events: Order
    communities: Order
    townships: Order


def _walk(statement: Select, order: Order, walk: Walk, prefix: str) -> Select:
    """A keyset page of `statement` in `order`: walking forward or back (walk[0]), past the
    parameters named `prefix`… when a cursor is given (walk[1]); stats_limit rows."""
    forward, past = walk
    if past:
        statement = statement.where(beyond_parameters(order, forward, prefix))
    limit = bindparam("stats_limit", type_=Integer, required=True)
    return statement.order_by(*ordered(order, forward)).limit(limit)


def _events_page(per_session: Any, walk: Walk) -> tuple[Subquery, Order]:
    """A keyset page of the campaigns, in the order of their first session, and its order:
    the campaigns' first and last starts found for every campaign of the period, their
    figures added up for the page's campaigns only (thousands of campaigns in a week of a
    city, fifty on a page)."""
    c = per_session.c
    campaigns = (
        select(
            c.event_id.label("key0"),
            func.min(c.starts_at).label("first_start"),
            func.max(c.starts_at).label("last_start"),
        )
        .group_by(c.event_id)
        .subquery("campaigns")
    )
    order = Order(
        (campaigns.c.first_start, campaigns.c.key0),
        key=lambda line: (line.first_start, line.key),
    )
    page = _walk(select(campaigns), order, walk, EVENTS_AFTER).subquery("page_campaigns")
    p = page.c
    summed = (
        select(p.key0, p.first_start, p.last_start, *_figures(per_session))
        .select_from(page.join(per_session, c.event_id == p.key0))
        .group_by(p.key0, p.first_start, p.last_start)
        .subquery("page")
    )
    return summed, order


def _townships_page(per_session: Any, walk: Walk) -> tuple[Select, Order]:
    """A keyset page of the streets and townships, by pinyin (their slugs), and its order."""
    summed = _summed(per_session, per_session.c.township_id)
    lines = (
        select(summed, Township.slug.label("slug"), Township.name, Township.name_en)
        .join(Township, Township.id == summed.c.key0)
        .subquery("township_lines")
    )
    order = Order((_binary(lines.c.slug), lines.c.key0), key=attrgetter("position"))
    page = _walk(select(lines), order, walk, TOWNSHIPS_AFTER).subquery("townships_page")
    rows = _rows(
        "townships",
        page,
        (KEY0, page.c.key0),
        (NAME0, page.c.name),
        (NAME0_EN, page.c.name_en),
        (SLUG0, page.c.slug),
    )
    return rows, order


def _make_overview(filters: Filters, walks: tuple[Walk, Walk, Walk]) -> _Made:
    """The overview's query for requests of this shape: filters of this shape and cursors
    walking these ways (campaigns, communities, streets and townships), every value a
    parameter (Filters.parameters, stats_now, stats_limit, the cursors'): a page of each of
    the three tables, the community chart's lines and the other tables, in one query. The
    database adds every community up but returns, and names, only the pages' (a week of a
    city holds thousands of communities and campaigns)."""
    events_walk, places_walk, townships_walk = walks
    per_session = _per_session(filters.conditions(bound=False), None)
    page, events = _events_page(per_session, events_walk)
    lines = _community_lines(per_session).cte("community_lines")
    communities = Order(tuple(_community_order(lines)), key=attrgetter("position"))
    places = _walk(select(lines), communities, places_walk, PLACES_AFTER).subquery("places")
    townships, by_township = _townships_page(per_session, townships_walk)
    others = [
        _table_rows(name, per_session, MONTH) for name in OVERVIEW_TABLES if name not in PAGED
    ]
    statement = union_all(
        _events_rows(page),
        _community_rows("communities", places),
        _community_leaders(lines),
        townships,
        *others,
    )
    return _Made(statement, events, communities, by_township)


OVERVIEWS_EXTENSION = "outreach.stats.overview"


class _KeptOverviews(cachetools.LRUCache):
    """The overview queries an application keeps, the least recently used let go first; a
    lock, since a threaded server's requests share it."""

    def __init__(self, maxsize: int) -> None:
        super().__init__(maxsize)
        self.lock = threading.Lock()


# How many kinds of overview query an application keeps. Each holds about a megabyte of
# SQLAlchemy objects, and a reader can ask for a couple of hundred kinds (8 filter shapes by
# each table's cursor direction): the most recently used are kept, the others made again.
KEPT_OVERVIEWS = 24


def _overview_made(filters: Filters, walks: tuple[Walk, Walk, Walk]) -> _Made:
    """The overview's query for this shape of request, made once per application while it is
    among the `KEPT_OVERVIEWS` most recently used: building the statement again for each
    request took about 10 ms of Python."""
    kept = current_app.extensions.get(OVERVIEWS_EXTENSION)
    if kept is None:
        kept = current_app.extensions[OVERVIEWS_EXTENSION] = _KeptOverviews(KEPT_OVERVIEWS)
    dialect = db.session.get_bind().dialect.name
    key = (dialect, local_zone().key, filters.shape, walks)
    with kept.lock:
        made = kept.get(key)
    if made is None:
        made = _make_overview(filters, walks)
        with kept.lock:
            kept[key] = made
    return made


def _pages_and_tables(
    filters: Filters, now: datetime, cursors: dict[str, str | None], per_page: int
) -> tuple[Pages, dict[str, list[Line]]]:
    """A keyset page of the campaigns, communities, and streets and townships tables, the
    community chart's lines, and the other tables, in one query (see _make_overview)."""
    tables = (
        ("events", EVENTS_CURSOR, EVENTS_WIDTH, EVENTS_AFTER),
        ("communities", PLACES_CURSOR, PLACES_WIDTH, PLACES_AFTER),
        ("townships", TOWNSHIPS_CURSOR, TOWNSHIPS_WIDTH, TOWNSHIPS_AFTER),
    )
    positions = [
        cursor_position(cursors.get(table), width, name) for table, name, width, _ in tables
    ]
    walks = tuple((forward, after is not None) for forward, after in positions)
    made = _overview_made(filters, walks)
    parameters = filters.parameters() | {"stats_now": now, "stats_limit": per_page + 1}
    for (_table, _name, _width, prefix), (_forward, after) in zip(tables, positions, strict=True):
        parameters |= cursor_parameters(after or (), prefix)
    counts: dict[str, tuple[int, int]] = {}
    found = _read(made.statement, parameters, counts)
    orders = (made.events, made.communities, made.townships)
    pages = []
    for (table, name, _width, _prefix), (forward, after), order in zip(
        tables, positions, orders, strict=True
    ):
        in_order = sorted(found.pop(table, []), key=order.key, reverse=not forward)
        pages.append(page_of(in_order, order, per_page, forward, after, name))
    count, with_anyone = counts.get("community_chart", (0, 0))
    leaders = Leaders(found.pop("community_chart", []), count, with_anyone)
    return Pages(*pages, leaders), found


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


def _table(name: str, per_session: Any, unit: str = MONTH) -> list[Line]:
    """One whole table, with its lines' names: one query."""
    return _tables([_table_rows(name, per_session, unit)]).get(name, [])


class TooWide(InvalidInput):
    """The filters hold more sessions than a page may add up within its time budget."""


def check_bounded(filters: Filters) -> None:
    """Refuse filters holding more sessions than STATS_MAX_SESSIONS, with a message in the
    reader's language. Counting stops one past the limit, so the check itself is bounded.

    It counts the session rows the page would add up (drafts' left out) along their start
    index; the rows lie in the order of their start, so a week of a city reads about 150
    pages of them, where the same sessions lie across 8,700 pages of `event_session` (a
    count of 10-40 ms at city scale)."""
    limit = current_app.config["STATS_MAX_SESSIONS"]
    in_scope = select(TALLY.c.session_id).where(*filters.conditions())
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
    # Pages of the campaigns, communities, and streets and townships tables, whose other
    # lines are added up by the database but not read: see _pages_and_tables. Their
    # `tables` hold the pages' lines.
    pages: Pages | None = None

    @property
    def total(self) -> Figures:
        """All sessions counted (each table splits the same sessions, so any table adds up):
        the categories', a handful of lines."""
        return total(line.figures for line in self.tables["categories"])


def overview(
    filters: Filters,
    now: datetime | None = None,
    *,
    cursors: dict[str, str | None] | None = None,
    per_page: int | None = None,
) -> Overview:
    """The statistics page's tables, in one query whatever the number of rows; with
    `per_page`, the campaigns, communities, and streets and townships tables as pages (from
    `cursors`, by table)."""
    if per_page is None:
        per_session = _per_session(filters.conditions(), now or utcnow())
        found = _tables([_table_rows(name, per_session, MONTH) for name in OVERVIEW_TABLES])
        pages = None
    else:
        pages, found = _pages_and_tables(filters, now or utcnow(), cursors or {}, per_page)
        found.update(
            events=list(pages.events.items),
            communities=list(pages.communities.items),
            townships=list(pages.townships.items),
        )
    tables = {name: found.get(name, []) for name in OVERVIEW_TABLES}
    tables["months"] = _every_month(tables["months"], filters)
    return Overview(filters, tables, pages)


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
    return _per_session([TALLY.c.event_id == event.id], now or utcnow())


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
    """The campaign page's tables, in one query whatever the number of sessions."""
    per_session = _campaign_sessions(event, now)
    found = _tables([_table_rows(name, per_session, DAY) for name in CAMPAIGN_TABLES])
    return Campaign(event, {name: found.get(name, []) for name in CAMPAIGN_TABLES})
