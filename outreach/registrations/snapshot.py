"""Each worker's copy of the sessions residents register for, kept while their data holds.

A registration reads its session with the event, organiser, category and places (the rules
and the confirmation message need them). Loading that through the ORM costs more Python
than anything else a registration does, and a popular session is registered for many times
a second. So each thread keeps the sessions it registered for lately, loaded in an ORM
session of their own and detached from it (never the request's: nothing it commits or rolls
back touches them, and they are never saved through it), each with a stamp: the session's
own columns, but for its seat counters and last change, which move with every registration,
and the last change of its event, venue, township, community, organiser and category (each
of which moves `updated_at` when changed). One small statement reads the stamp, written by
the database as one text (`_stamp`: a row of twenty-odd values cost more Python to read than
the rest of the statement); the copy is used while the stamp is the same, and loaded again
when it is not. Sessions with time slots
are loaded each time (their slots change under the session's lock).

The seat counters come with the stamp, so the outcome foreseen before the lock is as fresh
as when the session was loaded each time; the lock reads them again in any case.
"""

from __future__ import annotations

import functools
import threading
from typing import Any

from sqlalchemy import String, bindparam, cast, exists, func, literal, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import set_committed_value

from outreach.accounts.models import Organisation
from outreach.database import db
from outreach.errors import NotFoundError
from outreach.events.models import Category, Event, EventSession
from outreach.places.models import Community, Township, Venue
from outreach.registrations.models import Slot

# Sessions kept per thread: the few being registered for at the moment.
KEPT = 32
# The session's columns that change with every registration: read, not compared.
_COUNTERS = ("seats_taken", "waitlist_length")
_MOVING = frozenset((*_COUNTERS, "updated_at"))
# What the lock reads again and writes to the session (`services._lock_and_count`), but for
# its counters and last change.
_LOCK_READS = ("status", "capacity", "starts_at", "ends_at")
_kept = threading.local()


def _stamp(columns: list) -> Any:
    """The columns' values as one text, "|" between them. None of those that may be NULL
    holds text (NULL is written as nothing, which no number, time or flag is); the columns of
    free text come last, so that no change of values can give the same text."""

    def free_text(column) -> bool:
        return column.type.python_type is str and not getattr(column.type, "enums", None)

    ordered = sorted(columns, key=free_text)
    texts = [func.coalesce(cast(column, String()), "") for column in ordered]
    stamp = texts[0]
    for text in texts[1:]:
        stamp = stamp + literal("|") + text
    return stamp.label("stamp")


@functools.cache
def _stamp_statement(extra: tuple = ()):
    """The session's counters and what the lock reads again, then its stamp (its own
    columns and the last change of each row its graph holds), whether it has slots: one
    row, by primary keys; then the `extra` columns."""
    sessions = EventSession.__table__
    events = Event.__table__
    venues = Venue.__table__
    townships = Township.__table__
    communities = Community.__table__
    organisations = Organisation.__table__
    categories = Category.__table__
    slots = Slot.__table__
    joined = (
        sessions.join(events, events.c.id == sessions.c.event_id)
        .join(venues, venues.c.id == sessions.c.venue_id)
        .join(townships, townships.c.id == venues.c.township_id)
        .outerjoin(communities, communities.c.id == venues.c.community_id)
        .join(organisations, organisations.c.id == events.c.organisation_id)
        .join(categories, categories.c.id == events.c.category_id)
    )
    return (
        select(
            *(sessions.c[name] for name in (*_COUNTERS, *_LOCK_READS)),
            _stamp(
                [
                    *(column for column in sessions.c if column.key not in _MOVING),
                    *(
                        table.c.updated_at
                        for table in (
                            events,
                            venues,
                            townships,
                            communities,
                            organisations,
                            categories,
                        )
                    ),
                ]
            ),
            exists().where(slots.c.session_id == sessions.c.id).label("has_slots"),
            *extra,
        )
        .select_from(joined)
        .where(sessions.c.id == bindparam("session_id"))
    )


def _load_detached(session_id: int, statement: Any) -> EventSession:
    """The session's graph, loaded on the request's connection (so in its transaction) by an
    ORM session of its own, then detached from it."""
    own = Session(bind=db.session.connection())
    try:
        found = own.scalars(statement, {"session_id": session_id}).unique().one_or_none()
        if found is None:
            raise NotFoundError("session", session_id)
        own.expunge_all()
    finally:
        own.close()
    return found


def kept_session(
    session_id: int,
    statement: Any,
    load,
    extra: tuple = (),
    parameters: dict[str, Any] | None = None,
) -> tuple[EventSession, tuple]:
    """The session as `statement` loads it (event, places and slots): this thread's copy
    while its stamp holds, else loaded again by `load` (slots) or into the copy; and the
    values of the `extra` columns (which may read the session's and its event's row, and
    take `parameters`), read with the stamp."""
    row = db.session.execute(
        _stamp_statement(extra), {**(parameters or {}), "session_id": session_id}
    ).one_or_none()
    if row is None:
        raise NotFoundError("session", session_id)
    values = tuple(row[len(row) - len(extra) :])
    if row.has_slots:
        return load(session_id), values
    stamp = row.stamp
    kept: dict[int, tuple[str, EventSession]] = getattr(_kept, "sessions", None) or {}
    _kept.sessions = kept
    found = kept.get(session_id)
    if found is None or found[0] != stamp:
        if len(kept) >= KEPT:
            kept.pop(next(iter(kept)))
        found = kept[session_id] = (stamp, _load_detached(session_id, statement))
    event_session = found[1]
    # What the last registration's lock wrote to the copy gives way to what was just read.
    read = row._mapping
    for name in (*_COUNTERS, *_LOCK_READS):
        set_committed_value(event_session, name, read[name])
    return event_session, values
