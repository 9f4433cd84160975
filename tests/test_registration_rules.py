"""The registration service: seats, slots, waitlist, windows, duplicates, promotion order."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from outreach.database import db, utcnow
from outreach.errors import NotFoundError
from outreach.events import editing
from outreach.events.models import EventStatus, SessionStatus
from outreach.registrations import services
from outreach.registrations.models import Registration, RegistrationStatus
from outreach.registrations.services import RegistrationError, RegistrationRequest

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED


def request_for(make, party_size=1, **fields) -> RegistrationRequest:
    return RegistrationRequest(
        name=fields.pop("name", "李大爷"),
        phone=fields.pop("phone", None) or make.phone(),
        party_size=party_size,
        consent=fields.pop("consent", True),
        **fields,
    )


def attempt(make, event_session, party_size=1, **fields) -> Registration:
    made = services.register(event_session.id, request_for(make, party_size, **fields))
    db.session.commit()
    return made


def test_confirms_while_seats_remain_counting_party_size(make):
    event_session = make.event_session(capacity=5)
    assert attempt(make, event_session, 3).status == CONFIRMED
    assert attempt(make, event_session, 2).status == CONFIRMED
    assert attempt(make, event_session, 1).status == WAITLISTED
    assert services.seats_taken([event_session.id]) == {event_session.id: 5}


def test_eleventh_registrant_is_waitlisted(make):
    event_session = make.event_session(capacity=10)
    statuses = [attempt(make, event_session).status for _ in range(11)]
    assert statuses == [CONFIRMED] * 10 + [WAITLISTED]


def test_a_party_larger_than_the_seats_left_is_waitlisted(make):
    event_session = make.event_session(capacity=4)
    attempt(make, event_session, 2)
    assert attempt(make, event_session, 3).status == WAITLISTED
    assert attempt(make, event_session, 2).status == CONFIRMED


def test_full_session_without_waitlist_refuses(make):
    event = make.event(allow_waitlist=False)
    event_session = make.event_session(event, capacity=1)
    attempt(make, event_session)
    with pytest.raises(RegistrationError) as refused:
        attempt(make, event_session)
    assert refused.value.kind == "full"


def test_unlimited_capacity_always_confirms(make):
    event_session = make.event_session(capacity=None)
    assert all(attempt(make, event_session, 4).status == CONFIRMED for _ in range(30))


def test_slot_capacity_and_session_capacity_both_count(make):
    event_session = make.event_session(capacity=5)
    tcm = make.slot(event_session, "中医科", capacity=2)
    stroke = make.slot(event_session, "脑卒中", capacity=10)
    assert attempt(make, event_session, 2, slot_id=tcm.id).status == CONFIRMED
    assert attempt(make, event_session, 1, slot_id=tcm.id).status == WAITLISTED
    assert attempt(make, event_session, 3, slot_id=stroke.id).status == CONFIRMED
    # The session's five seats are gone even though the slot has room.
    assert attempt(make, event_session, 1, slot_id=stroke.id).status == WAITLISTED


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slot_id": None}, "slot"),
        ({"slot_id": 999999}, "slot"),
    ],
)
def test_a_session_with_slots_requires_one_of_its_slots(make, fields, field):
    event_session = make.event_session()
    make.slot(event_session)
    with pytest.raises(RegistrationError) as refused:
        attempt(make, event_session, **fields)
    assert refused.value.field == field


def test_a_slot_of_another_session_is_refused(make):
    event_session, other = make.event_session(), make.event_session()
    make.slot(event_session)
    foreign = make.slot(other)
    with pytest.raises(RegistrationError) as refused:
        attempt(make, event_session, slot_id=foreign.id)
    assert refused.value.field == "slot"


@pytest.mark.parametrize(
    ("party_size", "ok"), [(0, False), (1, True), (4, True), (5, False), (-1, False)]
)
def test_party_size_is_between_one_and_the_events_maximum(make, party_size, ok):
    event_session = make.event_session(make.event(max_party_size=4))
    if ok:
        assert attempt(make, event_session, party_size).party_size == party_size
    else:
        with pytest.raises(RegistrationError) as refused:
            attempt(make, event_session, party_size)
        assert refused.value.field == "party_size"


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"name": "  "}, "name"),
        ({"name": "长" * 51}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"phone": "010-12345678"}, "phone"),
        ({"phone": "+1 415 555 0100"}, "phone"),
        ({"consent": False}, "consent"),
        ({"community_slug": "nowhere"}, "community"),
    ],
)
def test_invalid_input_names_the_field(make, fields, field):
    event_session = make.event_session()
    with pytest.raises(RegistrationError) as refused:
        attempt(make, event_session, **fields)
    assert refused.value.kind == "invalid"
    assert refused.value.field == field
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 0


def test_phone_is_stored_in_e164(make):
    made = attempt(make, make.event_session(), phone="138 0013 8000")
    assert made.phone == "+8613800138000"
    assert made.masked_phone == "138****8000"


def test_one_active_registration_per_phone_per_session(make):
    event_session = make.event_session()
    attempt(make, event_session, phone="13900000000")
    with pytest.raises(RegistrationError) as refused:
        attempt(make, event_session, phone="+86 139 0000 0000")
    assert refused.value.kind == "duplicate"
    # Another session of the same event is fine unless the event says otherwise.
    assert attempt(make, make.event_session(event_session.event), phone="13900000000")


def test_one_registration_per_event_when_the_event_says_so(make):
    event = make.event(one_registration_per_event=True)
    first, second = make.event_session(event), make.event_session(event)
    attempt(make, first, phone="13900000000")
    with pytest.raises(RegistrationError) as refused:
        attempt(make, second, phone="13900000000")
    assert refused.value.kind == "duplicate"


def test_a_day_called_off_does_not_block_another_day_of_the_same_event(make):
    event = make.event(one_registration_per_event=True)
    first, second, third = (
        make.event_session(event),
        make.event_session(event),
        make.event_session(event),
    )
    attempt(make, first, phone="13900000000")
    first.status = SessionStatus.CANCELLED
    first.touch()
    db.session.commit()
    assert attempt(make, second, phone="13900000000").status == CONFIRMED
    # The new day counts again: a third day is still refused.
    with pytest.raises(RegistrationError) as refused:
        attempt(make, third, phone="13900000000")
    assert refused.value.kind == "duplicate"


def test_a_cancelled_registration_frees_the_phone(make):
    event_session = make.event_session()
    made = attempt(make, event_session, phone="13900000000")
    services.cancel(made)
    db.session.commit()
    assert attempt(make, event_session, phone="13900000000").status == CONFIRMED


@pytest.mark.parametrize(
    "change",
    [
        {"status": SessionStatus.CANCELLED},
        {"capacity": 0},
    ],
)
def test_cancelled_or_closed_sessions_refuse(make, change):
    event_session = make.event_session(**change)
    with pytest.raises(RegistrationError) as refused:
        attempt(make, event_session)
    assert refused.value.kind == "closed"


def test_cancelled_event_refuses(make):
    event_session = make.event_session(make.event(status=EventStatus.CANCELLED))
    with pytest.raises(RegistrationError):
        attempt(make, event_session)


def test_past_session_refuses(make):
    event_session = make.event_session(day=(utcnow() - timedelta(days=2)).date())
    with pytest.raises(RegistrationError) as refused:
        attempt(make, event_session)
    assert refused.value.kind == "closed"


def test_registration_window(make):
    now = utcnow()
    not_yet = make.event_session(make.event(registration_opens_at=now + timedelta(days=1)))
    closed = make.event_session(make.event(registration_closes_at=now - timedelta(minutes=1)))
    for event_session in (not_yet, closed):
        with pytest.raises(RegistrationError) as refused:
            attempt(make, event_session)
        assert refused.value.kind == "closed"
    open_now = make.event_session(
        make.event(
            registration_opens_at=now - timedelta(days=1),
            registration_closes_at=now + timedelta(hours=1),
        )
    )
    assert attempt(make, open_now).status == CONFIRMED


def test_draft_event_sessions_cannot_be_registered(make):
    event_session = make.event_session(make.event(status=EventStatus.DRAFT))
    with pytest.raises(NotFoundError):
        attempt(make, event_session)


def test_codes_avoid_look_alike_characters_and_tokens_are_long(make):
    event_session = make.event_session()
    made = [attempt(make, event_session) for _ in range(20)]
    assert len({m.code for m in made}) == 20
    for registration in made:
        assert len(registration.code) == 6
        assert not set(registration.code) & set("0O1IL2Z5S8B6GUVQD")
        assert len(registration.manage_token) >= 32  # 192 random bits, URL-safe
        assert registration.manage_token != registration.feed_token


def test_waitlist_positions_follow_order(make):
    event_session = make.event_session(capacity=1)
    attempt(make, event_session)
    waiting = [attempt(make, event_session) for _ in range(3)]
    assert [services.waitlist_position(w) for w in waiting] == [1, 2, 3]


def test_cancelling_promotes_the_oldest_waitlisted_that_fits(make):
    event_session = make.event_session(capacity=4)
    holder = attempt(make, event_session, 3)
    attempt(make, event_session, 1)
    big = attempt(make, event_session, 4)  # waits: needs the whole session
    small = attempt(make, event_session, 2)
    later = attempt(make, event_session, 1)
    promoted = services.cancel(holder)
    db.session.commit()
    # Three seats free: the family of four still does not fit and keeps its place;
    # the next ones that fit move up, in order.
    assert [r.id for r in promoted] == [small.id, later.id]
    db.session.refresh(big)
    assert big.status == WAITLISTED
    assert services.waitlist_position(big) == 1
    assert small.promoted_at is not None


def test_promotion_respects_slot_capacity(make):
    event_session = make.event_session(capacity=10)
    tcm = make.slot(event_session, "中医科", capacity=1)
    other = make.slot(event_session, "全科", capacity=5)
    holder = attempt(make, event_session, 1, slot_id=tcm.id)
    waiting_other = attempt(make, event_session, 1, slot_id=tcm.id)
    assert waiting_other.status == WAITLISTED
    attempt(make, event_session, 1, slot_id=other.id)
    promoted = services.cancel(holder)
    assert [r.id for r in promoted] == [waiting_other.id]


def test_reducing_the_party_frees_seats_for_the_waitlist(make):
    event_session = make.event_session(capacity=4)
    family = attempt(make, event_session, 4)
    waiting = attempt(make, event_session, 2)
    promoted = services.reduce_party(family, 2)
    db.session.commit()
    assert [r.id for r in promoted] == [waiting.id]
    with pytest.raises(RegistrationError):
        services.reduce_party(family, 3)  # only down
    with pytest.raises(RegistrationError):
        services.reduce_party(family, 0)


def test_cancelling_twice_changes_nothing(make):
    event_session = make.event_session(capacity=1)
    made = attempt(make, event_session)
    services.cancel(made)
    db.session.commit()
    assert services.cancel(made) == []


def test_check_in_warns_on_second_scan_and_refuses_waitlisted_or_cancelled(make):
    user = make.staff()
    event_session = make.event_session(capacity=1)
    made = attempt(make, event_session)
    first = services.check_in(made, actor=user)
    assert not first.already and made.checked_in_at is not None
    assert services.check_in(made, actor=user).already
    waiting = attempt(make, event_session)
    with pytest.raises(RegistrationError) as refused:
        services.check_in(waiting, actor=user)
    assert refused.value.kind == "waitlisted"
    services.cancel(waiting)
    with pytest.raises(RegistrationError) as refused:
        services.check_in(waiting, actor=user)
    assert refused.value.kind == "closed"


def test_token_lookup(make):
    made = attempt(make, make.event_session())
    assert services.by_token(made.manage_token).id == made.id
    last = "B" if made.manage_token.endswith("A") else "A"
    for guess in ("", "x" * 100, made.manage_token[:-1] + last, made.feed_token):
        with pytest.raises(NotFoundError):
            services.by_token(guess)


@pytest.mark.parametrize(("new_capacity", "promoted"), [(3, 1), (4, 2), (None, 2), (2, 0)])
def test_staff_adding_seats_promotes_the_waitlist(make, new_capacity, promoted):
    user = make.staff(is_admin=True)
    event_session = make.event_session(capacity=2)
    for _ in range(4):
        attempt(make, event_session)
    editing.update_session(
        user, event_session, replace(editing.plan_of(event_session), capacity=new_capacity)
    )
    db.session.commit()
    confirmed = db.session.scalar(
        db.select(db.func.count(Registration.id)).where(
            Registration.session_id == event_session.id, Registration.status == CONFIRMED
        )
    )
    assert confirmed == 2 + promoted


def test_nobody_is_promoted_into_a_session_already_under_way(make):
    event_session = make.event_session(capacity=1)
    holder = attempt(make, event_session)
    waiting = attempt(make, event_session)
    event_session.starts_at = utcnow() - timedelta(minutes=5)
    db.session.commit()
    assert services.cancel(holder) == []
    db.session.refresh(waiting)
    assert waiting.status == WAITLISTED


def test_codes_and_keys_are_drawn_from_their_whole_alphabet():
    """One random number gives all the characters of a code (see `random_text`)."""
    from outreach.registrations.services import CODE_ALPHABET, random_text

    drawn = [random_text(CODE_ALPHABET, 6) for _ in range(300)]
    assert all(len(code) == 6 for code in drawn)
    assert set("".join(drawn)) == set(CODE_ALPHABET)
    assert {code[0] for code in drawn} == set(CODE_ALPHABET)
    assert len(set(drawn)) == len(drawn)
