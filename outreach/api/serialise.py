"""Plain-dict shapes of the API's resources.

Texts with an English form come in both languages, whatever the request's language: the
Chinese under the plain name (`title`, `label`, `address`, `name`), the English under the
same name with `_en` (null when staff gave none), as places have always come. A client shows
the `_en` text to English readers when it is not null, else the Chinese one, and one
cached answer serves every reader.
"""

from __future__ import annotations

from typing import Any

from outreach.events.models import Event, EventSession
from outreach.links import public_url
from outreach.localtime import local_zone
from outreach.places.models import Community, Township, Venue
from outreach.registrations.models import Registration, Slot
from outreach.registrations.services import Seats, seats_left


def named(obj: Township | Community | Venue | Any | None) -> dict[str, Any] | None:
    """Slug and names of a place, category or organisation."""
    if obj is None:
        return None
    return {"slug": obj.slug, "name": obj.name, "name_en": obj.name_en}


def venue(place: Venue) -> dict[str, Any]:
    """A venue with its address and position."""
    return {
        **named(place),
        "id": place.id,
        "address": place.address,
        "address_en": place.address_en or None,
        "latitude": float(place.latitude) if place.latitude is not None else None,
        "longitude": float(place.longitude) if place.longitude is not None else None,
    }


def slot(item: Slot, taken: dict[int, int]) -> dict[str, Any]:
    """A slot with its seats."""
    zone = local_zone()
    return {
        "id": item.id,
        "label": item.label,
        "label_en": item.label_en or None,
        "starts_at": item.starts_at.astimezone(zone).isoformat() if item.starts_at else None,
        "ends_at": item.ends_at.astimezone(zone).isoformat() if item.ends_at else None,
        "capacity": item.capacity,
        "seats_left": seats_left(item.capacity, taken.get(item.id, 0)),
    }


# A page of events names the same venues, communities and townships again and again: each
# is written once per answer, by venue id, and the same dicts are shared.
PlaceCache = dict[int, tuple[dict[str, Any], dict[str, Any] | None, dict[str, Any] | None]]


def _place(item: EventSession, places: PlaceCache):
    found = places.get(item.venue_id)
    if found is None:
        place = item.venue
        found = places[item.venue_id] = (
            venue(place),
            named(place.community),
            named(place.township),
        )
    return found


def event_session(
    item: EventSession,
    seats: Seats,
    *,
    url: str | None = None,
    places: PlaceCache | None = None,
) -> dict[str, Any]:
    """A session: local times with offset, place, capacity, seats left, slots, status
    (`url`: its event's address, when the caller has it already)."""
    zone = local_zone()
    place, community, township = _place(item, {} if places is None else places)
    return {
        "id": item.id,
        "event_id": item.event_id,
        "starts_at": item.starts_at.astimezone(zone).isoformat(),
        "ends_at": item.ends_at.astimezone(zone).isoformat(),
        "all_day": item.all_day,
        "venue": place,
        "community": community,
        "township": township,
        "capacity": item.capacity,
        "seats_left": seats_left(item.capacity, seats.sessions.get(item.id, 0)),
        "slots": [slot(s, seats.slots) for s in item.slots],
        "status": "cancelled" if item.is_cancelled else item.status.value,
        "cancellation_reason": item.cancellation_reason or None,
        "url": url or public_url("events.event", event_id=item.event_id),
    }


def event(
    item: Event,
    sessions: list[EventSession],
    seats: Seats,
    places: PlaceCache | None = None,
    *,
    more_sessions: bool = False,
) -> dict[str, Any]:
    """An event with the given sessions (`places`: shared by the events of one answer;
    `more_sessions`: it has more than those given, as a page of the list carries a few)."""
    url = public_url("events.event", event_id=item.id)
    places = {} if places is None else places
    return {
        "id": item.id,
        "title": item.title,
        "title_en": item.title_en or None,
        "summary": item.summary,
        "summary_en": item.summary_en or None,
        "description": item.description,
        "description_en": item.description_en or None,
        "audience": item.audience,
        "audience_en": item.audience_en or None,
        "status": item.status.value,
        "cancellation_reason": item.cancellation_reason or None,
        "organisation": named(item.organisation),
        "category": {**named(item.category), "colour": item.category.colour},
        "url": url,
        "sessions": [event_session(s, seats, url=url, places=places) for s in sessions],
        "more_sessions": more_sessions,
    }


def _slot_name(item: Slot | None) -> dict[str, Any] | None:
    return {"id": item.id, "label": item.label, "label_en": item.label_en or None} if item else None


def registration(item: Registration, position: int | None) -> dict[str, Any]:
    """A resident's registration, as its owner (holder of the token) sees it."""
    return with_links(registration_values(item, position))


def registration_values(item: Registration, position: int | None) -> dict[str, Any]:
    """`registration` but for its links (`with_links`): what only the row holds, read while
    a new registration's session is still locked; the links are written after the commit."""
    return {
        "code": item.code,
        "status": item.status.value,
        "waitlist_position": position,
        "party_size": item.party_size,
        "name": item.name,
        "slot": _slot_name(item.slot),
        "session_id": item.session_id,
        "event_id": item.event_session.event_id,
        "manage_token": item.manage_token,
        "created_at": item.created_at.astimezone(local_zone()).isoformat(),
    }


def with_links(values: dict[str, Any]) -> dict[str, Any]:
    """A registration's values with the address of its manage page."""
    url = public_url("registrations.manage", token=values["manage_token"])
    return {**values, "manage_url": url}


def township_tree(township: Township, loose_venues: list[Venue]) -> dict[str, Any]:
    """A township with its communities and venues."""
    return {
        **named(township),
        "kind": township.kind.value,
        "communities": [
            {**named(c), "venues": [venue(v) for v in c.venues]} for c in township.communities
        ],
        "venues": [venue(v) for v in loose_venues],
    }
