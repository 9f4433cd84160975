"""The plan: places, organisations and events in memory; registrations are streamed."""

from __future__ import annotations

import random
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .events import _Event
from .organisations import _Organisation, _OrganisationsPlan
from .places import _Community, _PlacesPlan, _Township, _Venue
from .scales import YEAR_DAYS, GenerateError, Scale
from .special import _SpecialPlan


class _Plan(_PlacesPlan, _OrganisationsPlan, _SpecialPlan):
    """Everything but registrations, made from seeded generators, then streamed into COPY."""

    def __init__(self, scale: Scale, seed: int, today: date, zone: ZoneInfo) -> None:
        self.scale, self.seed, self.today, self.zone = scale, seed, today, zone
        # Local midnights from a year back to a year ahead (and one more for all-day ends).
        self.midnights = [
            datetime.combine(today + timedelta(days=d), time.min, zone).timestamp()
            for d in range(-YEAR_DAYS, YEAR_DAYS + 1)
        ]
        # Rows are "made" before today began: every created/updated time is in the past.
        self.now = self.midnights[YEAR_DAYS]
        self.townships: list[_Township] = []
        self.communities: list[_Community] = []
        self.venues: list[_Venue] = []
        self.organisations: list[_Organisation] = []
        self.events: list[_Event] = []
        self.slots = 0
        self.sessions = 0
        self.staff: list[tuple[int, str, str, bool]] = []  # id, username, display name, admin
        self.memberships: list[tuple[int, int, int, str]] = []
        self._places(random.Random(f"{seed}:places"))
        self._organisations(random.Random(f"{seed}:organisations"))
        rng = random.Random(f"{seed}:events")
        self.venues_of_township: dict[int, list[int]] = {}
        self.venues_of_community: dict[int, list[int]] = {}
        for venue in self.venues:
            self.venues_of_township.setdefault(venue.township, []).append(venue.id)
            if venue.community is not None:
                self.venues_of_community.setdefault(venue.community, []).append(venue.id)
        self.feed_community = self._pick_feed_community(rng)
        self._burst(rng)
        self._feed(rng)
        self._typical(rng)
        regular = scale.sessions - self.sessions
        if regular < 0:
            raise GenerateError(f"scale {scale.name}: too few sessions for the special rows")
        self._regular(rng, regular)
