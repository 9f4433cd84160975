"""China's official calendar: statutory holidays and make-up workdays by day. Flushes, never
commits.

Seeded from the chinesecalendar package for the years it knows; administrators add or remove
a day, or import the State Council's next arrangement (published each November or December)
as a list of dates. A year counts as known when it has at least one holiday.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date
from typing import Any

import chinese_calendar
from flask_babel import gettext as _
from sqlalchemy import select

from outreach.accounts import audit
from outreach.database import db
from outreach.errors import RuleError
from outreach.events.models import DAY_NAME_LENGTH, DayKind, OfficialDay
from outreach.events.recurrence import OfficialCalendar
from outreach.i18n import current_language

# What the audit trail keeps of a day.
FIELDS = ("day", "kind", "name")
# At most this many lines in one import: a year has about forty official days.
MAX_IMPORT_LINES = 400
FIRST_YEAR, LAST_YEAR = 2000, 2100
# The words an import line may use for its kind, in English or Chinese.
KIND_WORDS = {
    "holiday": DayKind.HOLIDAY,
    "假": DayKind.HOLIDAY,
    "休": DayKind.HOLIDAY,
    "放假": DayKind.HOLIDAY,
    "workday": DayKind.WORKDAY,
    "班": DayKind.WORKDAY,
    "上班": DayKind.WORKDAY,
}
# The package names three festivals without 节; residents say 清明节, 端午节, 中秋节.
_FULL_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}
_ENGLISH = {
    _FULL_NAMES.get(item.chinese, item.chinese): item.value for item in chinese_calendar.Holiday
}


class CalendarError(RuleError):
    """An official day that cannot be saved as asked; names the field, speaks to users."""


def shown_name(name: str) -> str:
    """A holiday's name in the reader's language: English where the package knows it
    (国庆节 → National Day), else as entered."""
    return _ENGLISH.get(name, name) if current_language() == "en" else name


def official_calendar(first: date, last: date) -> OfficialCalendar:
    """The official days of the whole years from `first` to `last`, and which are known."""
    statement = select(OfficialDay).where(
        OfficialDay.day >= date(first.year, 1, 1), OfficialDay.day <= date(last.year, 12, 31)
    )
    holidays: dict[date, str] = {}
    workdays: dict[date, str] = {}
    for item in db.session.scalars(statement):
        (holidays if item.kind == DayKind.HOLIDAY else workdays)[item.day] = item.name
    return OfficialCalendar(holidays, workdays, frozenset(day.year for day in holidays))


def known_years() -> list[int]:
    """The years that have at least one holiday, in order."""
    days = db.session.scalars(select(OfficialDay.day).where(OfficialDay.kind == DayKind.HOLIDAY))
    return sorted({day.year for day in days})


def missing_years(first: int, last: int) -> list[int]:
    """The years from `first` to `last` that have no holiday yet: unknown, not free of them."""
    days = db.session.scalars(
        select(OfficialDay.day).where(
            OfficialDay.kind == DayKind.HOLIDAY,
            OfficialDay.day >= date(first, 1, 1),
            OfficialDay.day <= date(last, 12, 31),
        )
    )
    known = {day.year for day in days}
    return [year for year in range(first, last + 1) if year not in known]


def days_of(year: int) -> list[OfficialDay]:
    """A year's official days, in order."""
    statement = (
        select(OfficialDay)
        .where(OfficialDay.day >= date(year, 1, 1), OfficialDay.day <= date(year, 12, 31))
        .order_by(OfficialDay.day)
    )
    return list(db.session.scalars(statement))


def _check(day: date, name: str) -> str:
    name = unicodedata.normalize("NFKC", name).strip()
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise CalendarError(
            _("Please enter a date from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR),
            "day",
        )
    if len(name) > DAY_NAME_LENGTH:
        raise CalendarError(
            _("The name can have at most %(max)d characters.", max=DAY_NAME_LENGTH), "name"
        )
    return name


def _put(day: date, kind: DayKind, name: str) -> tuple[OfficialDay, dict | None]:
    """Add the day, or change the entry it has; what it was before (None when new)."""
    item = db.session.scalar(select(OfficialDay).where(OfficialDay.day == day))
    before = audit.snapshot(item, FIELDS) if item is not None else None
    if item is None:
        item = OfficialDay(day=day)
        db.session.add(item)
    item.kind = kind
    item.name = name
    return item, before


def _label(item: OfficialDay) -> str:
    return f"{item.day.isoformat()} {item.name}".strip()


def save_day(day: date, kind: DayKind, name: str, actor: Any) -> OfficialDay:
    """Mark a day as a holiday or a make-up workday (replacing what it was), audited."""
    item, before = _put(day, kind, _check(day, name))
    db.session.flush()
    audit.record_saved(
        actor, item, before, audit.snapshot(item, FIELDS), organisation_id=None, label=_label(item)
    )
    return item


def remove_day(item: OfficialDay, actor: Any) -> None:
    """Make a day ordinary again, audited."""
    audit.record(
        actor,
        "delete",
        item,
        organisation_id=None,
        label=_label(item),
        changed=audit.changes(audit.snapshot(item, FIELDS), dict.fromkeys(FIELDS)),
    )
    db.session.delete(item)
    db.session.flush()


@dataclass(frozen=True)
class Line:
    """One day of an imported list."""

    day: date
    kind: DayKind
    name: str


def _line_error(number: int, problem: str) -> CalendarError:
    return CalendarError(_("Line %(number)d: %(problem)s", number=number, problem=problem), "text")


def _parse_line(number: int, text: str) -> Line:
    words = text.split(None, 2)
    if len(words) < 2:
        raise _line_error(number, _("write a date, then holiday or workday, then a name."))
    try:
        day = date.fromisoformat(words[0])
    except ValueError:
        raise _line_error(
            number, _("“%(value)s” is not a date; use YYYY-MM-DD.", value=words[0][:20])
        ) from None
    kind = KIND_WORDS.get(words[1].lower())
    if kind is None:
        raise _line_error(
            number, _("“%(value)s” is neither holiday nor workday.", value=words[1][:20])
        )
    name = words[2] if len(words) > 2 else ""
    try:
        return Line(day, kind, _check(day, name))
    except CalendarError as error:
        raise _line_error(number, str(error)) from None


def parse_lines(text: str) -> list[Line]:
    """The days of a pasted or uploaded list, one per line: `2027-01-01 holiday 元旦` or
    `2027-02-07 workday`; blank lines and lines starting with # are left out. CalendarError
    names the first bad line."""
    lines: list[Line] = []
    seen: set[date] = set()
    entries = unicodedata.normalize("NFKC", text).splitlines()
    if len(entries) > MAX_IMPORT_LINES:
        raise CalendarError(_("Please import at most %(max)d lines.", max=MAX_IMPORT_LINES), "text")
    for number, entry in enumerate(entries, start=1):
        if not entry.strip() or entry.lstrip().startswith("#"):
            continue
        line = _parse_line(number, entry.strip())
        if line.day in seen:
            raise _line_error(number, _("%(day)s is listed twice.", day=line.day.isoformat()))
        seen.add(line.day)
        lines.append(line)
    if not lines:
        raise CalendarError(_("The list has no dates."), "text")
    return lines


def import_days(text: str, actor: Any) -> int:
    """Add or change every day of a list (all of them, or none when a line is wrong),
    audited as one import; how many days it wrote."""
    lines = parse_lines(text)
    for line in lines:
        _put(line.day, line.kind, line.name)
    db.session.flush()
    years = sorted({line.day.year for line in lines})
    audit.record(
        actor,
        "import",
        None,
        organisation_id=None,
        label=_("Official calendar %(years)s", years=", ".join(map(str, years))),
        changed={"official_days": {"before": None, "after": len(lines)}},
    )
    return len(lines)


def library_days() -> list[Line]:
    """The days the chinesecalendar package knows, named in Chinese."""
    found = []
    for source, kind in (
        (chinese_calendar.holidays, DayKind.HOLIDAY),
        (chinese_calendar.workdays, DayKind.WORKDAY),
    ):
        for day, english in source.items():
            chinese = chinese_calendar.Holiday(english).chinese
            found.append(Line(day, kind, _FULL_NAMES.get(chinese, chinese)))
    return found


def seed_from_library(years: set[int] | None = None) -> list[int]:
    """Add the package's days of the years (all it knows, or those given) that have no
    official days yet; a year someone already has, edited or imported, is left alone.
    Running it again adds nothing. The years it filled, in order."""
    wanted = [line for line in library_days() if years is None or line.day.year in years]
    present = {day.year for day in db.session.scalars(select(OfficialDay.day))}
    filled = sorted({line.day.year for line in wanted} - present)
    db.session.add_all(
        OfficialDay(day=line.day, kind=line.kind, name=line.name)
        for line in wanted
        if line.day.year in filled
    )
    db.session.flush()
    return filled
