"""One event's calendar feed (/feeds/events/<id>.ics): a campaign across communities, which a
poster's calendar QR code subscribes to through /events/<id>/calendar."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.events.models import EventStatus, SessionStatus
from tests.feeds.support import FAR, TODAY, an_hour_ago, calendar_of, entries, uids


@pytest.fixture
def campaign(make):
    """A campaign in two communities of two townships, and another event at the same venue."""
    wangjing = make.township("望京街道", slug="wangjing")
    liulitun = make.township("六里屯街道", slug="liulitun")
    daxiyang = make.venue(make.community(wangjing, "大西洋新城社区", slug="daxiyang"))
    xuante = make.venue(make.community(liulitun, "炫特社区", slug="xuante"))
    event = make.event("医师节专家义诊进社区")
    sessions = [
        make.event_session(event, daxiyang, day=FAR, capacity=30),
        make.event_session(event, xuante, day=FAR + timedelta(days=1), capacity=20),
    ]
    other = make.event_session(make.event("广场舞"), daxiyang, day=FAR)
    return {"event": event, "sessions": sessions, "other": other, "venue": daxiyang}


def url(campaign, query: str = "") -> str:
    return f"/feeds/events/{campaign['event'].id}.ics{query}"


def test_the_feed_holds_every_session_of_the_event_and_nothing_else(client, campaign):
    assert uids(client.get(url(campaign))) == {s.uid for s in campaign["sessions"]}


def test_the_feed_is_named_after_the_event_in_both_languages(client, campaign):
    chinese = calendar_of(client.get(url(campaign)))
    assert chinese["X-WR-CALNAME"] == "医师节专家义诊进社区"
    english = client.get(url(campaign, "?lang=en"))
    entry = entries(english)[campaign["sessions"][0].uid]
    assert "30 places left" in str(entry["DESCRIPTION"])
    assert "剩余30个名额" in str(entries(client.get(url(campaign)))[entry["UID"]]["DESCRIPTION"])


def test_a_cancelled_session_stays_marked(client, make, campaign):
    cancelled = make.event_session(
        campaign["event"],
        campaign["venue"],
        day=FAR + timedelta(days=2),
        status=SessionStatus.CANCELLED,
    )
    entry = entries(client.get(url(campaign, "?lang=en")))[cancelled.uid]
    assert entry["STATUS"] == "CANCELLED" and str(entry["SUMMARY"]).startswith("[Cancelled]")


def test_the_window_reaches_back_like_the_other_feeds(client, make, campaign):
    old = make.event_session(campaign["event"], campaign["venue"], day=TODAY - timedelta(days=31))
    recent = make.event_session(
        campaign["event"], campaign["venue"], day=TODAY - timedelta(days=29)
    )
    found = uids(client.get(url(campaign)))
    assert recent.uid in found and old.uid not in found


def test_a_draft_has_no_feed(client, make, campaign):
    draft = make.event("草稿", status=EventStatus.DRAFT)
    make.event_session(draft, campaign["venue"], day=FAR)
    response = client.get(f"/feeds/events/{draft.id}.ics")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


@pytest.mark.parametrize("path", ["/feeds/events/999999.ics", "/feeds/events/abc.ics"])
def test_unknown_events_have_no_feed(client, campaign, path):
    assert client.get(path).status_code == 404


def test_a_cancelled_event_keeps_its_feed_so_subscribers_learn_of_it(client, make, campaign):
    event = make.event("取消的活动", status=EventStatus.CANCELLED)
    called_off = make.event_session(event, campaign["venue"], day=FAR)
    entry = entries(client.get(f"/feeds/events/{event.id}.ics"))[called_off.uid]
    assert entry["STATUS"] == "CANCELLED"


def test_an_event_without_sessions_is_an_empty_calendar(client, make, campaign):
    event = make.event("还没有场次")
    assert calendar_of(client.get(f"/feeds/events/{event.id}.ics")).walk("VEVENT") == []


def test_public_caching_headers_and_304(client, campaign):
    an_hour_ago(*campaign["sessions"])
    first = client.get(url(campaign))
    assert first.headers["Cache-Control"].startswith("public")
    assert "Set-Cookie" not in first.headers
    again = client.get(url(campaign), headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304


def test_a_change_to_the_event_moves_the_tag_but_others_do_not(client, make, campaign):
    etag = client.get(url(campaign)).headers["ETag"]
    make.registration(campaign["other"])  # another event's session
    unchanged = client.get(url(campaign), headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    make.registration(campaign["sessions"][0])
    changed = client.get(url(campaign), headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert "29" in str(entries(changed)[campaign["sessions"][0].uid]["DESCRIPTION"])


def test_an_unchanged_feed_costs_one_query(client, make, campaign, count_queries):
    for days in range(30):
        make.event_session(campaign["event"], campaign["venue"], day=FAR + timedelta(days=days))
    client.get(url(campaign))
    with count_queries() as statements:
        assert client.get(url(campaign)).status_code == 200
    assert len(statements) == 1


def test_the_calendar_page_of_a_draft_is_not_found(client, make, campaign):
    draft = make.event("草稿", status=EventStatus.DRAFT)
    assert client.get(f"/events/{draft.id}/calendar").status_code == 404
