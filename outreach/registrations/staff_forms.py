"""The roster's forms: check-in by code, codes ticked on a paper sign-in sheet, and a
registration made by staff at the booth."""

from __future__ import annotations

from dataclasses import replace

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import BooleanField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from outreach.forms import BaseForm
from outreach.i18n import current_language
from outreach.registrations.forms import RegistrationForm
from outreach.registrations.limits import CONTACT_NOTE_LENGTH, PHONE_LENGTH
from outreach.registrations.paper import MOST_CODES, codes_in
from outreach.registrations.seats import MAX_SEATS_ADDED
from outreach.registrations.services import NO_PHONE_CHOICE, RegistrationRequest


class CheckInForm(BaseForm):
    """A confirmation code, typed or scanned."""

    code = StringField(
        _l("Confirmation code"),
        validators=[
            DataRequired(_l("Please enter a confirmation code.")),
            Length(max=20, message=_l("A confirmation code has 6 characters.")),
        ],
        render_kw={
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
            "maxlength": 20,
        },
    )


class PaperCheckInForm(BaseForm):
    """The codes ticked on a paper sign-in sheet, typed in one go."""

    codes = TextAreaField(
        _l("Registration codes ticked on the sheet"),
        description=_l("Separate them with spaces, commas or new lines."),
        validators=[Length(max=MOST_CODES * 20)],
        render_kw={
            "rows": 8,
            "autocomplete": "off",
            "autocapitalize": "characters",
            "spellcheck": "false",
        },
    )

    def validate_codes(self, field) -> None:
        """At least one code, and no more than a session's sheets hold."""
        self.entered = codes_in(field.data)
        if not self.entered:
            raise ValidationError(_l("Please enter the codes ticked on the sheet."))
        if len(self.entered) > MOST_CODES:
            raise ValidationError(
                ngettext(
                    "Please enter at most %(num)d code at a time.",
                    "Please enter at most %(num)d codes at a time.",
                    MOST_CODES,
                )
            )


class WalkInForm(RegistrationForm):
    """The resident's form, filled in by staff: consent is the resident's spoken agreement."""

    session_id = None  # the URL names the session
    community = None  # asked online only, to keep the booth quick
    waitlist = None  # staff see the outcome and tell the resident there and then
    phone_code = None  # staff vouch for the number: no code is texted
    # Empty is allowed here when `no_phone` is ticked: the rules decide (services._contact).
    phone = StringField(
        _l("Mobile number"),
        validators=[Optional(), Length(max=PHONE_LENGTH)],
        render_kw={"autocomplete": "off", "inputmode": "tel"},
    )
    no_phone = BooleanField(NO_PHONE_CHOICE)
    contact_note = StringField(
        _l("How to reach them instead"),
        description=_l("For example: “registered by her daughter Li Hong, landline 6512 3456”."),
        validators=[
            Optional(),
            Length(
                max=CONTACT_NOTE_LENGTH,
                message=_l(
                    "Please write how to reach the resident: who registered them, or a "
                    "landline (up to %(max)d characters).",
                    max=CONTACT_NOTE_LENGTH,
                ),
            ),
        ],
        render_kw={"autocomplete": "off", "maxlength": CONTACT_NOTE_LENGTH},
    )
    consent = BooleanField(
        _l("The resident agreed to the privacy notice."),
        validators=[DataRequired(_l("Please confirm that the resident agreed."))],
    )

    def to_request(self, language: str) -> RegistrationRequest:
        """The resident's request, with the desk's choice of no mobile phone."""
        request = super().to_request(language)
        return replace(
            request, no_phone=bool(self.no_phone.data), contact_note=self.contact_note.data
        )

    def offer_slots(self, slots, maximum: int) -> None:
        """The session's slots to choose from, and the event's largest party."""
        language = current_language()
        self.slot.choices = [("", _l("Choose…"))] + [
            (str(s.id), s.label_and_times(language)) for s in slots
        ]
        self.party_size.render_kw = {**self.party_size.render_kw, "max": maximum}


class AddSeatsForm(BaseForm):
    """More seats for a full session, or one of its slots, added at the desk."""

    seats = IntegerField(
        _l("Places to add"),
        default=1,
        validators=[
            InputRequired(_l("Please enter how many places to add.")),
            NumberRange(
                min=1,
                max=MAX_SEATS_ADDED,
                message=_l("Add between 1 and %(max)d places.", max=MAX_SEATS_ADDED),
            ),
        ],
        render_kw={"inputmode": "numeric", "min": 1, "max": MAX_SEATS_ADDED},
    )
    slot = SelectField(_l("Add to"), coerce=str, default="")

    def offer_slots(self, slots) -> None:
        """The whole session, or one of its slots."""
        self.slot.choices = [("", _l("The whole session"))] + [
            (str(s.id), s.label_and_times(current_language())) for s in slots
        ]

    def slot_id(self) -> int | None:
        """The chosen slot's id; None for the whole session."""
        return int(self.slot.data) if self.slot.data else None
