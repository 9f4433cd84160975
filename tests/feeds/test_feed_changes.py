"""Changes made by staff reach the feeds: cancelling, rescheduling, moving, editing, booking."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest

from tests.factories import SHANGHAI
from tests.feeds.support import TODAY, an_hour_ago, entries, uids
from tests.web import login, post_form


@pytest.fixture
def editor(app, make):
    """A second browser, signed in as an organiser of a health centre."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="health-centre")
    browser = app.test_client()
    login(browser, make.staff(organisation=centre, role="organiser"))
    return {"client": browser, "organisation": centre}


def fetch(client, url="/feeds/communities/daxiyang.ics?lang=en"):
    response = client.get(url)
    return response, entries(response)


def test_cancelling_a_session_marks_it_and_raises_its_sequence(client, make, place, editor):
    event = make.event(organisation=editor["organisation"])
    event_session = make.event_session(event, place["daxiyang_hall"])
    before, found = fetch(client)
    assert found[event_session.uid]["STATUS"] == "CONFIRMED"
    url = f"/staff/events/{event.id}/sessions/{event_session.id}/cancel"
    assert post_form(editor["client"], url, {"reason": "场地维修"}).status_code == 302
    after, found = fetch(client)
    entry = found[event_session.uid]
    assert entry["STATUS"] == "CANCELLED"
    assert entry["SEQUENCE"] == 1
    assert entry["SUMMARY"] == f"[Cancelled] {event.title}"
    assert "场地维修" in entry["DESCRIPTION"] and "places left" not in entry["DESCRIPTION"]
    assert after.headers["ETag"] != before.headers["ETag"]


def test_cancelling_an_event_marks_all_its_sessions(client, make, place, editor):
    event = make.event(organisation=editor["organisation"])
    sessions = [
        make.event_session(event, place["daxiyang_hall"], day=TODAY + timedelta(days=n))
        for n in (1, 2)
    ]
    url = f"/staff/events/{event.id}/cancel"
    assert post_form(editor["client"], url, {"reason": "台风预警"}).status_code == 302
    _response, found = fetch(client, "/feeds/communities/daxiyang.ics")
    for event_session in sessions:
        entry = found[event_session.uid]
        assert (entry["STATUS"], entry["SEQUENCE"]) == ("CANCELLED", 1)
        assert str(entry["SUMMARY"]).endswith(event.title)
        assert "台风预警" in entry["DESCRIPTION"]


def test_a_reschedule_moves_sequence_last_modified_and_etag(client, make, place, editor):
    event = make.event(organisation=editor["organisation"])
    event_session = make.event_session(event, place["daxiyang_hall"], capacity=20)
    an_hour_ago(event_session)
    before, found = fetch(client)
    old = found[event_session.uid]
    new_day = TODAY + timedelta(days=5)
    url = f"/staff/events/{event.id}/sessions/{event_session.id}/edit"
    data = {
        "day": new_day.isoformat(),
        "start": "14:00",
        "end": "15:30",
        "venue": str(place["daxiyang_hall"].id),
        "capacity": "20",
    }
    assert post_form(editor["client"], url, data).status_code == 302
    after, found = fetch(client)
    entry = found[event_session.uid]
    assert entry["SEQUENCE"] == old["SEQUENCE"] + 1
    assert entry.decoded("LAST-MODIFIED") > old.decoded("LAST-MODIFIED")
    assert entry.decoded("DTSTAMP") == entry.decoded("LAST-MODIFIED")
    assert entry.decoded("DTSTART") == datetime.combine(new_day, time(14), tzinfo=SHANGHAI)
    assert after.headers["ETag"] != before.headers["ETag"]
    assert after.headers["Last-Modified"] != before.headers["Last-Modified"]


def test_moving_a_session_to_another_community_moves_it_between_feeds(client, make, place, editor):
    event = make.event(organisation=editor["organisation"])
    event_session = make.event_session(event, place["daxiyang_hall"])
    assert event_session.uid in fetch(client)[1]
    url = f"/staff/events/{event.id}/sessions/{event_session.id}/edit"
    data = {
        "day": (TODAY + timedelta(days=1)).isoformat(),
        "start": "09:00",
        "end": "11:00",
        "venue": str(place["nanhu_hall"].id),
        "capacity": "",
    }
    assert post_form(editor["client"], url, data).status_code == 302
    assert event_session.uid not in fetch(client)[1]
    assert event_session.uid in uids(client.get("/feeds/communities/nanhu.ics"))


def test_editing_an_event_updates_its_coming_sessions(client, make, place, editor):
    event = make.event(organisation=editor["organisation"], category=make.category())
    event_session = make.event_session(event, place["daxiyang_hall"])
    an_hour_ago(event_session)
    before, found = fetch(client)
    url = f"/staff/events/{event.id}/edit"
    form = {
        "title": "新标题",
        "summary": "新简介",
        "description": "",
        "audience": "",
        "category": str(event.category_id),
        "organisation": str(event.organisation_id),
        "status": "published",
        "max_party_size": "4",
        "allow_waitlist": "y",
    }
    response = post_form(editor["client"], url, form)
    assert response.status_code == 302, response.get_data(as_text=True)[:2000]
    after, found_after = fetch(client)
    entry = found_after[event_session.uid]
    assert entry["SUMMARY"] == "新标题" and str(entry["DESCRIPTION"]).startswith("新简介")
    assert entry.decoded("LAST-MODIFIED") > found[event_session.uid].decoded("LAST-MODIFIED")
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_registration_changes_places_left_and_last_modified_not_sequence(client, make, place):
    event_session = make.event_session(venue_=place["daxiyang_hall"], capacity=10)
    an_hour_ago(event_session)
    before, found = fetch(client)
    make.registration(event_session, party_size=2)
    after, found_after = fetch(client)
    old, new = found[event_session.uid], found_after[event_session.uid]
    assert "10 places left" in old["DESCRIPTION"] and "8 places left" in new["DESCRIPTION"]
    assert new["SEQUENCE"] == old["SEQUENCE"] == 0
    assert new.decoded("LAST-MODIFIED") > old.decoded("LAST-MODIFIED")
    assert after.headers["ETag"] != before.headers["ETag"]
