"""Values as the database takes them, and the rows of events, sessions and slots."""

from __future__ import annotations

import base64
import hashlib
import random
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from outreach.events.models import SessionStatus

from .categories import _CANCELLATION_REASONS, _SLOT_LABELS
from .plan import _Plan
from .scales import STAFF_PASSWORD


def _at(seconds: float | None) -> datetime | None:
    return None if seconds is None else datetime.fromtimestamp(seconds, UTC)


def _token(raw: bytes) -> str:
    """The shape of `secrets.token_urlsafe`: URL-safe base64 without padding."""
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _password_hash(seed: int) -> str:
    """A scrypt hash in Werkzeug's format, with a salt from the seed so reruns match."""
    salt = hashlib.sha256(f"{seed}:salt".encode()).hexdigest()[:16]
    n, r, p = 2**15, 8, 1
    digest = hashlib.scrypt(
        STAFF_PASSWORD.encode(), salt=salt.encode(), n=n, r=r, p=p, maxmem=132 * n * r * p
    )
    return f"scrypt:{n}:{r}:{p}${salt}${digest.hex()}"


def _event_rows(plan: _Plan) -> Iterator[tuple]:
    for e in plan.events:
        yield (
            e.id,
            e.organisation.id,
            e.category + 1,
            e.title,
            e.summary,
            e.description,
            e.audience,
            e.status,
            e.cancellation_reason,
            None,
            e.max_party_size,
            e.allow_waitlist,
            e.one_per_event,
            _at(e.opens),
            _at(e.closes),
            _at(e.created),
            _at(e.updated),
        )


EVENT_COLUMNS = (
    "id", "organisation_id", "category_id", "title", "summary", "description", "audience",
    "status", "cancellation_reason", "source_uid", "max_party_size", "allow_waitlist",
    "one_registration_per_event", "registration_opens_at", "registration_closes_at",
    "created_at", "updated_at",
)  # fmt: skip
SESSION_COLUMNS = (
    "id", "uid", "event_id", "venue_id", "starts_at", "ends_at", "all_day", "capacity", "status",
    "cancellation_reason", "series_id", "sequence", "created_at", "updated_at",
)  # fmt: skip


def _session_rows(plan: _Plan, seed: int, domain: str) -> Iterator[tuple]:
    rng = random.Random(f"{seed}:uids")
    scheduled, cancelled = SessionStatus.SCHEDULED.value, SessionStatus.CANCELLED.value
    for s in plan.all_sessions():
        uid = uuid.UUID(int=rng.getrandbits(128), version=4)
        yield (
            s.id,
            f"{uid}@{domain}",
            s.event + 1,
            s.venue,
            _at(s.starts),
            _at(s.ends),
            s.all_day,
            s.capacity,
            cancelled if s.cancelled else scheduled,
            rng.choice(_CANCELLATION_REASONS) if s.cancelled else "",
            None,
            s.sequence,
            _at(s.created),
            _at(s.updated),
        )


def _slot_rows(plan: _Plan) -> Iterator[tuple]:
    for s in plan.all_sessions():
        if s.slots:
            first, count, capacity = s.slots
            for position in range(count):
                label = _SLOT_LABELS[(first + position) % len(_SLOT_LABELS)]
                yield (first + position, s.id, label, None, None, capacity, position + 1)
