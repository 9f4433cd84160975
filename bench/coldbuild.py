"""Building a feed with its cache empty, against what the bare icalendar library needs.

The cold figure is a whole request through the app (version query, sessions query, the
calendar, compression and hashing) with the feed cache emptied before each one. The bare
figure starts from the same sessions already in memory as plain values and only builds and
serialises a calendar with the same properties using icalendar's own defaults.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from flask import Flask
from icalendar import Calendar, Event, vCalAddress

from outreach.feeds import content, services
from outreach.feeds.cache import EXTENSION
from outreach.feeds.calendar import SessionFacts

REPEATS = 5


@dataclass(frozen=True)
class ColdBuild:
    """Median seconds of each, and the size of the feed."""

    cold: float
    bare: float
    sessions: int


def bare_calendar(facts: list[SessionFacts], zone: ZoneInfo) -> bytes:
    """The same entries built the plain way, straight from values in memory."""
    calendar = Calendar()
    calendar.add("prodid", "-//bench//bare icalendar//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", "bench")
    for each in facts:
        event = Event()
        event.add("uid", each.uid)
        event.add("dtstamp", each.last_modified)
        event.add("dtstart", each.starts_at.astimezone(zone))
        event.add("dtend", each.ends_at.astimezone(zone))
        event.add("summary", each.summary)
        event.add("description", each.description)
        event.add("location", each.location)
        if each.geo:
            event.add("geo", each.geo)
        event.add("url", each.url)
        event.add("categories", list(each.categories))
        organizer = vCalAddress("mailto:noreply@invalid")
        organizer.params["cn"] = each.organizer
        event.add("organizer", organizer)
        event.add("status", "CANCELLED" if each.cancelled else "CONFIRMED")
        event.add("sequence", each.sequence)
        event.add("created", each.created)
        event.add("last-modified", each.last_modified)
        calendar.add_component(event)
    calendar.add_missing_timezones()
    return calendar.to_ical()


def _median(action, repeats: int = REPEATS) -> float:
    timings = []
    for _ in range(repeats):
        started = time.perf_counter()
        action()
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def measure(app: Flask, community_slug: str) -> ColdBuild:
    """Median of REPEATS cold requests and of REPEATS bare builds of the same sessions."""
    url = f"/feeds/communities/{community_slug}.ics"
    client = app.test_client()

    def cold_request() -> None:
        app.extensions.pop(EXTENSION, None)
        response = client.get(url)
        assert response.status_code == 200, response.status_code

    cold_request()  # templates, translations and connections ready, as in a running server
    cold = _median(cold_request)
    with app.test_request_context():
        start = services.window_start()
        version = services.public_version({"community": community_slug}, start)
        rows = services.public_sessions(dict(version.ids), start)
        facts = [content.session_facts(s, "zh", taken=taken) for s, taken in rows]
        zone = ZoneInfo(app.config["TIMEZONE"])
        bare = _median(lambda: bare_calendar(facts, zone))
    return ColdBuild(cold=cold, bare=bare, sessions=len(facts))
