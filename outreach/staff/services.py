"""The staff dashboard's queries: the coming fortnight, drafts and recent changes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Select, select
from sqlalchemy.orm import joinedload

from outreach.accounts import permissions
from outreach.accounts.models import StaffUser
from outreach.database import db
from outreach.events.hooks import Tally, tallies_of_sessions
from outreach.events.loading import event_and_places
from outreach.events.models import Event, EventSession, EventStatus
from outreach.localtime import local_midnight, local_today

UPCOMING_DAYS = 14
UPCOMING_LIMIT = 200
DRAFTS_LIMIT = 50
RECENT_LIMIT = 10


@dataclass(frozen=True)
class Change:
    """A recently changed event, or one of its sessions."""

    at: datetime
    event: Event
    event_session: EventSession | None = None


@dataclass(frozen=True)
class Dashboard:
    """What a staff member sees first: the coming fortnight, drafts and recent changes."""

    upcoming: list[EventSession]
    drafts: list[Event]
    recent: list[Change]
    upcoming_limited: bool
    # Who registered for each upcoming session, by id.
    tallies: dict[int, Tally]


def _of(statement: Select, organisation_ids: set[int] | None) -> Select:
    """Only the given organisations' events (None: all of them)."""
    if organisation_ids is None:
        return statement
    return statement.where(Event.organisation_id.in_(organisation_ids))


def _sessions_with_places(organisation_ids: set[int] | None) -> Select:
    """Sessions with their event (organiser, category) and places, in one query."""
    statement = (
        select(EventSession)
        .join(EventSession.event)
        .join(EventSession.venue)
        .options(*event_and_places(joined=True))
    )
    return _of(statement, organisation_ids)


def dashboard(user: StaffUser) -> Dashboard:
    """The dashboard of the user's organisations (all of them for administrators), with the
    coming sessions' registrations counted: 5 queries."""
    organisation_ids = permissions.organisation_ids(user)
    today = local_today()
    upcoming = db.session.scalars(
        _sessions_with_places(organisation_ids)
        .where(
            EventSession.starts_at >= local_midnight(today),
            EventSession.starts_at < local_midnight(today + timedelta(days=UPCOMING_DAYS)),
        )
        .order_by(EventSession.starts_at, EventSession.id)
        .limit(UPCOMING_LIMIT + 1)
    ).all()
    events = select(Event).options(joinedload(Event.organisation))
    drafts = db.session.scalars(
        _of(events, organisation_ids)
        .where(Event.status == EventStatus.DRAFT)
        .order_by(Event.updated_at.desc(), Event.id.desc())
        .limit(DRAFTS_LIMIT)
    ).all()
    shown = list(upcoming[:UPCOMING_LIMIT])
    return Dashboard(
        upcoming=shown,
        tallies=tallies_of_sessions([event_session.id for event_session in shown]),
        drafts=list(drafts),
        recent=_recent_changes(organisation_ids),
        upcoming_limited=len(upcoming) > UPCOMING_LIMIT,
    )


def _recent_changes(organisation_ids: set[int] | None) -> list[Change]:
    """The last changed events and sessions, merged by when they changed: 2 queries."""
    events = db.session.scalars(
        _of(select(Event).options(joinedload(Event.organisation)), organisation_ids)
        .order_by(Event.updated_at.desc(), Event.id.desc())
        .limit(RECENT_LIMIT)
    )
    sessions = db.session.scalars(
        _sessions_with_places(organisation_ids)
        .order_by(EventSession.updated_at.desc(), EventSession.id.desc())
        .limit(RECENT_LIMIT)
    )
    changes = [Change(event.updated_at, event) for event in events]
    changes += [Change(s.updated_at, s.event, s) for s in sessions]
    changes.sort(key=lambda change: change.at, reverse=True)
    return changes[:RECENT_LIMIT]
