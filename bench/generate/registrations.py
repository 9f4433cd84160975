"""Registrations, streamed session by session, following the app's rules."""

from __future__ import annotations

import bisect
import itertools
import random
from collections.abc import Iterator

from outreach.config import DEFAULTS
from outreach.events.models import EventStatus
from outreach.registrations.models import RegistrationStatus
from outreach.registrations.retention import PURGED_PHONE_PREFIX
from outreach.registrations.services import LINK_KEY_ALPHABET, LINK_KEY_LENGTH, TOKEN_BYTES

from .events import _Event, _Session
from .plan import _Plan
from .residents import _Codes, _Residents
from .rows import _at, _token
from .scales import DAY

_PARTY_WEIGHTS = (55, 30, 10, 5)  # party sizes 1, 2, 3, 4


def _registration_window(plan: _Plan, event: _Event, s: _Session) -> tuple[float, float] | None:
    """From when to when residents registered for a session; None if they could not."""
    if event.status == EventStatus.DRAFT.value or s.capacity == 0 or event is plan.burst:
        return None
    low = max(event.created, event.opens or 0.0)
    high = min(s.starts, event.closes or s.starts, plan.now)
    return (low, high) if high - low >= 3600 else None


def _weights(plan: _Plan) -> tuple[list[_Session], list[float]]:
    """Sessions and how many registrations each draws, relatively: popular, past, soon."""
    sessions, weights = [], []
    for s in plan.all_sessions():
        event = plan.events[s.event]
        if _registration_window(plan, event, s) is None:
            continue
        ahead = (s.starts - plan.now) / DAY
        weight = 1.3 if ahead < 0 else 1.0 if ahead < 14 else 0.6 if ahead < 60 else 0.2
        if event.popular:
            weight *= 6
        sessions.append(s)
        weights.append(weight)
    return sessions, weights


REGISTRATION_COLUMNS = (
    "id", "session_id", "slot_id", "status", "party_size", "name", "phone", "email",
    "community_id", "language", "consent_at", "code", "manage_token", "link_key", "feed_token",
    "created_by_id", "created_at", "updated_at", "confirmed_at", "promoted_at", "cancelled_at",
    "cancelled_by_staff", "checked_in_at", "checked_in_by_id", "purged_at", "arrived",
)  # fmt: skip


def _registrations(plan: _Plan, seed: int, total: int) -> Iterator[tuple]:
    """`total` registrations spread over the sessions that take them, following the rules.

    Per session, in the order they were made: confirmed while seats remain (in the session
    and the slot), else waitlisted (or turned away, kept as cancelled, when the event has no
    waitlist); some cancelled by the resident; all cancelled when the session or its event
    was; checked in at past sessions that used check-in; personal data erased after the
    retention period, as the purge job does. Rows come session by session, so a session's
    registrations sit together on disk (a live database spreads them out over time).
    """
    rng = random.Random(f"{seed}:registrations")
    sessions, weights = _weights(plan)
    if not sessions:
        return
    counts = [0] * len(sessions)
    cumulative = list(itertools.accumulate(weights))
    top = cumulative[-1]
    bisect_right, rand = bisect.bisect_right, rng.random
    for _ in range(total):
        counts[bisect_right(cumulative, rand() * top)] += 1
    residents = _Residents(seed, plan.scale.residents, plan.communities)
    index_of_community = {c.id: i for i, c in enumerate(plan.communities)}
    codes = _Codes(seed)
    # The short link of texts, as registering gives each; erased with the personal data.
    link_keys = _Codes(seed, LINK_KEY_ALPHABET, LINK_KEY_LENGTH, "link keys")
    retention = DEFAULTS["RETENTION_DAYS"] * DAY
    confirmed, waitlisted, cancelled = (s.value for s in RegistrationStatus)
    event_cancelled = EventStatus.CANCELLED.value
    randbytes, randrange = rng.randbytes, rng.randrange
    party_sizes = (1, 2, 3, 4)
    number = 0
    seen: set[int] = set()
    seen_event = -1
    for s, count in zip(sessions, counts, strict=True):
        if not count:
            continue
        event = plan.events[s.event]
        low, high = _registration_window(plan, event, s)  # type: ignore[misc]
        if not event.one_per_event or seen_event != s.event:
            seen = set()
            seen_event = s.event
        local = None
        if s.community is not None:
            local = residents.of_community(index_of_community[s.community])
        off = s.cancelled or event.status == event_cancelled
        past = s.ends < plan.now
        checks_in = past and rand() < 0.4
        purged = s.ends < plan.now - retention
        taken = 0
        slot_taken = [0] * (s.slots[1] if s.slots else 0)
        sizes = rng.choices(party_sizes, _PARTY_WEIGHTS, k=count)
        for made in sorted(low + rand() * (high - low) for _ in range(count)):
            number += 1
            resident = -1
            for _ in range(8):
                if local is not None and rand() < 0.7 and local[1] > local[0]:
                    resident = randrange(local[0], local[1])
                else:
                    resident = randrange(residents.count)
                if resident not in seen:
                    break
            else:  # a crowded community: anyone from the district not registered yet
                while resident in seen:
                    resident = randrange(residents.count)
            seen.add(resident)
            party = min(sizes.pop(), event.max_party_size)
            slot_id = None
            slot_index = -1
            if s.slots:
                slot_index = randrange(s.slots[1])
                slot_id = s.slots[0] + slot_index
            cancelled_at = None
            by_staff = False
            if off:
                status, by_staff = cancelled, True
                cancelled_at = made + rand() * (high - made)
            elif rand() < 0.07:
                status = cancelled
                cancelled_at = made + rand() * (high - made)
            elif (s.capacity is None or taken + party <= s.capacity) and (
                slot_index < 0 or slot_taken[slot_index] + party <= s.slots[2]  # type: ignore[index]
            ):
                status = confirmed
                taken += party
                if slot_index >= 0:
                    slot_taken[slot_index] += party
            elif event.allow_waitlist:
                status = waitlisted
            else:  # turned away from a full session: kept as a cancelled attempt
                status = cancelled
                cancelled_at = made + rand() * (high - made)
            checked_in_at = checked_in_by = None
            if status == confirmed and checks_in and rand() < 0.75:
                arrived = s.starts + rng.uniform(-900, min(1800, s.ends - s.starts))
                checked_in_at = max(made + 60, arrived)
                checked_in_by = event.organisation.staff[2]
            name, language, email = residents.details(resident)
            phone = residents.phone(resident)
            purged_at = None
            if purged:
                purged_at = min(plan.now - 60, s.ends + retention + rand() * DAY)
                name, phone, email = "", f"{PURGED_PHONE_PREFIX}{number}", None
            feed = (
                residents.feed_token(resident) if rand() < 0.5 else _token(randbytes(TOKEN_BYTES))
            )
            updated = max(made, cancelled_at or 0.0, checked_in_at or 0.0, purged_at or 0.0)
            yield (
                number,
                s.id,
                slot_id,
                status,
                party,
                name,
                phone,
                email,
                residents.home(resident) if rand() < 0.8 else None,
                language,
                _at(made),
                codes(number),
                _token(randbytes(TOKEN_BYTES)),
                None if purged_at is not None else link_keys(number),
                feed,
                event.organisation.staff[1] if rand() < 0.02 else None,
                _at(made),
                _at(updated),
                _at(made) if status == confirmed else None,
                None,
                _at(cancelled_at),
                by_staff,
                _at(checked_in_at),
                checked_in_by,
                _at(purged_at),
                party if checked_in_at is not None else 0,  # the whole party came
            )
