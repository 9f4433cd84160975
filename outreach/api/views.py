"""The JSON API: events, sessions and places to read; registrations to make, read and cancel.

A rule error (a bad parameter, a refused registration) is answered by one handler, as
`{"error": kind, "message", "field", "fields"}` with the kind's status."""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, request
from flask_babel import gettext as _
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from outreach.api import serialise
from outreach.api.openapi import document
from outreach.api.schemas import (
    CURSOR_PARAMETER,
    per_page_parameter,
    phone_code_request,
    places_per_page_parameter,
    registration_request,
)
from outreach.attempt import json_answer
from outreach.database import db
from outreach.errors import RuleError
from outreach.events import services
from outreach.events.forms import FILTER_QUERY, parse_listing_query
from outreach.extensions import (
    cancel_limit,
    limiter,
    phone_code_limit,
    phone_code_number_limit,
    phone_of_request,
    registration_limit,
)
from outreach.i18n import current_language
from outreach.links import public_url
from outreach.places import services as places_services
from outreach.registrations import services as registrations
from outreach.registrations import verification
from outreach.registrations.services import Seats

bp = Blueprint("api", __name__)
# Invalid input 422; full, duplicate and closed are conflicts with the session's state, 409;
# an unreadable URL parameter 400 (see outreach.errors.KIND_STATUS).
bp.register_error_handler(RuleError, json_answer)


@bp.get("/events")
def events():
    """Upcoming public events matching the filters, one page."""
    query = parse_listing_query(request.args, FILTER_QUERY)
    filters = services.build_filter(
        **query.slugs(), date_from=query.date_from, date_to=query.date_to
    )
    per_page = per_page_parameter().read(request.args.get("per_page"))
    cursor = CURSOR_PARAMETER.read(request.args.get("cursor"))
    page = services.upcoming_event_page(filters, cursor, per_page)
    # Seats as the rows just loaded count them: summing a page's registrations took one of
    # its slowest queries.
    seats = Seats.counted([s for item in page.items for s in item.sessions])
    places: serialise.PlaceCache = {}
    return jsonify(
        items=[
            serialise.event(i.event, i.sessions, seats, places, more_sessions=i.more_sessions)
            for i in page.items
        ],
        per_page=page.per_page,
        next=_next_link("api.events", page.next_cursor),
    )


@bp.get("/events/<id:event_id>")
def event(event_id: int):
    """One public event with all its sessions."""
    found = services.public_event(event_id)
    return jsonify(serialise.event(found, found.sessions, Seats.of(found.sessions)))


@bp.get("/sessions/<id:session_id>")
def event_session(session_id: int):
    """One session of a public event."""
    found = services.public_session(session_id)
    return jsonify(
        {
            **serialise.event_session(found, Seats.of([found])),
            "event": {
                "id": found.event.id,
                "title": found.event.title,
                "title_en": found.event.title_en or None,
            },
        }
    )


@bp.get("/places")
def places():
    """The township → community → venue tree, a page of streets and townships at a time."""
    per_page = places_per_page_parameter().read(request.args.get("per_page"))
    cursor = CURSOR_PARAMETER.read(request.args.get("cursor"))
    page = places_services.township_page(cursor, per_page)
    loose = places_services.venues_without_community([t.id for t in page.items])
    return jsonify(
        items=[serialise.township_tree(t, loose.get(t.id, [])) for t in page.items],
        per_page=page.per_page,
        next=_next_link("api.places", page.next_cursor),
    )


def _next_link(endpoint: str, cursor: str | None) -> str | None:
    """The next page's absolute address: the same query with its cursor, on the configured
    public address (never the request's Host); None on the last page."""
    if cursor is None:
        return None
    kept = {k: v for k, v in request.args.items() if k != "cursor"}
    return public_url(endpoint, **kept, cursor=cursor)


# A registration's JSON is a few hundred bytes: a body far larger is refused unread.
MAX_JSON_BODY = 16 * 1024


def _json_body():
    if not request.is_json:
        raise UnsupportedMediaType(description=_("Please send JSON."))
    # (A body sent without its length is measured once read.)
    if (request.content_length or 0) > MAX_JSON_BODY or (
        len(request.get_data(cache=True)) > MAX_JSON_BODY
    ):
        raise RequestEntityTooLarge(
            description=_("A request body may hold at most %(kb)d KB.", kb=MAX_JSON_BODY // 1024)
        )
    try:
        body = request.get_json(silent=True)
    except RecursionError:  # nested deeper than the parser follows
        body = None
    if body is None:
        raise BadRequest(description=_("The body is not valid JSON."))
    return body


@bp.post("/phone-codes")
@limiter.limit(phone_code_limit, scope="phone-codes")
@limiter.limit(phone_code_number_limit, key_func=phone_of_request, scope="phone-codes-number")
def create_phone_code():
    """Text a one-time code to a phone (step one of registering while phones are verified):
    202 with its lifetime and the wait before another, 429 while waiting or over the day's
    texts, 503 when the gateway did not take it; 404 while phones are not verified."""
    if not verification.enabled():
        abort(404)
    phone = phone_code_request(_json_body())
    issued = verification.issue_code(phone)
    db.session.commit()  # the code and its wait, before the gateway is asked
    sent = verification.text_code(issued)
    return jsonify(expires_in=sent.expires_in, retry_after=sent.retry_after), 202


@bp.post("/sessions/<id:session_id>/registrations")
@limiter.limit(registration_limit, scope="registrations")
def create_registration(session_id: int):
    """Register for a session: 201 confirmed or waitlisted, 409 full or duplicate, 422 invalid
    (a missing or wrong `phone_code` while phones are verified), 429 over the day's cap."""
    body = _json_body()
    # 404 before validation; the checks of the number as typed come with the session.
    typed = body.get("phone") if isinstance(body, dict) else None
    found, prechecked = registrations.session_and_checks(session_id, typed)
    wanted = registration_request(body, current_language())
    if verification.enabled():
        # A wrong guess counts even though the registration below is rolled back.
        verification.spend_try(wanted.phone, wanted.phone_code)
        db.session.commit()
    registration = registrations.register(session_id, wanted, loaded=found, prechecked=prechecked)
    # The answer's values are read before the commit, from what the registration just decided
    # (its waitlist place included): nothing is read again once the session's lock is
    # released. Its links are written after it, so that the lock is not held for them.
    values = serialise.registration_values(
        registration, registrations.waitlist_position(registration)
    )
    db.session.commit()
    response = jsonify(serialise.with_links(values))
    location = public_url("api.registration", token=values["manage_token"])
    response.status_code = 201
    response.headers["Location"] = location
    return response


@bp.get("/registrations/<token>")
def registration(token: str):
    """A registration, to whoever holds its secret token."""
    found = registrations.by_token(token)
    response = jsonify(serialise.registration(found, registrations.waitlist_position(found)))
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.delete("/registrations/<token>")
@limiter.limit(cancel_limit, scope="cancellations")
def cancel_registration(token: str):
    """Cancel a registration; its seats go to the waitlist."""
    found = registrations.by_token(token)
    registrations.cancel(found)
    db.session.commit()
    return jsonify(serialise.registration(found, None))


@bp.get("/openapi.json")
def openapi():
    """The API's OpenAPI 3.1 document, built from the code that validates requests."""
    response = jsonify(document())
    response.vary.add("Accept-Language")  # its descriptions are in the reader's language
    return response
