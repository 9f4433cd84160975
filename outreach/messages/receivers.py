"""Receivers of the registrations' and sessions' signals: the changes that queue messages.

Connected by `connect()`, which the package's init_app calls; they run in the transaction of
the change, so a message is committed with the change that causes it, or not at all.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from outreach.database import db, utcnow
from outreach.events.models import EventSession
from outreach.events.signals import session_changed
from outreach.messages import services
from outreach.messages.models import Message, MessageKind
from outreach.registrations import services as registration_services
from outreach.registrations.models import Registration
from outreach.registrations.signals import (
    personal_data_purged,
    registration_changed,
    registration_preparing,
)

# What each registration signal's action tells the resident.
REGISTRATION_KINDS = {
    "confirmed": MessageKind.CONFIRMED,
    "waitlisted": MessageKind.WAITLISTED,
    "promoted": MessageKind.PROMOTED,
    "cancelled": MessageKind.CANCELLED,
}
# What each session signal's action tells its registrants ("update" changes only seats).
SESSION_KINDS = {
    "cancel": MessageKind.SESSION_CANCELLED,
    "reschedule": MessageKind.SESSION_RESCHEDULED,
    "restore": MessageKind.SESSION_RESTORED,
}


def prepare_registration_message(
    registration: Registration, now: datetime, placeholder: int, **_details: Any
) -> services.Prepared | None:
    """A new registration's message, rendered before its seat is decided."""
    return services.prepare(
        REGISTRATION_KINDS[registration.status.value], registration, placeholder, now
    )


def on_registration_changed(
    registration: Registration, action: str, prepared: Sequence[Any] = (), **_details: Any
) -> None:
    """A new, promoted or cancelled registration: tell the resident."""
    kind = REGISTRATION_KINDS.get(action)
    if kind is None:
        return
    ready = [p for p in prepared if isinstance(p, services.Prepared) and p.kind == kind]
    if ready:
        position = registration_services.waitlist_position(registration)
        for message in ready:
            message.queue(registration, f"{kind.value}:{registration.id}", position)
        return
    if kind == MessageKind.CANCELLED:
        services.skip_pending(
            (Message.registration_id == registration.id) & (Message.kind == MessageKind.REMINDER),
            services.SKIPPED_REMINDER,
        )
    services.queue(kind, [registration], lambda r: f"{kind.value}:{r.id}")


def on_session_changed(event_session: EventSession, action: str, **details: Any) -> None:
    """A session cancelled, moved or put back on: every active registrant hears of it once."""
    kind = SESSION_KINDS.get(action)
    if kind is None or event_session.id is None:
        return
    if event_session.ends_at <= utcnow():
        return  # over already: there is nobody to warn
    if kind != MessageKind.SESSION_CANCELLED and event_session.is_cancelled:
        return  # moved while cancelled, or back on while its event is off: nothing to come to
    db.session.flush()
    registrations = services.active_registrations([event_session.id])
    if kind != MessageKind.SESSION_RESTORED:
        # A reminder queued for the old time (or for a session now off) must not go out.
        services.skip_pending(
            Message.registration_id.in_([r.id for r in registrations])
            & (Message.kind == MessageKind.REMINDER),
            services.SKIPPED_REMINDER,
        )
    sequence = event_session.sequence
    services.queue(
        kind,
        registrations,
        lambda r: f"{kind.value}:{r.id}:{sequence}",
        changed=details.get("changed") or {},
    )


def on_personal_data_purged(_sender: Any, ids: Sequence[int], **_details: Any) -> None:
    """The purge erased these registrations: erase the copies in their messages too."""
    services.erase_copies(ids)


def connect() -> None:
    """Connect the receivers (again is harmless: a signal holds each receiver once)."""
    registration_changed.connect(on_registration_changed)
    registration_preparing.connect(prepare_registration_message)
    session_changed.connect(on_session_changed)
    personal_data_purged.connect(on_personal_data_purged)
