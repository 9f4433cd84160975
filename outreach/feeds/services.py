"""What a feed holds, a cheap data version telling whether it changed, and personal tokens.

A feed's version comes from one aggregate query over the rows it shows: how many sessions,
the latest change of a session and of an event, and the sum of their sequences. Every change
a feed shows touches its session (`EventSession.touch`) or its event (`updated_at`) in the
same transaction, so the version moves at once; changes elsewhere leave it alone. Names of
places, organisations and categories carry no timestamp: the cache's time to live bounds how
long a renamed venue takes to show.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, func, select
from sqlalchemy.orm import aliased

from outreach.accounts.models import Organisation
from outreach.database import Named, db
from outreach.errors import NotFoundError
from outreach.events.loading import event_and_places
from outreach.events.models import PUBLIC_EVENT_STATUSES, Category, Event, EventSession
from outreach.localtime import local_midnight, local_today
from outreach.places.models import Community, Township, Venue
from outreach.registrations.models import ACTIVE_STATUSES, Registration, RegistrationStatus
from outreach.registrations.services import new_token

# The filters of public feeds, in the order calendar names list them.
DIMENSIONS: dict[str, type[Named]] = {
    "township": Township,
    "community": Community,
    "organisation": Organisation,
    "category": Category,
}
# The same filters as they are written in addresses: /feeds/communities/<slug>.atom.
PLURALS = {
    "township": "townships",
    "community": "communities",
    "organisation": "organisations",
    "category": "categories",
}
SINGULARS = {plural: dimension for dimension, plural in PLURALS.items()}
_COLUMNS = {
    "township": Venue.township_id,
    "community": Venue.community_id,
    "organisation": Event.organisation_id,
    "category": Event.category_id,
    "event": EventSession.event_id,
}
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{16,64}")


@dataclass(frozen=True)
class Version:
    """A feed's data version, and the ids its slugs resolved to (or its feed token)."""

    stamp: str
    ids: Mapping[str, int]
    token: str | None = None


def window_start() -> datetime:
    """The earliest start a feed shows: local midnight, FEED_LOOKBACK_DAYS days ago."""
    days = current_app.config["FEED_LOOKBACK_DAYS"]
    return local_midnight(local_today() - timedelta(days=days))


def upcoming_start() -> datetime:
    """The earliest start that news feeds and embedded calendars show: today's, local."""
    return local_midnight(local_today())


def _stamp(start: datetime, *values: Any) -> str:
    text = (v.isoformat() if isinstance(v, datetime) else str(v) for v in values)
    return "|".join((start.date().isoformat(), *text))


def _aggregates() -> tuple:
    """What moves when any shown session or event changes, is added or goes away."""
    return (
        func.count(EventSession.id),
        func.max(EventSession.updated_at),
        func.max(Event.updated_at),
        func.coalesce(func.sum(EventSession.sequence), 0),
    )


def _public_sessions(statement: Select, ids: Mapping[str, Any], start: datetime) -> Select:
    """Sessions of public events in the window, at the places and of the kinds asked for."""
    conditions: list[ColumnElement[bool]] = [
        Event.status.in_(PUBLIC_EVENT_STATUSES),
        EventSession.starts_at >= start,
    ]
    conditions += [_COLUMNS[dimension] == value for dimension, value in ids.items()]
    return statement.where(*conditions)


def max_sessions() -> int:
    """The most sessions one public feed holds: those nearest the window's start.

    Calendar apps give up on very large feeds (Google at about 1 MB), and a city-wide feed
    would hold hundreds of thousands; a resident subscribes to their community instead.
    """
    return current_app.config["FEED_MAX_SESSIONS"]


def max_bytes() -> int:
    """The most bytes one public feed holds: it keeps the earliest sessions that fit."""
    return current_app.config["FEED_MAX_BYTES"]


def public_version(slugs: Mapping[str, str], start: datetime) -> Version:
    """Resolve the slugs and read the version of their feed, in one query.

    An unknown slug is NotFoundError. The slugs are looked up by scalar subqueries in the
    same statement, so an answer of 304 costs a single query.
    """
    subqueries = {
        dimension: select(DIMENSIONS[dimension].id)
        .where(DIMENSIONS[dimension].slug == slug)
        .scalar_subquery()
        for dimension, slug in slugs.items()
    }
    shown = (
        select(
            EventSession.id,
            EventSession.updated_at.label("session_changed"),
            Event.updated_at.label("event_changed"),
            EventSession.sequence,
        )
        .join(EventSession.event)
        .join(EventSession.venue)
    )
    shown = _public_sessions(shown, subqueries, start)
    # Only the sessions the feed shows (the first max_sessions() of the window) count, so a
    # city-wide feed costs no more than its body; the sum of ids notices one leaving and
    # another taking its place.
    rows = shown.order_by(EventSession.starts_at, EventSession.id).limit(max_sessions()).subquery()
    statement = select(
        *(subquery.label(dimension) for dimension, subquery in subqueries.items()),
        func.count(rows.c.id),
        func.max(rows.c.session_changed),
        func.max(rows.c.event_changed),
        func.coalesce(func.sum(rows.c.sequence), 0),
        func.coalesce(func.sum(rows.c.id), 0),
    ).select_from(rows)
    row = db.session.execute(statement).one()
    ids = {dimension: row[index] for index, dimension in enumerate(subqueries)}
    for dimension, found in ids.items():
        if found is None:
            raise NotFoundError(dimension, slugs[dimension])
    resolved = tuple(f"{d}={i}" for d, i in ids.items())
    return Version(_stamp(start, *resolved, *row[len(ids) :]), ids)


def event_version(event_id: int, start: datetime) -> Version:
    """The version of one public event's feed (a campaign's), in one query; a draft or an
    unknown event is NotFoundError."""
    known = (
        select(Event.id)
        .where(Event.id == event_id, Event.status.in_(PUBLIC_EVENT_STATUSES))
        .scalar_subquery()
    )
    statement = select(known.label("event"), *_aggregates()).select_from(EventSession)
    statement = statement.join(EventSession.event)
    row = db.session.execute(_public_sessions(statement, {"event": event_id}, start)).one()
    if row.event is None:
        raise NotFoundError("event", event_id)
    return Version(_stamp(start, f"event={event_id}", *row[1:]), {"event": event_id})


def _seats_taken() -> Any:
    """Confirmed seats of the row's session, as a correlated subquery (no extra query)."""
    counted = aliased(Registration)
    return (
        select(func.coalesce(func.sum(counted.party_size), 0))
        .where(
            counted.session_id == EventSession.id,
            counted.status == RegistrationStatus.CONFIRMED,
        )
        .correlate(EventSession)
        .scalar_subquery()
    )


def _joined(statement: Select, *via: Any) -> Select:
    """Join and eagerly load what a calendar entry shows: event, organiser, kind, places.

    `via` is the path from the selected entity to the session, if it is not the session.
    """
    return (
        statement.join(EventSession.event)
        .join(EventSession.venue)
        .options(*event_and_places(*via, joined=True))
    )


def public_sessions(
    ids: Mapping[str, int], start: datetime, limit: int | None = None
) -> list[tuple[EventSession, int]]:
    """The sessions of a public feed with their confirmed seats, in order: one query; the
    first `limit` of them (at most max_sessions())."""
    statement = _joined(select(EventSession, _seats_taken()))
    statement = _public_sessions(statement, ids, start)
    most = min(limit or max_sessions(), max_sessions())
    statement = statement.order_by(EventSession.starts_at, EventSession.id).limit(most)
    rows = db.session.execute(statement)
    return [(event_session, int(taken)) for event_session, taken in rows]


def named(ids: Mapping[str, int]) -> dict[str, Named]:
    """The township, community, organisation and category a feed is about, by dimension."""
    # Usually no query at all: the sessions query has already put them in the identity map.
    found = {dimension: db.session.get(DIMENSIONS[dimension], ids[dimension]) for dimension in ids}
    return {dimension: item for dimension, item in found.items() if item is not None}


# ---------------------------------------------------------------------------------------------
# Personal feeds
#
# A feed token belongs to the registrations that carry it: today each registration has its
# own. Following the phone number instead would let anyone who registers with somebody
# else's (unverified) number read all of that person's registrations through their own link.
# Resetting gives the registration a new token, so the old URL answers 404.


def _known_token(token: str) -> Any:
    """Whether a (not erased) registration holds this feed token, as a scalar subquery."""
    owner = aliased(Registration)
    return (
        select(func.count(owner.id))
        .where(owner.feed_token == token, owner.purged_at.is_(None))
        .scalar_subquery()
    )


def _active_registrations(statement: Select, token: str, start: datetime) -> Select:
    return statement.where(
        Registration.feed_token == token,
        Registration.status.in_(ACTIVE_STATUSES),
        Registration.purged_at.is_(None),
        Event.status.in_(PUBLIC_EVENT_STATUSES),
        EventSession.starts_at >= start,
    )


def personal_version(token: str, start: datetime) -> Version:
    """The version of a personal feed, in one query; an unknown token is NotFoundError.

    The token is a 192-bit random string found through its unique index.
    """
    if not _TOKEN_SHAPE.fullmatch(token):
        raise NotFoundError("registration", "token")
    statement = (
        select(
            _known_token(token).label("known"),
            func.max(Registration.updated_at),
            *_aggregates(),
        )
        .select_from(Registration)
        .join(Registration.event_session)
        .join(EventSession.event)
    )
    row = db.session.execute(_active_registrations(statement, token, start)).one()
    if not row.known:
        raise NotFoundError("registration", "token")
    return Version(_stamp(start, *row[1:]), {}, token=token)


def personal_registrations(token: str, start: datetime) -> list[Registration]:
    """The active registrations carrying this feed token, with their sessions: one query."""
    statement = select(Registration).join(Registration.event_session)
    statement = _joined(statement, Registration.event_session)
    statement = _active_registrations(statement, token, start)
    return list(db.session.scalars(statement.order_by(EventSession.starts_at, EventSession.id)))


def feed_owner(token: str) -> Registration:
    """The newest (not erased) registration holding this feed token; else NotFoundError."""
    if not _TOKEN_SHAPE.fullmatch(token):
        raise NotFoundError("registration", "token")
    owner = db.session.scalar(
        select(Registration)
        .where(Registration.feed_token == token, Registration.purged_at.is_(None))
        .order_by(Registration.created_at.desc(), Registration.id.desc())
        .limit(1)
    )
    if owner is None:
        raise NotFoundError("registration", "token")
    return owner


def reset_feed_tokens(registration: Registration) -> int:
    """A new feed token for the registration (and any sharing its token); the old URL 404s."""
    sharing = db.session.scalars(
        select(Registration).where(Registration.feed_token == registration.feed_token)
    ).all()
    token = new_token()
    for each in sharing:
        each.feed_token = token
    db.session.flush()
    return len(sharing)
