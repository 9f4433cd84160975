"""Each session's statistics row copies where, when and what the session is, kept by triggers
on event_session, event, venue and slot (outreach/stats/tally.py); the pages read nothing else.

Random sequences of every change a session, its event, its venue, its slots and its
registrations go through must leave every row equal to the live tables, and the overview's
figures equal to a count made directly over the sessions and their registrations. The bulk
recount (the migration's backfill, the bench's loader) must write the same rows.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select, text

from outreach.database import db, utcnow
from outreach.errors import NotFoundError, RuleError
from outreach.events.models import Event, EventSession, EventStatus, SessionStatus
from outreach.places.models import Venue
from outreach.registrations import services
from outreach.registrations.models import Registration, Slot
from outreach.stats import services as stats
from outreach.stats.tally import COLUMNS, PLACED_COLUMNS, RECOUNT, SessionTally
from tests.changes import resident, run_machine
from tests.stats.test_stats_tally import old_counts

TALLY = SessionTally.__table__


def tried(change, *args, **kwargs):
    """A change as a request would make it; refused (by a rule, or for a draft event's
    session, which residents cannot see), it leaves nothing behind."""
    nested = db.session.begin_nested()
    try:
        made = change(*args, **kwargs)
    except (RuleError, NotFoundError):
        nested.rollback()
        return None
    nested.commit()
    return made


def _plain(value):
    """A value as the two engines' rows compare: times as aware UTC, statuses as their text."""
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    return getattr(value, "value", value)


def kept_rows() -> dict[int, tuple]:
    """The rows the triggers keep, of sessions that have a start (a deleted session's row
    may stay without one, with its counts at zero)."""
    columns = [TALLY.c[name] for name in PLACED_COLUMNS]
    found = db.session.execute(
        select(TALLY.c.session_id, *columns).where(TALLY.c.starts_at.is_not(None))
    ).all()
    return {row[0]: tuple(map(_plain, row[1:])) for row in found}


def live_rows() -> dict[int, tuple]:
    """The same columns read from the sessions, their events, venues and slots."""
    places = (
        select(func.sum(Slot.capacity)).where(Slot.session_id == EventSession.id).scalar_subquery()
    )
    found = db.session.execute(
        select(
            EventSession.id,
            EventSession.starts_at,
            EventSession.ends_at,
            EventSession.event_id,
            Event.organisation_id,
            Event.category_id,
            Event.status,
            Venue.township_id,
            Venue.community_id,
            EventSession.status,
            EventSession.capacity,
            places,
        )
        .join(Event, Event.id == EventSession.event_id)
        .join(Venue, Venue.id == EventSession.venue_id)
    ).all()
    return {row[0]: tuple(map(_plain, row[1:])) for row in found}


def direct_figures(sessions: list[EventSession], now: datetime) -> dict[str, stats.Figures]:
    """Figures per category, township and community key, counted here from the session rows
    and a GROUP BY over their registrations (the statistics' rules, written out again)."""
    counts = old_counts()
    found: dict[str, stats.Figures] = {}
    for session in sessions:
        db.session.refresh(session)
        event = session.event
        if event.status == EventStatus.DRAFT:
            continue
        held = session.status != SessionStatus.CANCELLED and event.status != EventStatus.CANCELLED
        slots = [slot.capacity for slot in session.slots]
        limits = [n for n in (session.capacity, sum(slots) if slots else None) if n is not None]
        places = min(limits) if limits else None
        (registrations, people, checked_in, checked_in_people, *waitlist) = counts.get(
            session.id, (0,) * len(COLUMNS)
        )
        ended = held and session.ends_at <= now
        started = held and session.starts_at <= now
        if not held:
            figures = stats.Figures(cancelled_sessions=1)
        else:
            figures = stats.Figures(
                sessions=1,
                unlimited_sessions=int(places is None),
                registrations=registrations,
                people=people,
                capacity=places or 0,
                people_limited=people if places is not None else 0,
                ended_registrations=registrations if ended else 0,
                ended_checked_in=checked_in if ended else 0,
                checked_in_people=checked_in_people if started else 0,
                waitlisted_ever=waitlist[0],
                waitlisted_ever_people=waitlist[1],
                promoted=waitlist[2],
                waiting=waitlist[3],
                waiting_people=waitlist[4],
            )
        venue = session.venue
        for key in (
            f"category {event.category_id}",
            f"township {venue.township_id}",
            f"community {venue.township_id} {venue.community_id}",
        ):
            found[key] = found.get(key, stats.Figures()) + figures
    return found


def page_figures(overview: stats.Overview) -> dict[str, stats.Figures]:
    """The overview's lines by the same keys."""
    found = {f"category {line.key}": line.figures for line in overview.tables["categories"]}
    found |= {f"township {line.key}": line.figures for line in overview.tables["townships"]}
    for line in overview.tables["communities"]:
        found[f"community {line.key[0]} {line.key[1]}"] = line.figures
    return found


def test_session_rows_and_figures_follow_every_change(make):
    """Sessions moved, cancelled, restored, resized, added and deleted; events cancelled,
    re-categorised, handed to another organisation; a venue moved to another community;
    slots added, resized and removed; registrations made, cancelled, promoted and checked in:
    every row equals the live tables and the overview equals a direct count."""
    manager = make.staff(is_admin=True)
    categories = [make.category(), make.category()]
    communities = [make.community(), make.community()]
    now = utcnow()

    class Changes(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # Organisations of its own: the overview is filtered to this example's sessions.
            self.organisations = [make.organisation(), make.organisation()]
            self.venues = [make.venue(communities[0]), make.venue(communities[1])]
            self.events = [
                make.event(
                    organisation=self.organisations[0],
                    category=categories[0],
                    allow_waitlist=True,
                    max_party_size=3,
                )
                for _ in range(2)
            ]
            self.sessions = [
                make.event_session(self.events[0], self.venues[0], capacity=4),
                make.event_session(self.events[1], self.venues[1], capacity=None),
            ]
            self.made: list[Registration] = []

        def _session(self, which: int) -> EventSession | None:
            return self.sessions[which % len(self.sessions)] if self.sessions else None

        @rule(which=st.integers(0, 9), party=st.integers(1, 3))
        def register(self, which, party):
            if (session := self._session(which)) is not None:
                made = tried(services.register, session.id, resident(make, party))
                self.made += [made] if made else []

        @rule(which=st.integers(0, 50))
        def cancel_registration(self, which):  # promotes the next in line
            if self.made:
                tried(services.cancel, self.made[which % len(self.made)])

        @rule(which=st.integers(0, 50))
        def check_in(self, which):
            if self.made:
                registration = self.made[which % len(self.made)]
                at = registration.event_session.starts_at
                tried(services.check_in, registration, actor=manager, now=at)

        @rule(which=st.integers(0, 9), days=st.integers(-20, 20), venue=st.integers(0, 1))
        def move_session(self, which, days, venue):
            if (session := self._session(which)) is not None:
                session.starts_at += timedelta(days=days)
                session.ends_at += timedelta(days=days)
                session.venue = self.venues[venue]
                db.session.flush()

        @rule(which=st.integers(0, 9), capacity=st.one_of(st.none(), st.integers(0, 6)))
        def resize_session(self, which, capacity):
            if (session := self._session(which)) is not None:
                session.capacity = capacity
                db.session.flush()

        @rule(which=st.integers(0, 9), cancelled=st.booleans())
        def cancel_session(self, which, cancelled):
            if (session := self._session(which)) is not None:
                status = SessionStatus.CANCELLED if cancelled else SessionStatus.SCHEDULED
                session.status = status
                db.session.flush()

        @rule(
            which=st.integers(0, 1),
            status=st.sampled_from(list(EventStatus)),
            category=st.integers(0, 1),
            organisation=st.integers(0, 1),
        )
        def change_event(self, which, status, category, organisation):
            event = self.events[which]
            event.status = status
            event.category = categories[category]
            event.organisation = self.organisations[organisation]
            db.session.flush()

        @rule(which=st.integers(0, 1), community=st.integers(0, 1))
        def move_venue(self, which, community):
            venue = self.venues[which]
            venue.community = communities[community]
            venue.township = communities[community].township
            db.session.flush()

        @rule(which=st.integers(0, 9), capacity=st.integers(1, 5))
        def add_slot(self, which, capacity):
            if (session := self._session(which)) is not None:
                make.slot(session, capacity=capacity)

        @rule(which=st.integers(0, 9), capacity=st.integers(1, 5), remove=st.booleans())
        def change_slot(self, which, capacity, remove):
            session = self._session(which)
            slot = session.slots[0] if session is not None and session.slots else None
            if slot is None:
                return
            if remove:
                db.session.delete(slot)
            else:
                slot.capacity = capacity
            db.session.flush()

        @rule(event=st.integers(0, 1), venue=st.integers(0, 1), days=st.integers(-5, 5))
        def add_session(self, event, venue, days):
            day = (now + timedelta(days=days)).date()
            made = make.event_session(self.events[event], self.venues[venue], day=day)
            self.sessions.append(made)

        @rule(which=st.integers(0, 9))
        def delete_session(self, which):
            # As an operator's SQL would: the registrations go with it (a cascade).
            if (session := self._session(which)) is not None:
                self.sessions.remove(session)
                self.made = [r for r in self.made if r.session_id != session.id]
                db.session.flush()
                # Forgotten by the ORM too: SQLite gives their ids to the next new rows.
                gone = [
                    row
                    for row in db.session.identity_map.values()
                    if row is session or getattr(row, "session_id", None) == session.id
                ]
                for row in gone:
                    if row in db.session:  # (expunging the session takes its slots along)
                        db.session.expunge(row)
                db.session.execute(
                    text("DELETE FROM event_session WHERE id = :id"), {"id": session.id}
                )
                db.session.expire_all()

        @invariant()
        def rows_equal_the_live_tables(self):
            db.session.flush()
            assert kept_rows() == live_rows()

        @invariant()
        def figures_equal_a_direct_count(self):
            if not self.sessions:
                return
            starts = [s.starts_at.date() for s in self.sessions]
            filters = stats.Filters(
                min(starts) - timedelta(days=2),
                max(starts) + timedelta(days=2),
                frozenset(o.id for o in self.organisations),
            )
            overview = stats.overview(filters, now, per_page=100)
            expected = direct_figures(self.sessions, now)
            assert page_figures(overview) == expected

        def teardown(self):
            # The bulk recount writes what the triggers kept, counts included.
            db.session.flush()
            every = [TALLY.c.session_id, *(TALLY.c[n] for n in (*COLUMNS, *PLACED_COLUMNS))]
            kept = db.session.execute(select(*every).where(TALLY.c.starts_at.is_not(None)))
            kept = {row[0]: tuple(map(_plain, row[1:])) for row in kept}
            for statement in RECOUNT:
                db.session.execute(text(statement))
            recounted = db.session.execute(select(*every))
            assert {row[0]: tuple(map(_plain, row[1:])) for row in recounted} == kept

    run_machine(Changes, steps=12, examples=12)
