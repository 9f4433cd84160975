"""The rules of registering: seats, slots, waitlist, windows, duplicates, promotion, check-in.

Every change of seats happens with the session row locked (`SELECT … FOR UPDATE` on
PostgreSQL; SQLite has one writer, taken by a no-op update before seats are counted), so
two registrations can never both take the last seat. Flushes, never commits.
"""

from __future__ import annotations

import functools
import hashlib
import re
import secrets
import string
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask import current_app, g, has_app_context
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import and_, bindparam, exists, func, or_, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from outreach.accounts import audit
from outreach.database import db, utcnow
from outreach.errors import NotFoundError, RuleError
from outreach.events.hooks import Tally
from outreach.events.loading import event_and_places
from outreach.events.models import (
    PUBLIC_EVENT_STATUSES,
    Event,
    EventSession,
    EventStatus,
    SessionStatus,
)
from outreach.i18n import current_language
from outreach.localtime import local_date, local_midnight
from outreach.places.models import Community
from outreach.registrations import snapshot, verification
from outreach.registrations.inserting import Companion, insert_registration
from outreach.registrations.limits import CONTACT_NOTE_LENGTH, MIN_PARTY_SIZE, NAME_LENGTH
from outreach.registrations.models import (
    ACTIVE_STATUSES,
    Registration,
    RegistrationStatus,
    Slot,
)
from outreach.registrations.phones import normalise_mobile
from outreach.registrations.signals import registration_changed, registration_preparing
from outreach.registrations.slot_rows import SlotRow

# Confirmation codes avoid characters that look alike on paper or a phone screen:
# no 0/O/Q/D, 1/I/L, 2/Z, 5/S, 8/B, 6/G, U/V.
CODE_ALPHABET = "ACEFHJKMNPRTWXY3479"
CODE_LENGTH = 6
TOKEN_BYTES = 24  # 192 bits
LINK_KEY_ALPHABET = string.ascii_letters + string.digits
LINK_KEY_LENGTH = 10
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]+")
MAX_OWNED = 20
# The resident's form asks before a party goes on the waitlist; its messages name the choice.
WAITLIST_CHOICE = _l("If there is no room for all of us, put us on the waitlist")
# The desk's choice for a resident with no mobile phone; its messages name it.
NO_PHONE_CHOICE = _l("No mobile phone")


class RegistrationError(RuleError):
    """A registration that cannot be made, changed or checked in; `field` names the input at
    fault. Kinds: invalid, full, duplicate, closed, waitlisted (and unknown at the desk)."""


class AlreadyRegistered(RegistrationError):
    """The phone already holds an active registration here, and the request came with that
    registration's manage token (the same browser): `manage_token` leads back to it."""

    kind = "duplicate"

    def __init__(self, message: object, manage_token: str) -> None:
        super().__init__(message, "phone")
        self.manage_token = manage_token


@dataclass(frozen=True)
class Owned:
    """A registration a browser has shown to own, as the browser keeps it: the row's id and
    the SHA-256 of its manage token. Never the token itself: a cookie copied from a screen,
    a log or a shared computer must not open the booking."""

    registration_id: int
    token_hash: str

    _KEPT = re.compile(r"([0-9]{1,18}):([0-9a-f]{64})")

    @classmethod
    def of(cls, registration: Registration) -> Owned:
        """What to keep for this registration."""
        return cls(registration.id, token_hash(registration.manage_token))

    @classmethod
    def parse(cls, kept: object) -> Owned | None:
        """Read one kept entry ("12:<hex>"); anything else (an older cookie's token) is None."""
        found = cls._KEPT.fullmatch(kept) if isinstance(kept, str) else None
        return cls(int(found[1]), found[2]) if found else None

    def kept(self) -> str:
        """The entry as the session keeps it."""
        return f"{self.registration_id}:{self.token_hash}"

    def matches(self, registration: Registration) -> bool:
        """Is this the registration, proven by its token (compared in constant time)?"""
        return registration.id == self.registration_id and secrets.compare_digest(
            token_hash(registration.manage_token), self.token_hash
        )


def token_hash(token: str) -> str:
    """The SHA-256 of a manage token, in hex: what a browser keeps instead of the token."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class RegistrationRequest:
    """What a resident (or staff for them) submits, before the rules are applied."""

    name: str
    phone: str
    party_size: int
    consent: bool
    slot_id: int | None = None
    community_slug: str | None = None
    email: str | None = None
    language: str = "zh"
    # Registrations the resident has shown to own (kept by their browser): a new registration
    # with the same phone joins the calendar feed of those registrations, and a second one
    # for the same session is led back to the first.
    owned: tuple[Owned, ...] = ()
    # False: refuse, with a message saying so, rather than waitlist a party that does not fit
    # (the resident's form asks first); the API and the desk take the waitlist as it comes.
    accept_waitlist: bool = True
    # The one-time code texted to the phone, when phones are verified (registrations by
    # staff need none); `phone_verified`: this browser proved the number a moment ago.
    phone_code: str | None = None
    phone_verified: bool = False
    # Staff only (a walk-in or a proxy): the resident has no mobile phone, and the note says
    # how to reach them instead. Residents' own form and the API always need a number.
    no_phone: bool = False
    contact_note: str | None = None


def random_text(alphabet: str, length: int) -> str:
    """`length` characters each drawn uniformly from `alphabet`: the digits, in that base, of
    one number drawn from the system's randomness (one draw, where a draw per character
    costs a system call each)."""
    number = secrets.randbelow(len(alphabet) ** length)
    drawn = []
    for _position in range(length):
        number, index = divmod(number, len(alphabet))
        drawn.append(alphabet[index])
    return "".join(drawn)


def new_code() -> str:
    """A random confirmation code not yet in use."""
    while True:
        code = random_text(CODE_ALPHABET, CODE_LENGTH)
        if db.session.scalar(select(Registration.id).where(Registration.code == code)) is None:
            return code


def new_token() -> str:
    """A URL-safe secret of 192 bits."""
    return secrets.token_urlsafe(TOKEN_BYTES)


def new_link_key() -> str:
    """A short secret for the manage page's alias in text messages: 10 letters and digits,
    log2(62**10) ≈ 59.5 bits, out of reach of guessing over the network (SECURITY.md); no -
    or _, which phones may leave out of a link's end."""
    return random_text(LINK_KEY_ALPHABET, LINK_KEY_LENGTH)


def lock_session(session_id: int) -> EventSession:
    """Load a session with its event and slots, holding its row lock until the commit."""
    if db.session.get_bind().dialect.name == "sqlite":
        # A write takes SQLite's database-wide write lock now, before seats are counted.
        db.session.execute(
            update(EventSession)
            .where(EventSession.id == session_id)
            .values(id=EventSession.id)
            .execution_options(synchronize_session=False)
        )
    # Lock and load in one statement: every statement while the lock is held makes the
    # next registrant of a popular session wait. The places and organiser come along because
    # the confirmation notice names them.
    locked = db.session.scalar(
        select(EventSession)
        .where(EventSession.id == session_id)
        .options(*event_and_places(), selectinload(EventSession.slots))
        .with_for_update(of=EventSession)
        .execution_options(populate_existing=True)
    )
    if locked is None:
        raise NotFoundError("session", session_id)
    return locked


def _confirmed_sums(key, condition) -> dict[int | None, int]:
    """Seats held by confirmed registrations matching `condition`, summed per `key`."""
    rows = db.session.execute(
        select(key, func.sum(Registration.party_size))
        .where(condition, Registration.status == RegistrationStatus.CONFIRMED)
        .group_by(key)
    ).all()
    return {group: int(taken) for group, taken in rows}


def _confirmed_seats(session_id: int) -> tuple[int, dict[int, int]]:
    """Seats taken by confirmed registrations: in the session, and per slot."""
    by_slot = _confirmed_sums(Registration.slot_id, Registration.session_id == session_id)
    per_slot = {slot_id: taken for slot_id, taken in by_slot.items() if slot_id is not None}
    return sum(by_slot.values()), per_slot


def count_registrants(session_ids: Iterable[int]) -> tuple[int, int]:
    """Active registrations of the sessions that still hold contact details, and the people in
    them: who is told when the sessions change (purged ones have no contact details left).
    One query."""
    ids = list(session_ids)
    if not ids:
        return 0, 0
    registrations, people = db.session.execute(
        select(
            func.count(Registration.id), func.coalesce(func.sum(Registration.party_size), 0)
        ).where(
            Registration.session_id.in_(ids),
            Registration.status.in_(ACTIVE_STATUSES),
            Registration.purged_at.is_(None),
        )
    ).one()
    return int(registrations), int(people)


def seats_taken(session_ids: Iterable[int]) -> dict[int, int]:
    """Confirmed seats per session, for many sessions in one query."""
    ids = list(session_ids)
    if not ids:
        return {}
    return _confirmed_sums(Registration.session_id, Registration.session_id.in_(ids))


def slot_seats_taken(slot_ids: Iterable[int]) -> dict[int, int]:
    """Confirmed seats per slot, for many slots in one query."""
    ids = list(slot_ids)
    if not ids:
        return {}
    return _confirmed_sums(Registration.slot_id, Registration.slot_id.in_(ids))


@dataclass(frozen=True)
class Seats:
    """Confirmed seats taken, per session and per slot, for a set of sessions."""

    sessions: dict[int, int]
    slots: dict[int, int]

    @classmethod
    def of(cls, event_sessions: Iterable[EventSession]) -> Seats:
        """Two queries for any number of sessions (their slots must be loaded)."""
        event_sessions = list(event_sessions)
        return cls(
            sessions=seats_taken(s.id for s in event_sessions),
            slots=slot_seats_taken(slot.id for s in event_sessions for slot in s.slots),
        )

    @classmethod
    def counted(
        cls, event_sessions: Iterable[EventSession], slots: SlotsBySession | None = None
    ) -> Seats:
        """No query: as the session and slot rows loaded count them (kept by triggers, see
        counters.py; `slots`: the sessions' slots by session id, else their loaded ones)."""
        event_sessions = list(event_sessions)
        slots = _slots_by_session(event_sessions, slots)
        return cls(
            sessions={s.id: s.seats_taken for s in event_sessions},
            slots={slot.id: slot.seats_taken for s in event_sessions for slot in slots[s.id]},
        )


# Sessions' slots by session id: the ORM's or the event page's plain rows (slot_rows.py).
SlotsBySession = Mapping[int, Sequence[Slot | SlotRow]]


def _slots_by_session(
    event_sessions: Iterable[EventSession], slots: SlotsBySession | None
) -> SlotsBySession:
    """`slots` when given, else the sessions' loaded slots."""
    return slots if slots is not None else {s.id: s.slots for s in event_sessions}


def seats_left(capacity: int | None, taken: int) -> int | None:
    """Free seats, or None when the capacity is unlimited."""
    return None if capacity is None else max(0, capacity - taken)


def _fits(party: int, capacity: int | None, taken: int) -> bool:
    return capacity is None or taken + party <= capacity


def registration_window(event_session: EventSession) -> tuple[datetime | None, datetime]:
    """When registration opens (None: already) and closes for a session."""
    event = event_session.event
    closes = event.registration_closes_at or event_session.starts_at
    return event.registration_opens_at, min(closes, event_session.starts_at)


def closed_reason(event_session: EventSession, now: datetime) -> str | None:
    """Why a published session takes no registrations from residents now; None while it does."""
    if event_session.is_cancelled:
        return _("This session has been cancelled.")
    if event_session.capacity == 0:
        return _("This session does not take registrations.")
    opens, closes = registration_window(event_session)
    if now >= event_session.starts_at:
        return _("This session has already started or finished.")
    if opens is not None and now < opens:
        return _("Registration for this session has not opened yet.")
    if now >= closes:
        return _("Registration for this session has closed.")
    return None


def check_open(event_session: EventSession, now: datetime) -> None:
    """Refuse registrations for cancelled, past, unpublished or closed sessions."""
    if event_session.event.status == EventStatus.DRAFT:
        raise NotFoundError("session", event_session.id)
    reason = closed_reason(event_session, now)
    if reason is not None:
        raise RegistrationError(reason, kind="closed")


def _contact(request: RegistrationRequest, by_staff: bool) -> tuple[str | None, str | None]:
    """The normalised mobile number, or (from staff only) none and the note saying how to
    reach the resident instead; errors name the field."""
    if not request.no_phone:
        phone = normalise_mobile(request.phone)
        if phone is not None:
            return phone, None
        if by_staff and not (request.phone or "").strip():
            message = _(
                "Please enter a mobile number, or tick “%(choice)s” and write how to reach "
                "the resident.",
                choice=NO_PHONE_CHOICE,
            )
            raise RegistrationError(message, "phone")
        raise RegistrationError(_("Please enter a valid mainland China mobile number."), "phone")
    if not by_staff:
        raise RegistrationError(_("Please enter a valid mainland China mobile number."), "phone")
    if (request.phone or "").strip():
        message = _(
            "Leave the mobile number empty when “%(choice)s” is ticked.", choice=NO_PHONE_CHOICE
        )
        raise RegistrationError(message, "phone")
    note = " ".join((request.contact_note or "").split())
    if not note or len(note) > CONTACT_NOTE_LENGTH:
        message = _(
            "Please write how to reach the resident: who registered them, or a landline "
            "(up to %(max)d characters).",
            max=CONTACT_NOTE_LENGTH,
        )
        raise RegistrationError(message, "contact_note")
    return None, note


def _validated(event_session: EventSession, request: RegistrationRequest, by_staff: bool):
    """Name, contact (see `_contact`), chosen slot and community; errors name the field."""
    name = " ".join((request.name or "").split())
    if not name or len(name) > NAME_LENGTH:
        message = _("Please enter a name (up to %(max)d characters).", max=NAME_LENGTH)
        raise RegistrationError(message, "name")
    phone, note = _contact(request, by_staff)
    maximum = event_session.event.max_party_size
    if not MIN_PARTY_SIZE <= request.party_size <= maximum:
        raise RegistrationError(
            _("A registration is for 1 to %(max)d people.", max=maximum), "party_size"
        )
    if not request.consent:
        raise RegistrationError(_("Please agree to the privacy notice."), "consent")
    slot = None
    if event_session.slots:
        slot = next((s for s in event_session.slots if s.id == request.slot_id), None)
        if slot is None:
            raise RegistrationError(_("Please choose a time slot."), "slot")
    elif request.slot_id is not None:
        raise RegistrationError(_("This session has no time slots."), "slot")
    community = None
    if request.community_slug:
        community = db.session.scalar(
            select(Community).where(Community.slug == request.community_slug)
        )
        if community is None:
            raise RegistrationError(_("There is no such community."), "community")
    return name, phone, note, slot, community


def _duplicates(event_session: EventSession, phone: str):
    """The active registrations that a new one of `phone` for the session would double: of
    the session, or of the event when the event allows one (a statement)."""
    statement = (
        select(Registration)
        .join(Registration.event_session)
        .where(Registration.phone == phone, Registration.status.in_(ACTIVE_STATUSES))
    )
    if event_session.event.one_registration_per_event:
        # A registration for a day that was called off does not stop the resident from
        # taking another day of the same event.
        return statement.where(
            EventSession.event_id == event_session.event_id,
            EventSession.status != SessionStatus.CANCELLED,
        )
    return statement.where(Registration.session_id == event_session.id)


def _check_duplicate(event_session: EventSession, phone: str, owned: tuple[Owned, ...]) -> None:
    """Refuse a second active registration of a phone for the session (or the event, when
    the event allows one): its owner is led back to it, anyone else told how to find it."""
    registration = db.session.scalar(_duplicates(event_session, phone).limit(1))
    if registration is None:
        return
    if is_owned(registration, owned):
        raise AlreadyRegistered(_("You have already registered."), registration.manage_token)
    if event_session.event.one_registration_per_event:
        message = _("This phone number is already registered for this event.")
    else:
        message = _("This phone number is already registered for this session.")
    # Never more to a browser without the token: the phone number is not proof of anything.
    where = _(
        "The link to that registration is in the text message or e-mail sent when it was "
        "made: open it to see, change or cancel the registration."
    )
    raise RegistrationError(f"{message} {where}", "phone", "duplicate")


def is_owned(registration: Registration, owned: Iterable[Owned]) -> bool:
    """Has the browser shown to own this registration?"""
    return any(mine.matches(registration) for mine in list(owned)[:MAX_OWNED])


def _owned_rows(owned: Iterable[Owned], *criteria) -> list[Registration]:
    """The registrations the browser has shown to own that meet `criteria`: one query by
    primary key, then each token's hash checked."""
    wanted = list(owned)[:MAX_OWNED]
    if not wanted:
        return []
    found = db.session.scalars(
        select(Registration).where(
            Registration.id.in_({mine.registration_id for mine in wanted}), *criteria
        )
    )
    return [r for r in found if is_owned(r, wanted)]


def owned_registrations(
    owned: Iterable[Owned], event_sessions: Iterable[EventSession]
) -> dict[int, Registration]:
    """Active registrations for these sessions made in this browser (it holds their ids and
    token hashes), by session: one query; none, and no statement built, for a browser that
    holds none (most visitors: building the criteria alone was a fifth of a millisecond of
    the event page)."""
    owned = list(owned)
    ids = [s.id for s in event_sessions]
    if not ids or not owned:
        return {}
    found = _owned_rows(
        owned, Registration.session_id.in_(ids), Registration.status.in_(ACTIVE_STATUSES)
    )
    return {r.session_id: r for r in found}


@dataclass(frozen=True)
class Room:
    """The places one session has left for a new registration: in the session (None: no
    limit) and in each of its slots; `most` is the largest party that could be confirmed."""

    left: int | None
    slots: dict[int, int]
    most: int | None

    @property
    def full(self) -> bool:
        """Nobody can be confirmed now: only the waitlist is left (if the event has one)."""
        return self.most == 0

    def slot_left(self, slot: Slot | SlotRow) -> int:
        """Places left in a slot, the session's own limit counted too."""
        left = self.slots.get(slot.id, 0)
        return left if self.left is None else min(left, self.left)


def room_of(event_session: EventSession, seats: Seats, slots: Sequence[Slot | SlotRow]) -> Room:
    """What `event_session` (its `slots`) has left, from seats counted for the page (no
    query)."""
    taken = seats.slots
    places = {slot.id: seats_left(slot.capacity, taken.get(slot.id, 0)) or 0 for slot in slots}
    left = seats_left(event_session.capacity, seats.sessions.get(event_session.id, 0))
    most = left
    if places:
        best = max(places.values())
        most = best if left is None else min(left, best)
    return Room(left, places, most)


def rooms(
    event_sessions: Sequence[EventSession], slots: SlotsBySession | None = None
) -> dict[int, Room]:
    """What each of a page of sessions has left (`slots`: their slots by session id, else
    their loaded ones), counted in one query whatever their number: confirmed seats summed
    per session and slot at once."""
    ids = [event_session.id for event_session in event_sessions]
    if not ids:
        return {}
    rows = db.session.execute(
        select(Registration.session_id, Registration.slot_id, func.sum(Registration.party_size))
        .where(
            Registration.session_id.in_(ids),
            Registration.status == RegistrationStatus.CONFIRMED,
        )
        .group_by(Registration.session_id, Registration.slot_id)
    ).all()
    seats = Seats(sessions={}, slots={})
    for session_id, slot_id, taken in rows:
        seats.sessions[session_id] = seats.sessions.get(session_id, 0) + int(taken)
        if slot_id is not None:
            seats.slots[slot_id] = int(taken)
    slots = _slots_by_session(event_sessions, slots)
    return {s.id: room_of(s, seats, slots[s.id]) for s in event_sessions}


def counted_rooms(
    event_sessions: Sequence[EventSession], slots: SlotsBySession | None = None
) -> dict[int, Room]:
    """What each of the sessions has left, as their rows and their slots' (`slots` by
    session id, else their loaded ones) count their seats taken (kept by triggers, see
    counters.py): no query."""
    slots = _slots_by_session(event_sessions, slots)
    seats = Seats.counted(event_sessions, slots)
    return {s.id: room_of(s, seats, slots[s.id]) for s in event_sessions}


def _tallies(key, where, *, by_event: bool = False) -> dict[int, Tally]:
    """People confirmed and waitlisted, grouped by `key` over the registrations `where`
    picks (their sessions joined when grouped by event): one query."""
    statement = select(key, Registration.status, func.sum(Registration.party_size))
    if by_event:
        statement = statement.join(EventSession, EventSession.id == Registration.session_id)
    rows = db.session.execute(
        statement.where(
            where,
            Registration.status.in_((RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)),
        ).group_by(key, Registration.status)
    ).all()
    counted: dict[int, dict[RegistrationStatus, int]] = {}
    for owner, status, people in rows:
        counted.setdefault(owner, {})[status] = int(people)
    return {
        owner: Tally(
            confirmed=people.get(RegistrationStatus.CONFIRMED, 0),
            waitlisted=people.get(RegistrationStatus.WAITLISTED, 0),
        )
        for owner, people in counted.items()
    }


def session_tallies(session_ids: Sequence[int]) -> dict[int, Tally]:
    """People confirmed and waitlisted in each of these sessions, in one query."""
    if not session_ids:
        return {}
    return _tallies(Registration.session_id, Registration.session_id.in_(session_ids))


def event_tallies(event_ids: Sequence[int]) -> dict[int, Tally]:
    """People confirmed and waitlisted across each of these events' sessions still on (a
    called-off session's registrations have nothing to come to), in one query."""
    if not event_ids:
        return {}
    on = and_(EventSession.event_id.in_(event_ids), EventSession.status == SessionStatus.SCHEDULED)
    return _tallies(EventSession.event_id, on, by_event=True)


def register(
    session_id: int,
    request: RegistrationRequest,
    *,
    actor=None,
    now: datetime | None = None,
    loaded: EventSession | None = None,
    prechecked: Prechecked | None = None,
) -> Registration:
    """Confirm while seats remain in the session and slot, else waitlist, else refuse.

    `loaded`: the session as the caller already loaded it (with its event, places and
    slots), to spare loading it again."""
    event_session = loaded if loaded is not None else _load_session(session_id)
    return _register(
        event_session, request, actor=actor, now=now, by_resident=True, prechecked=prechecked
    )


def _check_resident(request: RegistrationRequest, phone: str, now: datetime) -> None:
    """The code texted to the number, when phones are verified: what only residents' own
    registrations must pass, besides the day's cap (`_checked_code`)."""
    if verification.enabled() and not request.phone_verified:
        verification.redeem(phone, request.phone_code, now)


CODE_CANDIDATES = 3
# One statement of a fixed shape (cheap to run many times a second): which of three random
# codes are taken, registrations the number made online today, and whether it holds an
# active registration of the session (or of a session still on of the event, when the event
# allows one registration).
_CHECKS = text(
    "SELECT"
    " EXISTS (SELECT 1 FROM registration WHERE code = :code_0),"
    " EXISTS (SELECT 1 FROM registration WHERE code = :code_1),"
    " EXISTS (SELECT 1 FROM registration WHERE code = :code_2),"
    " (SELECT count(*) FROM registration WHERE phone = :phone"
    "  AND created_by_id IS NULL AND created_at >= :midnight),"
    " EXISTS (SELECT 1 FROM registration r JOIN event_session s ON s.id = r.session_id"
    "  WHERE r.phone = :phone AND r.status <> 'cancelled' AND (r.session_id = :session_id"
    "  OR (:per_event AND s.event_id = :event_id AND s.status <> 'cancelled')))"
).bindparams(bindparam("midnight", type_=Registration.__table__.c.created_at.type))


def _code_candidates() -> list[str]:
    return [random_text(CODE_ALPHABET, CODE_LENGTH) for _ in range(CODE_CANDIDATES)]


def _code_parameters(candidates: Sequence[str]) -> dict[str, str]:
    return {f"code_{n}": code for n, code in enumerate(candidates)}


@dataclass(frozen=True)
class Prechecked:
    """What `_checked_code` reads, read with the session's stamp for a number and day."""

    phone: str
    midnight: datetime
    candidates: tuple[str, ...]
    values: tuple


@functools.cache
def _check_columns() -> tuple:
    """`_CHECKS` as columns of the session's stamp (registrations.snapshot), which joins the
    session and its event: the same codes, day's count and duplicate."""
    registrations = Registration.__table__
    sessions = EventSession.__table__
    events = Event.__table__
    other = registrations.alias("other_registration")
    other_session = sessions.alias("other_session")
    codes = [
        exists().where(registrations.c.code == bindparam(f"code_{n}")).label(f"code_{n}_taken")
        for n in range(CODE_CANDIDATES)
    ]
    made = (
        select(func.count())
        .select_from(registrations)
        .where(
            registrations.c.phone == bindparam("phone"),
            registrations.c.created_by_id.is_(None),
            registrations.c.created_at
            >= bindparam("midnight", type_=registrations.c.created_at.type),
        )
        .scalar_subquery()
        .label("made_today")
    )
    duplicate = (
        exists()
        .select_from(other.join(other_session, other_session.c.id == other.c.session_id))
        .where(
            other.c.phone == bindparam("phone"),
            other.c.status != RegistrationStatus.CANCELLED,
            or_(
                other.c.session_id == sessions.c.id,
                and_(
                    events.c.one_registration_per_event,
                    other_session.c.event_id == sessions.c.event_id,
                    other_session.c.status != SessionStatus.CANCELLED,
                ),
            ),
        )
        .label("duplicate")
    )
    return (*codes, made, duplicate)


def session_and_checks(
    session_id: int, typed_phone: object
) -> tuple[EventSession, Prechecked | None]:
    """`session_to_register`, and with it, in the same statement, what `_checked_code` reads
    for the number typed (when it is a valid one): a registration through the API then
    costs one statement fewer."""
    phone = normalise_mobile(typed_phone) if isinstance(typed_phone, str) else None
    if phone is None:
        return session_to_register(session_id), None
    candidates = _code_candidates()
    midnight = local_midnight(local_date(utcnow()))
    found, values = snapshot.kept_session(
        session_id,
        _session_statement(),
        _load_session,
        extra=_check_columns(),
        parameters={**_code_parameters(candidates), "phone": phone, "midnight": midnight},
    )
    _refuse_unpublished(found)
    return found, Prechecked(phone, midnight, tuple(candidates), tuple(values))


def _checked_code(
    event_session: EventSession,
    phone: str | None,
    owned: tuple[Owned, ...],
    now: datetime,
    *,
    by_resident: bool,
    prechecked: Prechecked | None = None,
) -> str:
    """The checks that read registrations, in one statement, and a free confirmation code.

    The day's cap of registrations per number for residents (cancelled ones count:
    registering and cancelling would otherwise text any number again and again), the
    duplicate phone (see `_check_duplicate`), and which of a few random codes are taken.
    `prechecked`: the same, read with the session's stamp (`session_and_checks`), used
    when it was read for this phone and day.
    """
    midnight = local_midnight(local_date(now))
    if prechecked is not None and (prechecked.phone, prechecked.midnight) == (phone, midnight):
        candidates = list(prechecked.candidates)
        *taken, made, duplicate = prechecked.values
    else:
        candidates = _code_candidates()
        *taken, made, duplicate = db.session.execute(
            _CHECKS,
            {
                **_code_parameters(candidates),
                "phone": phone,
                "midnight": midnight,
                "session_id": event_session.id,
                "per_event": event_session.event.one_registration_per_event,
                "event_id": event_session.event_id,
            },
        ).one()
    if by_resident:
        cap = current_app.config["REGISTRATIONS_PER_NUMBER_PER_DAY"]
        if made >= cap:
            raise RegistrationError(
                _(
                    "This number has made all the registrations allowed in a day. "
                    "Please try tomorrow."
                ),
                "phone",
                "limited",
            )
    if duplicate:
        _check_duplicate(event_session, phone, owned)  # says which, to whom
    free = [code for code, used in zip(candidates, taken, strict=True) if not used]
    return free[0] if free else new_code()


def _shared_feed_token(owned: tuple[Owned, ...], phone: str) -> str | None:
    """The feed token of the newest registration the resident owns with this phone, if any.

    Owning is proven by the manage token's hash (of a 192-bit secret), never by the phone
    number alone: phones are not verified, and the feed shows every registration that shares
    its token.
    """
    if not owned:
        return None
    found = _owned_rows(owned, Registration.phone == phone, Registration.purged_at.is_(None))
    return max(found, key=lambda r: r.id).feed_token if found else None


def waitlist_position(registration: Registration) -> int | None:
    """1 for the first in line, and so on; None unless waitlisted."""
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    known = _known_positions().get(registration)
    if known is not None:
        return known
    ahead = db.session.scalar(
        select(func.count(Registration.id)).where(
            Registration.session_id == registration.session_id,
            Registration.status == RegistrationStatus.WAITLISTED,
            (Registration.created_at < registration.created_at)
            | (
                (Registration.created_at == registration.created_at)
                & (Registration.id < registration.id)
            ),
        )
    )
    return int(ahead or 0) + 1


def promote_waitlist(event_session: EventSession, now: datetime | None = None) -> list:
    """Confirm waitlisted registrations in order while they fit; call with the row locked.

    The oldest registration that fits is confirmed; a party too large for the seats now
    free keeps its place in line, and the next one that fits moves up. Seats are never
    left empty while someone who fits is waiting.
    """
    now = now or utcnow()
    if event_session.is_cancelled or event_session.starts_at <= now:
        return []  # nobody is moved up into a session that is off or already under way
    taken, per_slot = _confirmed_seats(event_session.id)
    waiting = db.session.scalars(
        select(Registration)
        .where(
            Registration.session_id == event_session.id,
            Registration.status == RegistrationStatus.WAITLISTED,
        )
        .order_by(Registration.created_at, Registration.id)
    ).all()
    capacities = {slot.id: slot.capacity for slot in event_session.slots}
    promoted = []
    for registration in waiting:
        party = registration.party_size
        if not _fits(party, event_session.capacity, taken):
            continue
        if registration.slot_id is not None and not _fits(
            party, capacities.get(registration.slot_id), per_slot.get(registration.slot_id, 0)
        ):
            continue
        registration.status = RegistrationStatus.CONFIRMED
        registration.confirmed_at = registration.promoted_at = now
        taken += party
        if registration.slot_id is not None:
            per_slot[registration.slot_id] = per_slot.get(registration.slot_id, 0) + party
        promoted.append(registration)
    db.session.flush()
    for registration in promoted:
        registration_changed.send(registration, action="promoted", actor=None)
    return promoted


def cancel(registration: Registration, *, actor=None, now: datetime | None = None) -> list:
    """Cancel a registration, freeing its seats for the waitlist in the same transaction."""
    now = now or utcnow()
    event_session = lock_session(registration.session_id)
    db.session.refresh(registration)
    if registration.status == RegistrationStatus.CANCELLED:
        return []
    registration.status = RegistrationStatus.CANCELLED
    registration.cancelled_at = now
    event_session.touch(significant=False)
    registration.cancelled_by_staff = actor is not None
    if actor is not None:
        audit.record(
            actor,
            "cancel",
            registration,
            organisation_id=event_session.event.organisation_id,
            label=registration.code,
        )
    db.session.flush()
    registration_changed.send(registration, action="cancelled", actor=actor)
    return promote_waitlist(event_session, now)


def reduce_party(registration: Registration, party_size: int, now: datetime | None = None):
    """Lower a registration's party size; freed seats go to the waitlist."""
    event_session = lock_session(registration.session_id)
    db.session.refresh(registration)
    if not registration.is_active:
        raise RegistrationError(_("This registration has been cancelled."), kind="closed")
    if not MIN_PARTY_SIZE <= party_size <= registration.party_size:
        raise RegistrationError(_("The party size can only go down, to at least 1."), "party_size")
    registration.party_size = party_size
    event_session.touch(significant=False)
    db.session.flush()
    return promote_waitlist(event_session, now)


def by_token(token: str) -> Registration:
    """The registration a manage link points at; unknown tokens are NotFoundError."""
    if not token or len(token) > 64 or not _TOKEN_SHAPE.fullmatch(token):
        raise NotFoundError("registration", "token")
    registration = db.session.scalar(
        select(Registration)
        .where(Registration.manage_token == token)
        .options(
            joinedload(Registration.event_session).joinedload(EventSession.event),
            joinedload(Registration.slot),
        )
    )
    # The index lookup finds the row; the final check does not leak how much matched.
    if registration is None or not secrets.compare_digest(registration.manage_token, token):
        raise NotFoundError("registration", "token")
    return registration


def by_link_key(key: str) -> Registration:
    """The registration a text message's short link points at; unknown keys are
    NotFoundError."""
    if len(key) != LINK_KEY_LENGTH or not all(char in LINK_KEY_ALPHABET for char in key):
        raise NotFoundError("registration", "token")
    registration = db.session.scalar(select(Registration).where(Registration.link_key == key))
    if registration is None or not secrets.compare_digest(registration.link_key or "", key):
        raise NotFoundError("registration", "token")
    return registration


@dataclass(frozen=True)
class CheckIn:
    """The outcome of a check-in: the registration, how many people it added now, and whether
    the whole party had already checked in (a second scan)."""

    registration: Registration
    already: bool
    added: int = 0


def check_in(
    registration: Registration, *, actor, now: datetime | None = None, people: int | None = None
) -> CheckIn:
    """Mark people of a confirmed registration as arrived: `people` of them (all who are still
    to come when None); later arrivals of the party add up. A second scan of a party that has
    all arrived reports the first check-in.

    Waitlisted registrations hold no place and cancelled ones nothing: both are refused.
    """
    if registration.status == RegistrationStatus.CANCELLED:
        raise RegistrationError(_("This registration has been cancelled."), kind="closed")
    if registration.status == RegistrationStatus.WAITLISTED:
        raise RegistrationError(_("This registration is on the waitlist."), kind="waitlisted")
    left = registration.still_to_come
    if left == 0:
        return CheckIn(registration, already=True)
    adding = left if people is None else people
    if not 1 <= adding <= left:
        message = ngettext(
            "Only %(num)d more person of this party can check in.",
            "Only %(num)d more people of this party can check in.",
            left,
        )
        raise RegistrationError(message, "people")
    if registration.checked_in_at is None:
        registration.checked_in_at = now or utcnow()
        registration.checked_in_by_id = actor.id
    registration.arrived += adding
    db.session.flush()
    return CheckIn(registration, already=False, added=adding)


def undo_check_in(registration: Registration, *, actor, people: int | None = None) -> int:
    """Take back the check-in of `people` of the party (all who arrived when None), audited
    with who did it; the registration is not checked in once nobody is left. Returns how many
    people are still checked in."""
    if registration.arrived == 0:
        raise RegistrationError(_("This registration is not checked in."), "people", "closed")
    removing = registration.arrived if people is None else people
    if not 1 <= removing <= registration.arrived:
        message = ngettext(
            "Only %(num)d person of this party has checked in.",
            "Only %(num)d people of this party have checked in.",
            registration.arrived,
        )
        raise RegistrationError(message, "people")
    fields = ("arrived", "checked_in_at", "checked_in_by_id")
    before = audit.snapshot(registration, fields)
    registration.arrived -= removing
    if registration.arrived == 0:
        registration.checked_in_at = None
        registration.checked_in_by_id = None
    audit.record(
        actor,
        "check_in_undone",
        registration,
        organisation_id=registration.event_session.event.organisation_id,
        label=registration.code,
        changed=audit.changes(before, audit.snapshot(registration, fields)),
    )
    db.session.flush()
    return registration.arrived


# ---------------------------------------------------------------------------------------------
# Registration by staff for a resident at the booth (a walk-in) or on their behalf


def check_open_for_staff(event_session: EventSession, now: datetime) -> None:
    """Staff may register residents until the session ends, whatever the online window says."""
    if event_session.event.status == EventStatus.DRAFT:
        raise RegistrationError(_("This event is not published yet."), kind="closed")
    if event_session.is_cancelled:
        raise RegistrationError(_("This session has been cancelled."), kind="closed")
    if event_session.capacity == 0:
        raise RegistrationError(_("This session does not take registrations."), kind="closed")
    if now >= event_session.ends_at:
        raise RegistrationError(_("This session has already finished."), kind="closed")


def _slots_with_room(
    event_session: EventSession, chosen: Slot, party: int, per_slot: dict[int, int]
) -> list[Slot]:
    """Other slots that can take the party now: the chosen slot's department first."""
    others = [
        s
        for s in event_session.slots
        if s.id != chosen.id and _fits(party, s.capacity, per_slot.get(s.id, 0))
    ]
    return sorted(others, key=lambda s: (s.label != chosen.label, s.position, s.id))


def _check_waitlist(
    event_session: EventSession,
    request: RegistrationRequest,
    slot: Slot | None,
    taken: int,
    per_slot: dict[int, int],
) -> None:
    """A party that does not fit: waitlist it only if the event has a waitlist and the
    resident agreed to wait; otherwise say why, at the field that can change it."""
    waitlist = event_session.event.allow_waitlist
    if waitlist and request.accept_waitlist:
        return
    party = request.party_size
    session_fits = _fits(party, event_session.capacity, taken)
    if slot is not None and session_fits:
        room = _slots_with_room(event_session, slot, party, per_slot)
        if room:
            raise RegistrationError(
                ngettext(
                    "This time slot has only %(num)d place left. These have room for "
                    "%(party)d: %(slots)s.",
                    "This time slot has only %(num)d places left. These have room for "
                    "%(party)d: %(slots)s.",
                    seats_left(slot.capacity, per_slot.get(slot.id, 0)) or 0,
                    party=party,
                    slots=_(", ").join(s.label_and_times(current_language()) for s in room[:4]),
                ),
                "slot",
                "full",
            )
    left = seats_left(event_session.capacity, taken)
    if slot is not None:
        in_slot = seats_left(slot.capacity, per_slot.get(slot.id, 0)) or 0
        left = in_slot if left is None else min(left, in_slot)
    left = left or 0
    if not waitlist:
        if left == 0:
            if slot is not None and session_fits:
                raise RegistrationError(_("This time slot is full."), "slot", "full")
            raise RegistrationError(_("Sorry, this session is full."), kind="full")
        raise RegistrationError(
            ngettext(
                "Only %(num)d place is left: please register fewer people.",
                "Only %(num)d places are left: please register fewer people.",
                left,
            ),
            "party_size",
            "full",
        )
    if left == 0:
        message = _(
            "There is no place left, so you would be on the waitlist. To wait for a place, "
            "tick “%(waitlist)s”.",
            waitlist=WAITLIST_CHOICE,
        )
    else:
        message = ngettext(
            "Only %(num)d place is left, so %(party)d people would be on the waitlist. "
            "Register fewer people, or tick “%(waitlist)s”.",
            "Only %(num)d places are left, so %(party)d people would be on the waitlist. "
            "Register fewer people, or tick “%(waitlist)s”.",
            left,
            party=party,
            waitlist=WAITLIST_CHOICE,
        )
    raise RegistrationError(message, "waitlist", "full")


def _load_session(session_id: int) -> EventSession:
    """A session with its event, places and slots, not locked (drafts too: the staff's):
    what the rules and the messages of a registration read, in one statement."""
    found = (
        db.session.scalars(_session_statement(), {"session_id": session_id}).unique().one_or_none()
    )
    if found is None:
        raise NotFoundError("session", session_id)
    return found


@functools.cache
def _session_statement():
    """The statement `_load_session` runs, built once (building its loader options costs
    more than running it)."""
    return (
        select(EventSession)
        .join(EventSession.event)
        .join(EventSession.venue)
        .where(EventSession.id == bindparam("session_id"))
        .options(*event_and_places(joined=True), joinedload(EventSession.slots))
    )


def session_to_register(session_id: int) -> EventSession:
    """A session of a public event (else NotFoundError), as `_load_session` loads it: the
    worker's kept copy while its data is unchanged (see registrations.snapshot)."""
    found, _extra = snapshot.kept_session(session_id, _session_statement(), _load_session)
    _refuse_unpublished(found)
    return found


def _refuse_unpublished(found: EventSession) -> None:
    if found.event.status not in PUBLIC_EVENT_STATUSES:
        raise NotFoundError("session", found.id)


# The waitlist place a message is first written with, before the lock decides the real one;
# replaced in the rendered texts once it is known (a number no waitlist reaches).
_PLACE_TO_FILL = 987_654_321


def _known_positions() -> dict[Registration, int]:
    """Waitlist places decided in this request (the request's own registrations), so that
    messages and answers need no count; empty outside a request."""
    if not has_app_context():
        return {}
    return g.setdefault("known_waitlist_positions", {})


def _room_for(
    party: int, event_session: EventSession, slot: Slot | None, taken: int, per_slot
) -> bool:
    return _fits(party, event_session.capacity, taken) and (
        slot is None or _fits(party, slot.capacity, per_slot.get(slot.id, 0))
    )


@functools.cache
def _lock_statement():
    """The statement `_lock_and_count` runs, built once."""
    table = EventSession.__table__
    return (
        update(table)
        .where(table.c.id == bindparam("session_id"))
        .values(updated_at=bindparam("now", type_=table.c.updated_at.type))
        .returning(
            *(
                table.c[name]
                for name in (
                    "status",
                    "capacity",
                    "starts_at",
                    "ends_at",
                    "seats_taken",
                    "waitlist_length",
                    "updated_at",
                )
            )
        )
    )


def _lock_and_count(event_session: EventSession) -> dict[int, int]:
    """Lock the session row and read its counters, in one statement (an UPDATE of its
    `updated_at`, which takes the row lock, or SQLite's write lock, and records that the seats
    left changed); the slots' seats taken too when it has slots (the slots change only with
    the session row locked). Returns seats taken per slot."""
    locked = db.session.execute(
        _lock_statement(), {"session_id": event_session.id, "now": utcnow()}
    ).one_or_none()
    if locked is None:
        raise NotFoundError("session", event_session.id)
    for name, value in locked._asdict().items():
        set_committed_value(event_session, name, value)
    if event_session.event.one_registration_per_event:
        db.session.execute(
            select(Event.id).where(Event.id == event_session.event_id).with_for_update()
        )
    per_slot: dict[int, int] = {}
    if event_session.slots:
        rows = db.session.execute(
            select(Slot.id, Slot.capacity, Slot.seats_taken).where(
                Slot.session_id == event_session.id
            )
        ).all()
        by_id = {slot.id: slot for slot in event_session.slots}
        for slot_id, capacity, taken in rows:
            if slot_id in by_id:
                set_committed_value(by_id[slot_id], "capacity", capacity)
            per_slot[slot_id] = taken
    return per_slot


def _prepared(registration: Registration, now: datetime) -> list:
    """What the receivers will write for the new registration, rendered now (before the lock
    when the outcome was foreseen right)."""
    found = registration_preparing.send(registration, now=now, placeholder=_PLACE_TO_FILL)
    return [value for _receiver, value in found if value is not None]


def _companions(prepared: Sequence[Any], registration: Registration) -> list[Companion]:
    """The rows prepared for the registration that its own INSERT writes: those of values
    offering a `companion` (see `registration_preparing`)."""
    found = (getattr(value, "companion", None) for value in prepared)
    return [c for make in found if make is not None and (c := make(registration)) is not None]


def _register(
    event_session: EventSession,
    request: RegistrationRequest,
    *,
    actor,
    now: datetime | None,
    by_resident: bool,
    prechecked: Prechecked | None = None,
) -> Registration:
    """Apply the rules and add the registration, holding the session row lock as briefly
    as possible.

    Before the lock, everything that does not depend on the seats: the input, the event's
    rules, the resident's code and cap, the duplicate check (the unique index on session and
    phone makes it exact), the code and tokens, and the message, rendered for the outcome the
    counters read without the lock promise. With the lock: one statement reads the counters
    (and one more the slots' when the session has slots), the row is inserted (the triggers
    count it), the message queued; the caller's commit releases the lock.
    """
    opening = check_open if by_resident else check_open_for_staff
    opening(event_session, now or utcnow())  # refused at once; checked again under the lock
    name, phone, note, slot, community = _validated(
        event_session, request, by_staff=not by_resident
    )
    checked_at = now or utcnow()
    if by_resident:
        # Before duplicates: who has not proved the number learns nothing of its bookings.
        _check_resident(request, phone, checked_at)
    per_event = event_session.event.one_registration_per_event
    # The duplicate check is exact for one session (the unique index catches a race); across
    # an event it is made again under the event's row lock below. People without a phone
    # have no number to be counted twice.
    code = _checked_code(
        event_session,
        phone,
        request.owned,
        checked_at,
        by_resident=by_resident,
        prechecked=prechecked,
    )
    party = request.party_size
    likely = _room_for(
        party,
        event_session,
        slot,
        event_session.seats_taken,
        {s.id: s.seats_taken for s in event_session.slots},
    )
    # Keys rather than related objects: the flush then holds the new row alone (setting the
    # relationships would draw the session, its event and places into the unit of work).
    registration = Registration(
        session_id=event_session.id,
        slot_id=slot.id if slot is not None else None,
        status=RegistrationStatus.CONFIRMED if likely else RegistrationStatus.WAITLISTED,
        party_size=party,
        name=name,
        phone=phone,
        contact_note=note,
        email=(request.email or "").strip() or None,
        community_id=community.id if community is not None else None,
        language=request.language,
        consent_at=checked_at,
        code=code,
        manage_token=new_token(),
        link_key=new_link_key(),
        feed_token=(phone and _shared_feed_token(request.owned, phone)) or new_token(),
        created_by_id=getattr(actor, "id", None),
        created_at=checked_at,
        confirmed_at=checked_at if likely else None,
    )
    for related, value in (
        ("event_session", event_session),
        ("slot", slot),
        ("community", community),
    ):
        set_committed_value(registration, related, value)
    positions = _known_positions()
    positions[registration] = _PLACE_TO_FILL
    prepared = _prepared(registration, checked_at)

    # Serial from here until the commit.
    per_slot = _lock_and_count(event_session)
    # The clock is read with the lock held: created_at orders the waitlist, so it must follow
    # the order in which seats are decided, not the order requests arrived in.
    now = now or utcnow()
    opening(event_session, now)
    if per_event and phone is not None:
        _check_duplicate(event_session, phone, request.owned)
    taken = event_session.seats_taken
    fits = _room_for(party, event_session, slot, taken, per_slot)
    if not fits:
        _check_waitlist(event_session, request, slot, taken, per_slot)
    status = RegistrationStatus.CONFIRMED if fits else RegistrationStatus.WAITLISTED
    registration.status = status
    registration.created_at = registration.consent_at = now
    registration.confirmed_at = now if fits else None
    if fits:
        positions.pop(registration, None)
    else:
        positions[registration] = event_session.waitlist_length + 1
    if fits != likely:
        prepared = _prepared(registration, now)  # not the outcome foreseen: rendered again
    try:
        insert_registration(registration, _companions(prepared, registration))
    except IntegrityError as error:
        _refuse_racing_duplicate(error, event_session, phone, request.owned)
        raise
    # The triggers counted it in the database; the loaded rows follow.
    set_committed_value(event_session, "seats_taken", taken + (party if fits else 0))
    set_committed_value(
        event_session, "waitlist_length", event_session.waitlist_length + (0 if fits else 1)
    )
    if slot is not None and fits:
        set_committed_value(slot, "seats_taken", per_slot.get(slot.id, 0) + party)
    registration_changed.send(registration, action=status.value, actor=actor, prepared=prepared)
    return registration


def _refuse_racing_duplicate(
    error: IntegrityError, event_session: EventSession, phone: str | None, owned
) -> None:
    """Another request with the same phone won the race past the duplicate check: the
    unique index refused this row. The same answer as the check gives; other integrity
    errors go on as they are."""
    if phone is None or "registration" not in str(error.orig) or "phone" not in str(error.orig):
        return
    db.session.rollback()
    _check_duplicate(db.session.get(EventSession, event_session.id), phone, owned)
    # The other registration is gone again (cancelled meanwhile): still, it came first.
    where = _(
        "The link to that registration is in the text message or e-mail sent when it was "
        "made: open it to see, change or cancel the registration."
    )
    message = _("This phone number is already registered for this session.")
    raise RegistrationError(f"{message} {where}", "phone", "duplicate") from error


def register_by_staff(
    session_id: int, request: RegistrationRequest, *, actor, now: datetime | None = None
) -> Registration:
    """Register a resident at the booth: the usual rules, made by and audited to `actor`."""
    event_session = _load_session(session_id)
    registration = _register(event_session, request, actor=actor, now=now, by_resident=False)
    audit.record(
        actor,
        "walk-in",
        registration,
        organisation_id=event_session.event.organisation_id,
        label=registration.code,
    )
    db.session.flush()
    return registration
