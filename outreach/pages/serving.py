"""Serving the public pages from the cache of built bodies (the feeds' cache, see
`feeds.cache`), with what differs per visitor added at serving time.

A page is rendered once per data version (`pages.versions`) and per what it is shown in: the
site's address, the path prefix it is mounted under, the path and query string, the language,
elderly mode and high contrast, and (home and community pages) the chosen community.
Rendering puts a placeholder where a form's CSRF token goes; serving puts this visitor's
token there (Flask-WTF: a random value kept in the session, signed with a timestamp), so a
form posted from a cached page is checked as today, with or without JavaScript.

Validators and caches:

- A page without a form is the same for everyone: a strong `ETag` (its hash; "-gz" for the
  gzip bytes) and, to a visitor without a session, `Cache-Control: public, max-age=0,
  s-maxage=PAGE_SHARED_MAX_AGE` (browsers revalidate every time, a shared proxy such as
  nginx may keep it that long); to a visitor with a session `private, no-cache`, since the
  answer carries their session cookie.
- A page with a form holds the visitor's token: `private, no-cache`, a weak `ETag` made of
  the page's hash and a tag of the visitor's raw token and the current quarter of the
  token's lifetime (`WTF_CSRF_TIME_LIMIT`). A 304 therefore only ever confirms a copy whose
  token belongs to the same session and was signed less than a quarter of its lifetime ago:
  signing in or out, a new session, or time passing changes the tag and the page comes back
  whole with a fresh token.
- Every page: `Vary: Accept-Encoding, Accept-Language, Cookie` (the language follows both;
  modes and the chosen community are cookies).

Visitors with rare state of their own get the page rendered as before, not from the cache: a
flashed message, registrations remembered in this browser or a phone number confirmed here a
short while ago (the event page shows those).
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import time
from collections.abc import Callable
from typing import Any

from flask import Flask, Response, current_app, g, request, session
from flask_wtf.csrf import generate_csrf

from outreach.database import utcnow
from outreach.display import elder_mode, high_contrast
from outreach.events import services as event_services
from outreach.events.forms import parse_listing_query
from outreach.events.views import COMMUNITY_COOKIE
from outreach.feeds.cache import BuiltFeed, cached, remembered_version
from outreach.i18n import current_language
from outreach.links import base_url
from outreach.pages import versions
from outreach.registrations import verification
from outreach.registrations.views import OWNED, VERIFIED

# Raise when the way pages are rendered or stored changes, so that bodies built by the old
# code (kept in Redis across a deployment) are not served by the new.
FORMAT = "1"
# Where a form's CSRF token goes in a cached body: no token, and nothing a page shows.
PLACEHOLDER = "csrf-placeholder-4f1d6c0b9e"
_PLACEHOLDER_BYTES = PLACEHOLDER.encode()
# Session keys that make a page this visitor's own: it is rendered for them alone.
OWN_STATE = ("_flashes", OWNED, VERIFIED)
VARY = "Accept-Encoding, Accept-Language, Cookie"
CONTENT_TYPE = "text/html; charset=utf-8"
# gzip's level for a page's stored copy. An event page is built again whenever its seats
# change, so during a run on a popular session it is built often: level 1 compresses the
# demo's busiest page in about a third of level 6's time (0.6 against 1.8 ms on a loaded
# machine) into some 15% more bytes (7.5 against 6.5 kB). Feeds, built seldom, keep 6.
PAGE_COMPRESSION = 1
# Pages whose content follows the chosen community's cookie.
FOLLOW_COMMUNITY = frozenset({"events.index", "events.community"})


class _NotStored(Exception):
    """The view answered something that is not a page for everyone (a redirect, a cookie)."""

    def __init__(self, response: Response) -> None:
        super().__init__("not stored")
        self.response = response


def _chosen_slug() -> str:
    return (request.cookies.get(COMMUNITY_COOKIE) or "")[: event_services.MAX_SLUG]


def _own_state() -> bool:
    """Whether this visitor's session holds something a page shows them alone."""
    if current_app.config["SESSION_COOKIE_NAME"] not in request.cookies:
        return False  # no session: nothing of their own (and the session is not opened)
    return any(key in session for key in OWN_STATE)


def _version(endpoint: str, arguments: dict[str, Any]) -> str:
    """The page's data version, remembered per worker as feeds' are (FEED_VERSION_TTL)."""
    now = utcnow()
    per_page = current_app.config["PER_PAGE"]
    if endpoint == "events.event":
        event_id = arguments["event_id"]
        return remembered_version(
            ("page", endpoint, event_id), lambda: versions.event_version(event_id, now)
        )
    query = parse_listing_query(request.args)
    if endpoint == "events.index":
        slug = _chosen_slug()

        def read() -> str:
            own = event_services.chosen_community(slug)
            return versions.listing_version(query, {}, now, per_page=per_page, home=True, own=own)

        return remembered_version(("page", endpoint, query, slug), read)
    dimension = endpoint.removeprefix("events.")
    fixed = {dimension: arguments["slug"]}
    return remembered_version(
        ("page", endpoint, query, arguments["slug"]),
        lambda: versions.listing_version(query, fixed, now, per_page=per_page),
    )


def _parts(endpoint: str, arguments: dict[str, Any]) -> tuple[str, ...]:
    """What a page's body depends on besides its data."""
    return (
        "page",
        FORMAT,
        base_url() or request.host_url,
        # The path prefix a proxy mounts the app under: the page's own links carry it.
        request.script_root,
        endpoint,
        repr(sorted(arguments.items())),
        request.query_string.decode("latin-1"),
        current_language(),
        f"elder={elder_mode():d} contrast={high_contrast():d}",
        _chosen_slug() if endpoint in FOLLOW_COMMUNITY else "",
        # Settings the registration form shows (kept in Redis across a change of them).
        f"verify={verification.enabled():d} days={current_app.config['RETENTION_DAYS']}",
    )


def _render(view: Callable[..., Any], arguments: dict[str, Any]) -> BuiltFeed:
    """The view's page with the token placeholder; anything but a plain 200 is not stored."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    setattr(g, field, PLACEHOLDER)  # generate_csrf() answers what g holds
    try:
        response = current_app.make_response(view(**arguments))
    finally:
        g.pop(field, None)
    if response.status_code != 200 or "Set-Cookie" in response.headers:
        raise _NotStored(response)
    return BuiltFeed.of(response.get_data(), utcnow(), compresslevel=PAGE_COMPRESSION)


def _visitor_tag() -> str:
    """This session's raw CSRF value and the current quarter of the token's lifetime, keyed
    and shortened: what a cached copy's token was made of."""
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    limit = current_app.config.get("WTF_CSRF_TIME_LIMIT", 3600)
    quarter = int(time.time() // (limit / 4)) if limit else 0
    secret = current_app.config.get("WTF_CSRF_SECRET_KEY") or current_app.secret_key
    message = f"{session.get(field)}|{quarter}".encode()
    return hmac.new(str(secret).encode(), message, hashlib.sha256).hexdigest()[:16]


def _respond(built: BuiltFeed) -> Response:
    """The page as a 200 or a 304, with this visitor's token when it has a form."""
    if _PLACEHOLDER_BYTES in built.body:
        return _respond_personal(built)
    gzipped = request.accept_encodings.quality("gzip") > 0
    etag = built.etag + "-gz" if gzipped else built.etag
    if request.if_none_match.contains_weak(etag):
        response = Response(status=304)
    else:
        response = Response(built.gzipped if gzipped else built.body, content_type=CONTENT_TYPE)
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(etag)
    if current_app.config["SESSION_COOKIE_NAME"] in request.cookies:
        response.headers["Cache-Control"] = "private, no-cache"
    else:
        shared = current_app.config["PAGE_SHARED_MAX_AGE"]
        response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={shared}"
    return response


def _respond_personal(built: BuiltFeed) -> Response:
    field = current_app.config.get("WTF_CSRF_FIELD_NAME", "csrf_token")
    if field in session and request.if_none_match.contains_weak(f"{built.etag}.{_visitor_tag()}"):
        response = Response(status=304)
    else:
        token = generate_csrf()  # a new visitor's session gets its raw value here
        response = Response(
            built.body.replace(_PLACEHOLDER_BYTES, token.encode()), content_type=CONTENT_TYPE
        )
    response.set_etag(f"{built.etag}.{_visitor_tag()}", weak=True)
    response.headers["Cache-Control"] = "private, no-cache"
    return response


def cached_page(endpoint: str, view: Callable[..., Any]) -> Callable[..., Any]:
    """`view` answered from the cache of pages, for visitors without state of their own."""

    @functools.wraps(view)
    def serve(**arguments: Any) -> Any:
        if request.method != "GET" or _own_state():
            return view(**arguments)
        version = _version(endpoint, arguments)
        try:
            built = cached(
                _parts(endpoint, arguments), version, lambda: _render(view, arguments), "page"
            )
        except _NotStored as answer:
            if _PLACEHOLDER_BYTES in answer.response.get_data():
                return view(**arguments)  # rare (a cookie forgotten): rendered with a token
            return answer.response
        response = _respond(built)
        response.headers["Vary"] = VARY
        return response

    return serve


# The pages everyone sees alike, by endpoint.
PAGES = (
    "events.index",
    "events.township",
    "events.community",
    "events.organisation",
    "events.category",
    "events.event",
)


def keep_cookies_private(response: Response) -> Response:
    """An answer that sets a cookie is this visitor's: a ?lang= or ?elder= choice kept, or a
    session (a staff member's, signed in again from their remember-me cookie), which Flask
    writes after this hook. No shared cache may store it."""
    if request.endpoint not in PAGES or "public" not in response.headers.get("Cache-Control", ""):
        return response  # feeds keep their own rules (and must not read the session)
    app = current_app._get_current_object()  # type: ignore[attr-defined]
    if "Set-Cookie" in response.headers or app.session_interface.should_set_cookie(app, session):
        response.headers["Cache-Control"] = "private, no-cache"
    return response


def init_app(app: Flask) -> None:
    """Serve the public pages through the cache."""
    for endpoint in PAGES:
        app.view_functions[endpoint] = cached_page(endpoint, app.view_functions[endpoint])
    # After-request functions run in reverse order of registration: first in the list runs
    # last, after the hooks that keep language and display choices in cookies.
    app.after_request_funcs.setdefault(None, []).insert(0, keep_cookies_private)
