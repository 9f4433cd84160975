"""A session's roster for staff: its registrations in order, with waitlist positions, seats,
and contact details as the reader may see them; and searching it.

Functions here flush, never commit; the view commits once.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l
from sqlalchemy import ColumnElement, case, false, func, or_, select
from sqlalchemy.orm import joinedload, selectinload

from outreach.accounts import audit
from outreach.database import db
from outreach.enums import LabelledEnum
from outreach.errors import NotFoundError
from outreach.events.loading import event_and_places
from outreach.events.models import EventSession
from outreach.events.scheduling import session_label
from outreach.pagination import CursorPage, Order, keyset_page, matching
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
        """People of active registrations who have arrived (a party may come in parts)."""
        return sum(e.registration.arrived for e in self.entries if e.registration.is_active)


def _registrations_of(event_session: EventSession):
    """The session's registrations with what a roster row shows of them."""
    return (
        select(Registration)
        .where(Registration.session_id == event_session.id)
        .options(
            joinedload(Registration.slot),
            joinedload(Registration.community),
            joinedload(Registration.created_by),
            joinedload(Registration.checked_in_by),
        )
    )


def load(event_session: EventSession, *, full_contacts: bool) -> Roster:
    """Every registration of the session in one query, with waitlist positions and seats."""
    registrations = db.session.scalars(
        _registrations_of(event_session).order_by(Registration.created_at, Registration.id)
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


def registration_of(
    event_session: EventSession, registration_id: int, *, lock: bool = False
) -> Registration:
    """A registration of this session (its row locked for a change when `lock`); another
    session's (or none) is NotFoundError."""
    query = select(Registration).where(
        Registration.id == registration_id, Registration.session_id == event_session.id
    )
    registration = db.session.scalar(query.with_for_update() if lock else query)
    if registration is None:
        raise NotFoundError("registration", registration_id)
    return registration


# ---------------------------------------------------------------------------------------------
# The staff roster page: a keyset page of the roster (or of a search), its figures counted by
# the database. The desk's offline list and the exports still take the whole roster (`load`).

# The roster's order as a column: confirmed first, then the waitlist, then the cancelled.
_STATUS_RANK = case(
    {status.value: rank for status, rank in _STATUS_ORDER.items()},
    value=Registration.status,
)
ROSTER_ORDER = Order(
    (_STATUS_RANK, Registration.created_at, Registration.id),
    key=lambda r: (_STATUS_ORDER[r.status], r.created_at, r.id),
)


@dataclass(frozen=True)
class RosterFigures:
    """A session's seats, waitlist and check-ins, however many registrations it has."""

    event_session: EventSession
    slots: list[SlotSeats]
    full_contacts: bool
    taken: int
    waiting: int
    checked_in: int

    @property
    def seats_left(self) -> int | None:
        """Free seats, None when the session has no limit."""
        return services.seats_left(self.event_session.capacity, self.taken)


def figures(event_session: EventSession, *, full_contacts: bool) -> RosterFigures:
    """The roster's figures: one aggregate query over the session's registrations, per slot."""
    status = Registration.status

    def added(value, *statuses: RegistrationStatus) -> ColumnElement[int]:
        return func.coalesce(func.sum(case((status.in_(statuses), value), else_=0)), 0)

    rows = db.session.execute(
        select(
            Registration.slot_id,
            added(Registration.party_size, CONFIRMED),
            added(Registration.party_size, WAITLISTED),
            added(Registration.arrived, CONFIRMED, WAITLISTED),
        )
        .where(Registration.session_id == event_session.id)
        .group_by(Registration.slot_id)
    ).all()
    per_slot = {slot_id: taken for slot_id, taken, _waiting, _arrived in rows}
    return RosterFigures(
        event_session=event_session,
        slots=[SlotSeats(slot, per_slot.get(slot.id, 0)) for slot in event_session.slots],
        full_contacts=full_contacts,
        taken=sum(row[1] for row in rows),
        waiting=sum(row[2] for row in rows),
        checked_in=sum(row[3] for row in rows),
    )


def _matches(query: Query) -> ColumnElement[bool]:
    """Whether a registration matches a search: the code; the number as far as the reader may search
    it; the name; an erased registration by its code only."""
    if query.refused:
        by_number: list[ColumnElement[bool]] = []
    else:
        by_number = []
        if query.phone is not None:
            by_number.append(Registration.phone == query.phone)
        if query.digits is not None:
            pattern = f"%{query.digits}%" if query.kind == QueryKind.PHONE else f"%{query.digits}"
            by_number.append(Registration.phone.like(pattern))
    kept = Registration.purged_at.is_(None)
    return or_(
        Registration.code == query.code,
        kept & or_(false(), *by_number, matching([Registration.name], query.text)),
    )


def roster_page(
    event_session: EventSession,
    query: Query,
    cursor: str | None,
    per_page: int,
    *,
    full_contacts: bool,
) -> tuple[CursorPage[RosterEntry], int | None]:
    """A page of the roster in its order (of a search's matches when `query`), with the
    waitlist places of its rows, and how many a search found (None without one): three
    queries at most, whatever the session's size."""
    statement = _registrations_of(event_session)
    found = None
    if query:
        condition = _matches(query)
        statement = statement.where(condition)
        found = db.session.scalar(
            select(func.count())
            .select_from(Registration)
            .where(Registration.session_id == event_session.id, condition)
        )
    page = keyset_page(statement, ROSTER_ORDER, per_page, cursor, name="roster")
    positions = _positions(event_session, [r.id for r in page.items if r.status == WAITLISTED])
    entries = [
        RosterEntry(
            registration=r,
            position=positions.get(r.id),
            phone=shown_phone(r, full_contacts),
            email=(r.email or "") if full_contacts else mask_email(r.email),
            note=shown_note(r, full_contacts),
        )
        for r in page.items
    ]
    return CursorPage(entries, page.per_page, page.next_cursor, page.prev_cursor), found


def _positions(event_session: EventSession, ids: list[int]) -> dict[int, int]:
    """The waitlist places of these registrations (the order of services.waitlist_position:
    created_at, then id): one query along the (session, status, created_at) index, asked
    even for none so that every page costs the same."""
    line = (
        select(
            Registration.id,
            func.row_number().over(order_by=(Registration.created_at, Registration.id)).label("n"),
        )
        .where(Registration.session_id == event_session.id, Registration.status == WAITLISTED)
        .subquery("line")
    )
    rows = db.session.execute(select(line.c.id, line.c.n).where(line.c.id.in_(ids)))
    return {registration_id: number for registration_id, number in rows}
