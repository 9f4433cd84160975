"""The sessions page of a city-sized site offers the venues of the event's streets and
townships, and of one more chosen, instead of every venue of the city in every select."""

from __future__ import annotations

import pytest

from outreach.events import editing
from tests.staff.support import text_of


@pytest.fixture
def city(monkeypatch, make, org):
    """More venues than a form offers (the limit lowered to 3), in two townships."""
    monkeypatch.setattr(editing, "CHOICE_LIMIT", 3)
    here = org["session"].venue.township
    there = make.township("望京街道")
    far = [make.venue(make.community(there, f"远处社区{n}"), f"远处服务站{n}") for n in range(4)]
    return {"here": here, "there": there, "far": far}


def test_only_the_events_townships_venues_are_offered(client, org, city, login_as):
    login_as(org["organiser"])
    page = text_of(client.get(f"/staff/events/{org['event'].id}/sessions"))
    assert org["session"].venue.name in page
    assert "远处服务站0" not in page
    assert "望京街道" in page  # offered in the township chooser


def test_a_chosen_township_adds_its_venues_and_a_session_can_be_added_there(
    client, org, city, login_as
):
    login_as(org["organiser"])
    url = f"/staff/events/{org['event'].id}/sessions?township={city['there'].id}"
    page = text_of(client.get(url))
    assert "远处服务站3" in page and org["session"].venue.name in page
    assert f"/sessions/campaign?township={city['there'].id}" in page


def test_a_small_site_offers_every_venue(client, org, make, login_as):
    other = make.venue(make.community(make.township("望京街道"), "别处社区"), "别处服务站")
    login_as(org["organiser"])
    page = text_of(client.get(f"/staff/events/{org['event'].id}/sessions"))
    assert other.name in page and "Offer the venues of" not in page
