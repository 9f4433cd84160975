"""The outbox: every change a resident should hear of writes its messages in the same
transaction, once, in the resident's language; the retention purge erases them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from outreach.database import db, utcnow
from outreach.events.models import EventSession
from outreach.messages import services
from outreach.messages.models import Message, MessageChannel, MessageKind, MessageStatus
from outreach.registrations import services as registration_services
from outreach.registrations.models import Registration
from tests.messages_support import outbox
from tests.web import login, post_form, register


def kinds(**filters) -> list[str]:
    return [m.kind.value for m in outbox(**filters)]


def test_registering_with_an_email_queues_one_confirmation(client, make):
    event_session = make.event_session(make.event(title="社区义诊"), capacity=20)
    response = register(client, event_session, email="wang@example.org")
    assert response.status_code == 302
    registration = db.session.scalar(select(Registration))
    [message] = outbox()
    assert message.kind == MessageKind.CONFIRMED
    assert message.channel == MessageChannel.EMAIL
    assert message.recipient == "wang@example.org"
    assert message.registration_id == registration.id
    assert message.language == "zh"
    assert message.status == MessageStatus.PENDING and message.attempts == 0
    assert message.dedupe_key == f"confirmed:{registration.id}"
    assert "社区义诊" in message.subject and "报名成功" in message.subject
    assert registration.code in message.body
    assert f"http://localhost/r/{registration.manage_token}" in message.body
    assert registration.code in message.body_html and "<html" in message.body_html


def test_without_an_email_the_message_is_a_text_to_the_mobile(client, make):
    event_session = make.event_session(capacity=20)
    register(client, event_session, email="")
    [message] = outbox()
    assert message.channel == MessageChannel.SMS
    assert message.recipient == "+8613800138000"
    assert message.body_html == ""
    assert "\n" not in message.body and "/s/" in message.body


def test_a_resident_using_english_gets_english(client, make):
    event_session = make.event_session(make.event(title="Health check"), capacity=20)
    client.get("/?lang=en")
    register(client, event_session, email="amy@example.org")
    [message] = outbox()
    assert message.language == "en"
    assert message.subject == "Registration confirmed: Health check"
    assert "Confirmation code" in message.body and "报名" not in message.body


def test_a_refused_registration_queues_nothing(client, make):
    event_session = make.event_session(capacity=20)
    make.registration(event_session, phone="13800138000")
    before = len(outbox())
    response = register(client, event_session)  # the same phone again
    assert response.status_code == 422
    assert len(outbox()) == before


def test_the_message_is_written_in_the_transaction_of_its_change(app, make):
    event_session = make.event_session(capacity=20)
    request = registration_services.RegistrationRequest(
        name="李明", phone="13900000001", party_size=1, consent=True, email="li@example.org"
    )
    registration_services.register(event_session.id, request)
    assert db.session.scalar(select(func.count(Message.id))) == 1  # seen inside it
    db.session.rollback()
    assert db.session.scalar(select(func.count(Message.id))) == 0
    assert db.session.scalar(select(func.count(Registration.id))) == 0


def test_waitlisted_promoted_and_cancelled_residents_are_told(client, make):
    event_session = make.event_session(capacity=1)
    first = make.registration(event_session, email="first@example.org")
    second = make.registration(event_session, email="second@example.org")
    assert kinds(registration_id=second.id) == ["waitlisted"]
    assert "1" in outbox(registration_id=second.id)[0].body  # number 1 in line
    response = post_form(client, f"/r/{first.manage_token}/cancel")
    assert response.status_code == 302
    assert kinds(registration_id=first.id) == ["confirmed", "cancelled"]
    assert kinds(registration_id=second.id) == ["waitlisted", "promoted"]


def test_a_walk_in_registered_by_staff_is_confirmed_too(client, make):
    event = make.event()
    event_session = make.event_session(event, capacity=5)
    login(client, make.staff(organisation=event.organisation, role="checker"))
    data = {
        "walkin-name": "李大爷",
        "walkin-phone": "139 1000 2000",
        "walkin-party_size": "1",
        "walkin-consent": "y",
    }
    response = post_form(client, f"/staff/sessions/{event_session.id}/walk-in", data)
    assert response.status_code == 302
    [message] = outbox()
    assert message.kind == MessageKind.CONFIRMED and message.recipient == "+8613910002000"


def _staff_world(make, client, registrations=3):
    event = make.event(title="三天义诊")
    event_session = make.event_session(event, capacity=10)
    people = [
        make.registration(event_session, email=f"r{n}@example.org") for n in range(registrations)
    ]
    login(client, make.staff(organisation=event.organisation, role="organiser"))
    return event, event_session, people


def test_cancelling_a_session_notifies_every_active_registrant_once(client, make):
    event, event_session, people = _staff_world(make, client)
    gone = make.registration(event_session, email="gone@example.org")
    post_form(client, f"/r/{gone.manage_token}/cancel")
    url = f"/staff/events/{event.id}/sessions/{event_session.id}/cancel"
    response = post_form(client, url, {"reason": "暴雨预警"})
    assert response.status_code == 302
    cancelled = outbox(kind=MessageKind.SESSION_CANCELLED)
    assert sorted(m.recipient for m in cancelled) == sorted(p.email for p in people)
    assert all("暴雨预警" in m.body for m in cancelled)
    # Cancelling again is refused and writes nothing more.
    post_form(client, url, {"reason": "again"})
    assert len(outbox(kind=MessageKind.SESSION_CANCELLED)) == 3


def test_back_on_and_off_again_notifies_each_time(client, make):
    event, event_session, people = _staff_world(make, client, registrations=2)
    base = f"/staff/events/{event.id}/sessions/{event_session.id}"
    post_form(client, f"{base}/cancel", {"reason": "场地维修"})
    post_form(client, f"{base}/restore")
    post_form(client, f"{base}/cancel", {"reason": "场地维修"})
    assert kinds(registration_id=people[0].id) == [
        "confirmed",
        "session_cancelled",
        "session_restored",
        "session_cancelled",
    ]


def test_rescheduling_tells_registrants_the_new_and_the_old_time(client, make):
    event, event_session, people = _staff_world(make, client, registrations=2)
    new_day = (utcnow() + timedelta(days=5)).astimezone(make.SHANGHAI).date()
    data = {
        "day": new_day.isoformat(),
        "start": "14:00",
        "end": "16:00",
        "venue": event_session.venue_id,
        "capacity": "10",
    }
    url = f"/staff/events/{event.id}/sessions/{event_session.id}/edit"
    response = post_form(client, url, data)
    assert response.status_code == 302
    changed = outbox(kind=MessageKind.SESSION_RESCHEDULED)
    assert len(changed) == 2
    assert "14:00–16:00" in changed[0].body
    assert "09:00" in changed[0].body  # the time before the change


def test_more_seats_alone_send_no_notice_to_the_confirmed(client, make):
    event, event_session, people = _staff_world(make, client, registrations=1)
    day = event_session.starts_at.astimezone(make.SHANGHAI).date()
    data = {"day": day.isoformat(), "start": "09:00", "end": "11:00"}
    data |= {"venue": event_session.venue_id, "capacity": "50"}
    post_form(client, f"/staff/events/{event.id}/sessions/{event_session.id}/edit", data)
    assert kinds() == ["confirmed"]


def test_cancelling_the_whole_event_notifies_registrants_of_sessions_still_on(client, make):
    event, first, people = _staff_world(make, client, registrations=1)
    second = make.event_session(event, capacity=10)
    other = make.registration(second, email="other@example.org")
    base = f"/staff/events/{event.id}"
    post_form(client, f"{base}/sessions/{second.id}/cancel", {"reason": "单独取消"})
    post_form(client, f"{base}/cancel", {"reason": "活动取消"})
    assert kinds(registration_id=people[0].id) == ["confirmed", "session_cancelled"]
    # The session cancelled on its own earlier is not announced a second time.
    assert kinds(registration_id=other.id) == ["confirmed", "session_cancelled"]
    assert "活动取消" in outbox(registration_id=people[0].id)[-1].body


def test_the_same_notice_is_never_queued_twice(app, make):
    event_session = make.event_session(capacity=10)
    registration = make.registration(event_session, email="a@example.org")
    for _attempt in range(2):
        services.queue(MessageKind.REMINDER, [registration], lambda r: f"test:{r.id}")
    db.session.commit()
    assert len(outbox(dedupe_key=f"test:{registration.id}")) == 1


def test_the_purge_erases_addresses_and_bodies_of_messages(app, make, runner):
    event_session = make.event_session(capacity=10)
    registration = make.registration(event_session, email="old@example.org")
    sent = outbox()[0]
    sent.status, sent.sent_at = MessageStatus.SENT, utcnow()
    services.queue(MessageKind.REMINDER, [registration], lambda r: f"late:{r.id}")
    # The session ended long ago.
    session_row = db.session.get(EventSession, event_session.id)
    session_row.starts_at = utcnow() - timedelta(days=200)
    session_row.ends_at = session_row.starts_at + timedelta(hours=2)
    db.session.commit()
    result = runner.invoke(args=["purge-personal-data", "--no-vacuum"])  # in a transaction
    assert "Purged 1" in result.output
    messages = outbox()
    assert len(messages) == 2
    for message in messages:
        assert message.recipient == "" and message.body == "" and message.body_html == ""
        assert message.subject == ""
        assert "old@example.org" not in message.last_error
    assert [m.status for m in messages] == [MessageStatus.SENT, MessageStatus.SKIPPED]
