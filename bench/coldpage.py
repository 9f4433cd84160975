"""The event page rendered with the page cache empty, in-process (issue 14: at most 10 ms at
demo scale).

    python -m bench.coldpage [--path /events/2] [--repeats 200]

`scripts/bench` (part `cache`) runs it on a scratch PostgreSQL database holding the demo, on
the demo's event with the most slots (`measure_demo`).

Each request is a whole GET through the test client (routing, hooks, queries, template,
response) with the page cache's store bypassed, so every one renders the page; the figure is
the median (and p95) of the CPU time of those requests after a warm-up, and the number of
SQL statements one of them runs. It uses the app the environment configures
(`OUTREACH_DATABASE_URL`), which must hold the demo (`flask seed-demo`).
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

import flask_migrate
import psycopg
from flask import Flask
from sqlalchemy import event, func, make_url, select

from outreach import demo
from outreach.database import db
from outreach.events.models import EventSession
from outreach.pages import serving
from outreach.registrations.models import Slot

# The event page rendered with the cache empty: at most this many milliseconds.
TARGET_MS = 10.0
WARM_UP = 20


@dataclass(frozen=True)
class ColdPage:
    """CPU milliseconds per render (median, p95), SQL statements per render, bytes, and the
    floor: the median of a bare Flask app answering the same bytes in the same way."""

    median_ms: float
    p95_ms: float
    statements: int
    size: int
    floor_ms: float


def _build_only(parts: Any, version: Any, build: Any, kind: str) -> Any:
    return build()  # no lookup, no store: the page is rendered every time


@contextmanager
def _counting(app: Flask) -> Iterator[list[str]]:
    seen: list[str] = []

    def count(_conn, _cursor, statement, *_args) -> None:
        seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _timed(app: Flask, path: str, repeats: int) -> list[float]:
    """CPU seconds of each of `repeats` GETs of `path` through the test client, sorted."""
    client = app.test_client()
    for _ in range(WARM_UP):
        client.get(path)
    times = []
    for _ in range(repeats):
        started = time.process_time()
        response = client.get(path)
        times.append(time.process_time() - started)
        if response.status_code != 200:
            raise RuntimeError(f"{path} answered {response.status_code}")
    return sorted(times)


def _floor(body: bytes, repeats: int) -> float:
    """Median CPU milliseconds of a bare Flask app answering `body` through its test client:
    what the machine gives any in-process request, measured in the same run."""
    bare = Flask("floor")
    bare.add_url_rule("/page", "page", lambda: body)
    return statistics.median(_timed(bare, "/page", repeats)) * 1000


def measure(app: Flask, path: str, repeats: int = 200) -> ColdPage:
    """Render `path` `repeats` times with the page cache bypassed."""
    with mock.patch.object(serving, "cached", _build_only):
        times = _timed(app, path, repeats)
        with _counting(app) as seen:
            body = app.test_client().get(path).get_data()
    return ColdPage(
        median_ms=statistics.median(times) * 1000,
        p95_ms=times[int(len(times) * 0.95) - 1] * 1000,
        statements=len(seen),
        size=len(body),
        floor_ms=_floor(body, repeats),
    )


def describe(found: ColdPage) -> str:
    return (
        f"{found.median_ms:.1f} ms CPU (median), p95 {found.p95_ms:.1f} ms; "
        f"{found.statements} SQL statements; {found.size:,} bytes; bare Flask answering the "
        f"same bytes {found.floor_ms:.2f} ms = {found.median_ms / found.floor_ms:.0f}× that floor"
    )


# The scratch database of the demo, one per bench process.
DEMO_DATABASE = f"outreach_bench_demo_{os.getpid()}"


def _busiest_event() -> int:
    """The demo event whose page lists the most slots (the clinic day's)."""
    count = func.count(Slot.id)
    return db.session.scalar(
        select(EventSession.event_id)
        .join(Slot, Slot.session_id == EventSession.id)
        .group_by(EventSession.event_id)
        .order_by(count.desc(), EventSession.event_id)
        .limit(1)
    )


def measure_demo(admin_url: str, results: Any, make_app: Any, repeats: int = 200) -> ColdPage:
    """The demo in a scratch database (dropped after), its busiest event page measured cold;
    a row added to `results` (judged against TARGET_MS)."""
    url = make_url(admin_url).set(database=DEMO_DATABASE).render_as_string(hide_password=False)
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{DEMO_DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{DEMO_DATABASE}"')
    try:
        app = make_app(url)
        with app.app_context():
            flask_migrate.upgrade()
            demo.seed()
            db.session.commit()
            event_id = _busiest_event()
            db.session.remove()
        path = f"/events/{event_id}"
        found = measure(app, path, repeats)
        with app.app_context():
            db.engine.dispose()
    finally:
        with psycopg.connect(admin_url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{DEMO_DATABASE}" WITH (FORCE)')
    results.add(
        f"Event page {path} of the demo, page cache empty, in-process, PostgreSQL",
        describe(found),
        f"≤ {TARGET_MS:g} ms",
        found.median_ms <= TARGET_MS,
    )
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/events/2")
    parser.add_argument("--repeats", type=int, default=200)
    arguments = parser.parse_args(argv)
    from outreach import create_app

    found = measure(create_app(), arguments.path, arguments.repeats)
    passed = found.median_ms <= TARGET_MS
    print(
        f"cold {arguments.path}: {describe(found)} (target ≤ {TARGET_MS:g} ms: "
        f"{'pass' if passed else 'FAIL'})"
    )
    return 0 if passed else 1


if __name__ == "__main__":
    raise SystemExit(main())
