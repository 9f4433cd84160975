"""Reminders: each event's lead time (24 hours unless staff change it); `deliver` queues and
sends each once; a registration cancelled before its reminder gets none."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from outreach.accounts.models import AuditEntry
from outreach.database import db
from outreach.events import editing
from outreach.events.models import Event
from outreach.messages import delivery, services
from outreach.messages.models import MessageKind, MessageStatus
from outreach.registrations import services as registration_services
from tests.factories import SHANGHAI
from tests.messages_support import SmtpServer, outbox, text_part
from tests.web import login, post_form


@pytest.fixture
def smtp(app):
    server = SmtpServer().start()
    server.configure(app)
    yield server
    server.stop()


@pytest.fixture
def session_in_three_days(make):
    """A session three days ahead; registrations made now are well before any lead time."""
    day = datetime.now(SHANGHAI).date() + timedelta(days=3)
    return make.event_session(make.event(title="社区义诊"), day=day, capacity=1)


def reminders(**filters):
    return outbox(kind=MessageKind.REMINDER, **filters)


def test_a_reminder_is_queued_and_sent_once_within_the_lead_time(make, session_in_three_days, smtp):
    starts = session_in_three_days.starts_at
    registration = make.registration(session_in_three_days, email="li@example.org")
    assert services.queue_reminders(starts - timedelta(hours=25)) == 0  # not yet
    report = delivery.deliver_due(starts - timedelta(hours=23))
    assert report.reminders == 1 and report.outcomes["sent"] == 2  # confirmation, reminder
    assert delivery.deliver_due(starts - timedelta(hours=22)).reminders == 0
    assert delivery.deliver_due(starts - timedelta(hours=1)).reminders == 0
    [reminder] = [m for m in smtp.to("li@example.org") if m["Subject"].startswith("活动提醒")]
    assert registration.code in text_part(reminder)
    [message] = reminders()
    assert message.status == MessageStatus.SENT
    assert message.dedupe_key == f"reminder:{registration.id}:{int(starts.timestamp())}"


def test_a_registration_cancelled_before_its_reminder_gets_none(
    client, make, session_in_three_days, smtp
):
    starts = session_in_three_days.starts_at
    staying = make.registration(session_in_three_days, email="stay@example.org")
    leaving = make.registration(session_in_three_days, email="leave@example.org")  # waitlisted
    assert post_form(client, f"/r/{leaving.manage_token}/cancel").status_code == 302
    delivery.deliver_due(starts - timedelta(hours=23))
    assert [m.registration_id for m in reminders()] == [staying.id]
    assert not [m for m in smtp.to("leave@example.org") if "提醒" in m["Subject"]]


def test_cancelled_after_the_reminder_was_queued_it_is_not_sent(
    app, make, session_in_three_days, smtp
):
    starts = session_in_three_days.starts_at
    registration = make.registration(session_in_three_days, email="li@example.org")
    assert services.queue_reminders(starts - timedelta(hours=23)) == 1
    db.session.commit()
    registration_services.cancel(registration)
    db.session.commit()
    delivery.deliver_due(starts - timedelta(hours=23))
    [message] = reminders()
    assert message.status == MessageStatus.SKIPPED
    assert not [m for m in smtp.to("li@example.org") if "提醒" in m["Subject"]]


def test_each_event_has_its_own_lead_time_and_zero_turns_reminders_off(make, session_in_three_days):
    starts = session_in_three_days.starts_at
    make.registration(session_in_three_days, email="li@example.org")
    event = db.session.get(Event, session_in_three_days.event_id)
    event.reminder_hours = 2
    db.session.commit()
    assert services.queue_reminders(starts - timedelta(hours=3)) == 0
    event.reminder_hours = 0
    db.session.commit()
    assert services.queue_reminders(starts - timedelta(hours=1)) == 0
    event.reminder_hours = 2
    db.session.commit()
    assert services.queue_reminders(starts - timedelta(hours=1)) == 1
    assert services.queue_reminders(starts + timedelta(minutes=1)) == 0  # started


def test_who_registered_within_the_lead_time_gets_no_reminder(make, session_in_three_days):
    registration = make.registration(session_in_three_days, email="li@example.org")
    # As if the session were 10 hours after the registration: its confirmation is recent.
    starts = registration.created_at + timedelta(hours=10)
    session_in_three_days.starts_at = starts
    session_in_three_days.ends_at = starts + timedelta(hours=2)
    db.session.commit()
    assert services.queue_reminders(starts - timedelta(hours=9)) == 0


def test_a_waitlisted_resident_is_reminded_of_their_place_in_line(make, session_in_three_days):
    starts = session_in_three_days.starts_at
    make.registration(session_in_three_days)
    waiting = make.registration(session_in_three_days, email="wait@example.org")
    assert services.queue_reminders(starts - timedelta(hours=23)) == 2
    [message] = reminders(registration_id=waiting.id)
    assert "候补" in message.body and "第1位" in message.body


def test_a_rescheduled_session_gets_a_reminder_for_its_new_time(make, session_in_three_days):
    starts = session_in_three_days.starts_at
    registration = make.registration(session_in_three_days, email="li@example.org")
    services.queue_reminders(starts - timedelta(hours=23))
    db.session.commit()
    staff = make.staff(is_admin=True)
    plan = editing.plan_of(session_in_three_days)
    moved = plan.__class__(**{**plan.__dict__, "day": plan.day + timedelta(days=2)})
    editing.update_session(staff, session_in_three_days, moved)
    db.session.commit()
    [old] = reminders()
    assert old.status == MessageStatus.SKIPPED  # the old time's reminder does not go out
    new_starts = session_in_three_days.starts_at
    assert new_starts == starts + timedelta(days=2)
    assert services.queue_reminders(new_starts - timedelta(hours=23)) == 1
    assert [m.status for m in reminders(registration_id=registration.id)] == [
        MessageStatus.SKIPPED,
        MessageStatus.PENDING,
    ]


def _event_form(event, **changes) -> dict:
    data = {
        "title": event.title,
        "summary": event.summary,
        "description": "",
        "category_id": str(event.category_id),
        "organisation_id": str(event.organisation_id),
        "audience": "",
        "status": "published",
        "max_party_size": "4",
        "allow_waitlist": "y",
        "reminder_hours": "24",
    }
    return {**data, **changes}


def test_staff_set_the_lead_time_in_the_event_editor(client, make):
    event = make.event()
    login(client, make.staff(organisation=event.organisation, role="organiser"))
    url = f"/staff/events/{event.id}/edit"
    page = client.get(url).get_data(as_text=True)
    assert 'name="reminder_hours"' in page and 'value="24"' in page
    assert post_form(client, url, _event_form(event, reminder_hours="6")).status_code == 302
    db.session.expire_all()
    assert db.session.get(Event, event.id).reminder_hours == 6
    entry = db.session.scalar(select(AuditEntry).where(AuditEntry.action == "update"))
    assert entry.changes["reminder_hours"] == {"before": 24, "after": 6}
    for typed, message in (
        ("200", "应在0到168之间"),
        ("", "请填写数字"),
        ("soon", "不是有效的整数"),
    ):
        response = post_form(client, url, _event_form(event, reminder_hours=typed))
        assert message in response.get_data(as_text=True)
        db.session.expire_all()
        assert db.session.get(Event, event.id).reminder_hours == 6


def test_a_copied_event_keeps_its_lead_time(client, make):
    event = make.event(reminder_hours=3)
    staff = make.staff(is_admin=True)
    copy = editing.clone_event(staff, event, datetime.now(SHANGHAI).date() + timedelta(days=30))
    db.session.commit()
    assert copy.reminder_hours == 3
