"""Registrations on one hot session: the real JSON API against a bare floor, side by side.

The floor (outreach/registrations/bench_floor.py, served only with bench routes on) does what
no registration can skip: lock the session row, look for the phone, sum the confirmed seats,
insert, commit. `measure` drives both with wrk (one distinct phone per request, from
`registration.lua`) in turns over several rounds, each on a fresh session, and prints the
median rates and their ratio; `in_process` counts the SQL statements and milliseconds of one
registration through the app's test client.
"""

from __future__ import annotations

import random
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import event

from bench import burst, wrk
from bench.server import bench_server

CONNECTIONS = 16
WORKERS = 4
API_PATH = "/api/v1/sessions/{}/registrations"
FLOOR_PATH = "/_bench/floor/sessions/{}/registrations"

# Each wrk thread numbers its requests; the phone is the run's prefix, the thread and the
# number (from a random start, so that runs on a kept database do not reuse numbers and meet
# the day's cap per number).
LUA_REQUESTS = """
local made = 0
local counter = 0
setup = function(thread)
  thread:set("tid", made)
  made = made + 1
end
request = function()
  counter = counter + 1
  local phone = string.format("%s%d%07d", "{prefix}", tid, {start} + counter)
  local body = string.format(
    '{{"name": "居民%d", "phone": "%s", "party_size": 1, "consent": true}}', counter, phone)
  return wrk.format("POST", nil,
    {{["Content-Type"] = "application/json", ["Accept-Language"] = "zh"}}, body)
end
"""


def _script(folder: Path, prefix: str) -> Path:
    """A wrk script posting one registration per request, each with a phone of its own."""
    text = LUA_REQUESTS.format(prefix=prefix, start=random.randrange(0, 8_000_000))
    path = folder / f"registration-{prefix}.lua"
    path.write_text(text + wrk.REPORT_SCRIPT.read_text(), encoding="utf-8")
    return path


def _seats(url: str, session_id: int) -> tuple[int, int, int, int]:
    """Confirmed seats and waitlisted rows as summed, and as the session's counters say."""
    with burst.connect(url) as connection:
        return connection.execute(
            "SELECT coalesce(sum(r.party_size) FILTER (WHERE r.status = 'confirmed'), 0),"
            " count(*) FILTER (WHERE r.status = 'waitlisted'), s.seats_taken, s.waitlist_length"
            " FROM event_session s LEFT JOIN registration r ON r.session_id = s.id"
            " WHERE s.id = %s GROUP BY s.id",
            (session_id,),
        ).fetchone()


def measure(
    url: str,
    report: Any,
    plan: Any,
    instance: Path,
    results: Any,
    fresh_session: Callable[[str, int, int], int],
) -> None:
    """The JSON API against the floor on fresh sessions, taking turns; then in-process."""
    capacity = 200
    runs: dict[str, list[wrk.Result]] = {"floor": [], "api": []}
    problems: list[str] = []
    folder = Path(tempfile.mkdtemp(prefix="registration-", dir=instance))
    with bench_server(url, instance / "registration", WORKERS) as server:
        # Warm every worker on both routes (templates, translations, connections) on a
        # session of its own, unmeasured.
        warm = fresh_session(url, report.burst_session_id, capacity)
        for path in (FLOOR_PATH, API_PATH):
            wrk.run(
                server.url + path.format(warm),
                seconds=2,
                connections=CONNECTIONS,
                script=_script(folder, f"19{len(path) % 10}"),
            )
        digit = 0
        for _round in range(plan.rounds):
            for side, path in (("floor", FLOOR_PATH), ("api", API_PATH)):
                session_id = fresh_session(url, report.burst_session_id, capacity)
                script = _script(folder, f"13{digit}")
                digit += 1
                run = wrk.run(
                    server.url + path.format(session_id),
                    seconds=plan.seconds,
                    connections=CONNECTIONS,
                    script=script,
                )
                runs[side].append(run)
                confirmed, waiting, counted, waitlist = _seats(url, session_id)
                # Requests still in flight when wrk stops are saved but not counted by wrk.
                expected = min(capacity, confirmed + waiting)
                if confirmed != expected:
                    problems.append(f"{side}: {confirmed} seats confirmed, expected {expected}")
                if side == "api" and (counted, waitlist) != (confirmed, waiting):
                    problems.append(
                        f"counters say {counted} seats and {waitlist} waiting; rows say "
                        f"{confirmed} and {waiting}"
                    )
    rate = {side: statistics.median(r.rate for r in found) for side, found in runs.items()}
    p95 = {side: statistics.median(r.p95_ms for r in found) for side, found in runs.items()}
    errors = {side: sum(r.errors + r.non_2xx_3xx for r in found) for side, found in runs.items()}
    label = f"one hot {capacity}-seat session, {WORKERS} workers, {CONNECTIONS} connections"
    results.add(
        f"Registration floor (bare psycopg: lock, duplicate check, seat sum, insert, commit), "
        f"{label}",
        f"{rate['floor']:,.0f} /s (median of {plan.rounds}); p95 {p95['floor']:.0f} ms; "
        f"{errors['floor']} errors",
    )
    ratio = rate["api"] / rate["floor"] if rate["floor"] else 0
    results.add(
        f"Registrations through the JSON API, {label}",
        f"{rate['api']:,.0f} /s = {ratio:.2f}× floor; p95 {p95['api']:.0f} ms; "
        f"{errors['api']} errors",
        "≥ 0.5× floor, 0 errors",
        ratio >= 0.5 and errors["api"] == 0,
    )
    results.check(
        "Registration runs: seats exact, counters equal to the rows",
        "; ".join(problems[:3]) or "all runs exact",
        "exact",
        not problems,
    )
    from bench.run import bench_app  # the bench's own app (run.py imports this module)

    session_id = fresh_session(url, report.burst_session_id, 30)
    measured = in_process(bench_app(url), session_id, 30, 60)
    results.add(
        "One registration in-process through the JSON API (SQL statements, ms): "
        "confirmed / waitlisted",
        f"{measured.statements} statements, {measured.milliseconds:.1f} ms / "
        f"{measured.waitlisted_statements} statements, {measured.waitlisted_milliseconds:.1f} ms",
    )


def floor_burst(port: int, session_id: int, attempts: int) -> tuple[float, int]:
    """The floor's own burst: p95 seconds and how many answered 201."""
    answers = burst.burst(port, session_id, range(attempts), path=FLOOR_PATH.format(session_id))
    latencies = sorted(a.seconds for a in answers)
    p95 = latencies[int(len(latencies) * 0.95) - 1]
    return p95, sum(1 for a in answers if a.status == 201)


def burst_floor_row(
    url: str, report: Any, plan: Any, instance: Path, results: Any, fresh_session, api_p95: float
) -> None:
    """The same burst on the floor route, so the API's p95 has its floor beside it."""
    session_id = fresh_session(url, report.burst_session_id, plan.burst_capacity)
    with bench_server(url, instance / "burst-floor", WORKERS) as server:
        started = time.monotonic()
        p95, answered = floor_burst(server.port, session_id, plan.burst_attempts)
        elapsed = time.monotonic() - started
    ratio = api_p95 / p95 if p95 else 0
    results.add(
        f"Registration burst on the floor route: {plan.burst_attempts:,} at once, "
        f"{WORKERS} workers",
        f"p95 {p95:.2f} s ({answered} answered 201, {plan.burst_attempts / elapsed:,.0f} /s); "
        f"the API's p95 {api_p95:.2f} s = {ratio:.2f}× the floor's",
        "API p95 < 1 s",
        api_p95 < 1,
    )


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
