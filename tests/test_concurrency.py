"""A popular session opens and a hundred residents register in the same second.

Through a real gunicorn server with several worker processes on PostgreSQL, where only the
session row lock (`SELECT … FOR UPDATE`) stands between the requests and an oversold session.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import select

from outreach.database import db
from outreach.registrations.models import Registration, RegistrationStatus
from tests import factories
from tests.conftest import POSTGRES_ONLY
from tests.serverproc import ServerProcess

# Without PostgreSQL this module collects nothing: an empty parametrisation would still leave
# a skipped test behind, and SQLite's single writer proves nothing about row locks anyway.
__test__ = bool(POSTGRES_ONLY)
pytestmark = pytest.mark.commits

CAPACITY = 20
BURST = 100


@pytest.fixture(scope="module")
def server(migrated_postgres_url, tmp_path_factory) -> Iterator[ServerProcess]:
    """gunicorn with four worker processes of two threads each, on that database."""
    instance = tmp_path_factory.mktemp("instance")
    with ServerProcess(migrated_postgres_url, instance, workers=4, threads=2) as running:
        yield running


@dataclass(frozen=True)
class Answer:
    """One response of the burst, with when its request was sent and answered."""

    status: int
    body: dict[str, Any]
    sent: float
    answered: float


def burst(server: ServerProcess, session_id: int, payloads: list[dict]) -> list[Answer]:
    """POST every payload at once: each thread connects, waits at a barrier, then sends."""
    barrier = threading.Barrier(len(payloads))

    def send(payload: dict) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=120)
        try:
            connection.connect()
            barrier.wait(timeout=60)
            sent = time.perf_counter()
            connection.request(
                "POST",
                f"/api/v1/sessions/{session_id}/registrations",
                body=json.dumps(payload),
                headers={"Content-Type": "application/json", "Accept-Language": "en"},
            )
            response = connection.getresponse()
            body = response.read()
            answered = time.perf_counter()
        finally:
            connection.close()
        return Answer(response.status, json.loads(body or b"{}"), sent, answered)

    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        return list(pool.map(send, payloads))


def resident(number: int, party_size: int = 1, phone: str | None = None) -> dict:
    """A valid JSON registration with its own mobile number."""
    return {
        "name": f"居民{number}",
        "phone": phone or f"139{number:08d}",
        "party_size": party_size,
        "consent": True,
    }


def open_session():
    """A 20-seat session tomorrow of an event with a waitlist, committed for the server."""
    event = factories.event(allow_waitlist=True, max_party_size=4)
    event_session = factories.event_session(event, capacity=CAPACITY)
    db.session.commit()
    return event_session


def rows_of(session_id: int) -> list[Registration]:
    """The session's registrations as the database holds them, in insertion order."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(Registration.session_id == session_id)
            .order_by(Registration.id)
        )
    )


def report(label: str, server: ServerProcess, session_id: int, answers: list[Answer]) -> None:
    """Print the burst's duration, answers and workers (shown with pytest -s or -rP)."""
    took = max(a.answered for a in answers) - min(a.sent for a in answers)
    counts = Counter((a.status, a.body.get("status", a.body.get("error"))) for a in answers)
    workers = sorted(served_by(server, session_id).values(), reverse=True)
    print(f"{label}: {len(answers)} requests in {took:.2f}s: {dict(counts)}; per worker {workers}")


def assert_database_agrees(answers: list[Answer], rows: list[Registration]) -> None:
    """Every 201 is one row with the status and party size it reported, phones unique."""
    created = {a.body["code"]: a.body for a in answers if a.status == 201}
    assert {r.code: (r.status.value, r.party_size) for r in rows} == {
        code: (body["status"], body["party_size"]) for code, body in created.items()
    }
    assert len({r.phone for r in rows}) == len(rows)


def served_by(server: ServerProcess, session_id: int) -> Counter[int]:
    """How many of the session's registration requests each worker process answered."""
    path = f"/api/v1/sessions/{session_id}/registrations"
    return Counter(pid for pid, line, _status in server.requests_served() if path in line)


def test_hundred_simultaneous_registrations_confirm_exactly_twenty(server, postgres_app):
    event_session = open_session()
    answers = burst(server, event_session.id, [resident(n) for n in range(BURST)])
    report("party of 1 each", server, event_session.id, answers)

    assert [a.status for a in answers] == [201] * BURST, [a.body for a in answers]
    assert Counter(a.body["status"] for a in answers) == {
        "confirmed": CAPACITY,
        "waitlisted": BURST - CAPACITY,
    }
    rows = rows_of(event_session.id)
    assert_database_agrees(answers, rows)
    confirmed = [r for r in rows if r.status == RegistrationStatus.CONFIRMED]
    waitlisted = [r for r in rows if r.status == RegistrationStatus.WAITLISTED]
    assert sum(r.party_size for r in confirmed) == CAPACITY
    # The burst really ran in parallel processes, not one after another in one.
    assert len(served_by(server, event_session.id)) > 1

    # Ids come from a sequence under the session lock: they are the order seats were decided
    # in. The line (by created_at) must be that order, and every seat went to someone who
    # asked before everyone waiting.
    line = sorted(waitlisted, key=lambda r: (r.created_at, r.id))
    assert [r.id for r in line] == [r.id for r in waitlisted]
    assert max(r.created_at for r in confirmed) <= min(r.created_at for r in waitlisted)
    # Each resident was told their place in line, and no two were told the same place.
    told = {a.body["code"]: a.body["waitlist_position"] for a in answers}
    assert [told[r.code] for r in line] == list(range(1, len(line) + 1))
    assert all(told[r.code] is None for r in confirmed)


def test_mixed_party_sizes_never_oversell_and_leave_no_seat_a_waiting_party_fits(
    server, postgres_app
):
    event_session = open_session()
    sizes = [1 + n % 4 for n in range(BURST)]  # 25 parties each of 1, 2, 3 and 4
    answers = burst(server, event_session.id, [resident(n, size) for n, size in enumerate(sizes)])
    report("parties of 1-4", server, event_session.id, answers)

    assert [a.status for a in answers] == [201] * BURST, [a.body for a in answers]
    rows = rows_of(event_session.id)
    assert_database_agrees(answers, rows)
    seats = sum(r.party_size for r in rows if r.status == RegistrationStatus.CONFIRMED)
    waiting = [r.party_size for r in rows if r.status == RegistrationStatus.WAITLISTED]
    assert seats <= CAPACITY
    # Nobody cancels, so free seats only ever shrink: each waiting party was too big for the
    # seats left when it asked, so it is too big for what is left now.
    assert min(waiting) > CAPACITY - seats
    # Twenty-five parties of one cannot all be seated, so one waits: every seat is taken.
    assert seats == CAPACITY


@pytest.mark.parametrize("formats", [("13912345678", "139 1234 5678", "+86 139-1234-5678")])
def test_thirty_simultaneous_registrations_with_one_phone_make_exactly_one(
    server, postgres_app, formats
):
    event_session = open_session()
    # The same number as residents type it in different ways: one normalised E.164 phone.
    payloads = [resident(n, phone=formats[n % len(formats)]) for n in range(30)]
    answers = burst(server, event_session.id, payloads)
    report("one phone", server, event_session.id, answers)

    assert Counter(a.status for a in answers) == {201: 1, 409: 29}, [a.body for a in answers]
    assert {a.body["error"] for a in answers if a.status == 409} == {"duplicate"}
    rows = rows_of(event_session.id)
    assert [(r.phone, r.status) for r in rows] == [("+8613912345678", RegistrationStatus.CONFIRMED)]
