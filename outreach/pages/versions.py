"""Data versions of the public pages: one cheap query telling whether what a page shows changed.

As for feeds (`feeds.services`), every change a page shows moves a timestamp, a count or a
sum that the version reads, in the same transaction as the change:

- an event's texts, rules and status: `Event.updated_at`;
- its sessions (added, edited, cancelled, restored, deleted), their slots and their seats:
  each change, a registration, a cancellation or a slot's included, touches the session
  (`EventSession.touch`), and the version reads their count, latest change, sequences and
  ids;
- names of places, organisations and categories (a rename, an English name): their
  `updated_at`, read for all of them at once from its index ("the catalogue"), with counts of
  the small tables whose rows the listings' filter forms offer;
- the passing of time: how many of the sessions have started and ended, and whether the
  event's registration has opened and closed, at `now`.

A listing reads the rows it can show: its sessions in start order up to the end of its page
(and at least `COUNT_LIMIT`, what it counts), as the page does, so its cost does not grow
with the city.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import Select, case, func, select

from outreach.accounts.models import Organisation
from outreach.database import db
from outreach.errors import NotFoundError
from outreach.events import services
from outreach.events.forms import ListingQuery
from outreach.events.models import PUBLIC_EVENT_STATUSES, Category, Event, EventSession
from outreach.localtime import local_today
from outreach.places.models import Community, Township, Venue


def _stamp(*values: Any) -> str:
    return "|".join(v.isoformat() if isinstance(v, datetime) else str(v) for v in values)


def _catalogue() -> list[Any]:
    """Scalar subqueries: the latest change of each kind of named row, and how many of the
    kinds every listing's filter form offers there are (a venue is only shown with its
    sessions, which cannot outlive it)."""
    columns: list[Any] = [
        select(func.max(model.updated_at)).scalar_subquery()
        for model in (Township, Community, Venue, Organisation, Category)
    ]
    columns += [
        select(func.count(model.id)).scalar_subquery()
        for model in (Township, Organisation, Category)
    ]
    return columns


def _passed(column: Any, now: datetime) -> Any:
    """How many rows have `column` at or before `now` (time moves what a page shows)."""
    return func.coalesce(func.sum(case((column <= now, 1), else_=0)), 0)


def event_version(event_id: int, now: datetime) -> str:
    """The version of a public event's page, in one query; a draft or unknown event is
    NotFoundError, as the page is."""
    statement = (
        select(
            Event.updated_at,
            Event.registration_opens_at,
            Event.registration_closes_at,
            func.count(EventSession.id),
            func.max(EventSession.updated_at),
            func.coalesce(func.sum(EventSession.sequence), 0),
            func.coalesce(func.sum(EventSession.id), 0),
            _passed(EventSession.starts_at, now),
            _passed(EventSession.ends_at, now),
            *_catalogue(),
        )
        .select_from(Event)
        .outerjoin(EventSession, EventSession.event_id == Event.id)
        .where(Event.id == event_id, Event.status.in_(PUBLIC_EVENT_STATUSES))
        .group_by(Event.id)
    )
    row = db.session.execute(statement).first()
    if row is None:
        raise NotFoundError("event", event_id)
    opens, closes = row[1], row[2]
    return _stamp(
        "event",
        event_id,
        row[0],
        opens is not None and opens <= now,
        closes is not None and closes <= now,
        *row[3:],
    )


def _shown(filters: services.SessionFilter, limit: int) -> Select:
    """The first `limit` sessions of a listing in start order, with what their cards show."""
    statement = select(
        EventSession.id,
        EventSession.updated_at.label("session_changed"),
        EventSession.sequence,
        EventSession.starts_at,
        EventSession.ends_at,
        Event.updated_at.label("event_changed"),
    )
    statement = filters.apply(statement.join(EventSession.event).join(EventSession.venue))
    return statement.order_by(EventSession.starts_at, EventSession.id).limit(limit)


def _aggregates(filters: services.SessionFilter, limit: int, now: datetime) -> Select:
    rows = _shown(filters, limit).subquery()
    return select(
        func.count(rows.c.id),
        func.max(rows.c.session_changed),
        func.max(rows.c.event_changed),
        func.coalesce(func.sum(rows.c.sequence), 0),
        func.coalesce(func.sum(rows.c.id), 0),
        _passed(rows.c.starts_at, now),
        _passed(rows.c.ends_at, now),
    ).select_from(rows)


def listing_version(
    query: ListingQuery,
    fixed: dict[str, str],
    now: datetime,
    *,
    per_page: int,
    home: bool = False,
    own: Community | None = None,
) -> str:
    """The version of a listing page (home, township, community, organisation, category):
    its filter's first sessions up to the end of the page, counted as the page counts them;
    on the home page with a chosen community, its own first sessions and the others'. An
    unknown slug is NotFoundError, as the page is."""
    filters = services.build_filter(
        **{**query.slugs(), **fixed}, date_from=query.date_from, date_to=query.date_to
    )
    limit = max(services.COUNT_LIMIT, query.page * per_page) + 1
    unfiltered = home and filters == services.SessionFilter()
    parts: list[Any] = ["listing", local_today(), own.id if own is not None else ""]
    if unfiltered and own is not None:
        filters = replace(filters, elsewhere_than=own)
        mine = services.SessionFilter(community=own)
        parts += db.session.execute(_aggregates(mine, limit, now)).one()
    statement = _aggregates(filters, limit, now).add_columns(*_catalogue())
    parts += db.session.execute(statement).one()
    return _stamp(*parts)
