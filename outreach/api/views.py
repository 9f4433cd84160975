"""Read API: events, sessions and places as JSON."""

from __future__ import annotations

from flask import Blueprint, current_app, jsonify, request
from flask_babel import gettext as _

from outreach.api import serialise
from outreach.errors import InvalidInput
from outreach.events import services
from outreach.events.forms import parse_listing_query

bp = Blueprint("api", __name__)


def _per_page() -> int:
    raw = request.args.get("per_page")
    if raw is None:
        return current_app.config["API_PER_PAGE"]
    maximum = current_app.config["API_MAX_PER_PAGE"]
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise InvalidInput(_("per_page must be a whole number from 1 to %(max)d.", max=maximum))
    return int(raw)


@bp.get("/events")
def events():
    """Upcoming public events matching the filters, one page."""
    query = parse_listing_query(request.args)
    filters = services.build_filter(
        **query.slugs(), date_from=query.date_from, date_to=query.date_to
    )
    page = services.upcoming_events(filters, query.page, _per_page())
    return jsonify(
        items=[serialise.event(item.event, item.sessions) for item in page.items],
        page=page.page,
        pages=page.pages,
        per_page=page.per_page,
        total=page.total,
    )


@bp.get("/events/<int:event_id>")
def event(event_id: int):
    """One public event with all its sessions."""
    found = services.public_event(event_id)
    return jsonify(serialise.event(found, found.sessions))


@bp.get("/sessions/<int:session_id>")
def event_session(session_id: int):
    """One session of a public event."""
    found = services.public_session(session_id)
    return jsonify(
        {
            **serialise.event_session(found),
            "event": {"id": found.event.id, "title": found.event.title},
        }
    )


@bp.get("/places")
def places():
    """The township → community → venue tree."""
    loose = services.venues_without_community()
    return jsonify(
        items=[serialise.township_tree(t, loose.get(t.id, [])) for t in services.place_tree()]
    )
