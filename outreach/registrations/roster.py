"""A session's roster for staff: its registrations in order, with waitlist positions, seats,
and contact details as the reader may see them; and searching it.

Functions here flush, never commit; the view commits once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from outreach.database import db
from outreach.errors import NotFoundError
from outreach.events.loading import event_and_places
from outreach.events.models import EventSession
from outreach.registrations import services
from outreach.registrations.models import Registration, RegistrationStatus, Slot
from outreach.registrations.phones import normalise_mobile

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED

# Confirmed first, then the waitlist in its order, then the cancelled.
_STATUS_ORDER = {CONFIRMED: 0, WAITLISTED: 1, CANCELLED: 2}


def session_for_staff(session_id: int) -> EventSession:
    """A session with its event, organisation, venue and slots, drafts included; else 404."""
    event_session = db.session.scalar(
        select(EventSession)
        .where(EventSession.id == session_id)
        .options(*event_and_places(), selectinload(EventSession.slots))
    )
    if event_session is None:
        raise NotFoundError("roster", session_id)
    return event_session


def mask_email(email: str | None) -> str:
    """An e-mail address with its local part hidden: w***@example.com."""
    if not email:
        return ""
    local, _at, domain = email.partition("@")
    return f"{local[:1]}***@{domain}"


def shown_phone(registration: Registration, full: bool) -> str:
    """The phone number as this reader may see it: whole, masked, or nothing once purged."""
    if registration.purged_at is not None:
        return ""
    return registration.phone if full else registration.masked_phone


@dataclass(frozen=True)
class RosterEntry:
    """One registration on the roster, with its place in line and contact details as shown."""

    registration: Registration
    position: int | None
    phone: str
    email: str


@dataclass(frozen=True)
class SlotSeats:
    """A slot with its confirmed seats."""

    slot: Slot
    taken: int

    @property
    def left(self) -> int:
        """Free seats in the slot."""
        return max(0, self.slot.capacity - self.taken)


@dataclass(frozen=True)
class Roster:
    """A session's registrations in roster order, and the seats they take."""

    event_session: EventSession
    entries: list[RosterEntry]
    slots: list[SlotSeats]
    full_contacts: bool

    def _people(self, status: RegistrationStatus) -> int:
        return sum(
            e.registration.party_size for e in self.entries if e.registration.status == status
        )

    @property
    def taken(self) -> int:
        """Seats held by confirmed registrations."""
        return self._people(CONFIRMED)

    @property
    def seats_left(self) -> int | None:
        """Free seats, None when the session has no limit."""
        return services.seats_left(self.event_session.capacity, self.taken)

    @property
    def waiting(self) -> int:
        """People on the waitlist."""
        return self._people(WAITLISTED)

    @property
    def checked_in(self) -> int:
        """People of active registrations who have checked in."""
        return sum(
            e.registration.party_size
            for e in self.entries
            if e.registration.checked_in_at is not None and e.registration.is_active
        )


def load(event_session: EventSession, *, full_contacts: bool) -> Roster:
    """Every registration of the session in one query, with waitlist positions and seats."""
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.session_id == event_session.id)
        .options(
            joinedload(Registration.slot),
            joinedload(Registration.community),
            joinedload(Registration.created_by),
            joinedload(Registration.checked_in_by),
        )
        .order_by(Registration.created_at, Registration.id)
    ).all()
    # The same order as services.waitlist_position: created_at, then id.
    line = [r for r in registrations if r.status == WAITLISTED]
    positions = {r.id: number for number, r in enumerate(line, start=1)}
    entries = [
        RosterEntry(
            registration=r,
            position=positions.get(r.id),
            phone=shown_phone(r, full_contacts),
            email=(r.email or "") if full_contacts else mask_email(r.email),
        )
        for r in sorted(registrations, key=lambda r: _STATUS_ORDER[r.status])
    ]
    per_slot: dict[int, int] = {}
    for r in registrations:
        if r.status == CONFIRMED and r.slot_id is not None:
            per_slot[r.slot_id] = per_slot.get(r.slot_id, 0) + r.party_size
    slots = [SlotSeats(slot, per_slot.get(slot.id, 0)) for slot in event_session.slots]
    return Roster(event_session, entries, slots, full_contacts)


def clean_code(text: str | None) -> str:
    """A confirmation code as typed or scanned: spaces removed, upper case."""
    return "".join((text or "").split()).upper()


def _matcher(query: str) -> Callable[[Registration], bool]:
    """Whether a registration matches a search: code, full phone, last four digits, or name."""
    text = query.strip()
    code = clean_code(text)
    phone = normalise_mobile(text)
    # The last four digits are shown even when masked, so searching by them reveals nothing.
    last_four = code if re.fullmatch(r"\d{4}", code) else None
    wanted = text.casefold()

    def matches(registration: Registration) -> bool:
        if registration.purged_at is not None:
            return registration.code == code
        return (
            registration.code == code
            or (phone is not None and registration.phone == phone)
            or (last_four is not None and registration.phone.endswith(last_four))
            or wanted in registration.name.casefold()
        )

    return matches


def search(roster: Roster, query: str) -> list[RosterEntry]:
    """The roster's entries matching a code, a phone number in any typed form, or a name."""
    if not query.strip():
        return roster.entries
    matches = _matcher(query)
    return [entry for entry in roster.entries if matches(entry.registration)]


def registration_of(event_session: EventSession, registration_id: int) -> Registration:
    """A registration of this session; another session's (or none) is NotFoundError."""
    registration = db.session.scalar(
        select(Registration).where(
            Registration.id == registration_id, Registration.session_id == event_session.id
        )
    )
    if registration is None:
        raise NotFoundError("registration", registration_id)
    return registration
