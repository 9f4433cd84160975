"""Every model, imported in one place so Alembic and the shell see all tables."""

from outreach.accounts.models import (
    AuditEntry,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    StaffUser,
)
from outreach.events.models import (
    Category,
    Event,
    EventSeries,
    EventSession,
    EventStatus,
    SessionStatus,
)
from outreach.follows.models import Follow, Follower, FollowScope
from outreach.messages.models import (
    Message,
    MessageChannel,
    MessageKind,
    MessageStatus,
    Notice,
    NoticeSegment,
)
from outreach.places.models import Community, Township, TownshipKind, Venue
from outreach.registrations.models import PhoneCheck, Registration, RegistrationStatus, Slot

__all__ = [
    "Follow",
    "Follower",
    "FollowScope",
    "Message",
    "MessageChannel",
    "MessageKind",
    "MessageStatus",
    "Notice",
    "NoticeSegment",
    "PhoneCheck",
    "Registration",
    "RegistrationStatus",
    "Slot",
    "AuditEntry",
    "EventSeries",
    "Membership",
    "Role",
    "StaffUser",
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
