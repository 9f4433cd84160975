"""Staff changes to events and sessions: create, edit, reschedule, cancel, delete, clone.

Every function flushes and never commits; each change writes its audit entry in the same
transaction. Sessions are written only through `scheduling`, which touches them so calendar
feeds notice, audits and signals; here are the editor's rules around it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import Select, and_, case, func, select, type_coerce
from sqlalchemy.orm import joinedload, selectinload

from outreach.accounts import audit, permissions
from outreach.accounts.models import Organisation
from outreach.database import MAX_ID, UTCDateTime, db, utcnow
from outreach.errors import NotFoundError, RuleError
from outreach.events import scheduling
from outreach.events.hooks import Tally, hooks, tallies_of_events
from outreach.events.loading import session_places
from outreach.events.models import Event, EventSession, EventStatus, SessionStatus
from outreach.events.services import event_with_sessions
from outreach.localtime import local_date, local_midnight, local_today, local_zone
from outreach.pagination import CursorPage, Order, keyset_page
from outreach.places.models import Community, Township, Venue
from outreach.places.services import CHOICE_LIMIT

EVENT_FIELDS = (
    "title",
    "summary",
    "description",
    "audience",
    "contact_name",
    "contact_phone",
    "title_en",
    "summary_en",
    "description_en",
    "audience_en",
    "category_id",
    "organisation_id",
    "status",
    "max_party_size",
    "allow_waitlist",
    "one_registration_per_event",
    "registration_opens_at",
    "registration_closes_at",
    "reminder_hours",
)
CANCEL_FIELDS = ("status", "cancellation_reason")
# Registration settings a copy keeps as they are, and the window it moves with the sessions.
REGISTRATION_WINDOW = ("registration_opens_at", "registration_closes_at")


class EditError(RuleError):
    """A change to an event or its sessions that the rules refuse; the message is for the user."""


@dataclass(frozen=True)
class SessionPlan:
    """When, where and for how many one session runs, as a staff member entered it."""

    day: date
    start: time | None
    end: time | None
    all_day: bool
    venue_id: int
    capacity: int | None

    def span(self) -> tuple[datetime, datetime]:
        """Start and end as aware instants; all day runs from midnight to the next midnight."""
        if self.all_day or self.start is None or self.end is None:
            day_after = self.day + timedelta(days=1)
            starts_at, ends_at = local_midnight(self.day), local_midnight(day_after)
        else:
            starts_at = datetime.combine(self.day, self.start, tzinfo=local_zone())
            ends_at = datetime.combine(self.day, self.end, tzinfo=local_zone())
        # In UTC, as stored, so before/after snapshots of an unchanged time compare equal.
        return starts_at.astimezone(UTC), ends_at.astimezone(UTC)


def plan_of(event_session: EventSession) -> SessionPlan:
    """A session's current schedule in the terms of the editing form (local time)."""
    zone = local_zone()
    timed = not event_session.all_day
    return SessionPlan(
        day=local_date(event_session.starts_at),
        start=event_session.starts_at.astimezone(zone).time() if timed else None,
        end=event_session.ends_at.astimezone(zone).time() if timed else None,
        all_day=event_session.all_day,
        venue_id=event_session.venue_id,
        capacity=event_session.capacity,
    )


# ---------------------------------------------------------------------------------------------
# Reading


@dataclass(frozen=True)
class EventRow:
    """An event in the staff list, with how many sessions it has and when the next starts."""

    event: Event
    session_count: int
    next_start: datetime | None
    # Places in its sessions still on (None: one of them has no limit) and who registered.
    capacity: int | None = None
    tally: Tally = Tally()

    @property
    def next_day(self) -> date | None:
        """The local date of the next session still to come."""
        return local_date(self.next_start) if self.next_start else None


def _editable_events(user: Any) -> Select:
    """Events of the organisations where the user may edit events (administrators: all)."""
    statement = select(Event)
    ids = permissions.organisation_ids(user, permissions.EDITING_ROLES)
    if ids is not None:
        statement = statement.where(Event.organisation_id.in_(ids))
    return statement


def staff_events(user: Any, cursor: str | None, per_page: int) -> CursorPage[EventRow]:
    """The events the user may edit, newest first, in keyset pages, with their sessions and
    registrations counted: three queries (the page's events, their sessions' sums, their
    registrations' tallies), each reading only this page's rows."""
    order = Order((Event.created_at, Event.id), descending=True)
    statement = _editable_events(user).options(
        joinedload(Event.organisation), joinedload(Event.category)
    )
    page = keyset_page(statement, order, per_page, cursor, name="staff.events")
    ids = [event.id for event in page.items]
    on = EventSession.status == SessionStatus.SCHEDULED
    upcoming = and_(EventSession.starts_at >= local_midnight(local_today()), on)
    sums = {}
    if ids:
        sums = {
            row[0]: row[1:]
            for row in db.session.execute(
                select(
                    EventSession.event_id,
                    func.count(EventSession.id),
                    type_coerce(func.min(case((upcoming, EventSession.starts_at))), UTCDateTime()),
                    func.sum(case((on, EventSession.capacity), else_=0)),
                    func.sum(case((and_(on, EventSession.capacity.is_(None)), 1), else_=0)),
                )
                .where(EventSession.event_id.in_(ids))
                .group_by(EventSession.event_id)
            )
        }
    tallies = tallies_of_events(ids)
    items = []
    for event in page.items:
        count, next_start, capacity, unlimited = sums.get(event.id, (0, None, None, 0))
        items.append(
            EventRow(
                event,
                count,
                next_start,
                capacity=None if unlimited else int(capacity or 0),
                tally=tallies[event.id],
            )
        )
    return CursorPage(items, page.per_page, page.next_cursor, page.prev_cursor)


def event_for_editing(event_id: int) -> Event:
    """Any event, drafts included, with its sessions and their places loaded."""
    if not 0 < event_id <= MAX_ID:
        raise NotFoundError("staff_event", event_id)
    event = db.session.scalar(event_with_sessions().where(Event.id == event_id))
    if event is None:
        raise NotFoundError("staff_event", event_id)
    return event


def event_alone(event_id: int) -> Event:
    """Any event, drafts included, without its sessions (a campaign has thousands: the
    sessions page reads them a page at a time, see session_page)."""
    event = db.session.get(Event, event_id) if 0 < event_id <= MAX_ID else None
    if event is None:
        raise NotFoundError("staff_event", event_id)
    return event


def session_page(event: Event, cursor: str | None, per_page: int) -> CursorPage[EventSession]:
    """The event's sessions by start time in keyset pages, with their places and slots:
    three queries (the page along the (event, start) index, its places, its slots)."""
    statement = (
        select(EventSession)
        .where(EventSession.event_id == event.id)
        .options(*session_places(), selectinload(EventSession.slots))
    )
    order = Order((EventSession.starts_at, EventSession.id))
    return keyset_page(statement, order, per_page, cursor, name="staff.sessions")


def session_count(event: Event) -> int:
    """How many sessions the event has: one count along the (event, start) index."""
    statement = select(func.count()).where(EventSession.event_id == event.id)
    return db.session.scalar(statement) or 0


def session_townships(event: Event) -> list[int]:
    """The streets and townships of the event's sessions' venues: one query."""
    statement = (
        select(Venue.township_id)
        .join(EventSession, EventSession.venue_id == Venue.id)
        .where(EventSession.event_id == event.id)
        .distinct()
    )
    return list(db.session.scalars(statement))


def session_of(event: Event, session_id: int) -> EventSession:
    """One of the event's sessions; an id of another event's session is not found."""
    for event_session in event.sessions:
        if event_session.id == session_id:
            return event_session
    raise NotFoundError("staff_session", session_id)


def organisation_choices(user: Any) -> list[Organisation]:
    """Organisations whose events the user may edit (administrators: all)."""
    statement = select(Organisation).order_by(Organisation.name)
    ids = permissions.organisation_ids(user, permissions.EDITING_ROLES)
    if ids is not None:
        statement = statement.where(Organisation.id.in_(ids))
    return list(db.session.scalars(statement))


@dataclass(frozen=True)
class VenueGroup:
    """Venues offered under one heading: a community, or a township's own venues."""

    township: Township
    community: Community | None
    venues: list[Venue]


def city_sized() -> bool:
    """Whether there are more venues than a form can offer (places.services.CHOICE_LIMIT):
    the primary key's index answers after that many entries, not 20,000 rows."""
    beyond_limit = select(Venue.id).order_by(Venue.id).offset(CHOICE_LIMIT).limit(1)
    return db.session.scalar(beyond_limit) is not None


def venue_groups(township_ids: Iterable[int | None] | None = None) -> list[VenueGroup]:
    """Venues grouped by township and then community, township-only venues last: all of
    them, or in a city-sized site (see city_sized) only those of `township_ids` when given
    (a form of 20,000 venues would be megabytes that no one can choose from)."""
    statement = (
        select(Venue)
        .options(joinedload(Venue.township), joinedload(Venue.community))
        .outerjoin(Venue.community)
        .join(Venue.township)
        # Township-only venues (no community) sort after the township's communities.
        .order_by(Township.name, Community.id.is_(None), Community.name, Venue.name)
    )
    if township_ids is not None and city_sized():
        wanted = {township_id for township_id in township_ids if township_id is not None}
        statement = statement.where(Venue.township_id.in_(wanted))
    venues = db.session.scalars(statement)
    groups: list[VenueGroup] = []
    for venue in venues:
        last = groups[-1] if groups else None
        if last and last.township is venue.township and last.community is venue.community:
            last.venues.append(venue)
        else:
            groups.append(VenueGroup(venue.township, venue.community, [venue]))
    return groups


# ---------------------------------------------------------------------------------------------
# Events


def _record_event(
    actor: Any, action: str, event: Event, changed: dict[str, Any] | None = None
) -> None:
    """An audit entry about an event, labelled with its title (kept if the event goes)."""
    audit.record(
        actor,
        action,
        event,
        organisation_id=event.organisation_id,
        label=event.title,
        changed=changed,
    )


def _touch_future_sessions(event: Event) -> None:
    """Calendar entries show the event's fields: the sessions still to come must re-sync."""
    now = utcnow()
    scheduling.follow_event(s for s in event.sessions if s.ends_at >= now)


def create_event(actor: Any, fields: dict[str, Any]) -> Event:
    """A new event from the editor's fields; published straight away if asked."""
    event = Event(**{name: fields[name] for name in EVENT_FIELDS})
    db.session.add(event)
    _record_event(actor, "create", event, audit.changes({}, audit.snapshot(event, EVENT_FIELDS)))
    if event.status == EventStatus.PUBLISHED:
        _record_event(actor, "publish", event)
    return event


def update_event(actor: Any, event: Event, fields: dict[str, Any]) -> dict[str, Any]:
    """Apply the editor's fields; returns the changes. A published event stays public."""
    status = fields.get("status", event.status)
    if event.status == EventStatus.CANCELLED:
        status = event.status  # a cancelled event comes back only through restore_event
    elif event.status == EventStatus.PUBLISHED and status == EventStatus.DRAFT:
        raise EditError(
            _("A published event cannot go back to draft; cancel it instead."), "status"
        )
    before = audit.snapshot(event, EVENT_FIELDS)
    for name in EVENT_FIELDS:
        setattr(event, name, status if name == "status" else fields[name])
    changed = audit.changes(before, audit.snapshot(event, EVENT_FIELDS))
    if not changed:
        return changed
    _touch_future_sessions(event)
    _record_event(actor, "update", event, changed)
    if "status" in changed and event.status == EventStatus.PUBLISHED:
        _record_event(actor, "publish", event)
    return changed


def publish_event(actor: Any, event: Event) -> dict[str, Any]:
    """Publish a draft as it stands, as the editor would with its status set to published."""
    if event.status != EventStatus.DRAFT:
        raise EditError(_("Only a draft can be published."))
    fields = {name: getattr(event, name) for name in EVENT_FIELDS}
    return update_event(actor, event, {**fields, "status": EventStatus.PUBLISHED})


def _set_event_status(
    actor: Any, event: Event, action: str, status: EventStatus, reason: str
) -> None:
    """Change the event's status and reason; every session re-syncs with calendars."""
    before = audit.snapshot(event, CANCEL_FIELDS)
    event.status = status
    event.cancellation_reason = reason
    changed = audit.changes(before, audit.snapshot(event, CANCEL_FIELDS))
    _record_event(actor, action, event, changed)
    # Every session re-syncs; those not called off on their own go (or come back) with the
    # event, and registrants hear of each as when one session is cancelled.
    scheduling.follow_event(event.sessions, action=action, changed=changed)


def cancel_event(actor: Any, event: Event, reason: str) -> None:
    """Call off a published event and all its sessions; they stay listed with the reason."""
    if event.status == EventStatus.DRAFT:
        raise EditError(_("A draft is not public: delete it rather than cancel it."))
    if event.status == EventStatus.CANCELLED:
        raise EditError(_("This event is already cancelled."))
    _set_event_status(actor, event, "cancel", EventStatus.CANCELLED, reason.strip())


def restore_event(actor: Any, event: Event) -> None:
    """Put a cancelled event back on as published; its own cancelled sessions stay cancelled."""
    if event.status != EventStatus.CANCELLED:
        raise EditError(_("This event is not cancelled."))
    _set_event_status(actor, event, "restore", EventStatus.PUBLISHED, "")


def delete_event(actor: Any, event: Event) -> None:
    """Delete a draft; a published event has been seen by residents and is cancelled instead."""
    if event.status != EventStatus.DRAFT:
        raise EditError(_("Only drafts can be deleted; cancel a published event instead."))
    # The entry keeps the title and the fields: the event row itself is about to go.
    before = audit.snapshot(event, EVENT_FIELDS)
    _record_event(
        actor, "delete", event, {name: {"before": v, "after": None} for name, v in before.items()}
    )
    db.session.delete(event)
    db.session.flush()


# ---------------------------------------------------------------------------------------------
# Sessions: the editor's rules, then the one path that writes sessions (scheduling.py)


def _venues(ids: Iterable[int]) -> dict[int, Venue]:
    """The venues with these ids; an unknown id is not found."""
    wanted = set(ids)
    found = {
        venue.id: venue for venue in db.session.scalars(select(Venue).where(Venue.id.in_(wanted)))
    }
    missing = wanted - found.keys()
    if missing:
        raise NotFoundError("venue", min(missing))
    return found


def _schedule(plan: SessionPlan, venue: Venue) -> dict[str, Any]:
    """A plan as the session's stored values."""
    starts_at, ends_at = plan.span()
    return {
        "starts_at": starts_at,
        "ends_at": ends_at,
        "all_day": plan.all_day,
        "venue": venue,
        "capacity": plan.capacity,
    }


def add_sessions(actor: Any, event: Event, plans: Sequence[SessionPlan]) -> list[EventSession]:
    """One new session per plan, each with its own calendar UID."""
    if not plans:
        raise EditError(_("Please fill in at least one session."))
    venues = _venues(plan.venue_id for plan in plans)
    new = [scheduling.NewSession(**_schedule(plan, venues[plan.venue_id])) for plan in plans]
    return scheduling.add_sessions(actor, event, new)


def update_session(actor: Any, event_session: EventSession, plan: SessionPlan) -> dict[str, Any]:
    """Reschedule, move or resize a session; returns the changes (none: nothing recorded)."""
    venue = _venues([plan.venue_id])[plan.venue_id]
    return scheduling.change_session(actor, event_session, **_schedule(plan, venue))


def cancel_session(actor: Any, event_session: EventSession, reason: str) -> None:
    """Call off one session; it stays listed, marked, with the reason."""
    if event_session.status == SessionStatus.CANCELLED:
        raise EditError(_("This session is already cancelled."))
    scheduling.change_session(
        actor,
        event_session,
        status=SessionStatus.CANCELLED,
        cancellation_reason=reason.strip(),
    )


def restore_session(actor: Any, event_session: EventSession) -> None:
    """Put a cancelled session back on."""
    if event_session.status != SessionStatus.CANCELLED:
        raise EditError(_("This session is not cancelled."))
    scheduling.change_session(
        actor, event_session, status=SessionStatus.SCHEDULED, cancellation_reason=""
    )


# ---------------------------------------------------------------------------------------------
# Who hears of a cancellation


@dataclass(frozen=True)
class Registrants:
    """Active registrations, and the people in them, that a change will be told to."""

    registrations: int = 0
    people: int = 0
    over: bool = False  # every session concerned has ended: nobody is told


def _registrants(event_sessions: Sequence[EventSession], now: datetime | None) -> Registrants:
    """The registrants of those of the sessions not yet over (the others are not told)."""
    now = now or utcnow()
    ids = [s.id for s in event_sessions if s.ends_at > now]
    if not ids:
        return Registrants(over=bool(event_sessions))
    # Counted by the registrations package, which events may not import: one query.
    registrations, people = hooks().count_registrants(ids)
    return Registrants(registrations=registrations, people=people)


def registrants_of_session(event_session: EventSession, now: datetime | None = None) -> Registrants:
    """Who is told when this session is called off: its active registrants, unless it is over."""
    return _registrants([event_session], now)


def registrants_of_event(event: Event, now: datetime | None = None) -> Registrants:
    """Who is told when the event is called off: the registrants of its sessions still on
    and to come (those of a session called off before were told then)."""
    scheduled = [s for s in event.sessions if s.status == SessionStatus.SCHEDULED]
    return _registrants(scheduled, now)


# ---------------------------------------------------------------------------------------------
# Cloning


def _shifted(instant: datetime, days: int) -> datetime:
    """The same local wall-clock time `days` later (or earlier), as an aware instant."""
    local = instant.astimezone(local_zone())
    moved = datetime.combine(local.date() + timedelta(days=days), local.time(), local.tzinfo)
    return moved.astimezone(UTC)


def clone_event(actor: Any, event: Event, first_day: date, title: str = "") -> Event:
    """A draft copy whose sessions (not the cancelled ones) start from `first_day`.

    Each session keeps its local times, venue and capacity, and gets a new calendar UID;
    the event keeps its registration settings, with its registration window moved alike.
    """
    copy = Event(**{name: getattr(event, name) for name in EVENT_FIELDS})
    copy.title = (title or "").strip() or event.title
    if copy.title != event.title:
        copy.title_en = None  # the English title was of the other title
    copy.status = EventStatus.DRAFT
    db.session.add(copy)
    kept = [s for s in event.sessions if s.status != SessionStatus.CANCELLED]
    days = (first_day - min(local_date(s.starts_at) for s in kept)).days if kept else 0
    new = [
        scheduling.NewSession(
            starts_at=_shifted(original.starts_at, days),
            ends_at=_shifted(original.ends_at, days),
            venue=original.venue,
            all_day=original.all_day,
            capacity=original.capacity,
        )
        for original in kept
    ]
    # The clone's one entry below tells of its sessions.
    scheduling.add_sessions(actor, copy, new, audited=False)
    for name in REGISTRATION_WINDOW:
        if getattr(event, name) is not None:
            setattr(copy, name, _shifted(getattr(event, name), days))
    source = {"cloned_from": event.id, "sessions": len(kept)}
    _record_event(actor, "clone", copy, audit.changes({}, source))
    return copy
