"""The desk for people without a mobile phone, and more seats added on the spot.

A walk-in or proxy registration made by staff may leave the mobile number out when "No mobile
phone" is ticked and a note says how to reach the resident; it is exempt from the one-number
rule, marked on the roster and in exports, and gets no messages. Managers and organisers may
add seats to a full session or slot at the desk; checkers may not.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from outreach.accounts.models import AuditEntry
from outreach.database import db, utcnow
from outreach.events import editing
from outreach.events.models import EventSession
from outreach.messages import services as message_services
from outreach.messages.models import Message, NoticeSegment
from outreach.registrations import retention
from outreach.registrations import services as registration_services
from outreach.registrations.models import Registration, RegistrationStatus, Slot
from tests.test_roster import fresh, text_of, url_for, walk_in_data
from tests.web import login, post_form, register

NOTE = "女儿李红代报，家中座机 010-6512 3456"


@pytest.fixture
def desk(make, client):
    """Organisation A's session (6 seats) with Wang's registration of three; A's staff.

    The client's interface is English, so messages are asserted in English.
    """
    client.set_cookie("lang", "en")
    centre = make.organisation(slug="centre")
    event = make.event(organisation=centre)
    event_session = make.event_session(event, capacity=6)
    wang = make.registration(event_session, 3, name="王秀英", phone="13800138000")
    users = {
        role: make.staff(role, organisation=centre, role=role)
        for role in ("checker", "organiser", "manager")
    }
    return SimpleNamespace(
        event=event, session=event_session, wang=wang, users=users, url=url_for(event_session)
    )


def no_phone_data(**fields) -> dict[str, str]:
    values = {"phone": "", "no_phone": "y", "contact_note": NOTE, "name": "孙奶奶"}
    values.update(fields)
    return walk_in_data(**values)


def walk_in_without_phone(client, event_session, **fields):
    return post_form(client, url_for(event_session, "walk-in"), no_phone_data(**fields))


def registrations() -> int:
    return db.session.scalar(select(func.count(Registration.id)))


def made(name: str = "孙奶奶") -> Registration:
    db.session.expire_all()
    return db.session.scalar(select(Registration).where(Registration.name == name))


# ---------------------------------------------------------------------------------------------
# Registering without a mobile phone


def test_a_walk_in_without_a_phone_is_registered_with_its_note(client, desk):
    checker = desk.users["checker"]
    login(client, checker)
    response = walk_in_without_phone(client, desk.session)
    assert response.status_code == 302
    registration = made()
    assert registration.phone is None and registration.contact_note == NOTE
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.created_by_id == checker.id
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "walk-in"))
    assert entry.target_id == registration.id
    page = text_of(client.get(desk.url))
    assert f"Registered 孙奶奶, confirmed. Code: {registration.code}" in page


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"contact_note": ""}, "contact_note", "Please write how to reach the resident"),
        ({"contact_note": "   "}, "contact_note", "Please write how to reach the resident"),
        ({"contact_note": "座" * 101}, "contact_note", "up to 100 characters"),
        ({"no_phone": None}, "phone", "or tick “No mobile phone”"),
        ({"phone": "13910002000"}, "phone", "Leave the mobile number empty"),
    ],
)
def test_without_a_phone_the_note_is_needed_and_the_choice_must_be_clear(
    client, desk, fields, field, message
):
    login(client, desk.users["checker"])
    response = walk_in_without_phone(client, desk.session, **fields)
    assert response.status_code == 422
    text = text_of(response)
    assert message in text
    assert f'id="walkin-{field}-errors"' in text
    assert registrations() == 1
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0


def test_people_without_a_phone_are_exempt_from_the_one_number_rule(client, desk, make):
    event = desk.event
    event.one_registration_per_event = True
    db.session.commit()
    other_day = make.event_session(event, capacity=6)
    login(client, desk.users["checker"])
    for event_session, name in (
        (desk.session, "孙奶奶"),
        (desk.session, "周爷爷"),
        (other_day, "孙奶奶"),
    ):
        response = walk_in_without_phone(client, event_session, name=name, party_size="1")
        assert response.status_code == 302, text_of(response)
    assert registrations() == 4
    tokens = db.session.scalars(
        select(Registration.feed_token).where(Registration.phone.is_(None))
    ).all()
    assert len(set(tokens)) == 3  # no feed shared through a missing number


def test_residents_and_the_api_still_need_a_phone(client, desk):
    response = register(client, desk.session, phone="", no_phone="y", contact_note=NOTE)
    assert response.status_code == 422
    response = client.post(
        f"/api/v1/sessions/{desk.session.id}/registrations",
        json={"name": "孙奶奶", "party_size": 1, "consent": True, "no_phone": True},
    )
    assert response.status_code in (400, 422)
    assert registrations() == 1


def test_the_rules_refuse_a_resident_registration_without_a_phone(desk):
    request = registration_services.RegistrationRequest(
        name="孙奶奶",
        phone="",
        party_size=1,
        consent=True,
        no_phone=True,
        contact_note=NOTE,
        phone_verified=True,
    )
    with pytest.raises(registration_services.RegistrationError) as refused:
        registration_services.register(desk.session.id, request)
    assert refused.value.field == "phone"


def test_the_roster_marks_them_and_masks_numbers_in_the_note_for_checkers(client, desk):
    login(client, desk.users["checker"])
    walk_in_without_phone(client, desk.session)
    registration = made()
    page = text_of(client.get(desk.url))
    row = page.split(f'id="registration-{registration.id}"', 1)[1].split("</tr>", 1)[0]
    assert "No mobile phone" in row
    assert "女儿李红代报" in row and "6512 3456" not in row and "3456" in row
    login(client, desk.users["manager"])
    page = text_of(client.get(desk.url))
    row = page.split(f'id="registration-{registration.id}"', 1)[1].split("</tr>", 1)[0]
    assert "No mobile phone" in row and NOTE in row


def test_the_csv_export_marks_them_with_the_note(client, desk):
    login(client, desk.users["manager"])
    walk_in_without_phone(client, desk.session)
    registration = made()
    response = client.get(url_for(desk.session, "roster.csv"))
    table = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    row = dict(zip(table[0], next(r for r in table if r[0] == registration.code), strict=True))
    assert row["Mobile number"] == f"No mobile phone: {NOTE}"


# ---------------------------------------------------------------------------------------------
# No messages for them, and nothing chokes on the missing number


def test_they_get_no_messages_and_the_others_still_do(client, desk, make):
    login(client, desk.users["organiser"])
    before = db.session.scalar(select(func.count(Message.id)))
    walk_in_without_phone(client, desk.session, party_size="1")
    registration = made()
    assert db.session.scalar(select(func.count(Message.id))) == before
    organiser = desk.users["organiser"]
    notice = message_services.send_notice(
        organiser,
        desk.event,
        session_id=desk.session.id,
        segment=NoticeSegment.ALL,
        subject="带上医保卡",
        body="请带上医保卡。",
        form_key="no-phone-notice",
    )
    assert notice.recipients == 1  # Wang only
    reminders = message_services.queue_reminders(now=desk.session.starts_at - timedelta(hours=1))
    assert reminders >= 0
    editing.cancel_session(organiser, db.session.get(EventSession, desk.session.id), "雨")
    db.session.flush()
    assert not db.session.scalars(
        select(Message).where(Message.registration_id == registration.id)
    ).all()
    post = post_form(client, url_for(desk.session, f"registrations/{registration.id}/cancel"))
    assert post.status_code == 302


def test_the_purge_erases_the_note(desk, make, client):
    login(client, desk.users["checker"])
    walk_in_without_phone(client, desk.session)
    event_session = db.session.get(EventSession, desk.session.id)
    event_session.ends_at = utcnow() - timedelta(days=100)
    event_session.starts_at = event_session.ends_at - timedelta(hours=2)
    db.session.commit()
    assert retention.purge_batch(90) == 2
    db.session.commit()
    registration = made("")
    assert registration.purged_at is not None
    assert registration.contact_note is None and registration.name == ""
    assert not db.session.scalar(
        select(func.count(Registration.id)).where(Registration.contact_note.is_not(None))
    )


# ---------------------------------------------------------------------------------------------
# Adding seats at the desk


def add_seats(client, event_session, **fields):
    data = {"seats": "2"} | fields
    return post_form(
        client, url_for(event_session, "seats"), {f"seats-{k}": v for k, v in data.items()}
    )


def test_an_organiser_adds_seats_and_the_waitlist_moves_up(client, desk, make):
    make.registration(desk.session, 3, name="赵大妈")
    waiting = make.registration(desk.session, 2, name="吴奶奶")
    assert waiting.status == RegistrationStatus.WAITLISTED
    organiser = desk.users["organiser"]
    login(client, organiser)
    response = add_seats(client, desk.session)
    assert response.status_code == 302
    assert fresh(desk.session).capacity == 8
    assert fresh(waiting).status == RegistrationStatus.CONFIRMED
    entry = db.session.scalar(
        select(AuditEntry).where(
            AuditEntry.target_type == "event_session",
            AuditEntry.target_id == desk.session.id,
        )
    )
    assert entry.actor_id == organiser.id
    assert entry.changes["capacity"] == {"before": 6, "after": 8}
    page = text_of(client.get(response.headers["Location"]))
    assert "2 places added" in page
    assert "moved up from the waitlist" in page


def test_seats_added_to_a_slot_lift_the_session_limit_as_needed(client, desk, make):
    tcm = make.slot(desk.session, "中医科", capacity=3)
    make.registration(desk.session, 3, slot_id=tcm.id, name="赵大妈")
    waiting = make.registration(desk.session, 1, slot_id=tcm.id, name="吴奶奶")
    assert waiting.status == RegistrationStatus.WAITLISTED
    login(client, desk.users["manager"])
    response = add_seats(client, desk.session, seats="1", slot=str(tcm.id))
    assert response.status_code == 302
    assert fresh(tcm).capacity == 4
    assert fresh(desk.session).capacity == 7  # 6 taken: one more seat was needed
    assert fresh(waiting).status == RegistrationStatus.CONFIRMED
    actions = db.session.scalars(select(AuditEntry.target_type)).all()
    assert sorted(actions) == ["event_session", "slot"]


def test_checkers_may_not_add_seats(client, desk):
    login(client, desk.users["checker"])
    assert add_seats(client, desk.session).status_code == 403
    assert fresh(desk.session).capacity == 6
    page = text_of(client.get(desk.url))
    assert 'id="add-seats"' not in page
    login(client, desk.users["organiser"])
    assert 'id="add-seats"' in text_of(client.get(desk.url))


@pytest.mark.parametrize("seats", ["0", "-1", "51", "two", ""])
def test_a_wrong_number_of_seats_changes_nothing(client, desk, seats):
    login(client, desk.users["organiser"])
    response = add_seats(client, desk.session, seats=seats)
    assert response.status_code == 302
    assert fresh(desk.session).capacity == 6
    assert db.session.scalar(select(func.count(AuditEntry.id))) == 0
    page = text_of(client.get(response.headers["Location"]))
    assert "between 1 and 50" in page or "Please enter" in page


def test_a_session_without_a_limit_needs_no_seats(client, desk, make):
    open_session = make.event_session(desk.event, capacity=None)
    login(client, desk.users["organiser"])
    response = add_seats(client, open_session)
    assert fresh(open_session).capacity is None
    assert "has no limit" in text_of(client.get(response.headers["Location"]))


def test_a_slot_of_another_session_is_refused(client, desk, make):
    elsewhere = make.slot(make.event_session(desk.event, capacity=5), capacity=2)
    login(client, desk.users["organiser"])
    add_seats(client, desk.session, slot=str(elsewhere.id))
    assert db.session.get(Slot, elsewhere.id).capacity == 2
    assert fresh(desk.session).capacity == 6


def test_an_email_address_given_for_them_is_still_written_to(client, desk):
    login(client, desk.users["checker"])
    walk_in_without_phone(client, desk.session, email="lihong@example.org")
    registration = made()
    [message] = db.session.scalars(
        select(Message).where(Message.registration_id == registration.id)
    ).all()
    assert message.recipient == "lihong@example.org"
