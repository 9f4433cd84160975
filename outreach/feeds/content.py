"""What a calendar entry says about a session, in the reader's language (call with a request)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from outreach.database import Named
from outreach.events.models import EventSession
from outreach.feeds.calendar import SessionFacts
from outreach.registrations.models import Registration, RegistrationStatus
from outreach.registrations.services import seats_left


def seats_text(event_session: EventSession, taken: int) -> str:
    """Places left, "no limit", or full (with or without a waitlist)."""
    capacity = event_session.capacity
    if capacity is None:
        return _("No limit on places")
    if capacity == 0:
        return _("This session does not take registrations.")
    left = seats_left(capacity, taken) or 0
    if left > 0:
        return ngettext("%(num)d place left", "%(num)d places left", left)
    if event_session.event.allow_waitlist:
        return _("Full") + _(", waitlist open")
    return _("Full")


def _location(event_session: EventSession, language: str) -> str:
    venue = event_session.venue
    places = [venue.display_name(language)]
    if venue.community is not None:
        places.append(venue.community.display_name(language))
    places.append(venue.township.display_name(language))
    address = venue.text("address", language)
    return " · ".join(places) + (f", {address}" if address else "")


def _state(event_session: EventSession, taken: int | None) -> str:
    """The cancellation reason of a called-off session, else its places left."""
    if event_session.is_cancelled:
        return event_session.cancellation_reason or event_session.event.cancellation_reason
    return "" if taken is None else seats_text(event_session, taken)


def session_facts(
    event_session: EventSession,
    language: str,
    *,
    taken: int | None = None,
    prefix: str = "",
    notes: tuple[str, ...] = (),
    changed_at: datetime | None = None,
    alarms: tuple[timedelta, ...] = (),
) -> SessionFacts:
    """What a calendar shows of a session, in the reader's language.

    `taken` (confirmed seats) adds the places left; `prefix` goes before the title (after
    "[Cancelled]"); `notes` are lines for the description; `changed_at` is a later change
    than the session's and event's own (a registration's, in a personal feed).
    """
    event = event_session.event
    # English feeds carry the English texts where staff gave them, else the Chinese.
    title = event.text("title", language)
    summary = f"{prefix} {title}" if prefix else title
    if event_session.is_cancelled:
        # Outlook ignores STATUS: the title itself says it. (Not inside the f-string, where
        # message extraction would not find it.)
        cancelled = _("[Cancelled]")
        summary = f"{cancelled} {summary}"
    url = url_for("events.event", event_id=event.id, _external=True)
    parts = (event.text("summary", language), *notes, _state(event_session, taken), url)
    venue = event_session.venue
    geo = None
    if venue.latitude is not None and venue.longitude is not None:
        geo = (float(venue.latitude), float(venue.longitude))
    last_modified = max(event_session.updated_at, event.updated_at)
    return SessionFacts(
        uid=event_session.uid,
        summary=summary,
        starts_at=event_session.starts_at,
        ends_at=event_session.ends_at,
        all_day=event_session.all_day,
        sequence=event_session.sequence,
        created=event_session.created_at,
        last_modified=max(last_modified, changed_at) if changed_at else last_modified,
        description="\n\n".join(part for part in parts if part),
        location=_location(event_session, language),
        url=url,
        organizer=event.organisation.display_name(language),
        categories=(event.category.display_name(language),),
        cancelled=event_session.is_cancelled,
        geo=geo,
        alarms=alarms,
    )


def registration_facts(
    registration: Registration, taken: int, language: str, reminder: timedelta
) -> SessionFacts:
    """A resident's registration as a calendar entry: the session, their status, a reminder."""
    waitlisted = registration.status == RegistrationStatus.WAITLISTED
    status = str(registration.status.label)
    people = ngettext("%(num)d person", "%(num)d people", registration.party_size)
    return session_facts(
        registration.event_session,
        language,
        taken=taken,
        prefix=_("[Waitlist]") if waitlisted else "",
        notes=(f"{status} · {people}",),
        changed_at=registration.updated_at,
        alarms=(reminder,),
    )


def calendar_name(about: Mapping[str, Named], language: str) -> str:
    """ "大西洋新城社区 · 社区活动", "六里屯社区卫生服务中心 · 活动", or "全部社区活动"."""
    if not about:
        return _("All community events")
    names = [item.display_name(language) for item in about.values()]
    # An organisation's feed holds its own events; every other feed is the community's.
    suffix = _("Events") if "organisation" in about else _("Community events")
    return " · ".join((*names, suffix))
