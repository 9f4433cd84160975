"""The seat counters on sessions and slots, the lock held briefly, and racing duplicates.

A registration decides its seat from `event_session.seats_taken` (and `slot.seats_taken`),
kept by triggers; these tests change seats every way the app can and check after each step
that the counters equal what the rows add up to.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule
from sqlalchemy import func, select, text

from outreach.database import db, utcnow
from outreach.events import scheduling
from outreach.events.models import EventSession
from outreach.messages.models import Message
from outreach.registrations import seats, services
from outreach.registrations.models import Registration, RegistrationStatus, Slot
from outreach.registrations.signals import registration_preparing
from tests.changes import attempt, delete_outright, resident, run_machine

API = "/api/v1/sessions/{}/registrations"


def counters_and_rows(session_id: int) -> tuple[tuple, tuple]:
    """(seats taken, waitlisted, per-slot seats) as the counters say and as the rows add up."""
    counted = db.session.execute(
        select(EventSession.seats_taken, EventSession.waitlist_length).where(
            EventSession.id == session_id
        )
    ).one()
    slots = dict(
        db.session.execute(
            select(Slot.id, Slot.seats_taken).where(Slot.session_id == session_id)
        ).all()
    )
    confirmed = Registration.status == RegistrationStatus.CONFIRMED
    summed = db.session.scalar(
        select(func.coalesce(func.sum(Registration.party_size), 0)).where(
            Registration.session_id == session_id, confirmed
        )
    )
    waiting = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.session_id == session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
    )
    per_slot = {slot_id: 0 for slot_id in slots}
    for slot_id, taken in db.session.execute(
        select(Registration.slot_id, func.sum(Registration.party_size))
        .where(Registration.session_id == session_id, confirmed, Registration.slot_id.is_not(None))
        .group_by(Registration.slot_id)
    ):
        per_slot[slot_id] = int(taken)
    return (counted[0], counted[1], slots), (int(summed), int(waiting), per_slot)


def test_counters_follow_every_kind_of_change(make):
    """Registrations online and at the desk, with and without slots; cancelling, smaller
    parties, promotion, more seats, capacity edits, deleted rows: the counters always equal
    the sums of the rows."""
    organiser = make.organisation()
    manager = make.staff(organisation=organiser, role="manager")

    class Seats(RuleBasedStateMachine):
        def __init__(self) -> None:
            super().__init__()
            event = make.event(organisation=organiser, allow_waitlist=True, max_party_size=4)
            self.session = make.event_session(event, capacity=6)
            self.slot = make.slot(self.session, capacity=4) if self.session.id % 2 else None
            self.slot_id = self.slot.id if self.slot else None
            self.made: list[Registration] = []

        @rule(party=st.integers(1, 4))
        def register(self, party):
            made = attempt(
                services.register,
                self.session.id,
                resident(make, party, self.slot_id),
            )
            self.made += [made] if made else []

        @rule(party=st.integers(1, 4))
        def walk_in(self, party):
            made = attempt(
                services.register_by_staff,
                self.session.id,
                resident(make, party, self.slot_id),
                actor=manager,
            )
            self.made += [made] if made else []

        @rule(which=st.integers(0, 50))
        def cancel(self, which):
            if self.made:
                attempt(services.cancel, self.made[which % len(self.made)])

        @rule(which=st.integers(0, 50), party=st.integers(1, 3))
        def reduce(self, which, party):
            if self.made:
                registration = self.made[which % len(self.made)]
                attempt(services.reduce_party, registration, party)

        @rule(more=st.integers(1, 5))
        def add_seats(self, more):
            attempt(
                seats.add_seats, manager, self.session, more, self.slot.id if self.slot else None
            )

        @rule(capacity=st.integers(0, 12))
        def edit_capacity(self, capacity):
            locked = services.lock_session(self.session.id)
            attempt(scheduling.change_session, manager, locked, capacity=capacity)

        @rule(which=st.integers(0, 50))
        def delete_row(self, which):
            if self.made:
                delete_outright(self.made.pop(which % len(self.made)))

        @invariant()
        def counters_equal_the_rows(self):
            db.session.flush()
            counted, summed = counters_and_rows(self.session.id)
            assert counted == summed

    run_machine(Seats, steps=12)


def test_registration_holds_the_lock_for_few_statements(app, make, client, count_queries):
    """From the statement that locks the session row to the commit: the lock with the
    counters, then the registration with its message (one statement on PostgreSQL, two on
    SQLite); no count, no sum, no look-up."""
    path = API.format(make.event_session(capacity=1).id)
    with app.app_context():
        postgresql = db.engine.dialect.name == "postgresql"
    for number in range(3):  # confirmed, then waitlisted twice
        body = {"name": "张阿姨", "phone": make.phone(), "party_size": 1, "consent": True}
        with count_queries() as statements:
            answer = client.post(path, json=body)
        assert answer.status_code == 201, answer.json
        locking = next(n for n, s in enumerate(statements) if s.startswith("UPDATE event_session"))
        locked = [s.split()[0:3] for s in statements[locking:]]
        if postgresql:
            assert locked == [
                ["UPDATE", "event_session", "SET"],
                ["WITH", "new_registration", "AS"],
            ], statements[locking:]
            written = statements[-1]
            assert "INSERT INTO registration" in written and "INSERT INTO message" in written
        else:
            assert locked == [
                ["UPDATE", "event_session", "SET"],
                ["INSERT", "INTO", "registration"],
                ["INSERT", "INTO", "message"],
            ], statements[locking:]
        # The first loads the session with its event and places; later ones read its stamp,
        # with the number's checks, and use the worker's kept copy (registrations.snapshot).
        most = (4 if number == 0 else 3) + (0 if postgresql else 1)
        assert len(statements) <= most, [s[:60] for s in statements]
        assert answer.json["waitlist_position"] == (None if number == 0 else number)
        kind = "confirmed" if number == 0 else "waitlisted"
        with app.app_context():
            made = db.session.scalars(
                select(Registration).where(Registration.code == answer.json["code"])
            ).one()
            message = db.session.scalars(
                select(Message).where(Message.dedupe_key == f"{kind}:{made.id}")
            ).one()
            assert message.registration_id == made.id
            assert message.created_at == made.created_at
            if number:
                assert message.sms_params["position"] == str(number)


def test_waitlist_places_stay_exact_after_cancelling_in_the_line(make, client):
    event_session = make.event_session(capacity=1)

    def register():
        answer = client.post(
            API.format(event_session.id),
            json={"name": "张阿姨", "phone": make.phone(), "party_size": 1, "consent": True},
        )
        assert answer.status_code == 201
        return answer.json

    register()  # the seat
    waiting = [register() for _ in range(3)]
    assert [w["waitlist_position"] for w in waiting] == [1, 2, 3]
    assert client.delete(f"/api/v1/registrations/{waiting[1]['manage_token']}").status_code == 200
    late = register()
    assert late["waitlist_position"] == 3
    again = client.get(f"/api/v1/registrations/{late['manage_token']}").json
    assert again["waitlist_position"] == 3
    # The message says the same place as the answer.
    made = db.session.scalar(select(Registration).where(Registration.code == late["code"]))
    body = db.session.scalar(select(Message.body).where(Message.registration_id == made.id))
    assert "3" in body and "987654321" not in body


def test_a_racing_duplicate_is_refused_by_the_index_with_the_usual_answer(make, client):
    """Another request with the same phone gets past the check first: the unique index
    refuses the second row, and the resident reads what the check would have said."""
    event_session = make.event_session(capacity=10)
    phone = make.phone()
    body = {"name": "张阿姨", "phone": phone, "party_size": 1, "consent": True}
    other = make.event_session(capacity=10)
    usual = client.post(API.format(other.id), json=body)
    assert usual.status_code == 201
    usual_refusal = client.post(API.format(other.id), json=body).json

    def the_other_request_wins(registration, **_details):
        # Between this request's duplicate check and its lock, the same number registers.
        if registration.phone.endswith(phone) and registration.id is None:
            db.session.execute(
                text(
                    "INSERT INTO registration (session_id, status, party_size, name, phone,"
                    " language, consent_at, code, manage_token, feed_token, created_at,"
                    " updated_at, cancelled_by_staff, arrived) VALUES (:session, 'confirmed',"
                    " 1, '张阿姨', :phone, 'zh', :now, 'RACE01', 'race-token', 'race-feed',"
                    " :now, :now, false, 0)"
                ),
                {"session": event_session.id, "phone": "+86" + phone, "now": utcnow()},
            )
        return None

    registration_preparing.connect(the_other_request_wins)
    try:
        refused = client.post(API.format(event_session.id), json=body)
    finally:
        registration_preparing.disconnect(the_other_request_wins)
    assert refused.status_code == 409
    assert refused.json["error"] == "duplicate"
    assert refused.json["message"] == usual_refusal["message"]


def test_migration_counts_existing_rows(make):
    """The backfill (also used after bulk loads) sets every counter from the rows."""
    from outreach.registrations import counters

    event_session = make.event_session(capacity=2)
    for _ in range(4):
        make.registration(event_session)
    db.session.execute(text("UPDATE event_session SET seats_taken = 99, waitlist_length = 99"))
    for statement in counters.RECOUNT:
        db.session.execute(text(statement))
    counted, summed = counters_and_rows(event_session.id)
    assert counted == summed == (2, 2, {})
