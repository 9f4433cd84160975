"""What the packages above events lend it when the app is built: events cannot import them
(imports flow one way), yet its pages show what they know.

Each hook holds one plain function, set by the package that provides it in its `init_app`
(registrations sets them all); the defaults serve an app without that package.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import Flask, current_app

from outreach.events.models import Event, EventSession

EXTENSION = "outreach.events.hooks"


def _nothing_to_add(event: Event, now: datetime, **given: Any) -> dict[str, Any]:
    return {}


def _nobody(session_ids: Sequence[int]) -> tuple[int, int]:
    return 0, 0


@dataclass(frozen=True)
class Tally:
    """People registered for a session or an event: confirmed, and waiting for a seat."""

    confirmed: int = 0
    waitlisted: int = 0


def _nobody_registered(ids: Sequence[int]) -> dict[int, Tally]:
    return {}


def _no_rooms_known(event_sessions: Sequence[EventSession]) -> dict[int, Any] | None:
    return None


@dataclass
class Hooks:
    """The functions the packages above provide."""

    # Who hears of a change to these sessions: (registrations, people in them), counted by
    # registrations.services.count_registrants.
    count_registrants: Callable[[Sequence[int]], tuple[int, int]] = _nobody

    # What each of a page of sessions (slots loaded) has left, by session id, counted in one
    # query by registrations.services.rooms: a Room with `left` (the session's places, None
    # without a limit), `slots` (slot id: places) and `full`. None when no package counts
    # seats: listings then show capacities only.
    rooms: Callable[[Sequence[EventSession]], dict[int, Any] | None] = _no_rooms_known

    # People confirmed and waitlisted, by session id (session_tallies) or by event id
    # (event_tallies), each counted in one grouped query by registrations.services; a
    # session or event missing from the answer has nobody.
    session_tallies: Callable[[Sequence[int]], dict[int, Tally]] = _nobody_registered
    event_tallies: Callable[[Sequence[int]], dict[int, Tally]] = _nobody_registered

    # What the event page shows besides the event and its sessions (seats and registration
    # forms): template values for `event` at `now`. `given` is what the caller passed to
    # `render_event` for the provider (a form posted with errors).
    event_page: Callable[..., dict[str, Any]] = _nothing_to_add


def hooks(app: Flask | None = None) -> Hooks:
    """The hooks of `app` (by default the current one)."""
    return (app or current_app).extensions[EXTENSION]


def init_app(app: Flask) -> None:
    """Give the app its hooks, empty until the packages above fill them in."""
    app.extensions[EXTENSION] = Hooks()


def tallies_of_sessions(session_ids: Sequence[int]) -> dict[int, Tally]:
    """Who registered for each of these sessions (an empty tally for nobody): one query."""
    found = hooks().session_tallies(session_ids) if session_ids else {}
    return {id_: found.get(id_, Tally()) for id_ in session_ids}


def tallies_of_events(event_ids: Sequence[int]) -> dict[int, Tally]:
    """Who registered for each of these events, all sessions together: one query."""
    found = hooks().event_tallies(event_ids) if event_ids else {}
    return {id_: found.get(id_, Tally()) for id_ in event_ids}
