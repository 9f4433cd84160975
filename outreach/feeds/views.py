"""Calendar endpoints."""

from __future__ import annotations

from flask import Blueprint, make_response, url_for
from flask_babel import gettext as _

from outreach.events import services as event_services
from outreach.events.models import EventSession
from outreach.feeds.calendar import SessionFacts, build_calendar
from outreach.i18n import current_language
from outreach.localtime import local_zone

bp = Blueprint("feeds", __name__)


def session_facts(event_session: EventSession, language: str) -> SessionFacts:
    """What a calendar shows of a session, in the reader's language."""
    event = event_session.event
    venue = event_session.venue
    places = [venue.display_name(language)]
    if venue.community is not None:
        places.append(venue.community.display_name(language))
    places.append(venue.township.display_name(language))
    location = " · ".join(places) + (f", {venue.address}" if venue.address else "")
    summary = event.title
    if event_session.is_cancelled:
        summary = f"{_('[Cancelled]')} {summary}"
    url = url_for("registrations.event", event_id=event.id, _external=True)
    description = "\n\n".join(part for part in (event.summary, url) if part)
    geo = None
    if venue.latitude is not None and venue.longitude is not None:
        geo = (float(venue.latitude), float(venue.longitude))
    return SessionFacts(
        uid=event_session.uid,
        summary=summary,
        starts_at=event_session.starts_at,
        ends_at=event_session.ends_at,
        all_day=event_session.all_day,
        sequence=event_session.sequence,
        created=event_session.created_at,
        last_modified=max(event_session.updated_at, event.updated_at),
        description=description,
        location=location,
        url=url,
        organizer=event.organisation.display_name(language),
        categories=(event.category.display_name(language),),
        cancelled=event_session.is_cancelled,
        geo=geo,
    )


@bp.get("/sessions/<id:session_id>.ics")
def session_ics(session_id: int):
    """One session as a calendar file to open or import."""
    event_session = event_services.public_session(session_id)
    language = current_language()
    body = build_calendar(
        event_session.event.title,
        [session_facts(event_session, language)],
        local_zone(),
        refresh=None,
    )
    response = make_response(body)
    response.headers["Content-Type"] = "text/calendar; charset=utf-8"
    response.headers["Content-Disposition"] = f'attachment; filename="session-{session_id}.ics"'
    response.headers["Cache-Control"] = "public, max-age=300"
    # The text follows the reader's language (cookie or Accept-Language).
    response.headers["Vary"] = "Accept-Language, Cookie"
    return response
