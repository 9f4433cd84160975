"""/api/v1/events in keyset pages: a signed cursor in a `next` link on the configured
address, stable while sessions are added, refused with a JSON 400 when it is not ours."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.events.services import LISTED_SESSIONS
from outreach.localtime import local_today
from outreach.registrations import services as registrations


@pytest.fixture
def campaign(make):
    """Seven events, one with sessions before and after the others' (listed once, at its first)."""
    events = []
    for day in (5, 1, 3, 3, 2, 6, 4):
        event = make.event(f"活动{day}")
        make.event_session(event, day=local_today() + timedelta(days=day))
        events.append(event)
    make.event_session(events[1], day=local_today() + timedelta(days=7))
    return events


def _all_pages(client, url: str) -> list[list[str]]:
    pages = []
    while url:
        body = client.get(url).json
        pages.append([item["title"] for item in body["items"]])
        url = body["next"]
        assert len(pages) < 50
    return pages


def test_next_links_walk_every_event_once_in_order_of_its_first_session(client, campaign):
    pages = _all_pages(client, "/api/v1/events?per_page=3")
    assert [len(p) for p in pages] == [3, 3, 1]
    titles = [t for p in pages for t in p]
    assert titles == ["活动1", "活动2", "活动3", "活动3", "活动4", "活动5", "活动6"]


def test_next_link_keeps_the_filters_and_uses_the_configured_address(app, client, make):
    app.config["BASE_URL"] = "https://events.example.cn"
    venue = make.venue()
    for day in (1, 2, 3):
        make.event_session(make.event(f"活动{day}"), venue, day=local_today() + timedelta(days=day))
    make.event_session(make.event("别处"), day=local_today() + timedelta(days=1))
    url = f"/api/v1/events?per_page=2&community={venue.community.slug}"
    body = client.get(url, headers={"Host": "evil.example"}).json
    assert body["next"].startswith("https://events.example.cn/api/v1/events?")
    assert f"community={venue.community.slug}" in body["next"] and "per_page=2" in body["next"]
    following = client.get(body["next"].removeprefix("https://events.example.cn")).json
    assert [i["title"] for i in following["items"]] == ["活动3"]


def test_events_added_between_pages_neither_repeat_nor_hide_others(client, make, campaign):
    first = client.get("/api/v1/events?per_page=3").json
    # An event that starts sooner arrives meanwhile: it belongs before the cursor.
    make.event_session(make.event("新活动"), day=local_today())
    seen = [i["id"] for i in first["items"]]
    url = first["next"]
    while url:
        body = client.get(url).json
        seen += [i["id"] for i in body["items"]]
        url = body["next"]
    assert len(seen) == len(set(seen)) == len(campaign)


@pytest.mark.parametrize("cursor", ["x", "WyJhIiwgWzFdXQ", "a" * 1001, "eyJ9.abc"])
def test_a_bad_cursor_is_a_json_400_in_the_callers_language(client, campaign, cursor):
    response = client.get(f"/api/v1/events?cursor={cursor}")
    assert response.status_code == 400
    assert response.json["error"] == "bad_request" and response.json["field"] == "cursor"
    english = client.get(f"/api/v1/events?cursor={cursor}", headers={"Accept-Language": "en"})
    assert "out of date or damaged" in english.json["message"]
    assert response.json["message"] != english.json["message"]


def test_a_cursor_of_a_staff_list_is_refused(app, client, campaign):
    with app.test_request_context():
        from outreach.pagination import encode_cursor

        forged = encode_cursor("places.venues", "a", ["x", 1])
    assert client.get(f"/api/v1/events?cursor={forged}").status_code == 400


def test_a_deep_page_costs_what_the_first_does(client, campaign, count_queries):
    with count_queries() as first:
        body = client.get("/api/v1/events?per_page=2").json
    third = client.get(body["next"]).json["next"]
    with count_queries() as deeper:
        client.get(third)
    assert len(deeper) == len(first)


def test_places_come_a_page_of_townships_at_a_time_with_their_own_places(client, make):
    for number in range(5):
        township = make.township(f"街道{number}")
        make.venue(make.community(township, f"社区{number}"), f"服务站{number}")
        make.venue(None, f"学校{number}", township=township)
    first = client.get("/api/v1/places?per_page=2").json
    assert [t["name"] for t in first["items"]] == ["街道0", "街道1"]
    assert [v["name"] for v in first["items"][1]["venues"]] == ["学校1"]
    assert first["items"][1]["communities"][0]["venues"][0]["name"] == "服务站1"
    names, url = [], "/api/v1/places?per_page=2"
    while url:
        body = client.get(url).json
        names += [t["name"] for t in body["items"]]
        url = body["next"]
    assert names == [f"街道{n}" for n in range(5)]
    assert client.get("/api/v1/places?cursor=nope").status_code == 400


def test_a_page_of_places_costs_the_same_queries_however_many_there_are(
    client, make, count_queries
):
    make.venue()
    with count_queries() as few:
        client.get("/api/v1/places")
    for number in range(30):
        township = make.township(f"街道{number}")
        make.venue(make.community(township, f"社区{number}"), f"服务站{number}")
    with count_queries() as many:
        client.get("/api/v1/places")
    assert len(many) == len(few)


def test_a_page_of_events_counts_seats_taken_and_freed_in_sessions_and_slots(client, make):
    event_session = make.event_session(make.event("名额"), capacity=20)
    first = make.slot(event_session, "上午", capacity=5, position=0)
    second = make.slot(event_session, "下午", capacity=10, position=1)
    make.registration(event_session, party_size=3, slot_id=first.id)
    make.registration(event_session, party_size=2, slot_id=second.id)
    registrations.cancel(make.registration(event_session, party_size=4, slot_id=second.id))

    [listed] = client.get("/api/v1/events").json["items"][0]["sessions"]
    assert listed["seats_left"] == 15
    assert [s["seats_left"] for s in listed["slots"]] == [2, 8]


def test_a_listed_campaign_carries_its_first_few_sessions_and_says_there_are_more(
    client, make, count_queries
):
    small = make.event("小活动")
    make.event_session(small, day=local_today() + timedelta(days=1))
    with count_queries() as few:
        client.get("/api/v1/events")
    big = make.event("大活动")
    days = [local_today() + timedelta(days=2 + n) for n in range(LISTED_SESSIONS + 3)]
    for day in reversed(days):
        make.event_session(big, day=day)
    with count_queries() as many:
        body = client.get("/api/v1/events").json
    assert len(many) == len(few)
    listed = {item["title"]: item for item in body["items"]}
    assert listed["小活动"]["more_sessions"] is False
    assert len(listed["小活动"]["sessions"]) == 1
    assert listed["大活动"]["more_sessions"] is True
    starts = [s["starts_at"][:10] for s in listed["大活动"]["sessions"]]
    assert starts == [day.isoformat() for day in days[:LISTED_SESSIONS]]
    whole = client.get(f"/api/v1/events/{big.id}").json
    assert len(whole["sessions"]) == len(days) and whole["more_sessions"] is False
