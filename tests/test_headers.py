"""Security headers on every answer (issue 12, item 8), and hosts the site trusts (item 1).

A walk over every GET route of `app.url_map`, its arguments filled from a small world (or with
values that match nothing), checks the headers on each answer, 200, 302 and 404 alike.
"""

from __future__ import annotations

import re

import pytest

from outreach.headers import CONTENT_SECURITY_POLICY, FRAMEABLE_POLICY
from tests import web

# Routes the walk leaves out: files of the site itself.
SKIPPED = {"static"}
STAFF_OR_PERSONAL = re.compile(
    r"^/(staff|r/|feeds/me/|subscribe/me/|api/v1/registrations/|sessions/\d+/mine)"
)


@pytest.fixture
def world(make):
    event = make.event()
    event_session = make.event_session(event)
    slot = make.slot(event_session)
    registration = make.registration(event_session, slot_id=slot.id)
    admin = make.staff(is_admin=True)
    return {
        "event_id": event.id,
        "session_id": event_session.id,
        "item_id": event.category.id,
        "user_id": admin.id,
        "slug": event_session.venue.community.slug,
        "token": registration.manage_token,
        "feed_token": registration.feed_token,
        "admin": admin,
    }


def _paths(app, world) -> list[tuple[str, str]]:
    """(endpoint, path) of every GET route, with arguments from the world; `any(...)`
    converters take their first choice, and a `kind` outside one a subscribe page's kind."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in rule.methods or rule.endpoint in SKIPPED:
            continue
        values = {}
        for name in rule.arguments:
            converter = rule._converters[name]
            items = getattr(converter, "items", None)
            if items:
                values[name] = sorted(items)[0]
            elif name == "token" and rule.endpoint.startswith("feeds."):
                values[name] = world["feed_token"]
            elif name == "kind":
                values[name] = "communities"
            else:
                values[name] = world.get(name, 1)
        with app.test_request_context():
            from flask import url_for

            paths.append((rule.endpoint, url_for(rule.endpoint, **values)))
    return paths


def _check(response, path: str, endpoint: str) -> None:
    headers = response.headers
    where = (endpoint, path, response.status_code)
    if path.startswith("/embed/"):  # embedded calendars: any site may frame them
        assert headers.get("Content-Security-Policy") == FRAMEABLE_POLICY, where
        assert "X-Frame-Options" not in headers, where
    else:  # nothing else may be framed
        assert headers.get("Content-Security-Policy") == CONTENT_SECURITY_POLICY, where
        assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
        assert headers.get("X-Frame-Options") == "DENY", where
    assert "'unsafe-inline'" not in headers["Content-Security-Policy"]
    assert headers.get("X-Content-Type-Options") == "nosniff", where
    assert headers.get("Referrer-Policy") in {"same-origin", "no-referrer"}, where
    policy = headers.get("Permissions-Policy", "")
    if endpoint in {"roster.roster_page", "desk_offline.shell"}:  # the desks
        assert "camera=(self)" in policy, where
    else:
        assert "camera=()" in policy, where
    assert "microphone=()" in policy and "geolocation=()" in policy, where
    assert "Strict-Transport-Security" not in headers, where  # the cookie is not HTTPS-only
    if STAFF_OR_PERSONAL.match(path):
        assert "no-store" in headers.get("Cache-Control", ""), where


@pytest.mark.parametrize("signed_in", [False, True], ids=["anonymous", "admin"])
def test_every_route_answers_with_the_security_headers(app, client, world, signed_in):
    if signed_in:
        web.login(client, world["admin"])
    statuses = set()
    paths = _paths(app, world)
    assert len(paths) > 60
    for endpoint, path in paths:
        response = client.get(path)
        statuses.add(response.status_code)
        _check(response, path, endpoint)
    # The walk met pages, redirects and misses alike.
    assert {200, 404} <= statuses
    assert 302 in statuses or signed_in


def test_errors_and_missing_pages_carry_the_headers_too(client):
    for path in ("/no-such-page", "/events/999999", "/r/not-a-token", "/staff/users/999999"):
        response = client.get(path)
        assert response.status_code in {302, 404}, path
        _check(response, path, "")


def test_pages_with_a_token_keep_no_referrer(client, world):
    for path in (f"/r/{world['token']}", f"/subscribe/me/{world['feed_token']}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "no-store" in response.headers["Cache-Control"]


def test_public_pages_are_same_origin_and_cacheable_feeds_stay_public(client, world):
    page = client.get(f"/events/{world['event_id']}")
    assert page.headers["Referrer-Policy"] == "same-origin"
    assert "no-store" not in page.headers.get("Cache-Control", "")
    feed = client.get("/feeds/all.ics")
    assert feed.headers["Cache-Control"].startswith("public")


def test_hsts_only_when_the_session_cookie_is_https_only(new_app):
    secure = new_app(SESSION_COOKIE_SECURE=True)
    response = secure.test_client().get("/", base_url="https://localhost")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


# Item 1: the hosts the site answers to.


def test_with_a_base_url_a_forged_host_is_refused(new_app):
    site = new_app(BASE_URL="https://events.example.cn", EXTRA_TRUSTED_HOSTS=("10.0.0.5",))
    client = site.test_client()
    assert client.get("/", base_url="https://events.example.cn").status_code == 200
    assert client.get("/", base_url="http://10.0.0.5:8000").status_code == 200
    forged = client.get("/", base_url="http://evil.example")
    assert forged.status_code == 400
    assert forged.headers["X-Content-Type-Options"] == "nosniff"


def test_without_a_base_url_any_host_is_served(new_app):
    site = new_app(BASE_URL=None)
    assert site.config["TRUSTED_HOSTS"] is None
    assert site.test_client().get("/", base_url="http://127.0.0.1:5000").status_code == 200


def test_the_proxy_never_forwards_a_host(new_app):
    """Behind ProxyFix the client's address and scheme come from the proxy, the Host never."""
    from flask import request

    site = new_app(PROXY_FIX=1, BASE_URL=None)
    seen = {}

    @site.get("/_seen")
    def _seen():
        seen.update(host=request.host, scheme=request.scheme, remote=request.remote_addr)
        return "ok"

    site.test_client().get(
        "/_seen",
        headers={
            "X-Forwarded-Host": "evil.example",
            "X-Forwarded-Proto": "https",
            "X-Forwarded-For": "203.0.113.9",
        },
    )
    assert seen == {"host": "localhost", "scheme": "https", "remote": "203.0.113.9"}
