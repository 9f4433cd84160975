"""A session's roster as a download: CSV (UTF-8, formulas defused) and an Excel workbook."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from outreach.events.models import EventSession
from outreach.formatting import with_zone
from outreach.i18n import current_language
from outreach.localtime import local_date, local_minute, stamp
from outreach.registrations.roster import Roster, RosterEntry


@dataclass(frozen=True)
class Column:
    """One column of an export: its heading and how to read it from an entry."""

    heading: Any
    value: Callable[[RosterEntry], Any]
    is_time: bool = False


def _staff_label(user) -> str:
    return user.label if user is not None else ""


def _slot(entry: RosterEntry) -> str:
    slot = entry.registration.slot
    return slot.label_and_times(current_language()) if slot is not None else ""


def _phone_cell(entry: RosterEntry) -> str:
    """The number as the reader may see it; for a resident without one, a marker and the
    note saying how to reach them."""
    if entry.no_phone and entry.registration.purged_at is None:
        return _("No mobile phone: %(note)s", note=entry.note)
    return entry.phone


COLUMNS = (
    Column(_l("Code"), lambda e: e.registration.code),
    Column(_l("Status"), lambda e: str(e.registration.status.label)),
    Column(_l("Waitlist position"), lambda e: e.position),
    Column(_l("Number of people"), lambda e: e.registration.party_size),
    Column(_l("Time slot"), _slot),
    Column(_l("Full name"), lambda e: e.registration.name),
    Column(_l("Mobile number"), lambda e: _phone_cell(e)),
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
    """The export's column headings; times say their zone (报名时间（北京时间）)."""
    return [with_zone(str(c.heading)) if c.is_time else str(c.heading) for c in COLUMNS]


def rows(roster: Roster) -> Iterable[list[Any]]:
    """One list of values per registration, times as local wall time to the minute."""
    for entry in roster.entries:
        values = []
        for column in COLUMNS:
            value = column.value(entry)
            if isinstance(value, datetime):
                value = local_minute(value)
            values.append(value)
        yield values


# Spreadsheets run a cell starting with these as a formula (OWASP: CSV injection).
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# A signed number alone (a phone number in E.164, +8613800138000) calls nothing: it stays as it
# is, so the numbers people dial are not spoiled by an apostrophe.
_PLAIN_NUMBER = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


def _csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return stamp(value)
    text = str(value)
    if text.startswith(_FORMULA_STARTS) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


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
        cell.number_format = "yyyy-mm-dd hh:mm"
    elif isinstance(value, str):
        cell = sheet.cell(row=row, column=column, value=ILLEGAL_CHARACTERS_RE.sub("", value))
        cell.data_type = "s"  # text, never a formula, whatever it starts with
    else:
        sheet.cell(row=row, column=column, value=value)


# Column widths in characters of the default font: room for the cell and a little margin,
# never wider than a laptop's screen.
_PADDING = 2
_WIDEST = 60
_MINUTE_WIDTH = len("2026-11-28 09:30")


def display_width(text: str) -> int:
    """How many columns a text takes: Chinese (wide and full-width) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _width(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, datetime):
        return _MINUTE_WIDTH
    return display_width(str(value))


def to_xlsx(roster: Roster) -> bytes:
    """The roster as an Excel workbook, one row per registration: columns wide enough for
    what they hold, the heading row frozen and filtered."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = _("Roster")[:31]
    titles = headings()
    widths = [display_width(title) for title in titles]
    for number, heading in enumerate(titles, start=1):
        sheet.cell(row=1, column=number, value=heading).font = Font(bold=True)
    for row_number, values in enumerate(rows(roster), start=2):
        for number, value in enumerate(values, start=1):
            _xlsx_cell(sheet, row_number, number, value)
            widths[number - 1] = max(widths[number - 1], _width(value))
    for number, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(number)].width = min(width + _PADDING, _WIDEST)
    sheet.freeze_panes = "A2"
    sheet.auto_filter.ref = f"A1:{get_column_letter(len(titles))}{sheet.max_row}"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export_name(event_session: EventSession, extension: str) -> str:
    """A download's file name: roster-2026-11-28-session-12.xlsx."""
    starts = local_date(event_session.starts_at).isoformat()
    return f"roster-{starts}-session-{event_session.id}.{extension}"
