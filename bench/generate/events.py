"""Events and their sessions (and slots): one event of any shape, and the regular mass of them."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from outreach.events.models import EventStatus

from .categories import (
    _CANCELLATION_REASONS,
    _CAPACITIES,
    _CAPACITY_WEIGHTS,
    _CATEGORIES,
    _LENGTHS,
    _START_WEIGHTS,
    _STARTS,
)
from .organisations import _Organisation
from .places import _Community, _Venue
from .scales import DAY, YEAR_DAYS


class _Session(NamedTuple):
    id: int
    event: int  # index into the events list
    venue: int
    community: int | None
    starts: float  # epoch seconds
    ends: float
    all_day: bool
    capacity: int | None
    cancelled: bool
    sequence: int
    created: float
    updated: float
    slots: tuple[int, int, int] | None  # first slot id, how many, capacity of each


@dataclass(slots=True)
class _Event:
    id: int
    organisation: _Organisation
    category: int
    title: str
    summary: str
    description: str
    audience: str
    status: str
    cancellation_reason: str
    max_party_size: int
    allow_waitlist: bool
    one_per_event: bool
    opens: float | None
    closes: float | None
    created: float
    updated: float
    popular: bool
    sessions: list[_Session] = field(default_factory=list)


class _EventsPlan:
    """The events of `_Plan` (see plan.py): sessions get ids in the order events are made."""

    communities: list[_Community]
    venues: list[_Venue]
    organisations: list[_Organisation]
    venues_of_township: dict[int, list[int]]
    venues_of_community: dict[int, list[int]]
    feed_community: _Community
    typical_community: _Community
    midnights: list[float]
    now: float
    events: list[_Event]
    slots: int
    sessions: int

    def _local(self, day: int, minutes: int) -> float:
        return self.midnights[day + YEAR_DAYS] + minutes * 60

    def _event(
        self,
        rng: random.Random,
        organisation: _Organisation,
        dates: list[tuple[int, int]],
        *,
        status: str | None = None,
        capacity: int | None | str = "random",
        plain: bool = False,
        **settings: Any,
    ) -> _Event:
        """An event with a session per (day, venue) of `dates`, all at one local time.

        `plain`: no cancelled session, no slots, not all day (the burst sessions).
        """
        category = rng.choices(
            range(len(organisation.category_weights)), organisation.category_weights
        )[0]
        kind = _CATEGORIES[category]
        topic = rng.choice(kind.topics)
        venue0 = self.venues[dates[0][1] - 1]
        if len({venue for _, venue in dates}) == 1 and rng.random() < 0.5:
            place = self.communities[venue0.community - 1].name if venue0.community else None
            title = f"{place}{topic}" if place else topic
        else:
            title = topic
        if len(dates) > 1 and rng.random() < 0.3:
            title += f"（第{rng.randint(1, 12)}期）"
        if status is None:
            status = rng.choices(
                (EventStatus.PUBLISHED.value, EventStatus.DRAFT.value, EventStatus.CANCELLED.value),
                (88, 7, 5),
            )[0]
        if status == EventStatus.DRAFT.value and dates[0][0] < 3:
            status = EventStatus.PUBLISHED.value  # drafts are being prepared for the future
        if capacity == "random":
            capacity = rng.choices(_CAPACITIES, _CAPACITY_WEIGHTS)[0]
        hour, minute = rng.choices(_STARTS, _START_WEIGHTS)[0]
        start_minutes = hour * 60 + minute
        length = rng.choice(_LENGTHS)
        all_day = rng.random() < 0.02 and not plain
        first = self._local(dates[0][0], start_minutes)
        created = min(first - rng.uniform(3, 45) * DAY, self.now - rng.uniform(3600, 20 * DAY))
        opens = closes = None
        if rng.random() < 0.15:
            opens = max(created + 3600, first - rng.uniform(3, 10) * DAY)
        if len(dates) == 1 and rng.random() < 0.1:
            closes = first - DAY
        sentences = rng.sample(kind.sentences, 3)
        event = _Event(
            id=len(self.events) + 1,
            organisation=organisation,
            category=category,
            title=title,
            summary=sentences[0],
            description="".join(sentences) + f"联系电话：010-{rng.randint(60000000, 89999999)}。",
            audience=rng.choice(kind.audiences),
            status=status,
            cancellation_reason=(
                rng.choice(_CANCELLATION_REASONS) if status == EventStatus.CANCELLED.value else ""
            ),
            max_party_size=settings.get("max_party_size", rng.choices((4, 2, 1), (80, 10, 10))[0]),
            allow_waitlist=settings.get("allow_waitlist", rng.random() < 0.9),
            one_per_event=settings.get("one_per_event", rng.random() < 0.05),
            opens=settings.get("opens", opens),
            closes=settings.get("closes", closes),
            created=created,
            updated=created + rng.random() * max(0.0, min(self.now, first) - created),
            popular=settings.get("popular", rng.random() < 0.08),
        )
        slotted = (
            kind.slug == "health-screening"
            and bool(capacity)
            and capacity >= 20  # type: ignore[operator]
            and rng.random() < 0.3
            and not plain
        )
        for day, venue_id in dates:
            if all_day:
                starts, ends = self.midnights[day + YEAR_DAYS], self.midnights[day + YEAR_DAYS + 1]
            else:
                starts = self._local(day, start_minutes)
                ends = starts + length * 60
            cancelled = status == EventStatus.PUBLISHED.value and rng.random() < 0.03 and not plain
            sequence = (1 + rng.randrange(2)) if cancelled else (1 if rng.random() < 0.08 else 0)
            changed = min(self.now, starts) - created
            updated = created + (rng.uniform(0.5, 1.0) * changed if changed > 0 else 0)
            slots = None
            if slotted and not all_day:
                count = rng.randint(2, 4)
                slots = (self.slots + 1, count, max(1, capacity // count))
                self.slots += count
            self.sessions += 1
            event.sessions.append(
                _Session(
                    self.sessions,
                    event.id - 1,
                    venue_id,
                    self.venues[venue_id - 1].community,
                    starts,
                    ends,
                    all_day,
                    capacity,
                    cancelled,
                    sequence,
                    created,
                    max(created, updated),
                    slots,
                )
            )
        self.events.append(event)
        return event

    def _regular(self, rng: random.Random, budget: int) -> None:
        """Events of every shape until the sessions add up to `budget`."""
        excluded = set(self.venues_of_community[self.feed_community.id])
        excluded |= set(self.venues_of_community[self.typical_community.id])
        all_venues = [v.id for v in self.venues if v.id not in excluded]
        by_township = {
            t: [v for v in venues if v not in excluded]
            for t, venues in self.venues_of_township.items()
        }
        by_community = {
            c: [v for v in venues if v not in excluded]
            for c, venues in self.venues_of_community.items()
        }
        # Places first, then who runs the event there: mostly a body of that township (its
        # street office, health centre, school, a residents' committee), else one of the
        # district's. Sessions spread over the whole district, about evenly.
        local: dict[int, list[_Organisation]] = {}
        for organisation in self.organisations:
            if organisation.township is not None:
                local.setdefault(organisation.township, []).append(organisation)
        district = [o for o in self.organisations if o.township is None] or self.organisations
        shapes = ("single", "course", "weekly", "campaign")
        while budget > 0:
            anchor = self.venues[rng.choice(all_venues) - 1]
            nearby = local.get(anchor.township)
            if nearby and rng.random() < 0.6:
                organisation = rng.choice(nearby)
                pool = by_township[anchor.township]
            else:
                organisation = rng.choice(district)
                pool = all_venues
            if organisation.community is not None and by_community.get(organisation.community):
                pool = by_community[organisation.community]
            shape = rng.choices(shapes, (35, 33, 22, 10))[0]
            if shape == "single":
                count, step = 1, 0
            elif shape == "course":
                count, step = rng.randint(2, 6), 7
            elif shape == "weekly":
                count, step = rng.randint(10, 52), 7
            else:
                count = min(rng.randint(15, 80), len(pool))
                step = 0
            count = max(1, min(count, budget))
            if shape == "campaign":
                span = rng.randint(count // 2, count * 2)
                first = rng.randint(-YEAR_DAYS, YEAR_DAYS - 1 - span)
                venues = rng.sample(pool, count)
                days = sorted(first + rng.randint(0, span) for _ in range(count))
                dates = list(zip(days, venues, strict=True))
            else:
                first = rng.randint(-YEAR_DAYS, YEAR_DAYS - 1 - step * (count - 1))
                venue = anchor.id if organisation.community is None else rng.choice(pool)
                dates = [(first + step * n, venue) for n in range(count)]
            self._event(rng, organisation, dates)
            budget -= count

    def all_sessions(self) -> Iterator[_Session]:
        """Every session in id order."""
        for event in self.events:
            yield from event.sessions
