"""More seats at the desk: a manager or organiser adds places to a full session or slot on the
spot. Flushes, never commits.

The capacity changes through the paths the editors use (events.scheduling.change_session for
the session, slots.update_slot for a slot): each is audited, and more seats go to the
waitlist at once as they always do.
"""

from __future__ import annotations

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import func, select

from outreach.database import db, utcnow
from outreach.errors import RuleError
from outreach.events import scheduling
from outreach.events.models import EventSession
from outreach.registrations import services, slots
from outreach.registrations.models import Registration, RegistrationStatus, Slot

MAX_SEATS_ADDED = 50  # at a time: a desk adds a few chairs, an editor changes a plan


class SeatsError(RuleError):
    """Seats that cannot be added here; `field` names the input at fault."""


def _waiting(session_id: int) -> int:
    return db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.session_id == session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
    )


def add_seats(
    actor,
    event_session: EventSession,
    seats: int,
    slot_id: int | None = None,
    *,
    now: datetime | None = None,
) -> int:
    """Add `seats` places to the session, or to one of its slots (and to the session as far
    as its own limit would still stop them); returns how many registrations moved up."""
    if not 1 <= seats <= MAX_SEATS_ADDED:
        raise SeatsError(_("Add between 1 and %(max)d places.", max=MAX_SEATS_ADDED), "seats")
    locked = services.lock_session(event_session.id)
    services.check_open_for_staff(locked, now or utcnow())
    slot: Slot | None = None
    if slot_id is not None:
        slot = next((s for s in locked.slots if s.id == slot_id), None)
        if slot is None:
            raise SeatsError(_("Please choose a time slot."), "slot")
    elif locked.capacity is None:
        raise SeatsError(_("This session has no limit on places."), "seats")
    waiting = _waiting(locked.id)
    if slot is None:
        scheduling.change_session(actor, locked, capacity=locked.capacity + seats)
    else:
        if locked.capacity is not None:
            taken = services.seats_taken([locked.id]).get(locked.id, 0)
            short = seats - (services.seats_left(locked.capacity, taken) or 0)
            if short > 0:
                scheduling.change_session(actor, locked, capacity=locked.capacity + short)
        slots.update_slot(actor, slot, slot.label, slot.capacity + seats, slot.label_en or "")
    db.session.flush()
    return waiting - _waiting(locked.id)
