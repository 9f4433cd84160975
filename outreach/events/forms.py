"""Input of the public listings: filters, dates and page, validated with clear messages."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import (
    BooleanField,
    Field,
    FieldList,
    Form,
    FormField,
    IntegerField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    StopValidation,
    ValidationError,
)

from outreach.contract import Parameter
from outreach.errors import InvalidInput
from outreach.events.contact import normalise_contact_phone, shown_phone
from outreach.events.editing import SessionPlan, VenueGroup
from outreach.events.models import (
    CONTACT_NAME_LENGTH,
    DESCRIPTION_LENGTH,
    SUMMARY_LENGTH,
    TITLE_LENGTH,
    EventStatus,
)
from outreach.forms import BaseForm
from outreach.localtime import local_zone
from outreach.pagination import MAX_PAGE

MAX_PARTY_SIZE = 20
FIRST_YEAR, LAST_YEAR = 2000, 2100  # the years a typed date may name
MAX_REMINDER_HOURS = 168  # a week


@dataclass(frozen=True)
class ListingQuery:
    """The validated query string of a listing page or the events API."""

    township: str | None = None
    community: str | None = None
    category: str | None = None
    organisation: str | None = None
    date_from: date | None = None
    date_to: date | None = None
    page: int = 1

    def slugs(self) -> dict[str, str | None]:
        """The place, category and organisation filters by name."""
        return {
            "township": self.township,
            "community": self.community,
            "category": self.category,
            "organisation": self.organisation,
        }


def _date(raw: str | None) -> date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return parse_day(raw)
    except ValueError as error:
        raise InvalidInput(str(error)) from None


def _slug(raw: str | None) -> str | None:
    return (raw or "").strip()[:80] or None


def _page(raw: str | None) -> int:
    raw = (raw or "1").strip()
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= MAX_PAGE:
        raise InvalidInput(
            _("“%(value)s” is not a page number; pages count from 1.", value=raw[:20])
        )
    return int(raw)


# A day from parse_day's years (20xx or 2100), or empty (no filter: a field left blank).
_DAY = {
    "type": "string",
    "anyOf": [
        {"format": "date", "pattern": f"^(20[0-9]{{2}}|{LAST_YEAR})-[0-9]{{2}}-[0-9]{{2}}$"},
        {"maxLength": 0},
    ],
}
# The listing's query string, declared once: parse_listing_query reads these, and the API's
# OpenAPI document lists them. Unknown slugs are a 404; unreadable dates and pages a 400.
LISTING_QUERY = (
    Parameter("township", _slug, description=_l("Only sessions in this township (its slug).")),
    Parameter("community", _slug, description=_l("Only sessions in this community (its slug).")),
    Parameter("category", _slug, description=_l("Only events of this category (its slug).")),
    Parameter(
        "organisation", _slug, description=_l("Only events of this organisation (its slug).")
    ),
    Parameter(
        "from",
        _date,
        _DAY,
        _l("Only sessions on or after this day (YYYY-MM-DD, years 2000 to 2100)."),
    ),
    Parameter(
        "to", _date, _DAY, _l("Only sessions on or before this day (YYYY-MM-DD, not before from).")
    ),
    Parameter(
        "page",
        _page,
        {"type": "integer", "minimum": 1, "maximum": MAX_PAGE, "default": 1},
        _l("The page to show, from 1."),
    ),
)


# The API's events walk keyset pages (a `cursor`, see outreach.api.schemas), not numbered ones.
FILTER_QUERY = tuple(each for each in LISTING_QUERY if each.name != "page")


def parse_listing_query(
    args: MultiDict, declared: tuple[Parameter, ...] = LISTING_QUERY
) -> ListingQuery:
    """Validate a listing's query string; raises InvalidInput with a translated message."""
    given = {each.name: each.read(args.get(each.name)) for each in declared}
    if given["from"] and given["to"] and given["to"] < given["from"]:
        raise InvalidInput(_("The end date is before the start date."))
    return ListingQuery(
        township=given["township"],
        community=given["community"],
        category=given["category"],
        organisation=given["organisation"],
        date_from=given["from"],
        date_to=given["to"],
        page=given.get("page", 1),
    )


# ---------------------------------------------------------------------------------------------
# Staff editors: events, sessions (one by one, in rows, or venues × dates), cancel, clone.

MAX_CAPACITY = 100_000
MAX_CAMPAIGN_SESSIONS = 200
MAX_ROWS = 60
_CLOCK = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?")
_DATE_SEPARATORS = re.compile(r"[\s,;、，；]+")


def _typed(value: str | None) -> str:
    """What was typed, trimmed, with full-width digits and colons made plain (NFKC)."""
    return unicodedata.normalize("NFKC", value or "").strip()


def parse_day(raw: str) -> date:
    """A date typed as YYYY-MM-DD within the years the site handles; ValueError says why."""
    try:
        if len(raw) != 10:
            raise ValueError(raw)
        day = date.fromisoformat(raw)
    except ValueError:
        raise ValueError(
            _(
                "“%(value)s” is not a date; use the form YYYY-MM-DD, e.g. 2026-08-15.",
                value=raw[:20],
            )
        ) from None
    if not FIRST_YEAR <= day.year <= LAST_YEAR:
        raise ValueError(
            _("Please enter a date from %(first)d to %(last)d.", first=FIRST_YEAR, last=LAST_YEAR)
        )
    return day


def parse_clock(raw: str) -> time:
    """A time of day typed as HH:MM (24-hour); ValueError says why."""
    match = _CLOCK.fullmatch(raw)
    hour, minute = (int(match.group(1)), int(match.group(2))) if match else (99, 99)
    if hour > 23 or minute > 59:
        raise ValueError(
            _("“%(value)s” is not a time; use the form HH:MM, e.g. 09:30.", value=raw[:20])
        )
    return time(hour, minute)


def parse_capacity(raw: str) -> int | None:
    """Empty for no limit, else a whole number from 0 to MAX_CAPACITY; ValueError says why."""
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > MAX_CAPACITY:
        raise ValueError(
            _(
                "The capacity must be a whole number from 0 to %(max)d, or empty for no limit.",
                max=MAX_CAPACITY,
            )
        )
    return int(raw)


class _ParsedField(StringField):
    """A text input whose value is parsed; `data` is None when left empty."""

    def parse(self, raw: str) -> Any:
        """Turn the typed text (never empty) into a value, or raise ValueError."""
        raise NotImplementedError

    def show(self, value: Any) -> str:
        """The value as it is typed."""
        return str(value)

    def process_formdata(self, valuelist: list[str]) -> None:
        raw = _typed(valuelist[0] if valuelist else "")
        self.data = None
        if raw:
            self.data = self.parse(raw)

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return "" if self.data is None else self.show(self.data)

    @property
    def typed(self) -> bool:
        """Whether anything was entered."""
        return bool(_typed(self.raw_data[0] if self.raw_data else ""))


class DayField(_ParsedField):
    """A date, YYYY-MM-DD (what a browser's date picker sends)."""

    def parse(self, raw: str) -> date:
        return parse_day(raw)

    def show(self, value: date) -> str:
        return value.isoformat()


class ClockField(_ParsedField):
    """A local time of day, HH:MM."""

    def parse(self, raw: str) -> time:
        return parse_clock(raw)

    def show(self, value: time) -> str:
        return value.strftime("%H:%M")


class LocalMomentField(_ParsedField):
    """A local date and time (a browser's datetime-local input), stored as an aware instant."""

    def parse(self, raw: str) -> datetime:
        day, _separator, clock = raw.replace("T", " ").partition(" ")
        if not clock:
            raise ValueError(_("Please enter a date and a time, e.g. 2026-08-15 09:00."))
        moment = datetime.combine(parse_day(day), parse_clock(clock.strip()), local_zone())
        return moment.astimezone(UTC)

    def show(self, value: datetime) -> str:
        return value.astimezone(local_zone()).strftime("%Y-%m-%dT%H:%M")


class CapacityField(_ParsedField):
    """Places: a whole number, or empty for no limit."""

    def parse(self, raw: str) -> int | None:
        return parse_capacity(raw)


def _optional_int(value: Any) -> int | None:
    """A submitted id; anything that is not a number becomes None (and fails validation)."""
    if isinstance(value, int):
        return value
    text = str(value or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) < 10 else None


def _strip(value: Any) -> Any:
    return value.strip() if isinstance(value, str) else value


def _choice_values(field: Field) -> set[Any]:
    return {choice[0] for choice in field.choices or ()}


class OneOfChoices:
    """The field's value is one of its choices (set by the view); else the given message."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if field.data not in _choice_values(field):
            raise StopValidation(self.message)


class ValueRequired:
    """A parsed field (a day, a time, a number) must hold a value, else the given message; when
    parsing failed, the parse error already says what is wrong and stands alone."""

    def __init__(self, message: str) -> None:
        self.message = message

    def __call__(self, form: Form, field: Field) -> None:
        if field.errors:
            raise StopValidation()
        if field.data is None:
            raise StopValidation(self.message)


def _at_most(limit: int) -> Length:
    return Length(max=limit, message=_l("Please keep this to at most %(max)d characters."))


# A new or draft event is saved as one of these; cancelling has its own page.
STATUS_CHOICES = EventStatus.choices((EventStatus.DRAFT, EventStatus.PUBLISHED))


def _number_when_sent(_form: Form, field: Field) -> None:
    """A number must be entered; a form sent without the field keeps the value it had."""
    if not field.raw_data:
        raise StopValidation()
    if not field.raw_data[0].strip():
        field.errors[:] = []
        raise StopValidation(_("Please enter a number."))


class ContactPhoneField(StringField):
    """A contact number typed as people write it, kept in E.164, shown as it is dialled."""

    def _value(self) -> str:
        if self.raw_data:
            return self.raw_data[0]
        return shown_phone(self.data or "")

    def pre_validate(self, form: Form) -> None:
        typed = (self.data or "").strip()
        self.data = ""
        if not typed:
            return
        phone = normalise_contact_phone(typed)
        if phone is None:
            raise ValidationError(
                _(
                    "Please enter a mobile number or a landline with its area code, "
                    "such as 010 8765 4321."
                )
            )
        self.data = phone


class EventForm(BaseForm):
    """The event editor; the view sets the category and organisation choices."""

    title = StringField(
        _l("Title"),
        filters=[_strip],
        validators=[DataRequired(_l("Please enter a title.")), _at_most(TITLE_LENGTH)],
    )
    summary = TextAreaField(
        _l("Summary"),
        filters=[_strip],
        validators=[_at_most(SUMMARY_LENGTH)],
        render_kw={"rows": 2},
    )
    description = TextAreaField(
        _l("Description"),
        filters=[_strip],
        validators=[_at_most(DESCRIPTION_LENGTH)],
        render_kw={"rows": 10},
    )
    category_id = SelectField(
        _l("Category"),
        coerce=_optional_int,
        validate_choice=False,
        validators=[OneOfChoices(_l("Please choose a category."))],
    )
    organisation_id = SelectField(
        _l("Organisation"),
        coerce=_optional_int,
        validate_choice=False,
        validators=[OneOfChoices(_l("Please choose one of your organisations."))],
    )
    audience = StringField(
        _l("Who it is for"), filters=[_strip], validators=[_at_most(TITLE_LENGTH)]
    )
    contact_name = StringField(
        _l("Contact person (optional)"),
        filters=[_strip],
        validators=[_at_most(CONTACT_NAME_LENGTH)],
        render_kw={"autocomplete": "off"},
    )
    contact_phone = ContactPhoneField(
        _l("Contact phone (optional)"),
        render_kw={"type": "tel", "inputmode": "tel", "autocomplete": "off"},
    )
    # The English texts are optional: English pages show the Chinese where one is empty.
    title_en = StringField(
        _l("Title in English (optional)"),
        filters=[_strip],
        validators=[_at_most(TITLE_LENGTH)],
        render_kw={"lang": "en"},
    )
    summary_en = TextAreaField(
        _l("Summary in English (optional)"),
        filters=[_strip],
        validators=[_at_most(SUMMARY_LENGTH)],
        render_kw={"rows": 2, "lang": "en"},
    )
    description_en = TextAreaField(
        _l("Description in English (optional)"),
        filters=[_strip],
        validators=[_at_most(DESCRIPTION_LENGTH)],
        render_kw={"rows": 10, "lang": "en"},
    )
    audience_en = StringField(
        _l("Who it is for, in English (optional)"),
        filters=[_strip],
        validators=[_at_most(TITLE_LENGTH)],
        render_kw={"lang": "en"},
    )
    status = SelectField(
        _l("Status"),
        choices=STATUS_CHOICES,
        validate_choice=False,
        validators=[OneOfChoices(_l("Please choose draft or published."))],
    )
    max_party_size = IntegerField(
        _l("People per registration, at most"),
        default=4,
        validators=[
            InputRequired(_l("Please enter a number.")),
            NumberRange(1, MAX_PARTY_SIZE, _l("From 1 to %(max)d.", max=MAX_PARTY_SIZE)),
        ],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_PARTY_SIZE},
    )
    allow_waitlist = BooleanField(_l("Take a waitlist when a session is full"), default=True)
    one_registration_per_event = BooleanField(
        _l("One registration per phone number for the whole event (e.g. a screening)")
    )
    registration_opens_at = LocalMomentField(
        _l("Registration opens (optional)"), render_kw={"type": "datetime-local"}
    )
    registration_closes_at = LocalMomentField(
        _l("Registration closes (optional)"), render_kw={"type": "datetime-local"}
    )
    reminder_hours = IntegerField(
        _l("Reminder, hours before each session"),
        default=24,
        validators=[
            _number_when_sent,
            NumberRange(0, MAX_REMINDER_HOURS, _l("From 0 to %(max)d.", max=MAX_REMINDER_HOURS)),
        ],
        render_kw={"inputmode": "numeric", "min": 0, "max": MAX_REMINDER_HOURS},
    )

    def validate_registration_closes_at(self, field: Field) -> None:
        """The window must not close before it opens."""
        opens = self.registration_opens_at.data
        if field.data is not None and opens is not None and field.data <= opens:
            raise ValidationError(_("Registration must close after it opens."))

    def offer(self, categories: Iterable[Any], organisations: Iterable[Any], locale: str) -> None:
        """Fill the category and organisation lists, named in the reader's language."""
        self.category_id.choices = [(c.id, c.display_name(locale)) for c in categories]
        self.organisation_id.choices = [(o.id, o.display_name(locale)) for o in organisations]

    def column_values(self) -> dict[str, Any]:
        """The entered values by column name, for the editing services."""
        values = {
            "title": self.title.data,
            "summary": self.summary.data or "",
            "description": self.description.data or "",
            "audience": self.audience.data or "",
            "contact_name": self.contact_name.data or "",
            "contact_phone": self.contact_phone.data or "",
            "title_en": self.title_en.data or None,
            "summary_en": self.summary_en.data or None,
            "description_en": self.description_en.data or None,
            "audience_en": self.audience_en.data or None,
            "category_id": self.category_id.data,
            "organisation_id": self.organisation_id.data,
            "max_party_size": self.max_party_size.data,
            "allow_waitlist": self.allow_waitlist.data,
            "one_registration_per_event": self.one_registration_per_event.data,
            "registration_opens_at": self.registration_opens_at.data,
            "registration_closes_at": self.registration_closes_at.data,
            "reminder_hours": self.reminder_hours.data,
        }
        if "status" in self:
            values["status"] = EventStatus(self.status.data)
        return values


class _TimeFields:
    """Start, end, all day and capacity: shared by every session form."""

    start = ClockField(_l("Starts"), render_kw={"type": "time"})
    end = ClockField(_l("Ends"), render_kw={"type": "time"})
    all_day = BooleanField(_l("All day"))
    capacity = CapacityField(
        _l("Capacity"), render_kw={"inputmode": "numeric", "placeholder": _l("no limit")}
    )


class _SessionFields(_TimeFields):
    """One session: its date and venue on top of the times."""

    day = DayField(_l("Date"), render_kw={"type": "date"})
    venue = SelectField(_l("Venue"), coerce=_optional_int, validate_choice=False)


def _require(field: Field, message: str) -> bool:
    """Add `message` unless the field has a value or already says what is wrong."""
    if field.data is None and not field.errors:
        field.errors.append(message)
    return not field.errors


def _check_times(form: Any) -> bool:
    """Start and end are needed unless all day, and the end must come after the start."""
    if form.all_day.data:
        return not (form.capacity.errors or form.start.errors or form.end.errors)
    ok = _require(form.start, _("Please enter the start time."))
    ok = _require(form.end, _("Please enter the end time.")) and ok
    if ok and form.end.data <= form.start.data:
        form.end.errors.append(_("The end time must be after the start time."))
        ok = False
    return ok and not form.capacity.errors


def _check_session(form: Any) -> bool:
    """What every session needs: a date, a venue from the list, and sensible times."""
    ok = _require(form.day, _("Please enter the date."))
    if form.venue.data not in _choice_values(form.venue):
        form.venue.errors.append(_("Please choose a venue."))
        ok = False
    return _check_times(form) and ok


def _plan(form: Any) -> SessionPlan:
    """The session the fields describe (after validation)."""
    return SessionPlan(
        day=form.day.data,
        start=form.start.data,
        end=form.end.data,
        all_day=bool(form.all_day.data),
        venue_id=form.venue.data,
        capacity=form.capacity.data,
    )


def _venue_choices(groups: Iterable[VenueGroup]) -> list[tuple[int, str]]:
    return [(venue.id, venue.name) for group in groups for venue in group.venues]


class SessionRowForm(Form, _SessionFields):
    """One row of the sessions editor; a row left empty is ignored."""

    @property
    def blank(self) -> bool:
        """Nothing entered in the row."""
        parsed = (self.day, self.start, self.end, self.capacity)
        return not any(f.typed for f in parsed) and not self.all_day.data and not self.venue.data

    def validate(self, extra_validators: Any = None) -> bool:
        """Empty rows pass; a row with anything in it must be complete."""
        ok = super().validate(extra_validators)
        if self.blank:
            return True
        return _check_session(self) and ok


class SessionRowsForm(BaseForm):
    """Several sessions at once, one row each (date, times, venue, places): three rows, more
    on asking (each row offers every venue of the event's streets and townships)."""

    rows = FieldList(FormField(SessionRowForm), min_entries=3, max_entries=MAX_ROWS)

    def offer(self, groups: Sequence[VenueGroup], rows: int = 0) -> None:
        """Set the venue choices of every row, with at least `rows` rows."""
        while len(self.rows) < rows:
            self.rows.append_entry()
        choices = _venue_choices(groups)
        for row in self.rows:
            row.venue.choices = choices

    def validate(self, extra_validators: Any = None) -> bool:
        """Every filled row complete, and at least one row filled."""
        ok = super().validate(extra_validators)
        if ok and all(row.form.blank for row in self.rows):
            self.form_errors.append(_("Please fill in at least one row."))
            return False
        return ok

    def plans(self) -> list[SessionPlan]:
        """The filled rows as sessions to create, in row order."""
        return [_plan(row.form) for row in self.rows if not row.form.blank]

    def row_errors(self) -> list[str]:
        """A summary naming each row with a problem and the problem."""
        found = []
        for number, row in enumerate(self.rows, start=1):
            for errors in row.form.errors.values():
                for error in errors:
                    found.append(_("Row %(num)d: %(message)s", num=number, message=error))
        return found


class SessionForm(BaseForm, _SessionFields):
    """One session's date, times, venue and places, for rescheduling it."""

    def offer(self, groups: Sequence[VenueGroup]) -> None:
        """Set the venue choices."""
        self.venue.choices = _venue_choices(groups)

    def validate(self, extra_validators: Any = None) -> bool:
        """All of it is needed."""
        ok = super().validate(extra_validators)
        return _check_session(self) and ok

    def plan(self) -> SessionPlan:
        """The session as entered."""
        return _plan(self)


class CampaignForm(BaseForm, _TimeFields):
    """Sessions at every chosen venue on every listed date, all at the same times."""

    venues = SelectMultipleField(_l("Venues"), coerce=_optional_int, validate_choice=False)
    dates = TextAreaField(
        _l("Dates"),
        render_kw={"rows": 3, "placeholder": "2026-08-15\n2026-08-16"},
    )

    def offer(self, groups: Sequence[VenueGroup]) -> None:
        """Set the venue choices."""
        self.venues.choices = _venue_choices(groups)

    def days(self) -> list[date]:
        """The listed dates, sorted, each once; ValueError names the first bad one."""
        tokens = [_typed(token) for token in _DATE_SEPARATORS.split(self.dates.data or "")]
        return sorted({parse_day(token) for token in tokens if token})

    def _check_venues(self) -> bool:
        chosen = self.venues.data or []
        if not chosen:
            self.venues.errors.append(_("Please choose at least one venue."))
        elif not set(chosen) <= _choice_values(self.venues):
            self.venues.errors.append(_("Please choose venues from the list."))
        return not self.venues.errors

    def _check_days(self) -> bool:
        try:
            days = self.days()
        except ValueError as error:
            self.dates.errors.append(error.args[0])
            return False
        if not days:
            self.dates.errors.append(_("Please enter at least one date."))
            return False
        return True

    def validate(self, extra_validators: Any = None) -> bool:
        """Venues from the list, valid dates, sensible times, and not too many sessions."""
        ok = super().validate(extra_validators)
        ok = self._check_venues() and ok
        ok = self._check_days() and ok
        ok = _check_times(self) and ok
        if ok and len(self.plans()) > MAX_CAMPAIGN_SESSIONS:
            self.form_errors.append(
                _(
                    "That makes %(num)d sessions; please add at most %(max)d at once.",
                    num=len(self.plans()),
                    max=MAX_CAMPAIGN_SESSIONS,
                )
            )
            ok = False
        return ok

    def plans(self) -> list[SessionPlan]:
        """One session per date and venue, by date and then in the order of the venue list."""
        chosen = set(self.venues.data or [])
        venue_ids = [value for value, _label in self.venues.choices or () if value in chosen]
        return [
            SessionPlan(
                day=day,
                start=self.start.data,
                end=self.end.data,
                all_day=bool(self.all_day.data),
                venue_id=venue_id,
                capacity=self.capacity.data,
            )
            for day in self.days()
            for venue_id in venue_ids
        ]


class CancelForm(BaseForm):
    """The reason residents will read next to the cancelled event or session."""

    reason = TextAreaField(
        _l("Reason"),
        filters=[_strip],
        validators=[
            DataRequired(_l("Please give the reason; residents will see it.")),
            _at_most(500),
        ],
        render_kw={"rows": 3},
    )


class CloneForm(BaseForm):
    """Where a copy of an event starts, and optionally its new title."""

    first_day = DayField(
        _l("New first date"),
        validators=[ValueRequired(_l("Please enter the new first date."))],
        render_kw={"type": "date"},
    )
    title = StringField(
        _l("New title (optional)"), filters=[_strip], validators=[_at_most(TITLE_LENGTH)]
    )
