"""Recurrence rules: a small typed rule, its RFC 5545 RRULE text, and its expansion.

Pure functions (no database, no request): the rule is expanded by python-dateutil in local
wall time, from naive local datetimes, and only then converted to aware UTC, so "every
Tuesday at 09:00" stays at 09:00 local whatever the offset does.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import NamedTuple
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from dateutil.rrule import rrulestr, weekday
from flask_babel import lazy_gettext as _l

from outreach.enums import LabelledEnum
from outreach.errors import RuleError

# Limits that keep one request from expanding a rule into an unbounded number of rows.
MAX_OCCURRENCES = 500
MAX_SPAN = relativedelta(years=2)
MAX_INTERVAL = 99
ORDINALS = (1, 2, 3, 4, -1)  # first … fourth, and -1 for the last one in the month
RRULE_DAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")  # index = date.weekday()


class Frequency(LabelledEnum):
    """How often the rule repeats, before the interval."""

    DAILY = "daily", _l("Daily")
    WEEKLY = "weekly", _l("Weekly")
    MONTHLY = "monthly", _l("Monthly")


class MonthlyBy(LabelledEnum):
    """A monthly rule falls on a day of the month (the 31st) or an n-th weekday (2nd Tuesday)."""

    DAY_OF_MONTH = "day", _l("On a day of the month, e.g. the 31st")
    WEEKDAY = "weekday", _l("On a weekday of the month, e.g. the second Tuesday")


_RRULE_FREQ = {Frequency.DAILY: "DAILY", Frequency.WEEKLY: "WEEKLY", Frequency.MONTHLY: "MONTHLY"}
# The parts `from_rrule` understands; a rule with others cannot be shown in the form.
_READABLE_PARTS = frozenset({"FREQ", "INTERVAL", "BYDAY", "BYMONTHDAY", "COUNT", "UNTIL", "WKST"})


class RecurrenceError(RuleError):
    """A rule that cannot be used; names the form field it concerns. The message is for users."""


@dataclass(frozen=True)
class Rule:
    """A recurrence rule as the series form describes it.

    Weekdays count from 0 (Monday) to 6 (Sunday), as `date.weekday()` does. Exactly one of
    `until` (a local date, inclusive) and `count` ends the rule.
    """

    frequency: Frequency
    interval: int = 1
    weekdays: tuple[int, ...] = ()
    monthly_by: MonthlyBy = MonthlyBy.DAY_OF_MONTH
    month_day: int | None = None
    ordinal: int | None = None
    weekday: int | None = None
    until: date | None = None
    count: int | None = None

    @property
    def every_working_day(self) -> bool:
        """Held each Monday to Friday: the only rule a make-up workday stands in for (it
        replaces a whole week's day off, not a Wednesday clinic's)."""
        if self.interval != 1:
            return False
        if self.frequency == Frequency.DAILY:
            return True
        return self.frequency == Frequency.WEEKLY and set(range(5)) <= set(self.weekdays)


def latest_until(first_day: date) -> date:
    """The last day a series starting on `first_day` may reach."""
    return first_day + MAX_SPAN


def _frequency_problems(rule: Rule) -> dict[str, object]:
    problems: dict[str, object] = {}
    monthly_by = rule.monthly_by if rule.frequency == Frequency.MONTHLY else None
    if rule.frequency == Frequency.WEEKLY and not rule.weekdays:
        problems["weekdays"] = _l("Please choose at least one day of the week.")
    elif rule.frequency == Frequency.WEEKLY and not set(rule.weekdays) <= set(range(7)):
        problems["weekdays"] = _l("Please choose days of the week from the list.")
    elif monthly_by == MonthlyBy.DAY_OF_MONTH and rule.month_day not in range(1, 32):
        problems["month_day"] = _l("The day of the month must be a number from 1 to 31.")
    elif monthly_by == MonthlyBy.WEEKDAY:
        if rule.ordinal not in ORDINALS:
            problems["ordinal"] = _l("Please choose first, second, third, fourth or last.")
        if rule.weekday not in range(7):
            problems["weekday"] = _l("Please choose a day of the week.")
    return problems


def _end_problems(rule: Rule, first_day: date) -> dict[str, object]:
    if (rule.until is None) == (rule.count is None):
        return {"ends": _l("Please end the series either on a last day or after a number.")}
    if rule.count is not None and not 1 <= rule.count <= MAX_OCCURRENCES:
        return {
            "count": _l("The number of sessions must be from 1 to %(max)d.", max=MAX_OCCURRENCES)
        }
    if rule.until is not None and rule.until < first_day:
        return {"until": _l("The last day must be on or after the first day.")}
    if rule.until is not None and rule.until > latest_until(first_day):
        return {
            "until": _l(
                "A series can run for at most two years: choose %(day)s or earlier.",
                day=latest_until(first_day).isoformat(),
            )
        }
    return {}


def problems(rule: Rule, first_day: date) -> dict[str, object]:
    """What is wrong with a rule, by form field name (empty when it is usable)."""
    found: dict[str, object] = {}
    if not 1 <= rule.interval <= MAX_INTERVAL:
        found["interval"] = _l("Repeat every 1 to %(max)d days, weeks or months.", max=MAX_INTERVAL)
    found.update(_frequency_problems(rule))
    found.update(_end_problems(rule, first_day))
    return found


def check(rule: Rule, first_day: date) -> None:
    """Raise RecurrenceError for the first problem of a rule, if any."""
    for field, message in problems(rule, first_day).items():
        raise RecurrenceError(message, field)


def to_rrule(rule: Rule) -> str:
    """The rule as RFC 5545 RRULE text (without the "RRULE:" prefix), floating local time."""
    parts = [f"FREQ={_RRULE_FREQ[rule.frequency]}"]
    if rule.interval != 1:
        parts.append(f"INTERVAL={rule.interval}")
    if rule.frequency == Frequency.WEEKLY:
        parts.append("BYDAY=" + ",".join(RRULE_DAYS[day] for day in sorted(set(rule.weekdays))))
    elif rule.frequency == Frequency.MONTHLY and rule.monthly_by == MonthlyBy.WEEKDAY:
        parts.append(f"BYDAY={rule.ordinal}{RRULE_DAYS[rule.weekday]}")
    elif rule.frequency == Frequency.MONTHLY:
        parts.append(f"BYMONTHDAY={rule.month_day}")
    if rule.count is not None:
        parts.append(f"COUNT={rule.count}")
    elif rule.until is not None:
        # Floating like DTSTART (RFC 5545 wants the same value type); the end of the day
        # makes the last day inclusive whatever the start time.
        parts.append(f"UNTIL={rule.until:%Y%m%d}T235959")
    return ";".join(parts)


def _dateutil_rule(text: str, dtstart: datetime):
    """dateutil's reading of RRULE text; a malformed text is a RecurrenceError."""
    try:
        return rrulestr(text.strip().removeprefix("RRULE:"), dtstart=dtstart)
    except (ValueError, TypeError, KeyError, IndexError) as error:
        raise RecurrenceError(_l("This repeat rule cannot be read."), "rule") from error


def from_rrule(text: str) -> Rule:
    """Read RRULE text (as `to_rrule` writes it) back into a Rule, for editing a series."""
    _dateutil_rule(text, datetime(2000, 1, 1))  # refuses what RFC 5545 does not allow
    parts = dict(
        item.split("=", 1) for item in text.strip().removeprefix("RRULE:").split(";") if item
    )
    frequency = {code: name for name, code in _RRULE_FREQ.items()}.get(parts.get("FREQ", ""))
    if frequency is None or not parts.keys() <= _READABLE_PARTS:
        raise RecurrenceError(_l("This repeat rule cannot be edited here."), "rule")
    try:
        return _rule_from_parts(frequency, parts)
    except (ValueError, IndexError) as error:  # e.g. BYMONTHDAY=1,15: valid, not ours
        raise RecurrenceError(_l("This repeat rule cannot be edited here."), "rule") from error


def _rule_from_parts(frequency: Frequency, parts: dict[str, str]) -> Rule:
    """The Rule of RRULE parts; ValueError for combinations the form cannot express."""
    days = _parse_byday(parts.get("BYDAY", ""))
    until = parts.get("UNTIL")
    fields: dict[str, object] = {
        "frequency": frequency,
        "interval": int(parts.get("INTERVAL", "1")),
        "count": int(parts["COUNT"]) if "COUNT" in parts else None,
        "until": datetime.strptime(until[:8], "%Y%m%d").date() if until else None,
    }
    nth = [day for day in days if day.n]
    if frequency == Frequency.WEEKLY and not nth:
        fields["weekdays"] = tuple(sorted(day.weekday for day in days))
    elif frequency == Frequency.MONTHLY and len(days) == len(nth) == 1:
        fields.update(monthly_by=MonthlyBy.WEEKDAY, ordinal=nth[0].n, weekday=nth[0].weekday)
    elif frequency == Frequency.MONTHLY and not days:
        fields["month_day"] = int(parts["BYMONTHDAY"]) if "BYMONTHDAY" in parts else None
    elif days or "BYMONTHDAY" in parts:
        raise ValueError(parts)
    return Rule(**fields)  # type: ignore[arg-type]


def _parse_byday(value: str) -> list[weekday]:
    """BYDAY items such as TU, 2TU or -1FR as dateutil weekdays."""
    found = []
    for item in filter(None, value.split(",")):
        code, number = item[-2:], item[:-2]
        found.append(weekday(RRULE_DAYS.index(code), int(number) if number else None))
    return found


class Occurrence(NamedTuple):
    """One date of a series: its start and end as aware UTC instants."""

    starts_at: datetime
    ends_at: datetime


def _span(day: date, start: time, end: time, all_day: bool, zone: ZoneInfo) -> Occurrence:
    if all_day:
        starts = datetime.combine(day, time.min, tzinfo=zone)
        ends = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)
    else:
        starts = datetime.combine(day, start, tzinfo=zone)
        ends = datetime.combine(day, end, tzinfo=zone)
    return Occurrence(starts.astimezone(UTC), ends.astimezone(UTC))


def _too_many() -> RecurrenceError:
    return RecurrenceError(
        _l(
            "This rule makes more than %(max)d sessions. Choose an earlier last day "
            "or fewer sessions.",
            max=MAX_OCCURRENCES,
        ),
        "until",
    )


def _too_long(horizon: date) -> RecurrenceError:
    return RecurrenceError(
        _l(
            "This rule runs past %(day)s: a series can run for at most two years. "
            "Choose fewer sessions or an earlier last day.",
            day=horizon.isoformat(),
        ),
        "count",
    )


def rule_days(rule_text: str, first_day: date, start: time) -> list[date]:
    """The local days of a rule from `first_day`, before exceptions; RecurrenceError past
    MAX_OCCURRENCES dates or two years. dateutil expands naive local datetimes (wall time)."""
    expansion = _dateutil_rule(rule_text, datetime.combine(first_day, start))
    horizon = latest_until(first_day)
    found = []
    for number, local in enumerate(expansion, start=1):
        if number > MAX_OCCURRENCES:
            raise _too_many()
        if local.date() > horizon:
            raise _too_long(horizon)
        found.append(local.date())
    return found


def spans(
    days: Iterable[date], start_time: time, end_time: time, all_day: bool, zone: ZoneInfo
) -> list[Occurrence]:
    """Each local day's session as aware UTC instants, the wall times placed in `zone`."""
    return [_span(day, start_time, end_time, all_day, zone) for day in days]


def expand(
    rule_text: str,
    first_day: date,
    start_time: time,
    end_time: time,
    all_day: bool,
    exdates: Iterable[date],
    zone: ZoneInfo,
) -> list[Occurrence]:
    """The rule's (starts_at, ends_at) pairs in aware UTC from `first_day`, minus exceptions.

    As in RFC 5545, COUNT counts dates before exceptions remove theirs. More than
    MAX_OCCURRENCES dates, or dates beyond two years, raise RecurrenceError.
    """
    skipped = set(exdates)
    days = rule_days(rule_text, first_day, time.min if all_day else start_time)
    return spans((day for day in days if day not in skipped), start_time, end_time, all_day, zone)


# China's official calendar: the State Council's yearly arrangement of statutory holidays
# (法定节假日) and the weekend days worked in exchange (调休上班日).


class CalendarChange(LabelledEnum):
    """Why following the official calendar took a date out of a series or put one in."""

    HOLIDAY = "holiday", _l("public holiday: skipped")
    REST_DAY = "rest", _l("not a working day: skipped")
    WORKDAY = "workday", _l("make-up workday: added")


@dataclass(frozen=True)
class OfficialCalendar:
    """The official days of some whole years: holidays and make-up workdays by day, each with
    its holiday's name, and the years whose arrangement is known."""

    holidays: dict[date, str]
    workdays: dict[date, str]
    known_years: frozenset[int]

    def is_working_day(self, day: date) -> bool:
        """Monday to Friday unless a holiday, and the make-up workdays."""
        if day in self.holidays:
            return False
        return day in self.workdays or day.weekday() < 5


@dataclass(frozen=True)
class Adjustment:
    """A date the official calendar removed from (or added to) a series, and why."""

    day: date
    change: CalendarChange
    name: str = ""


@dataclass(frozen=True)
class Followed:
    """A rule's days after the official calendar, and what it changed."""

    days: list[date]
    adjustments: list[Adjustment]


def follow_calendar(
    days: list[date],
    last_day: date,
    calendar: OfficialCalendar,
    *,
    skip_holidays: bool,
    working_calendar: bool,
    add_workdays: bool = True,
) -> Followed:
    """Take the statutory holidays out of a rule's days; following the working calendar,
    also the other days off, and (with `add_workdays`, for a rule held every working day)
    add each make-up workday up to `last_day` (inclusive)."""
    kept: list[date] = []
    adjustments: list[Adjustment] = []
    for day in days:
        if (skip_holidays or working_calendar) and day in calendar.holidays:
            adjustments.append(Adjustment(day, CalendarChange.HOLIDAY, calendar.holidays[day]))
        elif working_calendar and not calendar.is_working_day(day):
            adjustments.append(Adjustment(day, CalendarChange.REST_DAY))
        else:
            kept.append(day)
    if working_calendar and add_workdays and days:
        present = set(kept)
        for day, name in sorted(calendar.workdays.items()):
            if days[0] <= day <= last_day and day not in present:
                kept.append(day)
                adjustments.append(Adjustment(day, CalendarChange.WORKDAY, name))
    return Followed(sorted(kept), sorted(adjustments, key=lambda item: item.day))
