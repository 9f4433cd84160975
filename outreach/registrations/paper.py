"""Paper at the desk, for when the network or the phones fail: a session's sign-in sheet (签到表)
to print, and the codes ticked on it checked in afterwards in one go.

The sheet shows what a sheet left on a table may show: codes, names cut to their first
character and masked mobile numbers, whoever prints it.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from itertools import groupby

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from outreach.database import db
from outreach.events.models import EventSession
from outreach.registrations import services
from outreach.registrations.models import Registration, RegistrationStatus, Slot
from outreach.registrations.roster import Roster, clean_code, mask_name

# A page of the sheet holds at most this many rows, so that it prints on one A4 page with
# room to sign (static/css/sign-in-sheet.css sizes the rows to match).
ROWS_PER_PAGE = 30
# Codes entered from paper in one go: a full session's sheets, with room to spare.
MOST_CODES = 500


@dataclass(frozen=True)
class SheetRow:
    """One confirmed registration as the sheet prints it."""

    number: int
    code: str
    name: str
    phone: str
    party_size: int
    checked_in: bool


@dataclass(frozen=True)
class SheetPage:
    """One printed page: the rows of one slot (or of a session without slots)."""

    slot: Slot | None
    rows: list[SheetRow]
    number: int
    count: int


def _slot_order(slots: list[Slot]):
    positions = {slot.id: index for index, slot in enumerate(slots)}
    return lambda registration: positions.get(registration.slot_id, -1)


def sheet_pages(roster: Roster) -> list[SheetPage]:
    """The sheet's pages: confirmed registrations by slot (in the session's order), then by
    code; a new page for each slot and after every ROWS_PER_PAGE rows; one page, empty, when
    nobody is confirmed. The roster must be loaded with masked contacts."""
    confirmed = [
        entry
        for entry in roster.entries
        if entry.registration.status == RegistrationStatus.CONFIRMED
    ]
    in_slot = _slot_order(roster.event_session.slots)
    confirmed.sort(key=lambda e: (in_slot(e.registration), e.registration.code))
    chunks: list[tuple[Slot | None, list[SheetRow]]] = []
    for _position, group in groupby(confirmed, key=lambda e: in_slot(e.registration)):
        entries = list(group)
        rows = [
            SheetRow(
                number=number,
                code=entry.registration.code,
                name=mask_name(entry.registration.name),
                phone=entry.phone,
                party_size=entry.registration.party_size,
                checked_in=entry.registration.checked_in_at is not None,
            )
            for number, entry in enumerate(entries, start=1)
        ]
        for start in range(0, len(rows), ROWS_PER_PAGE):
            chunks.append((entries[0].registration.slot, rows[start : start + ROWS_PER_PAGE]))
    if not chunks:
        chunks.append((None, []))
    return [
        SheetPage(slot, rows, number, len(chunks))
        for number, (slot, rows) in enumerate(chunks, start=1)
    ]


# What separates codes typed from paper, once full-width characters are read as their plain
# forms (NFKC): white space, commas, semicolons and the ideographic comma.
_SEPARATORS = re.compile(r"[\s,;、]+")


def codes_in(text: str) -> list[str]:
    """The codes in a typed list, cleaned and upper case, each once, in the order typed."""
    plain = unicodedata.normalize("NFKC", text or "")
    codes = (clean_code(piece) for piece in _SEPARATORS.split(plain))
    return list(dict.fromkeys(code for code in codes if code))


class PaperOutcome:
    """What became of each code: checked in now, already, refused, or unknown here."""

    DONE = "done"
    ALREADY = "already"
    REFUSED = "refused"  # on the waitlist or cancelled: no place to check in to
    UNKNOWN = "unknown"  # not a code of this session


PAPER_OUTCOMES = {
    PaperOutcome.DONE: _l("Checked in now"),
    PaperOutcome.ALREADY: _l("Already checked in"),
    PaperOutcome.REFUSED: _l("Not checked in: on the waitlist or cancelled"),
    PaperOutcome.UNKNOWN: _l("Not a code of this session"),
}


@dataclass
class PaperSummary:
    """The codes entered from paper, sorted by what became of them."""

    codes: dict[str, list[str]] = field(default_factory=dict)

    def add(self, outcome: str, code: str) -> None:
        """Note what became of one code."""
        self.codes.setdefault(outcome, []).append(code)

    def groups(self) -> list[tuple[str, object, list[str]]]:
        """(outcome, its label, codes) for each outcome that has codes, in PAPER_OUTCOMES order."""
        return [
            (outcome, label, self.codes[outcome])
            for outcome, label in PAPER_OUTCOMES.items()
            if outcome in self.codes
        ]


def check_in_codes(event_session: EventSession, codes: list[str], *, actor) -> PaperSummary:
    """Check in the session's registrations with these codes, each as the desk would
    (services.check_in); entering the same codes again changes nothing."""
    found = {
        registration.code: registration
        for registration in db.session.scalars(
            select(Registration).where(
                Registration.session_id == event_session.id, Registration.code.in_(codes)
            )
        )
    }
    summary = PaperSummary()
    for code in codes:
        registration = found.get(code)
        if registration is None:
            summary.add(PaperOutcome.UNKNOWN, code)
        elif registration.status != RegistrationStatus.CONFIRMED:
            summary.add(PaperOutcome.REFUSED, code)
        else:
            result = services.check_in(registration, actor=actor)
            summary.add(PaperOutcome.ALREADY if result.already else PaperOutcome.DONE, code)
    return summary
