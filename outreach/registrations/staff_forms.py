"""The roster's forms: check-in by code, codes ticked on a paper sign-in sheet, and a
registration made by staff at the booth."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from wtforms import BooleanField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from outreach.forms import BaseForm
from outreach.i18n import current_language
from outreach.registrations.forms import RegistrationForm
from outreach.registrations.paper import MOST_CODES, codes_in


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
    consent = BooleanField(
        _l("The resident agreed to the privacy notice."),
        validators=[DataRequired(_l("Please confirm that the resident agreed."))],
    )

    def offer_slots(self, slots, maximum: int) -> None:
        """The session's slots to choose from, and the event's largest party."""
        language = current_language()
        self.slot.choices = [("", _l("Choose…"))] + [
            (str(s.id), s.label_and_times(language)) for s in slots
        ]
        self.party_size.render_kw = {**self.party_size.render_kw, "max": maximum}
