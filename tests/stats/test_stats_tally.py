"""The session tallies the statistics read, against the old computation over registrations.

The statistics pages used to sum the registrations of every session in range; they now read
`session_tally`, kept by triggers. Random sequences of every kind of change a registration
goes through must leave each tally equal to what the old GROUP BY over the registration rows
gives, and the overview's tables must follow sessions moved and events re-categorised.
"""

from __future__ import annotations

from datetime import timedelta

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import case, func, select

from outreach.database import db, utcnow
from outreach.registrations import retention, services
from outreach.registrations.models import Registration, RegistrationStatus
from outreach.stats import services as stats
from outreach.stats.tally import COLUMNS, SessionTally
from tests.changes import attempt, delete_outright, resident, run_machine

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED


def old_counts() -> dict[int, tuple[int, ...]]:
    """Per session, the counts as the statistics computed them before the tally (sessions
    whose registrations count nothing left out)."""
    confirmed = Registration.status == CONFIRMED
    checked_in = confirmed & (Registration.arrived > 0)
    waiting = Registration.status == WAITLISTED
    ever = (
        waiting
        | Registration.promoted_at.is_not(None)
        | ((Registration.status == CANCELLED) & Registration.confirmed_at.is_(None))
    )
    promoted = Registration.promoted_at.is_not(None)

    def total(condition, value=1):
        return func.sum(case((condition, value), else_=0))

    rows = db.session.execute(
        select(
            Registration.session_id,
            total(confirmed),
            total(confirmed, Registration.party_size),
            total(checked_in),
            total(checked_in, Registration.arrived),
            total(ever),
            total(ever, Registration.party_size),
            total(promoted),
            total(waiting),
            total(waiting, Registration.party_size),
        ).group_by(Registration.session_id)
    ).all()
    found = {row[0]: tuple(int(value) for value in row[1:]) for row in rows}
    return {session_id: counts for session_id, counts in found.items() if any(counts)}


def tallies() -> dict[int, tuple[int, ...]]:
    """Per session, the kept counts (all-zero rows left out, as sessions without any)."""
    columns = [SessionTally.__table__.c[name] for name in COLUMNS]
    found = db.session.execute(select(SessionTally.session_id, *columns)).all()
    return {row[0]: tuple(row[1:]) for row in found if any(row[1:])}


def test_tallies_equal_the_old_computation_through_every_kind_of_change(make):
    """Register, walk in, cancel, promote, check in and undo it, smaller parties, moving to
    another session, the personal-data purge, deleted rows: the tallies always equal the old
    sums over the rows; moved sessions and re-categorised events count where they now are."""
    manager = make.staff(is_admin=True)
    categories = [make.category(), make.category()]
    venues = [make.venue(), make.venue()]

    class Changes(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            # An organisation of its own: the overview is filtered to this example's sessions.
            self.organisation = make.organisation()
            event = make.event(
                organisation=self.organisation,
                category=categories[0],
                allow_waitlist=True,
                max_party_size=4,
            )
            self.sessions = [
                make.event_session(event, venues[0], capacity=5),
                make.event_session(event, venues[1], capacity=3),
            ]
            self.made: list[Registration] = []

        def _pick(self, which: int) -> Registration | None:
            return self.made[which % len(self.made)] if self.made else None

        @rule(where=st.integers(0, 1), party=st.integers(1, 4), staff=st.booleans())
        def register(self, where, party, staff):
            session_id = self.sessions[where].id
            if staff:  # a walk-in at the desk
                made = attempt(
                    services.register_by_staff, session_id, resident(make, party), actor=manager
                )
            else:
                made = attempt(services.register, session_id, resident(make, party))
            self.made += [made] if made else []

        @rule(which=st.integers(0, 50))
        def cancel(self, which):  # promotes the next in line when a place frees
            if (registration := self._pick(which)) is not None:
                attempt(services.cancel, registration)

        @rule(which=st.integers(0, 50), party=st.integers(1, 3))
        def reduce(self, which, party):
            if (registration := self._pick(which)) is not None:
                attempt(services.reduce_party, registration, party)

        @rule(which=st.integers(0, 50), people=st.one_of(st.none(), st.integers(1, 3)))
        def check_in(self, which, people):
            if (registration := self._pick(which)) is not None:
                at = registration.event_session.starts_at
                attempt(services.check_in, registration, actor=manager, now=at, people=people)

        @rule(which=st.integers(0, 50))
        def undo_check_in(self, which):
            if (registration := self._pick(which)) is not None and registration.arrived:
                attempt(services.undo_check_in, registration, actor=manager, people=1)

        @rule(which=st.integers(0, 50))
        def move_to_other_session(self, which):
            if (registration := self._pick(which)) is not None:
                other = [s for s in self.sessions if s.id != registration.session_id][0]
                registration.session_id = other.id
                db.session.flush()

        @rule()
        def purge(self):
            later = utcnow() + timedelta(days=3650)
            retention.purge_batch(0, now=later)
            db.session.expire_all()

        @rule(which=st.integers(0, 50))
        def delete_row(self, which):
            if self.made:
                delete_outright(self.made.pop(which % len(self.made)))

        @rule(where=st.integers(0, 1), days=st.integers(-40, 40), venue=st.integers(0, 1))
        def move_session(self, where, days, venue):
            moved = self.sessions[where]
            moved.starts_at += timedelta(days=days)
            moved.ends_at += timedelta(days=days)
            moved.venue = venues[venue]
            db.session.flush()

        @rule(which=st.integers(0, 1))
        def recategorise(self, which):
            self.sessions[0].event.category = categories[which]
            db.session.flush()

        @invariant()
        def tallies_equal_the_old_computation(self):
            db.session.flush()
            assert tallies() == old_counts()

        @invariant()
        def tables_follow_the_sessions(self):
            starts = [s.starts_at.date() for s in self.sessions]
            filters = stats.Filters(
                min(starts) - timedelta(days=2),
                max(starts) + timedelta(days=2),
                None,
                organisation_id=self.organisation.id,
            )
            overview = stats.overview(filters)
            old = old_counts()
            registrations = sum(old.get(s.id, (0,))[0] for s in self.sessions)
            assert overview.total.registrations == registrations
            category = self.sessions[0].event.category_id
            assert [line.key for line in overview.tables["categories"]] == [category]
            by_township = {line.key: line.figures.sessions for line in overview.tables["townships"]}
            expected: dict[int, int] = {}
            for moved in self.sessions:
                township = moved.venue.township_id
                expected[township] = expected.get(township, 0) + 1
            assert by_township == expected

    run_machine(Changes, steps=15)
