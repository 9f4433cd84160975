"""A session's roster for staff: its registrations in order, with waitlist positions, seats,
and contact details as the reader may see them; and searching it.

Functions here flush, never commit; the view commits once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import joinedload, selectinload

from outreach.accounts import audit
from outreach.database import db
from outreach.enums import LabelledEnum
from outreach.errors import NotFoundError
from outreach.events.loading import event_and_places
from outreach.events.models import EventSession
from outreach.events.scheduling import session_label
from outreach.registrations import services
from outreach.registrations.models import Registration, RegistrationStatus, Slot
from outreach.registrations.phones import mask_digits, normalise_mobile

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


# What rosters, exports and sign-in sheets show for a registration made without a phone.
NO_PHONE = "—"


def shown_phone(registration: Registration, full: bool) -> str:
    """The phone number as this reader may see it: whole, masked, a dash when there is none,
    or nothing once purged."""
    if registration.purged_at is not None:
        return ""
    if not registration.phone:
        return NO_PHONE
    return registration.phone if full else registration.masked_phone


# Digits in a note, with what people type between them: a landline, a relative's mobile.
_NUMBER_IN_TEXT = re.compile(r"\d[\d\s+\-()]*\d")


def shown_note(registration: Registration, full: bool) -> str:
    """How to reach a resident without a mobile phone, as this reader may see it: whole, or
    (like the numbers on the roster) with every number in it masked."""
    note = registration.contact_note or ""
    if full or registration.purged_at is not None:
        return note if registration.purged_at is None else ""
    return _NUMBER_IN_TEXT.sub(lambda found: _masked_number(found[0]), note)


def _masked_number(text: str) -> str:
    digits = sum(character.isdecimal() for character in text)
    return mask_digits(text) if digits > LAST_DIGITS else text


@dataclass(frozen=True)
class RosterEntry:
    """One registration on the roster, with its place in line and contact details as shown."""

    registration: Registration
    position: int | None
    phone: str
    email: str
    # For a resident without a mobile phone: how to reach them, as the reader may see it.
    note: str = ""

    @property
    def no_phone(self) -> bool:
        """The resident has no mobile phone (registered by staff with a note)."""
        return not self.registration.has_phone


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
            note=shown_note(r, full_contacts),
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


class QueryKind(LabelledEnum):
    """What a roster search was by, as the audit trail names it."""

    CODE = "code", _l("Registration code")
    NAME = "name", _l("Full name")
    LAST_FOUR = "last_four", _l("Last four digits of the mobile number")
    PHONE = "phone", _l("Mobile number, or more than its last four digits")
    PHONE_REFUSED = (
        "phone_refused",
        _l("Mobile number, longer than the last four digits: not allowed"),
    )


# A query made only of digits and what people type between them; more than the last four
# digits is a search by phone number.
_DIGITS_TYPED = re.compile(r"[\d\s+\-().]+")
LAST_DIGITS = 4
_CODE_SHAPE = re.compile(f"[{services.CODE_ALPHABET}]{{{services.CODE_LENGTH}}}")


@dataclass(frozen=True)
class Query:
    """A roster search as typed, and what it may match for its reader.

    Readers who see numbers masked (138****8000) search by code, name or the last four
    digits, which the mask shows anyway: a longer run of digits would tell them whether a
    number they guessed belongs to someone on the roster. Whole numbers and longer runs are
    for readers who see the numbers whole (permissions.can_see_phone_numbers).
    """

    text: str
    kind: QueryKind | None
    code: str = ""
    phone: str | None = None  # a whole number in E.164, for readers of whole numbers
    digits: str | None = None  # digits to find in the number: at its end, or anywhere

    def __bool__(self) -> bool:
        return self.kind is not None

    @property
    def refused(self) -> bool:
        """A search by more digits than the reader may see: it matches no number."""
        return self.kind == QueryKind.PHONE_REFUSED

    @property
    def recorded(self) -> str:
        """The query as the audit trail keeps it: numbers masked, names cut to one letter."""
        if self.kind in (QueryKind.PHONE, QueryKind.PHONE_REFUSED):
            return mask_digits(self.text)
        if self.kind == QueryKind.NAME:
            return mask_name(self.text)
        return self.code


def mask_name(name: str) -> str:
    """A name with all but its first character hidden: 王***."""
    return f"{name[:1]}***" if name else ""


def read_query(text: str, *, full_numbers: bool) -> Query:
    """What a typed search may match: `full_numbers` says whether the reader sees numbers
    whole (and may search by them) or masked."""
    text = text.strip()
    if not text:
        return Query("", None)
    code = clean_code(text)
    # Full-width digits (from a Chinese input method) count as the digits they are.
    digits = "".join(str(int(character)) for character in text if character.isdecimal())
    if _DIGITS_TYPED.fullmatch(text) and len(digits) > LAST_DIGITS:
        if not full_numbers:
            return Query(text, QueryKind.PHONE_REFUSED, code)
        return Query(text, QueryKind.PHONE, code, normalise_mobile(text), digits)
    if _DIGITS_TYPED.fullmatch(text) and len(digits) == LAST_DIGITS:
        return Query(text, QueryKind.LAST_FOUR, code, digits=digits)
    kind = QueryKind.CODE if _CODE_SHAPE.fullmatch(code) else QueryKind.NAME
    return Query(text, kind, code)


def _matcher(query: Query) -> Callable[[Registration], bool]:
    """Whether a registration matches a search: code, name, and the number as `query` allows."""
    wanted = query.text.casefold()
    anywhere = query.kind == QueryKind.PHONE

    def by_phone(phone: str) -> bool:
        if query.phone is not None and phone == query.phone:
            return True
        if query.digits is None:
            return False
        return query.digits in phone if anywhere else phone.endswith(query.digits)

    def matches(registration: Registration) -> bool:
        if registration.purged_at is not None:
            return registration.code == query.code
        return (
            registration.code == query.code
            or (registration.phone is not None and by_phone(registration.phone))
            or wanted in registration.name.casefold()
        )

    return matches


def search(roster: Roster, query: Query) -> list[RosterEntry]:
    """The roster's entries matching the query; all of them for an empty one."""
    if not query:
        return roster.entries
    matches = _matcher(query)
    return [entry for entry in roster.entries if matches(entry.registration)]


def record_search(actor, event_session: EventSession, query: Query, found: int) -> None:
    """Audit a search: who searched which session's roster, by what, and how many it found.

    The query is kept masked (see Query.recorded): the trail outlives the registrations.
    """
    if query.kind is None:
        return
    changed = {"query_kind": query.kind.value, "query": query.recorded, "found": found}
    audit.record(
        actor,
        "roster_search",
        event_session,
        organisation_id=event_session.event.organisation_id,
        label=session_label(event_session),
        changed=audit.changes({}, changed),
    )


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
