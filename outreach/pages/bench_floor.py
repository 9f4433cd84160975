"""The benchmark's floor for pages: a public page's bytes answered straight from memory.

`scripts/bench` (part `cache`) compares the cached pages with this route in the same app and
server, so the ratio measures what serving from the page cache costs on top of Flask,
gunicorn and the socket. Registered only when `BENCH_ROUTES` is on, never in production.
"""

from __future__ import annotations

import threading

from flask import Blueprint, Flask, Response, current_app

bp = Blueprint("bench_pages", __name__)
EXTENSION = "outreach.bench_pages"
_lock = threading.Lock()


@bp.get("/_bench/floor/pages/<path:path>")
@bp.get("/_bench/floor/pages/", defaults={"path": ""})
def page(path: str) -> Response:
    """The public page at /<path> as first served here, then always from memory."""
    bodies: dict[str, bytes] = current_app.extensions[EXTENSION]
    body = bodies.get(path)
    if body is None:
        with current_app.test_client() as client:
            served = client.get("/" + path, headers={"Accept-Encoding": "identity"})
        if served.status_code != 200:
            return Response(status=served.status_code)
        with _lock:
            body = bodies.setdefault(path, served.get_data())
    return Response(body, content_type="text/html; charset=utf-8")


def init_app(app: Flask) -> None:
    """Register the floor route when benchmarks asked for it."""
    if app.config["BENCH_ROUTES"]:
        app.extensions[EXTENSION] = {}
        app.register_blueprint(bp)
