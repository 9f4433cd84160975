"""The event page rendered with the page cache empty, in-process (issue 14: at most 10 ms at
demo scale).

    python -m bench.coldpage [--path /events/2] [--repeats 200]

Each request is a whole GET through the test client (routing, hooks, queries, template,
response) with the page cache's store bypassed, so every one renders the page; the figure is
the median (and p95) of the CPU time of those requests after a warm-up, and the number of
SQL statements one of them runs. It uses the app the environment configures
(`OUTREACH_DATABASE_URL`), which must hold the demo (`flask seed-demo`).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from unittest import mock

from flask import Flask
from sqlalchemy import event

from outreach.database import db
from outreach.pages import serving

# The event page rendered with the cache empty: at most this many milliseconds.
TARGET_MS = 10.0
WARM_UP = 20


@dataclass(frozen=True)
class ColdPage:
    """CPU milliseconds per render (median, p95), SQL statements per render, bytes."""

    median_ms: float
    p95_ms: float
    statements: int
    size: int


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


def measure(app: Flask, path: str, repeats: int = 200) -> ColdPage:
    """Render `path` `repeats` times with the page cache bypassed."""
    client = app.test_client()
    times: list[float] = []
    with mock.patch.object(serving, "cached", _build_only):
        for _ in range(WARM_UP):
            client.get(path)
        for _ in range(repeats):
            started = time.process_time()
            response = client.get(path)
            times.append(time.process_time() - started)
            if response.status_code != 200:
                raise RuntimeError(f"{path} answered {response.status_code}")
        with _counting(app) as seen:
            body = client.get(path).get_data()
    times.sort()
    return ColdPage(
        median_ms=statistics.median(times) * 1000,
        p95_ms=times[int(len(times) * 0.95) - 1] * 1000,
        statements=len(seen),
        size=len(body),
    )


def describe(found: ColdPage) -> str:
    return (
        f"{found.median_ms:.1f} ms CPU (median), p95 {found.p95_ms:.1f} ms; "
        f"{found.statements} SQL statements; {found.size:,} bytes"
    )


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
