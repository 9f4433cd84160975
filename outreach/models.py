"""Every model, imported in one place so Alembic and the shell see all tables."""

from outreach.accounts.models import Organisation, OrganisationKind
from outreach.events.models import Category, Event, EventSession, EventStatus, SessionStatus
from outreach.places.models import Community, Township, TownshipKind, Venue

__all__ = [
    "Category",
    "Community",
    "Event",
    "EventSession",
    "EventStatus",
    "Organisation",
    "OrganisationKind",
    "SessionStatus",
    "Township",
    "TownshipKind",
    "Venue",
]
