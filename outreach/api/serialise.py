"""Plain-dict shapes of the API's resources."""

from __future__ import annotations

from typing import Any

from flask import url_for

from outreach.events.models import Event, EventSession
from outreach.localtime import local_zone
from outreach.places.models import Community, Township, Venue


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
        "latitude": float(place.latitude) if place.latitude is not None else None,
        "longitude": float(place.longitude) if place.longitude is not None else None,
    }


def event_session(item: EventSession) -> dict[str, Any]:
    """A session: local times with offset, place, capacity, status."""
    zone = local_zone()
    return {
        "id": item.id,
        "event_id": item.event_id,
        "starts_at": item.starts_at.astimezone(zone).isoformat(),
        "ends_at": item.ends_at.astimezone(zone).isoformat(),
        "all_day": item.all_day,
        "venue": venue(item.venue),
        "community": named(item.venue.community),
        "township": named(item.venue.township),
        "capacity": item.capacity,
        "status": "cancelled" if item.is_cancelled else item.status.value,
        "cancellation_reason": item.cancellation_reason or None,
        "url": url_for("events.event", event_id=item.event_id, _external=True),
    }


def event(item: Event, sessions: list[EventSession]) -> dict[str, Any]:
    """An event with the given sessions."""
    return {
        "id": item.id,
        "title": item.title,
        "summary": item.summary,
        "description": item.description,
        "audience": item.audience,
        "status": item.status.value,
        "cancellation_reason": item.cancellation_reason or None,
        "organisation": named(item.organisation),
        "category": {**named(item.category), "colour": item.category.colour},
        "url": url_for("events.event", event_id=item.id, _external=True),
        "sessions": [event_session(s) for s in sessions],
    }


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
