"""The rows the benchmarks name in the Report: the feed community, burst sessions, a typical
community and event. They are made before the regular events, so their ids stay the same at
every scale with the same places.
"""

from __future__ import annotations

import random

from outreach.accounts.models import OrganisationKind
from outreach.events.models import EventStatus

from .events import _Event, _EventsPlan
from .places import _Community
from .scales import (
    BURST_CAPACITY,
    BURST_FIRST_DAY,
    FEED_FIRST_DAY,
    FEED_LAST_DAY,
    TYPICAL_EVENT_SESSIONS,
    TYPICAL_FIRST_DAY,
    TYPICAL_UPCOMING,
    YEAR_DAYS,
    Scale,
)


class _SpecialPlan(_EventsPlan):
    """The special rows of `_Plan` (see plan.py), made with its `_event`."""

    scale: Scale
    burst: _Event
    typical_event: _Event

    def _pick_feed_community(self, rng: random.Random) -> _Community:
        with_venues = [c for c in self.communities if len(self.venues_of_community[c.id]) >= 2]
        return rng.choice(with_venues or self.communities)

    def _burst(self, rng: random.Random) -> None:
        """Empty 200-seat sessions ahead, open for registration, for the burst benchmark."""
        township_only = [v for v in self.venues if v.community is None]
        venue = township_only[0] if township_only else self.venues[-1]
        organisation = next(
            (o for o in self.organisations if o.kind == OrganisationKind.DISTRICT_DEPARTMENT),
            self.organisations[0],
        )
        dates = [(BURST_FIRST_DAY + 7 * n, venue.id) for n in range(self.scale.burst_sessions)]
        self.burst = self._event(
            rng,
            organisation,
            dates,
            status=EventStatus.PUBLISHED.value,
            capacity=BURST_CAPACITY,
            max_party_size=4,
            allow_waitlist=True,
            one_per_event=False,
            opens=None,
            closes=None,
            popular=False,
            plain=True,
        )
        self.burst.title = "热门电影放映：社区露天影院"

    def _feed(self, rng: random.Random) -> None:
        """The feed community: `feed_sessions` public sessions in the feed window, more before."""
        community = self.feed_community
        venues = self.venues_of_community[community.id]
        near = [
            o
            for o in self.organisations
            if o.township in (None, community.township) or o.community == community.id
        ] or self.organisations
        in_window = self.scale.feed_sessions
        span = FEED_LAST_DAY - FEED_FIRST_DAY
        while in_window > 0:
            count = min(in_window, rng.randint(15, 40))
            step = max(1, span // count)
            first = rng.randint(FEED_FIRST_DAY, FEED_LAST_DAY - step * (count - 1))
            days = [first + step * n for n in range(count)]
            venue = rng.choice(venues)
            status = rng.choices(
                (EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value), (95, 5)
            )[0]
            self._event(rng, rng.choice(near), [(d, venue) for d in days], status=status)
            in_window -= count
        # Sessions of the past year before the window, and drafts ahead: not in the feed.
        past = self.scale.feed_sessions // 5
        while past > 0:
            count = min(past, rng.randint(5, 20))
            days = sorted(rng.sample(range(-YEAR_DAYS, FEED_FIRST_DAY - 8), count))
            self._event(rng, rng.choice(near), [(d, rng.choice(venues)) for d in days])
            past -= count
        for _ in range(2):
            days = sorted(rng.sample(range(10, 120), 4))
            self._event(
                rng,
                rng.choice(near),
                [(d, rng.choice(venues)) for d in days],
                status=EventStatus.DRAFT.value,
            )

    def _typical(self, rng: random.Random) -> None:
        """A community and an event for page timings, the same rows at every scale.

        The community's sessions are its own (regular events keep out of it), so its page
        shows the same rows at 10,000 and at 500,000 sessions and only the size of the
        database changes: TYPICAL_UPCOMING upcoming sessions (a community at the median of
        the full scale has about 20, one at the 90th percentile 60), as many before.
        """
        community = rng.choice(
            [
                c
                for c in self.communities
                if c.id != self.feed_community.id and len(self.venues_of_community[c.id]) >= 2
            ]
        )
        self.typical_community = community
        venues = self.venues_of_community[community.id]
        near = [
            o
            for o in self.organisations
            if o.township in (None, community.township) and o.community in (None, community.id)
        ] or self.organisations
        public = (EventStatus.PUBLISHED.value, EventStatus.CANCELLED.value)
        # Weekly from next week: what a resident finds on the event page.
        first = rng.randint(TYPICAL_FIRST_DAY, TYPICAL_FIRST_DAY + 7)
        days = [first + 7 * n for n in range(TYPICAL_EVENT_SESSIONS)]
        self.typical_event = self._event(
            rng,
            rng.choice(near),
            [(day, venues[0]) for day in days],
            status=EventStatus.PUBLISHED.value,
        )
        upcoming = TYPICAL_UPCOMING - TYPICAL_EVENT_SESSIONS
        while upcoming > 0:
            count = min(upcoming, rng.randint(1, 6))
            first = rng.randint(TYPICAL_FIRST_DAY, 180 - 7 * (count - 1))
            venue = rng.choice(venues)
            status = rng.choices(public, (95, 5))[0]
            dates = [(first + 7 * n, venue) for n in range(count)]
            self._event(rng, rng.choice(near), dates, status=status)
            upcoming -= count
        past = TYPICAL_UPCOMING
        while past > 0:
            count = min(past, rng.randint(1, 6))
            first = rng.randint(-YEAR_DAYS, -1 - 7 * count)
            venue = rng.choice(venues)
            dates = [(first + 7 * n, venue) for n in range(count)]
            self._event(rng, rng.choice(near), dates, status=rng.choices(public, (95, 5))[0])
            past -= count
