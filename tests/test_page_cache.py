"""Public pages served from the cache (outreach/pages): validators, caching headers, and each
visitor's own token put into the shared body, seen through the HTTP client."""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime, timedelta

import pytest

from outreach.database import db
from outreach.feeds import cache as feed_cache
from outreach.pages import serving
from tests import web

TOKEN = re.compile(r'name="(?:s\d+-)?csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def open_event(make):
    """A published event with one session open for registration, at a community venue."""
    township = make.township("六里屯街道", slug="liu-li-tun")
    community = make.community(township, "炫特社区", slug="xuan-te")
    venue = make.venue(community, "炫特社区服务站")
    event = make.event("专家义诊")
    event_session = make.event_session(event, venue, capacity=20)
    return {"event": event, "session": event_session, "community": community}


def tokens(response) -> set[str]:
    return set(TOKEN.findall(response.get_data(as_text=True)))


def test_event_page_is_served_with_this_visitors_token_and_revalidated(client, open_event):
    url = f"/events/{open_event['event'].id}"
    first = client.get(url)
    assert first.status_code == 200
    assert serving.PLACEHOLDER not in first.get_data(as_text=True)
    assert len(tokens(first)) == 1
    assert first.headers["Cache-Control"] == "private, no-cache"
    assert first.headers["Vary"] == "Accept-Encoding, Accept-Language, Cookie"
    etag = first.headers["ETag"]
    assert etag.startswith('W/"')
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.headers["ETag"] == etag
    assert again.get_data() == b""


def test_the_token_of_a_cached_page_registers_without_javascript(client, open_event):
    """The no-script path: the form as served, posted back with its hidden token."""
    event_session = open_event["session"]
    page = client.get(f"/events/{open_event['event'].id}")
    [token] = tokens(page)
    data = web.registration_form(event_session, client)
    data[f"s{event_session.id}-csrf_token"] = token
    response = client.post(f"/sessions/{event_session.id}/register", data=data)
    assert response.status_code == 302
    assert "/r/" in response.headers["Location"]


def test_two_visitors_get_their_own_tokens_and_never_each_others_304(app, open_event):
    url = f"/events/{open_event['event'].id}"
    one, other = app.test_client(), app.test_client()
    first = one.get(url)
    second = other.get(url)
    assert tokens(first).isdisjoint(tokens(second))
    # The same page underneath: the bodies differ only by their tokens.
    assert web.untimed(first.get_data(as_text=True)) == web.untimed(second.get_data(as_text=True))
    assert first.headers["ETag"] != second.headers["ETag"]
    # Another visitor's validator never confirms their copy (and its token) to this one.
    stolen = other.get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert stolen.status_code == 200
    assert tokens(stolen) and tokens(stolen).isdisjoint(tokens(first))
    # A visitor without a session sending a validator gets the page whole, with a token.
    fresh = app.test_client().get(url, headers={"If-None-Match": first.headers["ETag"]})
    assert fresh.status_code == 200 and tokens(fresh)


def test_a_304_stops_before_the_token_grows_old(client, open_event, monkeypatch):
    url = f"/events/{open_event['event'].id}"
    etag = client.get(url).headers["ETag"]
    limit = client.application.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    later = time.time() + limit / 4 + 1
    monkeypatch.setattr(serving.time, "time", lambda: later)
    again = client.get(url, headers={"If-None-Match": etag})
    assert again.status_code == 200
    assert again.headers["ETag"] != etag


def test_signing_out_changes_the_validator(client, open_event, make):
    """A new session (signing in or out clears it) makes a new token: no 304 for the old."""
    url = f"/events/{open_event['event'].id}"
    etag = client.get(url).headers["ETag"]
    with client.session_transaction() as session:
        session.clear()
    assert client.get(url, headers={"If-None-Match": etag}).status_code == 200


def test_listing_without_forms_may_be_kept_by_shared_caches(client, open_event):
    response = client.get("/")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "public, max-age=0, s-maxage=10"
    assert "Set-Cookie" not in response.headers
    etag = response.headers["ETag"]
    assert not etag.startswith("W/")
    assert client.get("/", headers={"If-None-Match": etag}).status_code == 304
    zipped = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["Content-Encoding"] == "gzip"
    assert zipped.headers["ETag"] == etag[:-1] + '-gz"'
    assert zipped.headers["Vary"] == "Accept-Encoding, Accept-Language, Cookie"


def test_a_visitor_with_a_session_gets_a_private_copy(client, open_event):
    client.get(f"/events/{open_event['event'].id}")  # the event page's form opened a session
    response = client.get("/")
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_a_kept_choice_is_never_shared(client, open_event):
    """?lang=en sets a cookie: that answer is this visitor's."""
    response = client.get("/?lang=en")
    assert "lang=en" in response.headers["Set-Cookie"]
    assert response.headers["Cache-Control"] == "private, no-cache"


@pytest.mark.parametrize(
    "headers, cookies",
    [
        ({"Accept-Language": "en"}, {}),
        ({}, {"lang": "en"}),
        ({}, {"elder": "1"}),
        ({}, {"contrast": "high"}),
    ],
)
def test_language_and_display_modes_have_their_own_copies(app, open_event, headers, cookies):
    plain = app.test_client().get("/")
    client = app.test_client()
    for name, value in cookies.items():
        client.set_cookie(name, value)
    chosen = client.get("/", headers=headers)
    assert chosen.headers["ETag"] != plain.headers["ETag"]
    assert chosen.get_data() != plain.get_data()


def test_the_chosen_community_has_its_own_home_and_community_pages(app, open_event):
    slug = open_event["community"].slug
    plain = app.test_client()
    chosen = app.test_client()
    chosen.set_cookie("community", slug)
    for url in ("/", f"/communities/{slug}"):
        assert chosen.get(url).headers["ETag"] != plain.get(url).headers["ETag"]


def test_a_flash_is_shown_to_its_visitor_and_never_cached(app, client, open_event):
    url = f"/events/{open_event['event'].id}"
    with client.session_transaction() as session:
        session["_flashes"] = [("error", "这一场已经满了")]
    shown = client.get(url)
    assert "这一场已经满了" in shown.get_data(as_text=True)
    assert "这一场已经满了" not in app.test_client().get(url).get_data(as_text=True)
    assert "这一场已经满了" not in client.get(url).get_data(as_text=True)  # shown once


def test_registered_state_is_this_visitors_alone(app, client, open_event):
    event_session = open_event["session"]
    url = f"/events/{open_event['event'].id}"
    app.test_client().get(url)  # cached before anyone registered
    assert web.register(client, event_session, name="李秀兰").status_code == 302
    assert 'class="already"' in client.get(url).get_data(as_text=True)
    body = app.test_client().get(url).get_data(as_text=True)
    assert 'class="already"' not in body
    # No personal data in what everyone is served.
    assert "李秀兰" not in body
    assert "13800138000" not in body and "138 0013 8000" not in body


def test_a_cached_page_costs_one_query(client, open_event, count_queries):
    url = f"/events/{open_event['event'].id}"
    client.get(url)
    with count_queries() as statements:
        assert client.get(url).status_code == 200
    assert len(statements) == 1  # the data version (remembered per worker when configured)


def test_pages_are_shared_through_redis_by_app_servers(app, open_event, redis_cache, count_queries):
    store, prefix = redis_cache
    url = f"/events/{open_event['event'].id}"
    first = app.test_client().get(url)
    home = app.test_client().get("/")
    assert len(list(store.scan_iter(match=prefix + "*"))) == 2
    app.extensions.pop(feed_cache.EXTENSION)  # a second server: nothing in its memory
    with count_queries() as statements:
        second = app.test_client().get(url)
        again = app.test_client().get("/")
    assert len(statements) == 2  # each page's data version; nothing rendered
    assert web.untimed(second.get_data(as_text=True)) == web.untimed(first.get_data(as_text=True))
    assert again.headers["ETag"] == home.headers["ETag"]
    # Nothing personal is kept in the shared store: no token, no session.
    for key in store.scan_iter(match=prefix + "*"):
        kept = store.get(key)
        assert serving.PLACEHOLDER.encode() in kept or b"csrf_token" not in kept
        assert not tokens_in(kept.decode("utf-8", "replace")) - {serving.PLACEHOLDER}


def tokens_in(text: str) -> set[str]:
    return set(TOKEN.findall(text))


def test_staff_reading_public_pages_get_the_shared_page(app, client, open_event, make, login_as):
    url = f"/events/{open_event['event'].id}"
    anonymous = app.test_client().get(url)
    login_as(make.staff("organiser", is_admin=True))
    staff = client.get(url)
    assert staff.headers["Cache-Control"] == "private, no-cache"
    assert web.untimed(staff.get_data(as_text=True)) == web.untimed(
        anonymous.get_data(as_text=True)
    )


def test_a_worker_remembers_page_versions_for_a_few_seconds(app, client, open_event, count_queries):
    """As for feeds (FEED_VERSION_TTL): an unchanged page then costs no query at all."""
    app.config["FEED_VERSION_TTL"] = 60
    app.extensions.pop(feed_cache.VERSIONS_EXTENSION, None)
    try:
        urls = [f"/events/{open_event['event'].id}", "/?page=1", "/communities/xuan-te"]
        for url in urls:
            client.get(url)
        with count_queries() as statements:
            for url in urls:
                assert client.get(url).status_code == 200
        assert statements == []
    finally:
        app.extensions.pop(feed_cache.VERSIONS_EXTENSION, None)


def test_a_session_restored_from_remember_me_is_never_shared(app, client, open_event, make):
    """No session cookie, but a remember-me one: Flask-Login signs the staff member in again
    and the answer sets their new session cookie, so it must stay private."""
    web.sign_in_through_form(client, make.staff("organiser"), remember=True)
    client.delete_cookie(app.config["SESSION_COOKIE_NAME"])
    response = client.get("/")
    assert app.config["SESSION_COOKIE_NAME"] in response.headers.get("Set-Cookie", "")
    assert response.headers["Cache-Control"] == "private, no-cache"


def test_a_session_ending_shows_as_finished_without_any_change(app, make):
    """Time moves what a page shows: the version counts sessions started and ended."""
    now = datetime.now(UTC)
    event = make.event("晨练")
    event_session = make.event_session(event)
    event_session.starts_at = now - timedelta(hours=1)
    event_session.ends_at = now + timedelta(seconds=1)
    db.session.flush()
    reader = app.test_client()
    reader.set_cookie("lang", "en")
    url = f"/events/{event.id}"
    assert "Finished" not in reader.get(url).get_data(as_text=True)
    time.sleep(1.5)
    assert "Finished" in reader.get(url).get_data(as_text=True)


def test_a_page_served_under_another_path_prefix_links_under_its_own(app, open_event):
    """One app reached both directly and behind a proxy that mounts it under a prefix (the
    proxy sets SCRIPT_NAME): each copy's links carry the prefix it was asked under."""
    url = f"/events/{open_event['event'].id}"
    direct = app.test_client().get(url)
    mounted = app.test_client().get(url, base_url="http://localhost/outreach/")
    assert direct.status_code == mounted.status_code == 200
    assert 'href="/outreach/' not in direct.get_data(as_text=True)
    page = mounted.get_data(as_text=True)
    assert 'href="/outreach/static/' in page
    assert re.search(r'action="/sessions/\d+/register"', page) is None
    again = app.test_client().get(url)
    assert 'href="/outreach/' not in again.get_data(as_text=True)
