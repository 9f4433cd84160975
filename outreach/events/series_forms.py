"""The series form: a repeat rule, times in local wall time, a venue, and exception dates."""

from __future__ import annotations

import re
import unicodedata
from datetime import date, time, timedelta
from typing import Any

from babel.dates import get_day_names
from flask_babel import get_locale, lazy_pgettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    Field,
    RadioField,
    SelectField,
    SelectMultipleField,
    SubmitField,
    TextAreaField,
)
from wtforms.widgets import CheckboxInput, ListWidget

from outreach.events import recurrence
from outreach.events.forms import (
    CapacityField,
    ClockField,
    DayField,
    OneOfChoices,
    ValueRequired,
    _optional_int,
    _ParsedField,
    parse_day,
)
from outreach.events.recurrence import Frequency, MonthlyBy, Rule
from outreach.events.series import SeriesPlan
from outreach.forms import BaseForm

MAX_EXDATES = recurrence.MAX_OCCURRENCES
# Exception dates may be separated by new lines, spaces, commas or the enumeration comma.
_SEPARATORS = re.compile(r"[\s,;、，；]+")
# The fields a rule is built from: it is checked as a whole once each of them reads well.
RULE_FIELDS = (
    "first_day",
    "frequency",
    "interval",
    "weekdays",
    "monthly_by",
    "month_day",
    "ordinal",
    "weekday",
    "ends",
    "count",
    "until",
)


def parse_whole_number(text: str) -> int:
    """A whole number ≥ 0; ValueError with a message naming the value otherwise."""
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise ValueError(_("“%(value)s” is not a whole number.", value=text[:20]))
    return int(text)


class WholeNumberField(_ParsedField):
    """A whole number typed in a text box; empty leaves `data` None."""

    def parse(self, raw: str) -> int:
        """See parse_whole_number."""
        return parse_whole_number(raw)


def parse_days(text: str) -> tuple[date, ...]:
    """Dates separated by new lines, spaces or commas, sorted, each once; ValueError names
    the first bad one."""
    words = [word for word in _SEPARATORS.split(unicodedata.normalize("NFKC", text)) if word]
    if len(words) > MAX_EXDATES:
        raise ValueError(_("Please list at most %(max)d dates.", max=MAX_EXDATES))
    return tuple(sorted({parse_day(word) for word in words}))


def _numeric(label: Any, *validators: Any) -> WholeNumberField:
    return WholeNumberField(label, list(validators), render_kw={"inputmode": "numeric"})


class SeriesForm(BaseForm):
    """A repeat rule and what each of its sessions is: times, venue and places."""

    max_sessions = recurrence.MAX_OCCURRENCES

    first_day = DayField(
        _l("First day"),
        validators=[ValueRequired(_l("Please choose the first day."))],
        render_kw={"type": "date"},
    )
    frequency = SelectField(
        _l("Repeats"),
        choices=Frequency.choices(),
        default=Frequency.WEEKLY.value,
    )
    interval = _numeric(
        _l("Every how many days, weeks or months"),
        ValueRequired(_l("Please enter how often the series repeats, e.g. 1.")),
    )
    weekdays = SelectMultipleField(
        _l("On these days of the week"),
        coerce=int,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    monthly_by = RadioField(
        _l("Each month"),
        choices=MonthlyBy.choices(),
        default=MonthlyBy.DAY_OF_MONTH.value,
    )
    month_day = _numeric(_l("Day of the month"))
    ordinal = SelectField(
        _l("Which one"),
        coerce=int,
        choices=[
            (1, _l("1st")),
            (2, _l("2nd")),
            (3, _l("3rd")),
            (4, _l("4th")),
            (-1, _l("last")),
        ],
    )
    weekday = SelectField(_l("Day of the week"), coerce=int)
    all_day = BooleanField(_l("All day"))
    start_time = ClockField(_l("Starts"), render_kw={"type": "time"})
    end_time = ClockField(_l("Ends"), render_kw={"type": "time"})
    venue_id = SelectField(
        _l("Venue"),
        coerce=_optional_int,
        validate_choice=False,
        validators=[OneOfChoices(_l("Please choose a venue."))],
    )
    capacity = CapacityField(
        lazy_pgettext("capacity", "Places"),
        render_kw={"inputmode": "numeric", "placeholder": _l("no limit")},
    )
    ends = RadioField(
        _l("The series ends"),
        choices=[("count", _l("After a number of sessions")), ("until", _l("On a last day"))],
        default="count",
    )
    count = _numeric(_l("Number of sessions"))
    until = DayField(_l("Last day"), render_kw={"type": "date"})
    exdates = TextAreaField(
        _l("No session on these days"), render_kw={"rows": 3, "placeholder": "2026-10-01"}
    )
    skip_holidays = BooleanField(_l("Skip public holidays"))
    working_calendar = BooleanField(_l("Follow the official working calendar"))
    preview = SubmitField(_l("Preview"))
    save = SubmitField(_l("Save"))

    def offer(self, venue_ids: list[int]) -> None:
        """Set the choices: weekdays named in the reader's language, and the venues."""
        locale = get_locale() or "zh"
        self.weekdays.choices = sorted(get_day_names("abbreviated", locale=locale).items())
        self.weekday.choices = sorted(get_day_names("wide", locale=locale).items())
        self.venue_id.choices = [(venue_id, str(venue_id)) for venue_id in venue_ids]

    def validate(self, extra_validators: Any = None) -> bool:
        """The fields one by one, then the rules that tie them together."""
        super().validate(extra_validators)
        self._check_times()
        self._check_end()
        self.exception_days: tuple[date, ...] = ()
        try:
            self.exception_days = parse_days(self.exdates.data or "")
        except ValueError as error:
            self.exdates.errors.append(error.args[0])
        rule_fields = [getattr(self, name) for name in RULE_FIELDS]
        if not any(field.errors for field in rule_fields):
            for name, message in recurrence.problems(self.rule(), self.first_day.data).items():
                self.add_problem(name, message)
        return not self.errors

    def field_for_error(self, name: str | None) -> Field:
        """The field a message of the rule or the service stands beside (see
        `outreach.attempt.show_error`): the one it names, else where the end is chosen."""
        field = self._fields.get(name) if name else None
        if field is None:  # about the end as a whole: shown where the end is chosen
            field = {"count": self.count, "until": self.until}.get(self.ends.data, self.ends)
        return field

    def add_problem(self, name: str, message: Any) -> None:
        """Show a message of the rule beside the field it names."""
        field = self.field_for_error(name)
        field.errors = [*field.errors, str(message)]

    def _check_times(self) -> None:
        start, end = self.start_time, self.end_time
        if self.all_day.data or start.errors or end.errors:
            return
        if start.data is None:
            start.errors.append(_("Please enter the start time, or tick “All day”."))
        if end.data is None:
            end.errors.append(_("Please enter the end time, or tick “All day”."))
        elif start.data is not None and end.data <= start.data:
            end.errors.append(_("The end time must be after the start time."))

    def _check_end(self) -> None:
        chosen = {"count": self.count, "until": self.until}.get(self.ends.data)
        if chosen is None or chosen.errors or chosen.data is not None:
            return
        if chosen is self.count:
            chosen.errors.append(_("Please enter the number of sessions."))
        else:
            chosen.errors.append(_("Please choose the last day."))

    def rule(self) -> Rule:
        """The repeat rule as entered; missing monthly details come from the first day."""
        first = self.first_day.data
        frequency = Frequency(self.frequency.data)
        fields: dict[str, Any] = {
            "frequency": frequency,
            "interval": self.interval.data or 0,
            "count": self.count.data if self.ends.data == "count" else None,
            "until": self.until.data if self.ends.data == "until" else None,
        }
        if frequency == Frequency.WEEKLY:
            fields["weekdays"] = tuple(sorted(set(self.weekdays.data or ())))
        elif frequency == Frequency.MONTHLY and self.monthly_by.data == MonthlyBy.WEEKDAY:
            fields["monthly_by"] = MonthlyBy.WEEKDAY
            fields["ordinal"] = self.ordinal.data
            fields["weekday"] = self.weekday.data
        elif frequency == Frequency.MONTHLY:
            fields["month_day"] = self.month_day.data or first.day
        return Rule(**fields)

    def plan(self) -> SeriesPlan:
        """The validated form as a plan for the series service."""
        all_day = bool(self.all_day.data)
        return SeriesPlan(
            rule=self.rule(),
            first_day=self.first_day.data,
            start_time=time.min if all_day else self.start_time.data,
            end_time=time.min if all_day else self.end_time.data,
            all_day=all_day,
            venue_id=self.venue_id.data,
            capacity=self.capacity.data,
            exdates=self.exception_days,
            skip_holidays=bool(self.skip_holidays.data),
            working_calendar=bool(self.working_calendar.data),
        )


def initial_data(plan: SeriesPlan | None, today: date) -> dict[str, Any]:
    """What the form shows before anything is typed: the saved series, or a weekly start."""
    if plan is None:
        first = today + timedelta(days=1)
        return {
            "first_day": first,
            "frequency": Frequency.WEEKLY.value,
            "interval": 1,
            "weekdays": [first.weekday()],
            "month_day": first.day,
            "ordinal": _ordinal_of(first),
            "weekday": first.weekday(),
            "start_time": time(9, 0),
            "end_time": time(11, 0),
            "ends": "count",
            "count": 10,
            "skip_holidays": True,
        }
    rule = plan.rule
    first = plan.first_day
    return {
        "first_day": first,
        "frequency": rule.frequency.value,
        "interval": rule.interval,
        "weekdays": list(rule.weekdays) or [first.weekday()],
        "monthly_by": rule.monthly_by.value,
        "month_day": rule.month_day or first.day,
        "ordinal": rule.ordinal or _ordinal_of(first),
        "weekday": first.weekday() if rule.weekday is None else rule.weekday,
        "all_day": plan.all_day,
        "start_time": None if plan.all_day else plan.start_time,
        "end_time": None if plan.all_day else plan.end_time,
        "venue_id": plan.venue_id,
        "capacity": plan.capacity,
        "ends": "count" if rule.count is not None else "until",
        "count": rule.count,
        "until": rule.until,
        "exdates": "\n".join(day.isoformat() for day in plan.exdates),
        "skip_holidays": plan.skip_holidays,
        "working_calendar": plan.working_calendar,
    }


def _ordinal_of(day: date) -> int:
    """Which of its weekday in the month a day is: 1 … 4, or -1 for a fifth (the last)."""
    number = (day.day - 1) // 7 + 1
    return -1 if number > 4 else number
