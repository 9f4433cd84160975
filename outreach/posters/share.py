"""What an event says when shared into a chat: a short text to paste into a WeChat group,
and the same in a picture with its QR code (share_image.py).

An event may run many sessions across communities; a share names the next few, as the
poster does, each line a venue and a time of day with its days written compactly
(5月6日、13日、20日（周三）09:00–11:00 · 晨光社区服务站), and counts the rest, which the link
shows. Shared from a session, it names that session; from a community, that community's
next sessions. The link is the event page's, built from the site's configured address.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import Enum

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import Select, func, select

from outreach.database import db, utcnow
from outreach.errors import NotFoundError
from outreach.events.models import Event, EventSession, EventStatus, SessionStatus
from outreach.i18n import current_language
from outreach.links import public_url
from outreach.localtime import local_date
from outreach.places.models import Venue
from outreach.posters import services
from outreach.posters.dates import days_units

# Sessions a share names at most, on at most this many lines; the rest are counted.
NAMED_SESSIONS = 6
LINES = 3


class State(Enum):
    """Whether what is shared is still to come."""

    COMING = "coming"
    CANCELLED = "cancelled"  # the whole event
    FINISHED = "finished"  # every session (of the community asked for) has taken place


@dataclass(frozen=True)
class Line:
    """Sessions at one venue at one time of day: their days, the time, the place."""

    days: str
    time: str
    place: str
    count: int  # sessions it names
    note: str = ""  # a chosen session's own state: cancelled, or taken place

    @property
    def when(self) -> str:
        """Its days and time (and note): 5月6日、13日（周三）09:00–11:00."""
        when = _("%(days)s, %(time)s", days=self.days, time=self.time)
        return _("%(when)s (%(reason)s)", when=when, reason=self.note) if self.note else when

    @property
    def text(self) -> str:
        return _("%(when)s · %(place)s", when=self.when, place=self.place)


@dataclass(frozen=True)
class Share:
    """An event as shared: its next sessions, how many more, and its link."""

    event: Event
    state: State
    lines: tuple[Line, ...]
    more: int  # sessions to come not named
    link: str
    register: bool  # whether the link is where to register (else: to read more)

    @property
    def title(self) -> str:
        return self.event.text("title", current_language())

    @property
    def status(self) -> str:
        """What is said of the event as a whole, if anything."""
        if self.state is State.CANCELLED:
            reason = " ".join(self.event.cancellation_reason.split())
            said = _("This event is cancelled")
            return _("%(when)s (%(reason)s)", when=said, reason=reason) if reason else said
        if self.state is State.FINISHED:
            return _("Every session of this event has taken place.")
        return ""

    @property
    def more_text(self) -> str:
        """How many sessions to come it does not name, if any."""
        return self.more_text_for(self.more)

    @staticmethod
    def more_text_for(more: int) -> str:
        if not more:
            return ""
        return ngettext(
            "%(num)d more session at the link below",
            "%(num)d more sessions at the link below",
            more,
        )

    @property
    def action(self) -> str:
        """The link, and what it is for."""
        if self.register:
            return _("Register: %(link)s", link=self.link)
        return _("Details: %(link)s", link=self.link)

    @property
    def text(self) -> str:
        """The text to paste: one line for one session, else a line each."""
        head = _("%(title)s:", title=self.title)
        if len(self.lines) == 1 and not (self.status or self.more):
            return _(
                "%(head)s %(session)s. %(action)s",
                head=head,
                session=self.lines[0].text,
                action=self.action,
            )
        parts = [head, self.status, *(line.text for line in self.lines), self.more_text]
        return "\n".join(part for part in (*parts, self.action) if part)


def place_name(venue: Venue) -> str:
    """Where, as residents say it: the venue's name, after its community's unless the name
    already says it (晨光社区服务站; 晨光社区 活动室)."""
    language = current_language()
    name = venue.display_name(language)
    if venue.community is None:
        return name
    community = venue.community.display_name(language)
    if community in name or venue.community.name in venue.name:  # said in either language
        return name
    return _("%(community)s %(venue)s", community=community, venue=name)


def _lines(sessions: Sequence[EventSession], note: str = "") -> tuple[list[Line], int]:
    """Lines of the sessions (in start order), at most LINES of them: each a venue and a time
    of day, in order of their first session; and how many sessions they leave out."""
    grouped: dict[tuple, list[EventSession]] = {}
    for event_session in sessions:
        key = (event_session.venue_id, services.time_key(event_session))
        if key not in grouped and len(grouped) == LINES:
            continue
        grouped.setdefault(key, []).append(event_session)
    lines = []
    for group in grouped.values():
        days = tuple(
            dict.fromkeys(services.Day(local_date(s.starts_at), cancelled=False) for s in group)
        )
        text = "".join(days_units(days)).strip()
        time = services.time_text(services.Times(group[0], days))
        lines.append(Line(text, time, place_name(group[0].venue), len(group), note))
    return lines, len(sessions) - sum(map(len, grouped.values()))


def _takes_registrations(event: Event, sessions: Sequence[EventSession], now: datetime) -> bool:
    closes = event.registration_closes_at
    if closes is not None and closes <= now:
        return False
    return any(s.capacity != 0 and s.starts_at > now for s in sessions)


def _link(event: Event, session_id: int | None) -> str:
    """The event page on the site's address, in the reader's language (Chinese needs no
    ?lang), at the chosen session."""
    language = current_language()
    args: dict[str, object] = {}
    if language != current_app.config["BABEL_DEFAULT_LOCALE"]:
        args["lang"] = language
    if session_id is not None:
        args["_anchor"] = f"session-{session_id}"
    return public_url("events.event", event_id=event.id, **args)


def _coming(event: Event, community_id: int | None, now: datetime) -> Select:
    """The event's sessions still to come (those called off left out, unless the whole event
    is), in the community if given."""
    statement = services.sessions_with_places().where(
        EventSession.event_id == event.id, EventSession.ends_at > now
    )
    if event.status != EventStatus.CANCELLED:
        statement = statement.where(EventSession.status != SessionStatus.CANCELLED)
    if community_id is not None:
        statement = statement.where(Venue.community_id == community_id)
    return statement


def _count(statement: Select) -> int:
    return db.session.scalar(select(func.count()).select_from(statement.order_by(None).subquery()))


def event_share(
    event_id: int, session_id: int | None = None, community: str | None = None
) -> Share:
    """What a public event (published or cancelled) says when shared: from a session of its,
    that session; from a community, the next sessions there (else anywhere); else its next
    sessions. An unknown event, session or community is NotFoundError."""
    event = services.public_event(event_id)
    now = utcnow()
    state = State.CANCELLED if event.status == EventStatus.CANCELLED else State.COMING
    if session_id is not None:
        chosen = db.session.scalar(
            services.sessions_with_places().where(
                EventSession.id == session_id, EventSession.event_id == event.id
            )
        )
        if chosen is None:
            raise NotFoundError("session", session_id)
        note = ""
        if chosen.status == SessionStatus.CANCELLED and state is State.COMING:
            note = _("cancelled")
        elif chosen.ends_at <= now:
            note = _("has taken place")
        lines, _none = _lines([chosen], note)
        register = not note and _takes_registrations(event, [chosen], now)
        return Share(event, state, tuple(lines), 0, _link(event, session_id), register)
    statement = _coming(event, None, now)
    if community is not None:
        place = services.community_by_slug(community)
        there = _coming(event, place.id, now)
        if _count(there):
            statement = there
    sessions = db.session.scalars(statement.limit(NAMED_SESSIONS)).all()
    lines, left_out = _lines(sessions)
    # Only an event with more sessions than it names costs a count.
    total = len(sessions) if len(sessions) < NAMED_SESSIONS else _count(statement)
    more = total - (len(sessions) - left_out)
    if not sessions:
        state = State.FINISHED if state is State.COMING else state
    register = state is State.COMING and _takes_registrations(event, sessions, now)
    return Share(event, state, tuple(lines), more, _link(event, None), register)
