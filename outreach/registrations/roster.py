"""The staff side of registrations: a session's roster, search, check-in at the desk,
exports (CSV and XLSX) and the retention purge of personal data.

Functions here flush, never commit; the view or command commits once.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from sqlalchemy import String, cast, func, literal, select, update
from sqlalchemy.orm import joinedload, selectinload

from outreach.database import db, utcnow
from outreach.errors import NotFoundError
from outreach.events.models import Event, EventSession
from outreach.formatting import clock, day, name
from outreach.localtime import local_date, local_zone
from outreach.places.models import Venue
from outreach.registrations import services
from outreach.registrations.models import ACTIVE_STATUSES, Registration, RegistrationStatus, Slot
from outreach.registrations.phones import normalise_mobile
from outreach.registrations.signals import personal_data_purged

CONFIRMED = RegistrationStatus.CONFIRMED
WAITLISTED = RegistrationStatus.WAITLISTED
CANCELLED = RegistrationStatus.CANCELLED

# Confirmed first, then the waitlist in its order, then the cancelled.
_STATUS_ORDER = {CONFIRMED: 0, WAITLISTED: 1, CANCELLED: 2}

STATUS_LABELS = {
    CONFIRMED: _l("Confirmed"),
    WAITLISTED: _l("On the waitlist"),
    CANCELLED: _l("Cancelled"),
}

PURGED_PHONE_PREFIX = "purged:"


# ---------------------------------------------------------------------------------------------
# The roster


def session_for_staff(session_id: int) -> EventSession:
    """A session with its event, organisation, venue and slots, drafts included; else 404."""
    event_session = db.session.scalar(
        select(EventSession)
        .where(EventSession.id == session_id)
        .options(
            joinedload(EventSession.event).joinedload(Event.organisation),
            joinedload(EventSession.venue).joinedload(Venue.community),
            joinedload(EventSession.venue).joinedload(Venue.township),
            selectinload(EventSession.slots),
        )
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


def count_registrants(_sender: Any, session_ids: Iterable[int], **_details: Any) -> tuple[int, int]:
    """Active registrations of the sessions that can still be told of a change, and their
    people: one query. Purged ones are left out, having no contact details left."""
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


# ---------------------------------------------------------------------------------------------
# Check-in at the desk


@dataclass(frozen=True)
class DeskResult:
    """What the desk tells staff after a code is typed or scanned.

    `outcome` is one of: checked_in, already, waitlisted, cancelled, unknown, invalid.
    """

    outcome: str
    message: str

    @property
    def ok(self) -> bool:
        """The resident is checked in now."""
        return self.outcome == "checked_in"

    @property
    def already(self) -> bool:
        """The resident had been checked in before: a second scan."""
        return self.outcome == "already"


def _who(registration: Registration) -> str:
    """Name, party size and slot of a registration, for the desk's messages."""
    people = ngettext("%(num)d person", "%(num)d people", registration.party_size)
    parts = [registration.name or registration.code, people]
    if registration.slot is not None:
        parts.append(registration.slot.label)
    return " · ".join(parts)


def _elsewhere(event_session: EventSession, code: str) -> DeskResult:
    """Explain an unknown code; name the other session when it is of the same event."""
    other = db.session.scalar(
        select(Registration)
        .join(Registration.event_session)
        .where(Registration.code == code, EventSession.event_id == event_session.event_id)
        .options(joinedload(Registration.event_session).joinedload(EventSession.venue))
    )
    if other is None:
        return DeskResult("unknown", _("No registration with this code for this session."))
    elsewhere = other.event_session
    message = _(
        "This code is for another session of this event: %(day)s %(time)s, %(venue)s.",
        day=day(local_date(elsewhere.starts_at)),
        time=clock(elsewhere.starts_at),
        venue=name(elsewhere.venue),
    )
    return DeskResult("unknown", message)


def check_in(event_session: EventSession, code: str, *, actor, now=None) -> DeskResult:
    """Check a resident in by code; waitlisted, cancelled and unknown codes are refused."""
    cleaned = clean_code(code)
    if not re.fullmatch(r"[A-Z0-9]{1,20}", cleaned):
        return DeskResult("invalid", _("Please enter a confirmation code."))
    registration = db.session.scalar(
        select(Registration)
        .where(Registration.session_id == event_session.id, Registration.code == cleaned)
        .options(joinedload(Registration.slot))
    )
    if registration is None:
        return _elsewhere(event_session, cleaned)
    try:
        result = services.check_in(registration, actor=actor, now=now)
    except services.RegistrationError as error:
        if error.kind != "waitlisted":
            return DeskResult("cancelled", error.message)
        return DeskResult(
            "waitlisted",
            _(
                "Not checked in: %(who)s is on the waitlist (number %(position)d) "
                "and has no confirmed place.",
                who=_who(registration),
                position=services.waitlist_position(registration),
            ),
        )
    if result.already:
        at = clock(registration.checked_in_at)
        return DeskResult(
            "already",
            _("Already checked in at %(time)s: %(who)s", time=at, who=_who(registration)),
        )
    return DeskResult("checked_in", _("Checked in: %(who)s", who=_who(registration)))


# ---------------------------------------------------------------------------------------------
# Exports


@dataclass(frozen=True)
class Column:
    """One column of an export: its heading and how to read it from an entry."""

    heading: Any
    value: Callable[[RosterEntry], Any]
    is_time: bool = False


def _staff_label(user) -> str:
    return user.label if user is not None else ""


COLUMNS = (
    Column(_l("Code"), lambda e: e.registration.code),
    Column(_l("Status"), lambda e: str(STATUS_LABELS[e.registration.status])),
    Column(_l("Waitlist position"), lambda e: e.position),
    Column(_l("Number of people"), lambda e: e.registration.party_size),
    Column(_l("Time slot"), lambda e: e.registration.slot.label if e.registration.slot else ""),
    Column(_l("Full name"), lambda e: e.registration.name),
    Column(_l("Mobile number"), lambda e: e.phone),
    Column(_l("E-mail"), lambda e: e.email),
    Column(
        _l("Community"),
        lambda e: e.registration.community.name if e.registration.community else "",
    ),
    Column(_l("Registered at"), lambda e: e.registration.created_at, is_time=True),
    Column(_l("Made by staff"), lambda e: _staff_label(e.registration.created_by)),
    Column(_l("Consent given at"), lambda e: e.registration.consent_at, is_time=True),
    Column(_l("Confirmed at"), lambda e: e.registration.confirmed_at, is_time=True),
    Column(_l("Moved up from the waitlist at"), lambda e: e.registration.promoted_at, is_time=True),
    Column(_l("Cancelled at"), lambda e: e.registration.cancelled_at, is_time=True),
    Column(
        _l("Cancelled by staff"),
        lambda e: _("yes") if e.registration.cancelled_by_staff else "",
    ),
    Column(_l("Checked in at"), lambda e: e.registration.checked_in_at, is_time=True),
    Column(_l("Checked in by"), lambda e: _staff_label(e.registration.checked_in_by)),
    Column(_l("Personal data erased at"), lambda e: e.registration.purged_at, is_time=True),
)


def headings() -> list[str]:
    """The export's column headings; times say their zone."""
    zone = local_zone().key
    return [
        _("%(heading)s (%(zone)s)", heading=c.heading, zone=zone) if c.is_time else str(c.heading)
        for c in COLUMNS
    ]


def rows(roster: Roster) -> Iterable[list[Any]]:
    """One list of values per registration, times as aware datetimes in the local zone."""
    zone = local_zone()
    for entry in roster.entries:
        values = []
        for column in COLUMNS:
            value = column.value(entry)
            if isinstance(value, datetime):
                value = value.astimezone(zone).replace(microsecond=0)
            values.append(value)
        yield values


# Spreadsheets run a cell starting with these as a formula (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.isoformat()
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def to_csv(roster: Roster) -> bytes:
    """The roster as CSV: UTF-8 with a BOM (so Excel reads Chinese), formulas defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(headings())
    for values in rows(roster):
        writer.writerow([_csv_cell(value) for value in values])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def _xlsx_cell(sheet, row: int, column: int, value: Any) -> None:
    if isinstance(value, datetime):
        # Excel has no time zones: local wall time, the heading names the zone.
        cell = sheet.cell(row=row, column=column, value=value.replace(tzinfo=None))
        cell.number_format = "yyyy-mm-dd hh:mm:ss"
    elif isinstance(value, str):
        cell = sheet.cell(row=row, column=column, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # text, never a formula, whatever it starts with
    else:
        sheet.cell(row=row, column=column, value=value)


def to_xlsx(roster: Roster) -> bytes:
    """The roster as an Excel workbook, one row per registration."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Roster")[:31]
    for number, heading in enumerate(headings(), start=1):
        sheet.cell(row=1, column=number, value=heading).font = Font(bold=True)
    for row_number, values in enumerate(rows(roster), start=2):
        for number, value in enumerate(values, start=1):
            _xlsx_cell(sheet, row_number, number, value)
    sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_name(event_session: EventSession, extension: str) -> str:
    """A download's file name: roster-2026-11-28-session-12.xlsx."""
    starts = local_date(event_session.starts_at).isoformat()
    return f"roster-{starts}-session-{event_session.id}.{extension}"


# ---------------------------------------------------------------------------------------------
# Retention: erase personal data some days after the session ends


def _due(retention_days: int, now: datetime | None):
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    return (
        select(Registration.id)
        .join(Registration.event_session)
        .where(EventSession.ends_at < cutoff, Registration.purged_at.is_(None))
    )


def count_due(retention_days: int, now: datetime | None = None) -> int:
    """How many registrations are past retention and still hold personal data."""
    return db.session.scalar(select(func.count()).select_from(_due(retention_days, now).subquery()))


def purge_batch(retention_days: int, *, now: datetime | None = None, size: int = 500) -> int:
    """Erase name, phone and e-mail of up to `size` registrations past retention.

    Status, party size, slot, community and the times stay, so statistics still count.
    Returns how many were erased; call again (after a commit) until it returns 0.
    """
    now = now or utcnow()
    ids = db.session.scalars(_due(retention_days, now).order_by(Registration.id).limit(size)).all()
    if not ids:
        return 0
    db.session.execute(
        update(Registration)
        .where(Registration.id.in_(ids))
        .values(
            name="",
            # Unique per row, so the one-active-phone-per-session index never trips.
            phone=literal(PURGED_PHONE_PREFIX, String) + cast(Registration.id, String),
            email=None,
            purged_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    personal_data_purged.send(None, ids=list(ids))
    return len(ids)
