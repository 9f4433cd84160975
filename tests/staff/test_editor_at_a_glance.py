"""The editor at a glance: registration counts on the staff lists, publishing a draft where
it is listed, and each event's contact person."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.database import db
from outreach.events.models import Event, EventStatus, SessionStatus
from tests.staff.support import audit_entries, event_form, fresh, page_text
from tests.web import post_form


@pytest.fixture
def busy(make, org):
    """The first session (20 places) with 5 people confirmed and, when full, 2 waitlisted."""
    small = make.event_session(org["event"], capacity=3)
    make.registration(org["session"], party_size=3)
    make.registration(org["session"], party_size=2)
    make.registration(small, party_size=3)
    make.registration(small, party_size=2)  # no room: waitlisted
    return {"small": small}


def _row(text: str, row_id: str) -> str:
    return text.split(f'id="{row_id}"')[1].split("</tr>")[0]


def test_sessions_page_counts_confirmed_people_against_capacity_and_the_waitlist(
    client, org, login_as, english, busy
):
    login_as(org["organiser"])
    text = page_text(client.get(f"/staff/events/{org['event'].id}/sessions"))
    assert "5 / 20 confirmed" in _row(text, f"session-{org['session'].id}")
    small = _row(text, f"session-{busy['small'].id}")
    assert "3 / 3 confirmed" in small and "2 waitlisted" in small
    assert "0 confirmed, no limit" in _row(text, f"session-{org['second'].id}")


def test_events_list_sums_each_events_sessions(client, org, login_as, english, busy):
    login_as(org["organiser"])
    text = page_text(client.get("/staff/events"))
    row = _row(text, f"event-{org['event'].id}")
    # 20 + 3 places and a session without a limit: the total has no limit either.
    assert "8 confirmed, no limit" in row and "2 waitlisted" in row


def test_events_list_totals_the_places_when_every_session_has_a_limit(
    client, org, make, login_as, english
):
    login_as(org["organiser"])
    event = make.event("限额活动", organisation=org["centre"])
    make.registration(make.event_session(event, capacity=10), party_size=4)
    make.event_session(event, capacity=5)
    text = page_text(client.get("/staff/events"))
    assert "4 / 15 confirmed" in _row(text, f"event-{event.id}")


def test_events_list_leaves_out_sessions_called_off(client, org, make, login_as, english):
    login_as(org["organiser"])
    event = make.event("部分取消的活动", organisation=org["centre"])
    make.registration(make.event_session(event, capacity=10), party_size=4)
    called_off = make.event_session(event, capacity=5)
    make.registration(called_off, party_size=2)
    called_off.status = SessionStatus.CANCELLED
    db.session.flush()
    text = page_text(client.get("/staff/events"))
    assert "4 / 10 confirmed" in _row(text, f"event-{event.id}")


def test_dashboard_counts_each_coming_session(client, org, login_as, english, busy):
    login_as(org["organiser"])
    text = page_text(client.get("/staff/"))
    upcoming = text.split('id="upcoming"')[1].split('id="drafts"')[0]
    assert "5 / 20 confirmed" in upcoming
    assert "3 / 3 confirmed" in upcoming and "2 waitlisted" in upcoming


@pytest.mark.parametrize("url", ["/staff/", "/staff/events", "/staff/events/{event}/sessions"])
def test_counting_takes_one_query_whatever_the_number_of_rows(
    client, org, make, login_as, count_queries, url
):
    url = url.format(event=org["event"].id)
    login_as(org["organiser"])
    make.registration(org["session"])
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for _ in range(5):
        event_session = make.event_session(org["event"], capacity=4)
        make.registration(event_session, party_size=4)
        make.registration(event_session)
        make.event_session(make.event(organisation=org["centre"]))
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)
    assert sum("sum(registration.party_size)" in s.lower() for s in many) == 1


# ---------------------------------------------------------------------------------------------
# Publishing where a draft is listed


@pytest.fixture
def draft(make, org):
    return make.event("待发布的活动", organisation=org["centre"], status=EventStatus.DRAFT)


@pytest.mark.parametrize("page", ["/staff/", "/staff/events"])
def test_a_listed_draft_has_a_publish_button(client, org, login_as, english, draft, page):
    login_as(org["organiser"])
    text = page_text(client.get(page))
    action = f'action="/staff/events/{draft.id}/publish"'
    assert action in text
    assert text.count('/publish"') == 1  # published events have none


def test_checker_is_offered_no_publish_button(client, org, login_as, english, draft):
    login_as(org["checker"])
    assert "/publish" not in page_text(client.get("/staff/"))


def test_publishing_a_draft_makes_it_public_and_is_audited(client, org, login_as, english, draft):
    login_as(org["organiser"])
    response = post_form(client, f"/staff/events/{draft.id}/publish", {"back": "dashboard"})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    assert fresh(draft).status == EventStatus.PUBLISHED
    assert [e.action for e in audit_entries(target_type="event")] == ["update", "publish"]
    assert "has been published" in page_text(client.get("/staff/"))


def test_publish_goes_back_only_to_a_staff_page(client, org, login_as, draft):
    login_as(org["organiser"])
    response = post_form(
        client, f"/staff/events/{draft.id}/publish", {"back": "https://evil.example/"}
    )
    assert response.headers["Location"] == "/staff/events"


def test_publishing_twice_is_refused_politely(client, org, login_as, english):
    login_as(org["organiser"])
    response = post_form(client, f"/staff/events/{org['event'].id}/publish")
    assert response.status_code == 302
    assert "Only a draft can be published." in page_text(client.get("/staff/events"))
    assert audit_entries(target_type="event") == []


def test_publish_needs_the_csrf_token(client, org, login_as, draft):
    login_as(org["organiser"])
    response = client.post(f"/staff/events/{draft.id}/publish")
    assert response.status_code == 400
    assert fresh(draft).status == EventStatus.DRAFT


def test_another_organisations_draft_cannot_be_published(client, org, login_as, draft):
    login_as(org["stranger"])
    response = post_form(client, f"/staff/events/{draft.id}/publish")
    assert response.status_code in (403, 404)
    assert fresh(draft).status == EventStatus.DRAFT


def test_checker_cannot_publish(client, org, login_as, draft):
    login_as(org["checker"])
    assert post_form(client, f"/staff/events/{draft.id}/publish").status_code == 403
    assert fresh(draft).status == EventStatus.DRAFT


# ---------------------------------------------------------------------------------------------
# The event's contact


@pytest.mark.parametrize(
    ("typed", "stored"),
    [
        ("138 1234 5678", "+8613812345678"),
        ("010-8765 4321", "+861087654321"),
        ("0755 2345 6789", "+8675523456789"),
        ("+86 10 8765 4321", "+861087654321"),
    ],
)
def test_contact_phone_is_a_mobile_or_a_landline_with_its_area_code(
    client, org, login_as, typed, stored
):
    login_as(org["organiser"])
    data = event_form(org, contact_name=" 王医生 ", contact_phone=typed)
    assert post_form(client, "/staff/events/new", data).status_code == 302
    event = db.session.scalar(select(Event).where(Event.title == "三天义诊"))
    assert (event.contact_name, event.contact_phone) == ("王医生", stored)


@pytest.mark.parametrize(
    "typed",
    ["8765 4321", "12345", "+1 212 555 0100", "138123456789", "电话", "1" * 40],
)
def test_contact_phone_without_area_code_or_foreign_is_refused(
    client, org, login_as, english, typed
):
    login_as(org["organiser"])
    response = post_form(client, "/staff/events/new", event_form(org, contact_phone=typed))
    assert response.status_code == 200
    assert "a mobile number or a landline with its area code" in page_text(response)


def test_contact_name_has_a_length_limit(client, org, login_as, english):
    login_as(org["organiser"])
    response = post_form(client, "/staff/events/new", event_form(org, contact_name="王" * 41))
    assert response.status_code == 200
    assert "at most 40 characters" in page_text(response)


def test_public_event_page_shows_the_contact_with_a_tel_link(client, org):
    event = org["event"]
    event.contact_name = "王医生"
    event.contact_phone = "+861087654321"
    db.session.flush()
    text = page_text(client.get(f"/events/{event.id}"))
    assert "王医生" in text
    assert 'href="tel:+861087654321"' in text
    assert "010 8765 4321" in text
