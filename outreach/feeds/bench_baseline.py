"""The benchmark's baseline: a community feed's bytes answered straight from memory.

`scripts/bench` compares the real feed endpoints with this route in the same app and server
(the bench calls its rate the "serving floor"), so the ratio measures what the feed code costs
on top of Flask, gunicorn and the socket. It is registered only when `BENCH_ROUTES` is on
(`OUTREACH_BENCH_ROUTES=true`), never in production.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, Response, current_app

from outreach.feeds import responses
from outreach.feeds.views import community

bp = Blueprint("bench_baseline", __name__)
EXTENSION = "outreach.bench_baseline"
_lock = threading.Lock()


@bp.get("/_bench/floor/communities/<slug>.ics")
def community_feed(slug: str) -> Response:
    """The community feed's body as first served, then always from memory."""
    bodies: dict[str, bytes] = current_app.extensions[EXTENSION]
    body = bodies.get(slug)
    if body is None:
        served = community(slug)
        if served.status_code != 200:
            return served
        with _lock:
            body = bodies.setdefault(slug, served.get_data())
    return Response(body, content_type=responses.CONTENT_TYPE)


def init_app(app: Flask) -> None:
    """Register the baseline route when benchmarks asked for it."""
    if app.config["BENCH_ROUTES"]:
        # Per app and worker process: slug → the body the real endpoint served first.
        app.extensions[EXTENSION] = {}
        app.register_blueprint(bp)
