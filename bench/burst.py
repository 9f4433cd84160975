"""Registration bursts: many residents at once through the JSON API, and what must hold after.

The client is plain asyncio over TCP (one connection per attempt, as phones do), so a
thousand attempts are in flight together without a thread each. `check` reads the database
afterwards and lists every broken promise: a 201 whose registration is missing or doubled,
a session with more confirmed seats than it has, a waitlist out of order.
"""

from __future__ import annotations

import asyncio
import json
import resource
import time
from collections import Counter
from collections.abc import Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import psycopg

HOST = "127.0.0.1"


@dataclass(frozen=True)
class Attempt:
    """One resident's try: the phone used and what came back (status None: no answer)."""

    phone: str
    status: int | None
    body: dict[str, Any] | None
    error: str | None
    seconds: float


def phone_number(index: int) -> str:
    """A distinct, valid mainland mobile number for each attempt."""
    return f"139{index:08d}"


def payload(index: int, party_size: int = 1) -> dict[str, Any]:
    """The JSON body of one registration."""
    return {
        "name": f"居民{index}",
        "phone": phone_number(index),
        "party_size": party_size,
        "consent": True,
    }


def connect(database_url: str) -> psycopg.Connection:
    """A psycopg connection from the app's URL (which may name the driver: +psycopg)."""
    return psycopg.connect(database_url.replace("postgresql+psycopg://", "postgresql://", 1))


def _raise_file_limit(needed: int) -> None:
    """Each attempt holds a socket: lift the soft limit of open files as far as allowed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = needed + 256
    if soft != resource.RLIM_INFINITY and soft < wanted:
        limit = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))


def _parse(raw: bytes) -> tuple[int, dict[str, Any] | None]:
    """Status and JSON body of an answer; ValueError for one cut short (a worker killed while
    it wrote): its sender cannot know what it said, so it counts as no answer."""
    head, _, body = raw.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length" and len(body) < int(value):
            raise ValueError(f"answer cut short: {len(body)} of {int(value)} bytes")
    try:
        return status, json.loads(body) if body else None
    except ValueError:
        return status, None


async def _post(port: int, path: str, body: dict[str, Any], timeout: float, start: asyncio.Event):
    data = json.dumps(body).encode()
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {HOST}:{port}\r\n"
        "Content-Type: application/json\r\nAccept-Language: zh\r\n"
        f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n"
    ).encode() + data
    await start.wait()
    began = time.monotonic()
    try:
        reader, writer = await asyncio.wait_for(asyncio.open_connection(HOST, port), timeout)
        try:
            writer.write(request)
            await writer.drain()
            raw = await asyncio.wait_for(reader.read(), timeout)
        finally:
            writer.close()
        if not raw:
            return None, None, "connection closed without an answer", time.monotonic() - began
        status, parsed = _parse(raw)
        return status, parsed, None, time.monotonic() - began
    except (OSError, TimeoutError, asyncio.IncompleteReadError, ValueError, IndexError) as error:
        return None, None, f"{type(error).__name__}: {error}", time.monotonic() - began


async def _burst(
    port: int, session_id: int, indexes: list[int], timeout: float, path: str | None
) -> list[Attempt]:
    start = asyncio.Event()
    path = path or f"/api/v1/sessions/{session_id}/registrations"
    tasks = [
        asyncio.create_task(_post(port, path, payload(index), timeout, start)) for index in indexes
    ]
    await asyncio.sleep(0)  # every task is waiting at the start line
    start.set()
    results = await asyncio.gather(*tasks)
    return [
        Attempt(phone_number(index), status, body, error, seconds)
        for index, (status, body, error, seconds) in zip(indexes, results, strict=True)
    ]


def burst(
    port: int,
    session_id: int,
    indexes: Iterable[int],
    timeout: float = 120,
    path: str | None = None,
) -> list[Attempt]:
    """Send one registration per index, all at once; wait for every answer or failure
    (to the session's JSON API, or to `path`)."""
    chosen = list(indexes)
    _raise_file_limit(len(chosen))
    # A loop of its own in a thread of its own: the caller's thread may already run one.
    with ThreadPoolExecutor(max_workers=1) as runner:
        return runner.submit(asyncio.run, _burst(port, session_id, chosen, timeout, path)).result()


@dataclass
class Outcome:
    """What the database holds after a burst, and every rule it breaks."""

    confirmed_seats: int = 0
    confirmed: int = 0
    waitlisted: int = 0
    answered_201: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """No rule broken."""
        return not self.problems


def check(database_url: str, session_id: int, capacity: int, attempts: list[Attempt]) -> Outcome:
    """Compare the answers with the rows; party sizes of 1 make the order rules exact."""
    with connect(database_url) as connection:
        capacity_in_db = connection.execute(
            "SELECT capacity FROM event_session WHERE id = %s", (session_id,)
        ).fetchone()[0]
        rows = connection.execute(
            "SELECT id, code, phone, status, party_size FROM registration"
            " WHERE session_id = %s ORDER BY created_at, id",
            (session_id,),
        ).fetchall()
    outcome = Outcome()
    if capacity_in_db != capacity:
        outcome.problems.append(f"capacity is {capacity_in_db}, expected {capacity}")
    by_code = {row[1]: row for row in rows}
    phones = Counter(row[2] for row in rows if row[3] != "cancelled")
    doubled = [phone for phone, count in phones.items() if count > 1]
    if doubled:
        outcome.problems.append(f"{len(doubled)} phones registered twice, e.g. {doubled[0]}")
    active = [row for row in rows if row[3] in ("confirmed", "waitlisted")]
    outcome.confirmed = sum(1 for row in active if row[3] == "confirmed")
    outcome.waitlisted = sum(1 for row in active if row[3] == "waitlisted")
    outcome.confirmed_seats = sum(row[4] for row in active if row[3] == "confirmed")
    if outcome.confirmed_seats > capacity:
        outcome.problems.append(f"{outcome.confirmed_seats} seats confirmed for {capacity}")
    # First come, first served: no confirmed registration came after a waitlisted one.
    statuses = [row[3] for row in active]
    if "waitlisted" in statuses and "confirmed" in statuses[statuses.index("waitlisted") :]:
        outcome.problems.append("a later registration was confirmed before an earlier one")
    waiting = [row for row in active if row[3] == "waitlisted"]
    waitlist_rank = {row[1]: rank for rank, row in enumerate(waiting, start=1)}
    for attempt in attempts:
        if attempt.status != 201:
            continue
        outcome.answered_201 += 1
        code = (attempt.body or {}).get("code")
        row = by_code.get(code)
        if row is None:
            outcome.problems.append(f"201 for {attempt.phone} but no registration {code}")
            continue
        if row[2] != "+86" + attempt.phone:
            outcome.problems.append(f"registration {code} holds {row[2]}, not {attempt.phone}")
        if row[3] != attempt.body.get("status"):
            outcome.problems.append(f"{code} answered {attempt.body.get('status')}, is {row[3]}")
        position = attempt.body.get("waitlist_position")
        if row[3] == "waitlisted" and position != waitlist_rank.get(code):
            outcome.problems.append(
                f"{code} was told place {position} on the waitlist, is {waitlist_rank.get(code)}"
            )
    return outcome


def summary(attempts: list[Attempt]) -> Counter:
    """How many attempts ended with each status (or with no answer)."""
    return Counter(str(attempt.status) if attempt.status else "no answer" for attempt in attempts)
