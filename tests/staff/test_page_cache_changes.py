"""Each change a cached public page shows, made through the staff pages or the API, moves
the page's data version: the next visitor sees it (outreach/pages/versions.py)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.staff.support import TOMORROW, event_form, page_text, row, rows, session_url
from tests.web import post_form


@pytest.fixture
def visitor(app):
    """Someone reading the public pages in English, without a session (the shared path)."""
    reader = app.test_client()
    reader.set_cookie("lang", "en")
    return reader


def seen(visitor, url: str) -> tuple[str, str]:
    """The page's text and validator, served from the cache when nothing changed."""
    response = visitor.get(url)
    assert response.status_code == 200
    return page_text(response), response.headers["ETag"]


@pytest.fixture
def pages(org):
    """The event page and a listing showing it (its category's)."""
    return (f"/events/{org['event'].id}", f"/categories/{org['category'].slug}")


def test_unchanged_pages_keep_their_validators(visitor, pages):
    for url in pages:
        assert seen(visitor, url)[1] == seen(visitor, url)[1]


def test_editing_the_event_shows_on_its_pages(client, org, login_as, visitor, pages):
    before = {url: seen(visitor, url) for url in pages}
    login_as(org["organiser"])
    data = event_form(org, title="专家义诊进社区", title_en="Doctors in the community")
    data["status"] = "published"
    assert post_form(client, f"/staff/events/{org['event'].id}/edit", data).status_code == 302
    for url in pages:
        text, etag = seen(visitor, url)
        assert "Doctors in the community" in text, url
        assert etag != before[url][1]


def test_publishing_a_draft_shows_it(client, org, make, login_as, visitor):
    draft = make.event("夏季防暑讲座", organisation=org["centre"], category=org["category"])
    draft.status = draft.status.__class__("draft")
    make.event_session(draft)
    url = f"/categories/{org['category'].slug}"
    assert "夏季防暑讲座" not in seen(visitor, url)[0]
    assert visitor.get(f"/events/{draft.id}").status_code == 404
    login_as(org["organiser"])
    assert post_form(client, f"/staff/events/{draft.id}/publish").status_code == 302
    assert "夏季防暑讲座" in seen(visitor, url)[0]
    assert visitor.get(f"/events/{draft.id}").status_code == 200


def test_a_session_added_or_cancelled_shows(client, org, place, login_as, visitor, pages):
    event_url, listing = pages
    login_as(org["organiser"])
    day = TOMORROW + timedelta(days=5)
    assert "炫特社区服务站" not in seen(visitor, event_url)[0]
    data = rows(row(place["xuante"], day, capacity="10"))
    added = post_form(client, f"/staff/events/{org['event'].id}/sessions", data)
    assert added.status_code == 302
    for url in pages:
        assert "炫特社区服务站" in seen(visitor, url)[0], url
    assert "Cancelled" not in seen(visitor, event_url)[0]
    post_form(client, session_url(org, "cancel"), {"reason": "下雨"})
    for url in pages:
        assert "Cancelled" in seen(visitor, url)[0], url


def test_seats_taken_through_the_api_show(client, org, visitor, pages):
    event_url, listing = pages
    assert "20 places left" in seen(visitor, event_url)[0]
    payload = {"name": "刘阿姨", "phone": "13800138000", "party_size": 3, "consent": True}
    response = client.post(f"/api/v1/sessions/{org['session'].id}/registrations", json=payload)
    assert response.status_code == 201
    for url in pages:
        text = seen(visitor, url)[0]
        assert "17 places left" in text, url
        assert "刘阿姨" not in text and "13800138000" not in text


def test_a_slot_added_shows_on_the_event_page(client, org, login_as, visitor, pages):
    event_url, _listing = pages
    assert "中医科" not in seen(visitor, event_url)[0]
    login_as(org["organiser"])
    url = f"/staff/events/{org['event'].id}/sessions/{org['session'].id}/slots"
    assert post_form(client, url, {"labels": "中医科", "capacity": "10"}).status_code == 302
    assert "中医科" in seen(visitor, event_url)[0]


def test_renaming_a_place_shows(client, org, admin, visitor, pages):
    township = org["session"].venue.township
    before = {url: seen(visitor, url) for url in pages}
    edit = f"/staff/places/townships/{township.id}/edit"
    renamed = {"name": "六里屯乡", "name_en": "Liulitun Village", "kind": "township"}
    assert post_form(client, edit, renamed).status_code == 302
    for url in pages:
        text, etag = seen(visitor, url)
        assert "Liulitun Village" in text, url
        assert etag != before[url][1]


def test_translating_an_organisation_and_a_category_shows(client, org, admin, visitor, pages):
    event_url, _listing = pages
    centre = {"name": org["centre"].name, "name_en": "Liulitun Clinic", "kind": "health_centre"}
    response = post_form(client, f"/staff/organisations/{org['centre'].slug}/edit", centre)
    assert response.status_code == 302
    assert "Liulitun Clinic" in seen(visitor, event_url)[0]
    category = org["category"]
    data = {
        "name": category.name,
        "name_en": "Health checks",
        "slug": category.slug,
        "colour": category.colour,
    }
    response = post_form(client, f"/staff/categories/{category.id}/edit", data)
    assert response.status_code == 302
    for url in pages:
        assert "Health checks" in seen(visitor, url)[0], url
