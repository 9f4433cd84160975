"""The editors take the optional English texts: events, slots, venues' addresses, categories."""

from __future__ import annotations

from sqlalchemy import select

from outreach.database import db
from outreach.events.models import Category, Event
from outreach.places.models import Venue
from outreach.registrations.models import Slot
from tests.staff.support import audit_entries, event_form, fresh, text_of
from tests.web import post_form

ENGLISH = {
    "title_en": "Three days of free check-ups",
    "summary_en": "Stroke, bones, Chinese medicine, general practice",
    "description_en": "First paragraph\n\nSecond paragraph",
    "audience_en": "Residents of the street",
}


def test_event_editor_offers_the_english_fields_labelled_optional(english, org, login_as):
    login_as(org["organiser"])
    text = text_of(english.get("/staff/events/new"))
    for label in (
        "Title in English (optional)",
        "Summary in English (optional)",
        "Description in English (optional)",
        "Who it is for, in English (optional)",
    ):
        assert label in text
    assert 'name="title_en"' in text and 'lang="en"' in text


def test_event_editor_saves_and_clears_the_english_texts(client, org, login_as):
    login_as(org["organiser"])
    response = post_form(client, "/staff/events/new", event_form(org, **ENGLISH))
    assert response.status_code == 302
    event = db.session.scalar(select(Event).where(Event.title == "三天义诊"))
    assert {name: getattr(event, name) for name in ENGLISH} == ENGLISH
    [entry] = audit_entries("create")
    assert entry.changes["title_en"] == {"before": None, "after": ENGLISH["title_en"]}
    page = text_of(client.get(f"/staff/events/{event.id}/edit"))
    assert f'value="{ENGLISH["title_en"]}"' in page
    cleared = {name: "  " for name in ENGLISH}
    response = post_form(client, f"/staff/events/{event.id}/edit", event_form(org, **cleared))
    assert response.status_code == 302
    event = fresh(event)
    assert [getattr(event, name) for name in ENGLISH] == [None] * 4


def test_english_texts_that_are_too_long_are_refused(english, org, login_as):
    login_as(org["organiser"])
    response = post_form(english, "/staff/events/new", event_form(org, title_en="x" * 201))
    assert response.status_code == 200
    assert db.session.scalar(select(Event).where(Event.title == "三天义诊")) is None


def slots_url(event_session, suffix: str = "") -> str:
    return f"/staff/events/{event_session.event_id}/sessions/{event_session.id}/slots{suffix}"


def test_slot_editor_takes_english_names_after_a_bar(client, org, login_as):
    login_as(org["organiser"])
    event_session = org["session"]
    response = post_form(
        client,
        slots_url(event_session),
        {"labels": "中医科 | Chinese medicine\n骨伤科｜ Bones and joints\n全科", "capacity": "5"},
    )
    assert response.status_code == 302
    made = db.session.scalars(
        select(Slot).where(Slot.session_id == event_session.id).order_by(Slot.position)
    ).all()
    assert [(s.label, s.label_en) for s in made] == [
        ("中医科", "Chinese medicine"),
        ("骨伤科", "Bones and joints"),
        ("全科", None),
    ]


def test_slot_editor_renames_a_slot_in_english(english, org, login_as, make):
    login_as(org["organiser"])
    event_session = org["session"]
    slot = make.slot(event_session, "中医科")
    page = text_of(english.get(slots_url(event_session)))
    assert 'aria-label="Slot in English (optional)"' in page
    prefix = f"slot{slot.id}-"
    data = {prefix + "label": "中医科", prefix + "label_en": "TCM", prefix + "capacity": "10"}
    assert post_form(english, slots_url(event_session, f"/{slot.id}"), data).status_code == 302
    assert fresh(slot).label_en == "TCM"
    data[prefix + "label_en"] = ""
    post_form(english, slots_url(event_session, f"/{slot.id}"), data)
    assert fresh(slot).label_en is None


def test_venue_form_saves_the_english_address(client, admin, make):
    township = make.township()
    page = text_of(client.get("/staff/places/venues/new"))
    assert "Address in English (optional)" in page
    response = post_form(
        client,
        "/staff/places/venues/new",
        {
            "name": "炫特社区服务站",
            "address": "六里屯街道炫特家园1号",
            "address_en": " 1 Xuante Jiayuan, Liulitun ",
            "township_id": township.id,
        },
    )
    assert response.status_code == 302
    venue = db.session.scalar(select(Venue).where(Venue.name == "炫特社区服务站"))
    assert venue.address_en == "1 Xuante Jiayuan, Liulitun"
    [entry] = audit_entries("create", "venue")
    assert entry.changes["address_en"]["after"] == "1 Xuante Jiayuan, Liulitun"


def test_category_form_keeps_its_english_name(client, admin):
    page = text_of(client.get("/staff/categories/new"))
    assert "Name in English (optional)" in page
    response = post_form(
        client,
        "/staff/categories/new",
        {"name": "法律咨询", "name_en": "Legal advice", "slug": "legal", "colour": "#1e5b2f"},
    )
    assert response.status_code == 302
    category = db.session.scalar(select(Category).where(Category.slug == "legal"))
    assert category.name_en == "Legal advice"
