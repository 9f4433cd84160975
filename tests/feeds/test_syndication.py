"""Atom and RSS feeds, read back with feedparser as news readers do: entries, links, local
times and places, language, cancelled sessions, caching headers and 304s."""

from __future__ import annotations

from datetime import time
from xml.etree import ElementTree

import feedparser
import pytest

from outreach.database import db
from outreach.events.models import SessionStatus
from tests.feeds.support import an_hour_ago

ATOM = "/feeds/communities/daxiyang.atom"
RSS = "/feeds/communities/daxiyang.rss"


@pytest.fixture
def sessions(app, make, place):
    """Two sessions in 大西洋新城社区 (one cancelled), one in 南湖社区, changed an hour ago."""
    app.config["BASE_URL"] = "https://events.example.cn"
    talk = make.event("健康讲座", title_en="Health talk", summary="量血压")
    shown = make.event_session(talk, place["daxiyang_hall"], start=time(9, 30), capacity=20)
    off = make.event_session(
        venue_=place["daxiyang_hall"],
        status=SessionStatus.CANCELLED,
        cancellation_reason="场地维修",
    )
    elsewhere = make.event_session(venue_=place["nanhu_hall"])
    an_hour_ago(shown, off, elsewhere)
    return {"shown": shown, "off": off, "elsewhere": elsewhere}


def parsed(response):
    """The feed as feedparser reads it, after a strict XML parser has read the same entries."""
    assert response.status_code == 200, response.get_data(as_text=True)
    feed = feedparser.parse(response.get_data())
    assert not feed.bozo, feed.bozo_exception
    root = ElementTree.fromstring(response.get_data())
    atom = "{http://www.w3.org/2005/Atom}"
    entries = root.findall(f"{atom}entry") if root.tag == f"{atom}feed" else root.iter("item")
    assert len(list(entries)) == len(feed.entries)
    return feed


def text_of(entry) -> str:
    """An entry's body: Atom's content, RSS's description."""
    return entry.content[0].value if "content" in entry else entry.description


@pytest.mark.parametrize(
    ("url", "content_type", "version"),
    [(ATOM, "application/atom+xml", "atom10"), (RSS, "application/rss+xml", "rss20")],
)
def test_a_community_feed_lists_its_sessions_with_time_place_and_event_page(
    client, sessions, url, content_type, version
):
    response = client.get(url)
    assert response.headers["Content-Type"] == f"{content_type}; charset=utf-8"
    feed = parsed(response)
    assert feed.version == version
    assert feed.feed.title == "大西洋新城社区 · 社区活动"
    assert feed.feed.link == "https://events.example.cn/communities/daxiyang"
    assert len(feed.entries) == 2  # not 南湖社区's session
    entry = next(e for e in feed.entries if "健康讲座" in e.title)
    event_id = sessions["shown"].event.id
    assert entry.link == f"https://events.example.cn/events/{event_id}"
    text = text_of(entry)
    assert "09:30–11:30" in text and "北京时间" in text
    assert "大西洋新城社区服务站" in text and "量血压" in text
    cancelled = next(e for e in feed.entries if e is not entry)
    assert cancelled.title.startswith("[已取消]")
    assert "场地维修" in text_of(cancelled)


def test_the_feed_speaks_english_when_asked(client, sessions):
    feed = parsed(client.get(ATOM + "?lang=en"))
    assert feed.feed.title == "Daxiyangxincheng Community · Community events"
    titles = [e.title for e in feed.entries]
    assert any(t.startswith("Health talk · ") for t in titles)
    assert any(t.startswith("[Cancelled]") for t in titles)
    assert "Beijing time" in text_of(feed.entries[0])
    links = {link.rel: link.href for link in feed.feed.links}
    assert links["self"] == "https://events.example.cn/feeds/communities/daxiyang.atom?lang=en"
    assert links["alternate"] == "https://events.example.cn/communities/daxiyang?lang=en"


def test_feeds_answer_304_when_unchanged_and_200_after_a_change(client, sessions):
    first = client.get(ATOM)
    etag = first.headers["ETag"]
    assert first.headers["Cache-Control"] == "public, max-age=900"
    assert first.headers["Vary"] == "Accept-Encoding"
    assert "Set-Cookie" not in first.headers
    assert client.get(ATOM, headers={"If-None-Match": etag}).status_code == 304
    since = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get(RSS, headers=since).status_code == 304
    assert client.get(RSS).headers["ETag"] != etag  # each form its own representation
    sessions["shown"].event.title = "健康讲座（改期）"
    sessions["shown"].touch(significant=True)
    db.session.commit()
    changed = client.get(ATOM, headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert any("改期" in e.title for e in parsed(changed).entries)


def test_an_unknown_community_is_a_plain_404(client, place):
    response = client.get("/feeds/communities/nowhere.rss")
    assert response.status_code == 404
    assert response.headers["Content-Type"] == "text/plain; charset=utf-8"


def test_filters_narrow_the_feed_as_they_do_calendars(client, make, place):
    make.event_session(venue_=place["nanhu_hall"])
    wanted = make.event_session(venue_=place["school"])
    url = f"/feeds/townships/wangjing.atom?category={wanted.event.category.slug}"
    assert [e.link for e in parsed(client.get(url)).entries] == [
        f"http://localhost/events/{wanted.event.id}"
    ]
    assert len(parsed(client.get("/feeds/all.rss")).entries) == 2


def test_the_community_page_offers_its_news_feeds(client, sessions):
    page = client.get("/communities/daxiyang?lang=en").get_data(as_text=True)
    atom = "https://events.example.cn/feeds/communities/daxiyang.atom?lang=en"
    title = "Daxiyangxincheng Community (Atom)"
    assert f'type="application/atom+xml" title="{title}" href="{atom}"' in page
    assert f'<a href="{atom}" type="application/atom+xml">Atom</a>' in page
    assert 'href="https://events.example.cn/feeds/communities/daxiyang.rss?lang=en"' in page
