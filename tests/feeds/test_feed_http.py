"""Feeds over HTTP: validators and 304s, HEAD, gzip, caching headers, the feed cache, cost."""

from __future__ import annotations

import gzip
import secrets
import time as clock
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import insert
from werkzeug.http import http_date, parse_date

from outreach.database import db
from outreach.events.models import EventSession, EventStatus
from outreach.feeds import cache as feed_cache
from outreach.feeds.cache import BuiltFeed, MemoryCache
from outreach.localtime import local_midnight, local_today
from tests.feeds.support import TODAY, an_hour_ago, calendar_of, entries, lines_of, uids
from tests.web import post_form

FEED = "/feeds/communities/daxiyang.ics"


@pytest.fixture
def venues(make):
    """Two communities of one township, a venue in each."""
    township = make.township("望京街道", slug="wangjing")
    daxiyang = make.community(township, "大西洋新城社区", slug="daxiyang")
    nanhu = make.community(township, "南湖社区", slug="nanhu")
    return {"daxiyang": make.venue(daxiyang), "nanhu": make.venue(nanhu)}


@pytest.fixture
def feed(make, venues):
    """Two sessions in the community, last changed an hour ago."""
    sessions = [make.event_session(venue_=venues["daxiyang"], capacity=20) for _ in range(2)]
    an_hour_ago(*sessions)
    return sessions


@pytest.fixture
def personal(make, venues):
    """A resident's registration."""
    return make.registration(make.event_session(venue_=venues["daxiyang"], capacity=20))


def test_public_feed_headers(client, feed):
    response = client.get(FEED)
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and etag.endswith('"') and not etag.startswith("W/")
    assert response.headers["Cache-Control"] == "public, max-age=900"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "Set-Cookie" not in response.headers
    assert "Content-Encoding" not in response.headers
    newest = max(e.decoded("LAST-MODIFIED") for e in entries(response).values())
    assert response.headers["Last-Modified"] == http_date(newest)


def test_max_age_follows_the_setting(app, client, feed):
    app.config["FEED_MAX_AGE"] = 60
    assert client.get(FEED).headers["Cache-Control"] == "public, max-age=60"


def test_personal_feed_headers(client, personal):
    response = client.get(f"/feeds/me/{personal.feed_token}.ics")
    calendar_of(response)
    assert response.headers["Cache-Control"] == "private, no-store"
    assert "Access-Control-Allow-Origin" not in response.headers
    assert response.headers["Vary"] == "Accept-Encoding"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize("url", [FEED, FEED + "?lang=en", "/feeds/all.ics?lang=zh"])
def test_no_cookie_is_set_or_varied_on_even_for_a_signed_in_browser(client, feed, url):
    client.set_cookie("lang", "zh")
    response = client.get(url)
    assert "Set-Cookie" not in response.headers
    assert "Cookie" not in response.headers["Vary"]


def test_an_empty_feed_is_last_modified_at_the_window_start(app, client, venues):
    response = client.get(FEED)
    start = local_midnight(local_today() - timedelta(days=app.config["FEED_LOOKBACK_DAYS"]))
    assert parse_date(response.headers["Last-Modified"]) == start
    assert client.get(FEED).headers["Last-Modified"] == response.headers["Last-Modified"]


def test_fetching_twice_gives_the_same_bytes_and_validators(client, feed):
    first, second = client.get(FEED), client.get(FEED)
    assert first.get_data() == second.get_data()
    assert first.headers["ETag"] == second.headers["ETag"]
    assert first.headers["Last-Modified"] == second.headers["Last-Modified"]


def test_the_feed_answers_304_when_the_tag_matches(client, feed):
    etag = client.get(FEED).headers["ETag"]
    response = client.get(FEED, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.get_data() == b""
    assert response.headers["ETag"] == etag
    assert response.headers["Cache-Control"] == "public, max-age=900"
    assert response.headers["Vary"] == "Accept-Encoding"
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "Set-Cookie" not in response.headers


@pytest.mark.parametrize(
    ("header", "status"),
    [
        ("{etag}", 304),
        ('"other", {etag}', 304),
        ('"other",{etag} , "more"', 304),
        ("W/{etag}", 304),  # If-None-Match compares weakly
        ("*", 304),
        ('"other"', 200),
        ('W/"other"', 200),
        ("{bare}", 304),  # unquoted, as some clients send it: werkzeug is lenient
        ("", 200),
        ("garbage, , ,", 200),
    ],
)
def test_if_none_match_lists_weak_tags_and_star(client, feed, header, status):
    etag = client.get(FEED).headers["ETag"]
    value = header.format(etag=etag, bare=etag.strip('"'))
    response = client.get(FEED, headers={"If-None-Match": value})
    assert response.status_code == status
    assert response.headers["ETag"] == etag


def test_if_modified_since_answers_304_for_an_unchanged_feed(client, feed):
    last_modified = client.get(FEED).headers["Last-Modified"]
    assert client.get(FEED, headers={"If-Modified-Since": last_modified}).status_code == 304
    later = http_date(parse_date(last_modified) + timedelta(minutes=5))
    assert client.get(FEED, headers={"If-Modified-Since": later}).status_code == 304
    earlier = http_date(parse_date(last_modified) - timedelta(seconds=1))
    assert client.get(FEED, headers={"If-Modified-Since": earlier}).status_code == 200
    garbage = client.get(FEED, headers={"If-Modified-Since": "yesterday-ish"})
    assert garbage.status_code == 200


def test_if_none_match_takes_precedence_over_if_modified_since(client, feed):
    last_modified = client.get(FEED).headers["Last-Modified"]
    headers = {"If-None-Match": '"stale"', "If-Modified-Since": last_modified}
    assert client.get(FEED, headers=headers).status_code == 200


def test_head_answers_like_get_without_a_body(client, feed):
    get = client.get(FEED)
    head = client.head(FEED)
    assert head.status_code == 200 and head.get_data() == b""
    for name in ("Content-Type", "Content-Length", "ETag", "Last-Modified", "Cache-Control"):
        assert head.headers[name] == get.headers[name]
    assert client.head(FEED, headers={"If-None-Match": get.headers["ETag"]}).status_code == 304
    assert client.head("/feeds/communities/nowhere.ics").status_code == 404


def test_gzip_when_the_client_accepts_it(client, feed):
    plain = client.get(FEED)
    packed = client.get(FEED, headers={"Accept-Encoding": "br, gzip;q=0.8"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert packed.headers["Vary"] == "Accept-Encoding"
    assert gzip.decompress(packed.get_data()) == plain.get_data()
    assert int(packed.headers["Content-Length"]) == len(packed.get_data())
    # Another representation, so another strong tag (RFC 9110 §8.8.3); the same Last-Modified.
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + '-gz"'
    assert packed.headers["Last-Modified"] == plain.headers["Last-Modified"]
    again = client.get(FEED, headers={"Accept-Encoding": "gzip"})
    assert again.get_data() == packed.get_data()


@pytest.mark.parametrize("accept", ["gzip;q=0", "identity", "br", "deflate"])
def test_no_gzip_when_the_client_does_not_accept_it(client, feed, accept):
    response = client.get(FEED, headers={"Accept-Encoding": accept})
    assert "Content-Encoding" not in response.headers
    lines_of(response.get_data())


def test_each_representation_revalidates_with_its_own_tag(client, feed):
    plain_tag = client.get(FEED).headers["ETag"]
    gz = {"Accept-Encoding": "gzip"}
    gz_tag = client.get(FEED, headers=gz).headers["ETag"]
    assert client.get(FEED, headers={**gz, "If-None-Match": gz_tag}).status_code == 304
    assert client.get(FEED, headers={"If-None-Match": plain_tag}).status_code == 304
    # A tag of the other coding does not validate this one: the client gets the bytes it asked for.
    assert client.get(FEED, headers={**gz, "If-None-Match": plain_tag}).status_code == 200
    assert client.get(FEED, headers={"If-None-Match": gz_tag}).status_code == 200


def test_language_versions_have_their_own_tags(client, feed):
    zh, en = client.get(FEED), client.get(FEED + "?lang=en")
    assert zh.headers["ETag"] != en.headers["ETag"]
    assert (
        client.get(FEED + "?lang=en", headers={"If-None-Match": zh.headers["ETag"]}).status_code
        == 200
    )


def test_a_change_moves_the_tag_and_a_stale_tag_gets_the_new_feed(client, make, feed):
    etag = client.get(FEED).headers["ETag"]
    make.registration(feed[0])
    response = client.get(FEED, headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert response.headers["ETag"] != etag
    assert "19" in str(entries(response)[feed[0].uid]["DESCRIPTION"])


def test_unrelated_changes_keep_version_body_and_tag(client, make, venues, feed, count_queries):
    first = client.get(FEED)
    other = make.event_session(venue_=venues["nanhu"], capacity=5)
    make.registration(other)
    make.event_session(make.event(), venues["nanhu"])
    make.event_session(make.event(status=EventStatus.DRAFT), venues["daxiyang"])  # not public
    make.event_session(
        venue_=venues["daxiyang"], day=TODAY - timedelta(days=40)
    )  # out of the window
    with count_queries() as statements:
        second = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 304
    assert len(statements) == 1  # only the version: the body came from the cache
    assert client.get(FEED).get_data() == first.get_data()
    assert uids(client.get("/feeds/communities/nanhu.ics"))  # that feed did change


def test_an_unchanged_feed_is_served_from_the_cache_with_one_query(client, feed, count_queries):
    client.get(FEED)
    with count_queries() as statements:
        again = client.get(FEED)
    assert again.status_code == 200
    assert len(statements) == 1
    with count_queries() as statements:
        assert client.get(FEED, headers={"If-None-Match": again.headers["ETag"]}).status_code == 304
    assert len(statements) == 1


class FakeClock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_remembered_version_answers_polls_without_a_query_until_it_expires(
    app, client, make, feed, count_queries
):
    clock = FakeClock()
    app.extensions[feed_cache.VERSIONS_EXTENSION] = feed_cache.VersionMemo(5, clock=clock)
    first = client.get(FEED)
    with count_queries() as statements:
        polled = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
        again = client.get(FEED)
    assert (polled.status_code, again.status_code) == (304, 200)
    assert statements == []  # version remembered, body cached: no database at all
    make.registration(feed[0])
    clock.now += 4.9
    assert client.get(FEED).get_data() == first.get_data()  # the change shows a moment later
    clock.now += 0.2
    changed = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert "19" in str(entries(changed)[feed[0].uid]["DESCRIPTION"])


def test_unknown_slugs_are_never_remembered(app, client, make, venues):
    app.extensions[feed_cache.VERSIONS_EXTENSION] = feed_cache.VersionMemo(60)
    assert client.get("/feeds/communities/later.ics").status_code == 404
    make.community(venues["daxiyang"].township, "后来社区", slug="later")
    assert client.get("/feeds/communities/later.ics").status_code == 200


def test_the_bench_floor_serves_the_same_bytes_from_memory_when_switched_on(
    new_app, feed, count_queries
):
    bench_app = new_app(BENCH_ROUTES=True)
    bench_client = bench_app.test_client()
    with bench_app.app_context():
        real = bench_client.get(FEED)
        floor = bench_client.get("/_bench/floor/communities/daxiyang.ics")
        with count_queries() as statements:
            again = bench_client.get("/_bench/floor/communities/daxiyang.ics")
        missing = bench_client.get("/_bench/floor/communities/nowhere.ics")
    assert floor.get_data() == again.get_data() == real.get_data()
    assert floor.content_type == real.content_type
    assert statements == []
    assert missing.status_code == 404


def test_a_feed_holds_at_most_its_limit_of_sessions_the_earliest_first(app, client, make, venues):
    app.config["FEED_MAX_SESSIONS"] = 3
    sessions = [
        make.event_session(venue_=venues["daxiyang"], day=TODAY + timedelta(days=n))
        for n in (5, 1, 4, 2, 3)
    ]
    an_hour_ago(*sessions)
    by_day = sorted(sessions, key=lambda s: s.starts_at)
    first = client.get(FEED + "?lang=en")
    assert uids(first) == {s.uid for s in by_day[:3]}
    calendar = calendar_of(first)
    assert "first 3 sessions" in str(calendar["X-WR-CALDESC"])
    assert "first 3 sessions" in str(calendar["DESCRIPTION"])
    # A change beyond the limit is not in the feed, so it keeps its version and body.
    by_day[4].capacity = 99
    by_day[4].touch()
    db.session.commit()
    again = client.get(FEED + "?lang=en", headers={"If-None-Match": first.headers["ETag"]})
    assert again.status_code == 304
    # One of the shown sessions goes: the next one takes its venues, and the feed changes.
    db.session.delete(by_day[0])
    db.session.commit()
    changed = client.get(FEED + "?lang=en", headers={"If-None-Match": first.headers["ETag"]})
    assert changed.status_code == 200
    assert uids(changed) == {s.uid for s in by_day[1:4]}


def test_a_feed_within_its_limit_has_no_description(app, client, feed):
    calendar = calendar_of(client.get(FEED))
    assert "X-WR-CALDESC" not in calendar and "DESCRIPTION" not in calendar


def test_the_304_of_a_personal_feed_costs_one_query(client, personal, count_queries):
    url = f"/feeds/me/{personal.feed_token}.ics"
    etag = client.get(url).headers["ETag"]
    with count_queries() as statements:
        assert client.get(url, headers={"If-None-Match": etag}).status_code == 304
    assert len(statements) == 1


def test_a_rebuilt_feed_has_the_same_tag(app, client, feed):
    first = client.get(FEED)
    app.extensions.pop(feed_cache.EXTENSION)  # another server, or the entry aged out
    second = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 304
    assert client.get(FEED).get_data() == first.get_data()


# ---------------------------------------------------------------------------------------------
# Cost: constant queries for any number of sessions


def _bulk_sessions(make, venue, number: int) -> None:
    """`number` public sessions at the venue, inserted in one statement."""
    event = make.event()
    first = datetime.combine(TODAY, datetime.min.time(), tzinfo=UTC) + timedelta(days=1)
    now = datetime.now(UTC)
    rows = [
        {
            "uid": f"bulk-{secrets.token_hex(8)}@outreach.test",
            "event_id": event.id,
            "venue_id": venue.id,
            "starts_at": first + timedelta(hours=n),
            "ends_at": first + timedelta(hours=n + 1),
            "capacity": 30,
            "created_at": now,
            "updated_at": now,
        }
        for n in range(number)
    ]
    db.session.execute(insert(EventSession), rows)
    db.session.commit()


@pytest.mark.parametrize("url", [FEED, "/feeds/all.ics?township=wangjing&lang=en"])
def test_a_feed_of_a_thousand_sessions_takes_as_many_queries_as_one_of_ten(
    app, client, make, venues, count_queries, url
):
    _bulk_sessions(make, venues["daxiyang"], 10)
    with count_queries() as few:
        small = client.get(url)
    assert len(entries(small)) == 10
    _bulk_sessions(make, venues["daxiyang"], 990)
    app.extensions.pop(feed_cache.EXTENSION, None)
    started = clock.perf_counter()
    with count_queries() as many:
        large = client.get(url)
    elapsed = clock.perf_counter() - started
    assert len(entries(large)) == 1000
    assert len(many) == len(few) <= 3
    print(
        f"\n1,000-session feed: {len(many)} queries, {elapsed:.2f} s, {len(large.get_data())} bytes"
    )


def test_a_personal_feed_takes_constant_queries(client, make, venues, count_queries):
    # Eight bookings by one number in a day: more than a resident may make on their own.
    client.application.config["REGISTRATIONS_PER_NUMBER_PER_DAY"] = 8
    phone = "13912345678"
    sessions = [make.event_session(venue_=venues["daxiyang"], capacity=5) for _ in range(8)]
    made = make.registration(sessions[0], phone=phone)
    url = f"/feeds/me/{made.feed_token}.ics"
    with count_queries() as few:
        assert len(entries(client.get(url))) == 1
    for event_session in sessions[1:]:
        make.registration(event_session, phone=phone).feed_token = made.feed_token
    db.session.commit()
    with count_queries() as many:
        assert len(entries(client.get(url))) == 8
    assert len(many) == len(few) == 2


# ---------------------------------------------------------------------------------------------
# The cache backends


def test_memory_cache_evicts_the_least_recently_used_beyond_its_size():
    now = [0.0]
    built = [BuiltFeed.of(bytes([n]) * 1000, datetime(2030, 1, 1, tzinfo=UTC)) for n in range(3)]
    store = MemoryCache(max_bytes=built[0].size * 2, ttl=60, clock=lambda: now[0])
    store.set("a", built[0])
    store.set("b", built[1])
    assert store.get("a") == built[0]  # "a" is now the most recently used
    store.set("c", built[2])
    assert store.get("b") is None and store.get("a") == built[0] and store.get("c") == built[2]
    now[0] = 61
    assert store.get("a") is None and len(store) == 1


def test_a_feed_larger_than_the_memory_cache_is_served_but_not_kept():
    store = MemoryCache(max_bytes=10, ttl=60)
    store.set("a", BuiltFeed.of(b"x" * 100, datetime(2030, 1, 1, tzinfo=UTC)))
    assert store.get("a") is None and len(store) == 0


def test_built_feeds_survive_encoding_for_an_external_store():
    built = BuiltFeed.of("BEGIN:VCALENDAR\r\n名字\r\n".encode(), datetime(2030, 1, 1, tzinfo=UTC))
    assert BuiltFeed.decode(built.encode()) == built


def test_redis_cache_is_shared_by_app_servers(app, client, feed, redis_cache, count_queries):
    store, prefix = redis_cache
    first = client.get(FEED, headers={"Accept-Encoding": "gzip"})
    keys = list(store.scan_iter(match=prefix + "*"))
    assert len(keys) == 1 and 0 < store.ttl(keys[0]) <= app.config["FEED_CACHE_TTL"]
    app.extensions.pop(feed_cache.EXTENSION)  # a second server: nothing in its memory
    with count_queries() as statements:
        second = client.get(FEED, headers={"Accept-Encoding": "gzip"})
    assert len(statements) == 1
    assert second.get_data() == first.get_data()
    assert second.headers["ETag"] == first.headers["ETag"]
    assert second.headers["Last-Modified"] == first.headers["Last-Modified"]


def test_redis_cache_follows_changes(client, make, feed, redis_cache):
    first = client.get(FEED)
    make.registration(feed[0], party_size=2)
    second = client.get(FEED, headers={"If-None-Match": first.headers["ETag"]})
    assert second.status_code == 200
    assert "18" in str(entries(second)[feed[0].uid]["DESCRIPTION"])


def test_feeds_are_served_when_redis_is_down(app, client, feed):
    app.config.update(CACHE_URL="redis://127.0.0.1:1/0", FEED_CACHE_PREFIX="x:")
    app.extensions.pop(feed_cache.EXTENSION, None)
    response = client.get(FEED)
    assert response.status_code == 200
    assert client.get(FEED, headers={"If-None-Match": response.headers["ETag"]}).status_code == 304


def test_garbage_in_redis_is_rebuilt(client, feed, redis_cache):
    store, prefix = redis_cache
    first = client.get(FEED)
    [key] = store.scan_iter(match=prefix + "*")
    store.set(key, b"not a feed")
    assert client.get(FEED).get_data() == first.get_data()


def test_a_reset_personal_link_is_gone_from_the_cache_too(client, personal):
    url = f"/feeds/me/{personal.feed_token}.ics"
    assert client.get(url).status_code == 200
    assert post_form(client, f"/r/{personal.manage_token}/feed/reset").status_code == 302
    assert client.get(url).status_code == 404
