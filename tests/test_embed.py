"""Embeddable calendars (issue 15, item 3): the page another site frames, its headers, its
language, escaping, caching and 304s, and the snippet staff copy."""

from __future__ import annotations

import re
from datetime import time

import pytest
from markupsafe import escape

from outreach.database import db
from outreach.events.models import SessionStatus
from outreach.headers import FRAMEABLE_POLICY

EMBED = "/embed/communities/daxiyang"


@pytest.fixture
def calendar(app, make):
    """大西洋新城社区 with a session (a title needing escaping) and a cancelled one; another
    community's session."""
    app.config["BASE_URL"] = "https://events.example.cn"
    township = make.township("望京街道", slug="wangjing")
    daxiyang = make.community(
        township, "大西洋新城社区", slug="daxiyang", name_en="Daxiyangxincheng Community"
    )
    hall = make.venue(daxiyang, "大西洋新城社区服务站")
    talk = make.event("健康讲座<script>", title_en="Health talk")
    shown = make.event_session(talk, hall, start=time(9, 30))
    off = make.event_session(venue_=hall, status=SessionStatus.CANCELLED)
    elsewhere = make.event_session(venue_=make.venue(make.community(township, "南湖社区")))
    db.session.commit()
    return {"shown": shown, "off": off, "elsewhere": elsewhere, "community": daxiyang}


def test_the_embedded_calendar_lists_coming_sessions_and_may_be_framed(client, calendar):
    response = client.get(EMBED)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert response.headers["Content-Security-Policy"] == FRAMEABLE_POLICY
    assert "frame-ancestors *" in FRAMEABLE_POLICY
    assert "X-Frame-Options" not in response.headers
    assert "Set-Cookie" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Cache-Control"].startswith("public, max-age=0")
    assert '<html lang="zh-CN">' in page and "<h1>大西洋新城社区</h1>" in page
    event_id = calendar["shown"].event.id
    link = f'<a href="https://events.example.cn/events/{event_id}" target="_blank" rel="noopener">'
    assert link + "健康讲座&lt;script&gt;" in page
    assert "<script>" not in page
    assert "（在新标签页中打开）" in page
    assert "09:30–11:30" in page and "大西洋新城社区服务站" in page
    assert (
        len(re.findall(r"<li[ >]", page)) == 2 and 'class="cancelled"' in page
    )  # not 南湖社区's session
    assert "/static/css/embed.css" in page


def test_other_pages_refuse_to_be_framed(client, calendar):
    for path in ("/communities/daxiyang", "/feeds/communities/daxiyang.ics", "/staff/"):
        headers = client.get(path).headers
        assert headers["X-Frame-Options"] == "DENY", path
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"], path


def test_the_language_is_the_addresss_own(client, calendar):
    client.set_cookie("lang", "en")  # a cookie of ours says nothing about another site
    assert "<h1>大西洋新城社区</h1>" in client.get(EMBED).get_data(as_text=True)
    response = client.get(EMBED + "?lang=en")
    page = response.get_data(as_text=True)
    assert '<html lang="en">' in page and "Health talk" in page
    assert "(opens in a new tab)" in page
    assert f"https://events.example.cn/events/{calendar['shown'].event.id}?lang=en" in page
    assert "Set-Cookie" not in response.headers


def test_an_unchanged_calendar_answers_304(client, calendar):
    first = client.get(EMBED)
    etag = first.headers["ETag"]
    assert client.get(EMBED, headers={"If-None-Match": etag}).status_code == 304
    calendar["shown"].event.title = "健康讲座（改期）"
    calendar["shown"].touch(significant=True)
    db.session.commit()
    changed = client.get(EMBED, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "改期" in changed.get_data(as_text=True)


@pytest.mark.parametrize("path", ["/embed/communities/nowhere", "/embed/places/daxiyang"])
def test_an_unknown_calendar_is_the_404_page(client, calendar, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response.mimetype == "text/html"


def test_staff_pages_show_the_snippets_to_copy(client, calendar, make, login_as):
    login_as(make.staff(is_admin=True))
    community = calendar["community"]
    page = client.get(f"/staff/places/communities/{community.id}/edit").get_data(as_text=True)
    url = "https://events.example.cn/embed/communities/daxiyang"
    iframe = f'<iframe src="{url}" title="大西洋新城社区" width="100%" height="480"'
    assert str(escape(iframe)) in page
    script = '<script src="https://events.example.cn/static/js/embed.js" data-calendar="'
    assert str(escape(script + url)) in page
    organisation = calendar["shown"].event.organisation
    page = client.get(f"/staff/organisations/{organisation.slug}").get_data(as_text=True)
    assert f"/embed/organisations/{organisation.slug}" in page
    venue = calendar["shown"].venue
    page = client.get(f"/staff/places/venues/{venue.id}/edit").get_data(as_text=True)
    assert "embed-iframe" not in page


def test_a_cold_calendar_or_news_feed_costs_two_queries_however_many_sessions(
    client, calendar, make, count_queries
):
    for _ in range(5):
        make.event_session(venue_=calendar["shown"].venue)
    db.session.commit()
    with count_queries() as statements:
        assert client.get(EMBED + "?lang=en").status_code == 200
    # The version, then the sessions with their events and places.
    assert len(statements) == 2, statements
    with count_queries() as statements:
        assert client.get("/feeds/communities/daxiyang.atom?lang=en").status_code == 200
    assert len(statements) == 2, statements


def test_the_calendars_stylesheet_follows_the_path_prefix_it_is_asked_under(app, calendar):
    """The same calendar reached directly and under a proxy's prefix (SCRIPT_NAME): each copy
    asks for its stylesheet where that visitor can fetch it."""
    direct = app.test_client().get(EMBED).get_data(as_text=True)
    mounted = app.test_client().get(EMBED, base_url="http://localhost/outreach/")
    assert 'href="/static/css/embed.css' in direct
    assert 'href="/outreach/static/css/embed.css' in mounted.get_data(as_text=True)
    assert 'href="/static/css/embed.css' in app.test_client().get(EMBED).get_data(as_text=True)
