"""Cancelling, restoring, deleting and cloning a whole event."""

from __future__ import annotations

from datetime import date, time

import pytest
from sqlalchemy import select

from outreach.database import db
from outreach.events.models import Event, EventSession, EventStatus, SessionStatus
from tests.factories import local
from tests.staff.support import audit_entries, count, event_form, fresh, local_date_of, text_of
from tests.web import post_form

# ---------------------------------------------------------------------------------------------
# Cancelling, restoring and deleting a whole event


def test_cancelling_an_event_marks_every_session_and_touches_it(client, org, login_as):
    login_as(org["organiser"])
    url = f"/staff/events/{org['event'].id}/cancel"
    assert post_form(client, url, {"reason": "台风预警"}).status_code == 302
    event = fresh(org["event"])
    assert (event.status, event.cancellation_reason) == (EventStatus.CANCELLED, "台风预警")
    assert all(s.sequence == 1 for s in event.sessions)
    [entry] = audit_entries("cancel")
    assert entry.target_type == "event"
    assert entry.changes["status"] == {"before": "published", "after": "cancelled"}
    public = text_of(client.get(f"/events/{event.id}"))
    assert "台风预警" in public
    # The event's banner ("此活动已取消：…") and each of the two session cards.
    assert public.count("已取消</strong>：台风预警") == 3


def test_cancelling_an_event_needs_a_reason(english, org, login_as):
    login_as(org["organiser"])
    response = post_form(english, f"/staff/events/{org['event'].id}/cancel", {"reason": ""})
    assert "Please give the reason; residents will see it." in text_of(response)
    assert fresh(org["event"]).status == EventStatus.PUBLISHED


def test_a_cancelled_event_can_be_restored(client, org, login_as):
    login_as(org["organiser"])
    post_form(client, f"/staff/events/{org['event'].id}/cancel", {"reason": "台风"})
    assert post_form(client, f"/staff/events/{org['event'].id}/restore").status_code == 302
    event = fresh(org["event"])
    assert (event.status, event.cancellation_reason) == (EventStatus.PUBLISHED, "")
    assert all(s.sequence == 2 for s in event.sessions)
    assert [entry.action for entry in audit_entries()] == ["cancel", "restore"]


def test_editing_a_cancelled_event_keeps_it_cancelled(client, org, login_as):
    login_as(org["organiser"])
    post_form(client, f"/staff/events/{org['event'].id}/cancel", {"reason": "台风"})
    text = text_of(client.get(f"/staff/events/{org['event'].id}/edit"))
    assert 'name="status"' not in text
    data = event_form(org, title="新名字")
    del data["status"]
    assert post_form(client, f"/staff/events/{org['event'].id}/edit", data).status_code == 302
    assert fresh(org["event"]).status == EventStatus.CANCELLED


def test_a_draft_cannot_be_cancelled(english, org, make, login_as):
    draft = make.event(organisation=org["centre"], status=EventStatus.DRAFT)
    login_as(org["organiser"])
    response = post_form(english, f"/staff/events/{draft.id}/cancel", {"reason": "x"})
    assert "delete it rather than cancel it" in text_of(english.get(response.location))
    assert fresh(draft).status == EventStatus.DRAFT


def test_deleting_a_draft_keeps_an_audit_entry_naming_it(client, org, make, login_as):
    draft = make.event("草稿活动", organisation=org["centre"], status=EventStatus.DRAFT)
    make.event_session(draft)
    draft_id = draft.id
    login_as(org["organiser"])
    assert client.get(f"/staff/events/{draft_id}/delete").status_code == 200
    response = post_form(client, f"/staff/events/{draft_id}/delete")
    assert response.headers["Location"] == "/staff/events"
    db.session.expire_all()
    assert db.session.get(Event, draft_id) is None
    assert count(EventSession) == 2
    [entry] = audit_entries("delete")
    assert (entry.target_id, entry.target_label) == (draft_id, "草稿活动")
    assert entry.changes["title"] == {"before": "草稿活动", "after": None}


def test_deleting_a_published_event_is_refused(english, org, login_as):
    login_as(org["organiser"])
    response = post_form(english, f"/staff/events/{org['event'].id}/delete")
    assert response.status_code == 302
    message = "Only drafts can be deleted; cancel a published event instead."
    assert message in text_of(english.get(response.location))
    assert fresh(org["event"]) is not None
    assert audit_entries() == []


# ---------------------------------------------------------------------------------------------
# Cloning


def test_clone_shifts_sessions_across_a_month_end_keeping_local_times(
    client, org, place, make, login_as
):
    source = make.event(
        "生态日",
        organisation=org["centre"],
        category=org["category"],
        max_party_size=2,
        registration_opens_at=local(date(2030, 1, 20), time(8, 0)),
    )
    make.event_session(
        source, place["xuante"], day=date(2030, 1, 30), start=time(9, 0), capacity=30
    )
    make.event_session(source, place["chenguang"], day=date(2030, 2, 1), start=time(14, 0))
    make.event_session(
        source,
        place["daxiyang"],
        day=date(2030, 1, 29),
        status=SessionStatus.CANCELLED,
        cancellation_reason="下雨",
    )
    old_uids = {s.uid for s in source.sessions}
    login_as(org["organiser"])
    data = {"first_day": "2030-03-30", "title": "生态日（第二轮）"}
    response = post_form(client, f"/staff/events/{source.id}/clone", data)
    copy = db.session.scalar(select(Event).where(Event.title == "生态日（第二轮）"))
    assert response.headers["Location"] == f"/staff/events/{copy.id}/sessions"
    assert copy.status == EventStatus.DRAFT
    assert (copy.organisation_id, copy.category_id) == (org["centre"].id, org["category"].id)
    assert [(s.starts_at, s.venue_id, s.capacity) for s in copy.sessions] == [
        (local(date(2030, 3, 30), time(9, 0)), place["xuante"].id, 30),
        (local(date(2030, 4, 1), time(14, 0)), place["chenguang"].id, None),
    ]
    assert copy.sessions[1].ends_at == local(date(2030, 4, 1), time(16, 0))
    assert not old_uids & {s.uid for s in copy.sessions}
    assert copy.max_party_size == 2
    # Ten days before the first session, as in the original (20 January → 30 January).
    assert copy.registration_opens_at == local(date(2030, 3, 20), time(8, 0))
    assert copy.registration_closes_at is None
    [entry] = audit_entries("clone")
    assert entry.target_id == copy.id
    assert entry.changes["cloned_from"]["after"] == source.id


def test_clone_keeps_the_title_when_none_is_given(client, org, login_as):
    login_as(org["organiser"])
    post_form(client, f"/staff/events/{org['event'].id}/clone", {"first_day": "2031-05-01"})
    copies = db.session.scalars(select(Event).where(Event.title == "专家义诊")).all()
    assert len(copies) == 2
    copy = max(copies, key=lambda event: event.id)
    assert local_date_of(copy.sessions[0]) == date(2031, 5, 1)
    assert local_date_of(copy.sessions[1]) == date(2031, 5, 2)


@pytest.mark.parametrize(
    ("first_day", "message"),
    [
        ("", "Please enter the new first date."),
        ("2031-02-30", "“2031-02-30” is not a date"),
        ("1999-12-31", "Please enter a date from 2000 to 2100."),
    ],
)
def test_clone_form_explains_a_bad_date(english, org, login_as, first_day, message):
    login_as(org["organiser"])
    url = f"/staff/events/{org['event'].id}/clone"
    response = post_form(english, url, {"first_day": first_day})
    assert response.status_code == 200
    assert message in text_of(response)
    assert count(Event) == 1
