"""Registrations on one hot session: the real JSON API against a bare floor, side by side.

The floor (outreach/registrations/bench_floor.py, served only with bench routes on) does what
no registration can skip: lock the session row, look for the phone, sum the confirmed seats,
insert, commit. `measure` drives both with wrk (one distinct phone per request, from
`registration.lua`) in turns over several rounds, each on a fresh session, and prints the
median rates and their ratio; `in_process` counts the SQL statements and milliseconds of one
registration through the app's test client.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import event

from bench import wrk

LUA_SCRIPT = Path(__file__).with_name("registration.lua")


@dataclass(frozen=True)
class InProcess:
    """One registration through the test client: SQL statements and wall time (medians)."""

    statements: int
    milliseconds: float
    waitlisted_statements: int
    waitlisted_milliseconds: float


def _payload(index: int) -> dict:
    return {"name": f"居民{index}", "phone": f"137{index:08d}", "party_size": 1, "consent": True}


def in_process(app, session_id: int, capacity: int, count: int = 60) -> InProcess:
    """Register `count` residents one after another on `session_id` (with `capacity` seats):
    the median statements and ms of the confirmed ones and of the waitlisted ones."""
    client = app.test_client()
    path = f"/api/v1/sessions/{session_id}/registrations"
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement)

    confirmed: list[tuple[int, float]] = []
    waitlisted: list[tuple[int, float]] = []
    with app.app_context():
        from outreach.database import db

        engine = db.engine
        event.listen(engine, "before_cursor_execute", record)
        try:
            for index in range(count):
                seen.clear()
                began = time.perf_counter()
                response = client.post(path, json=_payload(index))
                elapsed = (time.perf_counter() - began) * 1000
                if response.status_code != 201:
                    raise RuntimeError(f"registration failed: {response.status_code}")
                kind = confirmed if response.json["status"] == "confirmed" else waitlisted
                kind.append((len(seen), elapsed))
        finally:
            event.remove(engine, "before_cursor_execute", record)
    # The first few warm the caches (templates, translations, connections).
    confirmed = confirmed[3:] or confirmed
    return InProcess(
        statements=round(statistics.median(n for n, _ in confirmed)),
        milliseconds=statistics.median(ms for _, ms in confirmed),
        waitlisted_statements=round(statistics.median(n for n, _ in waitlisted or [(0, 0)])),
        waitlisted_milliseconds=statistics.median(ms for _, ms in waitlisted or [(0, 0)]),
    )


__all__ = ["LUA_SCRIPT", "InProcess", "in_process", "wrk"]
