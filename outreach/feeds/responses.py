"""Serving a built feed: content coding, validators, conditional requests, caching headers.

Each content coding is its own representation (RFC 9110 §8.8.3): the gzip bytes differ from
the plain ones, so they carry their own strong tag, the plain tag with "-gz" appended. Both
derive from the hash of the plain body, so both change exactly when the content does, and a
shared cache that stores both (`Vary: Accept-Encoding`) can revalidate each one.
"""

from __future__ import annotations

from flask import Response, current_app, request

from outreach.feeds.cache import BuiltFeed

CONTENT_TYPE = "text/calendar; charset=utf-8"


def _wants_gzip() -> bool:
    return request.accept_encodings.quality("gzip") > 0


def _not_modified(etag: str, feed: BuiltFeed) -> bool:
    """RFC 9110 §13.1.2–3: If-None-Match by weak comparison (a list, W/ tags, `*`);
    If-Modified-Since only when the request has no If-None-Match."""
    if "If-None-Match" in request.headers:
        return request.if_none_match.contains_weak(etag)
    since = request.if_modified_since
    return since is not None and feed.last_modified.replace(microsecond=0) <= since


def respond(feed: BuiltFeed, *, public: bool, content_type: str = CONTENT_TYPE) -> Response:
    """The feed (a calendar unless `content_type` says otherwise) as a 200 (plain or gzip)
    or a 304, with the headers calendar clients and news readers need."""
    gzipped = _wants_gzip()
    etag = feed.etag + "-gz" if gzipped else feed.etag
    if _not_modified(etag, feed):
        response = Response(status=304)
    else:
        response = Response(feed.gzipped if gzipped else feed.body, content_type=content_type)
        if gzipped:
            response.headers["Content-Encoding"] = "gzip"
    response.set_etag(etag)
    response.last_modified = feed.last_modified
    response.headers["Vary"] = "Accept-Encoding"
    if public:
        max_age = current_app.config["FEED_MAX_AGE"]
        response.headers["Cache-Control"] = f"public, max-age={max_age}"
        # Web calendars may read public feeds from the browser.
        response.headers["Access-Control-Allow-Origin"] = "*"
    # A personal feed: outreach/headers.py keeps it out of caches and search engines, as it
    # does every private address.
    return response
