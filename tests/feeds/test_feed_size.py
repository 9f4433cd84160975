"""What a public feed's entries tell residents (the event's summary and description, cut near
2,000 characters), and the byte cap that keeps a feed readable by Google Calendar."""

from __future__ import annotations

from datetime import time, timedelta

import pytest
from icalendar import Calendar

from tests.feeds import icaljs
from tests.feeds.support import FAR, calendar_of, entries, lines_of, uid_list

SENTENCE = "抽血前一晚十点后请勿进食，可少量饮水；"  # 18 characters
ENGLISH = "?lang=en"


def long_text(characters: int) -> str:
    """Chinese sentences, about `characters` long."""
    return (SENTENCE * (characters // len(SENTENCE) + 1))[:characters]


def test_an_entry_says_summary_description_places_left_then_the_link(client, make, place):
    description = "请带上近期体检报告。\n雨天改在二楼。"
    event = make.event("健康讲座", summary="讲高血压的日常管理。", description=description)
    event_session = make.event_session(event, place["nanhu_hall"], day=FAR, capacity=30)
    [entry] = entries(client.get("/feeds/communities/nanhu.ics" + ENGLISH)).values()
    description = str(entry["DESCRIPTION"])
    link = f"http://localhost/events/{event.id}"
    order = ["讲高血压的日常管理。", "请带上近期体检报告。\n雨天改在二楼。", "30 places left", link]
    places = [description.index(part) for part in order]
    assert places == sorted(places)
    assert description.endswith(link)
    assert event_session.uid == str(entry["UID"])


def test_a_summary_repeated_at_the_start_of_the_description_is_said_once(client, make, place):
    event = make.event("讲座", summary="讲高血压。", description="讲高血压。请带报告。")
    make.event_session(event, place["nanhu_hall"], day=FAR)
    [entry] = entries(client.get("/feeds/communities/nanhu.ics")).values()
    assert str(entry["DESCRIPTION"]).count("讲高血压。") == 1


def test_a_long_description_is_cut_near_2000_characters_with_a_link(client, make, place):
    event = make.event("义诊", summary="简介。", description=long_text(6000))
    make.event_session(event, place["nanhu_hall"], day=FAR, capacity=5)
    [entry] = entries(client.get("/feeds/communities/nanhu.ics" + ENGLISH)).values()
    description = str(entry["DESCRIPTION"])
    link = f"http://localhost/events/{event.id}"
    about, _, rest = description.partition(f"…\nMore on the event page: {link}")
    assert rest, description[-300:]
    assert 1500 <= len(about) <= 2000
    assert about.endswith("；")  # cut at the end of a sentence
    # The places left and the link still follow.
    assert rest.index("5 places left") < rest.rindex(link)


def test_a_short_description_is_not_cut(client, make, place):
    event = make.event("义诊", summary="", description=long_text(1990))
    make.event_session(event, place["nanhu_hall"], day=FAR)
    [entry] = entries(client.get("/feeds/communities/nanhu.ics" + ENGLISH)).values()
    assert long_text(1990) in str(entry["DESCRIPTION"])
    assert "More on the event page" not in str(entry["DESCRIPTION"])


def many_sessions(make, place, count: int, characters: int) -> list:
    """`count` sessions of one event a day apart from FAR on, with a long description."""
    event = make.event("长描述活动", summary="简介。", description=long_text(characters))
    return [
        make.event_session(event, place["nanhu_hall"], day=FAR + timedelta(days=n), start=time(9))
        for n in range(count)
    ]


def test_a_feed_stays_under_its_byte_cap_keeping_the_earliest_sessions(app, client, make, place):
    app.config["FEED_MAX_BYTES"] = 30_000
    sessions = many_sessions(make, place, 20, 1500)
    response = client.get("/feeds/communities/nanhu.ics" + ENGLISH)
    body = response.get_data()
    assert len(body) <= 30_000
    shown = uid_list(response)
    assert 0 < len(shown) < 20
    assert shown == [s.uid for s in sessions[: len(shown)]]
    # The next session would not have fitted: the cap is used, not merely respected.
    assert len(body) > 30_000 - 7_000
    caldesc = str(calendar_of(response)["X-WR-CALDESC"])
    assert f"first {len(shown)} sessions" in caldesc
    assert "Later sessions are on http://localhost/" in caldesc
    assert str(calendar_of(response)["DESCRIPTION"]) == caldesc


def test_a_feed_under_its_cap_says_nothing_of_a_cut(app, client, make, place):
    app.config["FEED_MAX_BYTES"] = 30_000
    many_sessions(make, place, 2, 500)
    calendar = calendar_of(client.get("/feeds/communities/nanhu.ics"))
    assert len(calendar.walk("VEVENT")) == 2
    assert "X-WR-CALDESC" not in calendar


def test_an_event_feed_is_capped_too(app, client, make, place):
    app.config["FEED_MAX_BYTES"] = 20_000
    sessions = many_sessions(make, place, 10, 1500)
    response = client.get(f"/feeds/events/{sessions[0].event_id}.ics")
    assert len(response.get_data()) <= 20_000
    assert 0 < len(uid_list(response)) < 10
    assert "X-WR-CALDESC" in calendar_of(response)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_a_feed_past_1_mb_is_cut_under_1_mb_and_parses_everywhere(client, make, place, language):
    """At the real cap: sessions whose entries hold 2,000 characters of Chinese each."""
    sessions = many_sessions(make, place, 180, 2500)
    response = client.get(f"/feeds/communities/nanhu.ics?lang={language}")
    body = response.get_data()
    assert 900_000 < len(body) <= 1_000_000
    lines_of(body)
    parsed = Calendar.from_ical(body)
    uids = [str(e["UID"]) for e in parsed.walk("VEVENT")]
    assert 0 < len(uids) < 180 and uids == [s.uid for s in sessions[: len(uids)]]
    assert str(len(uids)) in str(parsed["X-WR-CALDESC"])
    node = icaljs.node_or_skip()
    seen = icaljs.parse(node, body)
    assert [e["uid"] for e in seen["events"]] == uids
    assert all(e["description"] for e in seen["events"])
