"""Changing, cancelling and restoring one session of an event."""

from __future__ import annotations

from datetime import time, timedelta

import pytest

from outreach.database import db
from outreach.events.models import SessionStatus
from tests.factories import local
from tests.staff.support import (
    BAD_ROWS,
    TOMORROW,
    audit_entries,
    fresh,
    session_form,
    session_url,
    text_of,
)
from tests.web import post_form


def test_edit_form_shows_the_session_in_local_time(client, org, login_as):
    login_as(org["organiser"])
    text = text_of(client.get(session_url(org, "edit")))
    assert f'value="{TOMORROW.isoformat()}"' in text
    assert 'value="09:00"' in text and 'value="11:00"' in text and 'value="20"' in text


def test_rescheduling_bumps_sequence_and_records_before_and_after(client, org, place, login_as):
    event_session = org["session"]
    old_start, old_updated = event_session.starts_at, event_session.updated_at
    login_as(org["organiser"])
    data = session_form(place["chenguang"], TOMORROW + timedelta(days=2), "14:00", "16:00")
    response = post_form(client, session_url(org, "edit"), {**data, "capacity": "20"})
    assert response.status_code == 302
    changed = fresh(event_session)
    assert changed.starts_at == local(TOMORROW + timedelta(days=2), time(14, 0))
    assert changed.venue_id == place["chenguang"].id
    assert changed.sequence == 1 and changed.updated_at > old_updated
    [entry] = audit_entries("reschedule")
    assert entry.target_type == "event_session" and entry.target_id == event_session.id
    assert entry.changes["starts_at"]["before"] == old_start.isoformat()
    assert entry.changes["starts_at"]["after"] == changed.starts_at.isoformat()
    assert entry.changes["venue_id"]["after"] == place["chenguang"].id
    assert "capacity" not in entry.changes


def test_changing_only_the_places_is_an_update(client, org, login_as):
    event_session = org["session"]
    login_as(org["organiser"])
    data = session_form(event_session.venue, capacity="")
    post_form(client, session_url(org, "edit"), data)
    assert fresh(event_session).capacity is None
    assert fresh(event_session).sequence == 1
    [entry] = audit_entries()
    assert entry.action == "update"
    assert entry.changes == {"capacity": {"before": 20, "after": None}}


def test_turning_a_session_all_day(client, org, login_as):
    event_session = org["session"]
    login_as(org["organiser"])
    data = session_form(event_session.venue, start="", end="", all_day="y", capacity="20")
    assert post_form(client, session_url(org, "edit"), data).status_code == 302
    changed = fresh(event_session)
    assert changed.all_day
    assert changed.starts_at == local(TOMORROW, time(0, 0))
    assert changed.ends_at == local(TOMORROW + timedelta(days=1), time(0, 0))


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS[:12])
def test_session_form_explains_what_is_wrong(english, org, place, login_as, bad, message):
    login_as(org["organiser"])
    data = {**session_form(place["xuante"]), **bad}
    response = post_form(english, session_url(org, "edit"), data)
    assert response.status_code == 200
    assert message in text_of(response)
    assert fresh(org["session"]).sequence == 0
    assert audit_entries() == []


def test_cancelling_a_session_needs_a_reason(english, org, login_as):
    login_as(org["organiser"])
    response = post_form(english, session_url(org, "cancel"), {"reason": "  "})
    assert response.status_code == 200
    assert "Please give the reason; residents will see it." in text_of(response)
    assert fresh(org["session"]).status == SessionStatus.SCHEDULED


def test_cancelled_session_is_marked_with_its_reason_in_public(client, org, login_as):
    event_session = org["session"]
    login_as(org["organiser"])
    response = post_form(client, session_url(org, "cancel"), {"reason": "专家临时有会"})
    assert response.status_code == 302
    cancelled = fresh(event_session)
    assert cancelled.status == SessionStatus.CANCELLED
    assert cancelled.cancellation_reason == "专家临时有会"
    assert cancelled.sequence == 1
    [entry] = audit_entries("cancel")
    assert entry.changes == {
        "status": {"before": "scheduled", "after": "cancelled"},
        "cancellation_reason": {"before": "", "after": "专家临时有会"},
    }
    public = text_of(client.get(f"/events/{org['event'].id}"))
    assert "已取消</strong>：专家临时有会" in public


def test_restoring_a_session_puts_it_back_on(client, org, login_as):
    event_session = org["session"]
    event_session.status = SessionStatus.CANCELLED
    event_session.cancellation_reason = "下雨"
    db.session.commit()
    login_as(org["organiser"])
    assert post_form(client, session_url(org, "restore")).status_code == 302
    restored = fresh(event_session)
    assert restored.status == SessionStatus.SCHEDULED and restored.cancellation_reason == ""
    assert restored.sequence == 1
    assert [entry.action for entry in audit_entries()] == ["restore"]


def test_cancelling_twice_is_refused_politely(english, org, login_as):
    login_as(org["organiser"])
    post_form(english, session_url(org, "cancel"), {"reason": "下雨"})
    response = post_form(english, session_url(org, "cancel"), {"reason": "又下雨"})
    assert response.status_code == 302
    assert "This session is already cancelled." in text_of(english.get(response.location))
    assert fresh(org["session"]).cancellation_reason == "下雨"
    assert fresh(org["session"]).sequence == 1
