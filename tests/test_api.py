"""The read API: shapes, filters, pagination and JSON errors."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest

from outreach.events.models import EventStatus
from outreach.localtime import local_today


def test_events_list_shape(client, make):
    venue = make.venue(latitude=39.99, longitude=116.47)
    event = make.event("义诊", summary="免费义诊")
    day = date(2099, 8, 15)
    event_session = make.event_session(event, venue, day=day, start=time(8, 30), capacity=20)
    response = client.get("/api/v1/events")
    assert response.status_code == 200
    assert response.content_type == "application/json"
    body = response.json
    assert body["next"] is None and body["per_page"] == 20 and len(body["items"]) == 1
    item = body["items"][0]
    assert item["id"] == event.id and item["title"] == "义诊" and item["status"] == "published"
    assert item["organisation"]["slug"] == event.organisation.slug
    assert item["category"]["slug"] == event.category.slug
    [session] = item["sessions"]
    assert session == {
        "id": event_session.id,
        "event_id": event.id,
        "starts_at": "2099-08-15T08:30:00+08:00",
        "ends_at": "2099-08-15T10:30:00+08:00",
        "all_day": False,
        "venue": {
            "id": venue.id,
            "slug": venue.slug,
            "name": venue.name,
            "name_en": None,
            "address": venue.address,
            "address_en": None,
            "latitude": 39.99,
            "longitude": 116.47,
        },
        "community": {
            "slug": venue.community.slug,
            "name": venue.community.name,
            "name_en": None,
        },
        "township": {
            "slug": venue.township.slug,
            "name": venue.township.name,
            "name_en": None,
        },
        "capacity": 20,
        "seats_left": 20,
        "slots": [],
        "status": "scheduled",
        "cancellation_reason": None,
        "url": f"http://localhost/events/{event.id}",
    }


def test_events_are_ordered_by_first_session_and_paginated(client, make):
    firsts = []
    for offset in (3, 1, 2):
        event = make.event(f"活动{offset}")
        make.event_session(event, day=local_today() + timedelta(days=offset))
        firsts.append((offset, event.id))
    response = client.get("/api/v1/events?per_page=2")
    assert [i["title"] for i in response.json["items"]] == ["活动1", "活动2"]
    second = client.get(response.json["next"]).json
    assert [i["title"] for i in second["items"]] == ["活动3"] and second["next"] is None


def test_events_filter_by_community_lists_only_matching_sessions(client, make):
    event = make.event("巡回活动")
    here, there = make.venue(), make.venue()
    make.event_session(event, here)
    make.event_session(event, there)
    body = client.get(f"/api/v1/events?community={here.community.slug}").json
    assert len(body["items"]) == 1
    assert [s["venue"]["id"] for s in body["items"][0]["sessions"]] == [here.id]


def test_event_detail_has_all_sessions(client, make):
    event = make.event()
    make.event_session(event, day=local_today() + timedelta(days=1))
    make.event_session(event, day=local_today() - timedelta(days=3))
    body = client.get(f"/api/v1/events/{event.id}").json
    assert len(body["sessions"]) == 2


def test_session_detail(client, make):
    event_session = make.event_session(all_day=True, start=time(0), hours=24)
    body = client.get(f"/api/v1/sessions/{event_session.id}").json
    assert body["all_day"] is True
    assert body["starts_at"].endswith("T00:00:00+08:00")
    assert body["event"]["id"] == event_session.event_id


def test_places_tree(client, make):
    township = make.township("望京街道", slug="wangjing")
    community = make.community(township, "大西洋新城社区", slug="daxiyang")
    make.venue(community, "社区服务站", slug="station")
    make.venue(township=township, name="望京小学", slug="school")
    body = client.get("/api/v1/places").json
    [item] = body["items"]
    assert item["slug"] == "wangjing" and item["kind"] == "street"
    assert item["communities"][0]["slug"] == "daxiyang"
    assert item["communities"][0]["venues"][0]["slug"] == "station"
    assert [v["slug"] for v in item["venues"]] == ["school"]


@pytest.mark.parametrize(
    ("url", "status", "error"),
    [
        ("/api/v1/events?from=bad", 400, "bad_request"),
        ("/api/v1/events?cursor=0", 400, "bad_request"),
        ("/api/v1/events?per_page=1000", 400, "bad_request"),
        ("/api/v1/events?community=none", 404, "not_found"),
        ("/api/v1/events/12345", 404, "not_found"),
        ("/api/v1/sessions/12345", 404, "not_found"),
        ("/api/v1/nothing", 404, "not_found"),
    ],
)
def test_errors_are_json(client, url, status, error):
    response = client.get(url)
    assert response.status_code == status
    assert response.content_type == "application/json"
    assert response.json["error"] == error
    assert response.json["message"]


def test_json_error_message_follows_the_language(client):
    zh = client.get("/api/v1/events?community=none").json["message"]
    en = client.get("/api/v1/events?community=none", headers={"Accept-Language": "en"}).json
    assert zh == "没有这个社区。"
    assert en["message"] == "There is no such community."


def test_draft_event_is_404_in_the_api(client, make):
    draft = make.event(status=EventStatus.DRAFT)
    make.event_session(draft)
    assert client.get(f"/api/v1/events/{draft.id}").status_code == 404
    assert client.get("/api/v1/events").json["items"] == []


def test_events_list_query_count_is_constant(client, make, count_queries):
    make.event_session()
    with count_queries() as few:
        client.get("/api/v1/events")
    for _ in range(10):
        event = make.event()
        make.event_session(event)
        make.event_session(event)
    with count_queries() as many:
        client.get("/api/v1/events")
    assert len(many) == len(few)


def test_links_come_from_the_configured_address_not_the_request_host(app, client, make):
    app.config["BASE_URL"] = "https://events.example.cn"
    event = make.event("义诊")
    make.event_session(event, day=date(2099, 8, 15))
    forged = {"Host": "evil.example"}
    listing = client.get("/api/v1/events", headers=forged)
    [item] = listing.json["items"]
    assert item["url"] == f"https://events.example.cn/events/{event.id}"
    assert item["sessions"][0]["url"] == f"https://events.example.cn/events/{event.id}"
    assert "evil.example" not in listing.get_data(as_text=True)
    one = client.get(f"/api/v1/events/{event.id}", headers=forged)
    assert one.json["url"] == f"https://events.example.cn/events/{event.id}"
    assert "evil.example" not in one.get_data(as_text=True)
