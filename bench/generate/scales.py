"""How much to make (Scale, SCALES), the fixed numbers of the special rows, and the Report."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from outreach.config import DEFAULTS

DEFAULT_SEED = 20260601
STAFF_PASSWORD = "bench-password"
ADMIN_USERNAME = "bench-admin"
UID_DOMAIN = "outreach.invalid"  # the app's own fallback when no UID_DOMAIN is configured
DAY = 86400
YEAR_DAYS = 365
# Feed sessions start from this many days back: inside the feed's look-back window for a
# couple of days after the load, so a bench run on the next day still sees all of them.
FEED_FIRST_DAY = -(DEFAULTS["FEED_LOOKBACK_DAYS"] - 2)
FEED_LAST_DAY = YEAR_DAYS - 5
BURST_CAPACITY = 200
# The typical community: upcoming sessions (one page of a listing), and its typical event.
TYPICAL_UPCOMING = 30
TYPICAL_EVENT_SESSIONS = 8
TYPICAL_FIRST_DAY = 2
BURST_FIRST_DAY = 14


@dataclass(frozen=True)
class Scale:
    """How many rows of each kind to make."""

    name: str
    townships: int
    communities: int
    venues: int
    organisations: int
    categories: int
    sessions: int
    registrations: int
    feed_sessions: int = 1000
    burst_sessions: int = 3

    @property
    def residents(self) -> int:
        """Distinct residents (phones) registering: about four registrations each."""
        return max(200, self.registrations // 4)


SCALES: dict[str, Scale] = {
    scale.name: scale
    for scale in (
        Scale("full", 300, 7000, 20000, 100, 8, 500_000, 2_000_000),
        # The same places as `full` with 2% of the sessions: page latency at 10k vs 500k.
        Scale("medium", 300, 7000, 20000, 100, 8, 10_000, 40_000),
        Scale("quick", 6, 40, 120, 12, 8, 1500, 5000, feed_sessions=60),
    )
}


class GenerateError(Exception):
    """The database cannot take the generated rows (no schema, not empty, unknown columns)."""


@dataclass
class Report:
    """What was loaded, how long it took, and the rows the benchmarks should use."""

    scale: str
    seed: int
    today: str
    counts: dict[str, int]
    # Per table: the whole load (rows made, COPY, indexes and foreign keys), and of that
    # the part spent building indexes and checking foreign keys after the COPY. Also the
    # steps "plan" (places and events in memory), "sequences" and "analyze".
    seconds: dict[str, float]
    index_seconds: dict[str, float]
    total_seconds: float
    database_bytes: int
    # A community whose feed (/feeds/communities/<slug>.ics) holds exactly `feed_sessions`
    # sessions of public events in the feed window.
    feed_community_slug: str
    feed_community_id: int
    feed_sessions: int
    # Published, in the future, capacity 200, no registrations, registration open, waitlist
    # allowed, one registration per phone per session (not per event). The first is the one
    # to use; the others are spares (a fault test, a second run without reloading).
    burst_session_id: int
    burst_session_ids: list[int]
    burst_event_id: int
    # For page timings, the same rows at every scale with the same places (medium, full):
    # a community with `typical_community_upcoming` upcoming sessions of its own, and a
    # published weekly event there with `typical_event_sessions` sessions ahead.
    typical_community_slug: str
    typical_community_upcoming: int
    typical_township_slug: str
    typical_event_id: int
    typical_event_sessions: int
    organisation_slug: str
    category_slug: str
    admin_username: str = ADMIN_USERNAME
    staff_password: str = STAFF_PASSWORD

    @property
    def feed_path(self) -> str:
        """The URL path of the feed community's calendar."""
        return f"/feeds/communities/{self.feed_community_slug}.ics"

    def as_dict(self) -> dict[str, Any]:
        """Plain data (JSON-ready)."""
        return {**asdict(self), "feed_path": self.feed_path}

    def table(self) -> str:
        """Rows and seconds per table, as Markdown."""
        lines = [
            "| table | rows | seconds | of which indexes and keys |",
            "|---|---:|---:|---:|",
        ]
        for table, rows in self.counts.items():
            seconds, indexes = self.seconds.get(table, 0), self.index_seconds.get(table, 0)
            lines.append(f"| {table} | {rows:,} | {seconds:.1f} | {indexes:.1f} |")
        for step in ("plan", "sequences", "analyze"):
            lines.append(f"| ({step}) | | {self.seconds.get(step, 0):.1f} | |")
        lines.append(f"| **total** | | **{self.total_seconds:.1f}** | |")
        return "\n".join(lines)
