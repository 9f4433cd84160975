"""The resident's registration form and the manage page's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)
from wtforms.widgets import CheckboxInput, EmailInput, NumberInput, TextInput

from outreach.forms import BaseForm, QuickForm, QuickHidden, QuickSelect, quick
from outreach.registrations.limits import (
    EMAIL_LENGTH,
    MIN_PARTY_SIZE,
    NAME_LENGTH,
    PHONE_CODE_LENGTH,
    PHONE_LENGTH,
)
from outreach.registrations.phones import normalise_mobile
from outreach.registrations.services import WAITLIST_CHOICE, RegistrationRequest

# An event page shows a form per open session: their inputs write attributes the quick way.
QuickText, QuickNumber, QuickEmail = quick(TextInput), quick(NumberInput), quick(EmailInput)
QuickCheckbox = quick(CheckboxInput)


class RegistrationForm(QuickForm):
    """Name, mobile number, party size, slot, community, e-mail and consent."""

    # Hidden, so never labelled on the page; named here, or WTForms would translate a name
    # made from the field's with its own catalogue (read from disk once per request).
    session_id = HiddenField("session_id", widget=QuickHidden())
    name = StringField(
        _l("Full name"),
        validators=[
            DataRequired(_l("Please enter a name.")),
            Length(
                max=NAME_LENGTH,
                message=_l("Please enter a name (up to %(max)d characters).", max=NAME_LENGTH),
            ),
        ],
        render_kw={"autocomplete": "name"},
        widget=QuickText(),
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Please enter a mobile number.")), Length(max=PHONE_LENGTH)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
        widget=QuickText(),
    )
    # Shown only while phones are verified (registrations/verification.py); the rules say
    # when it is missing or wrong.
    phone_code = StringField(
        _l("Verification code"),
        validators=[Optional(), Length(max=PHONE_CODE_LENGTH)],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
        widget=QuickText(),
    )
    party_size = IntegerField(
        _l("Number of people (you included)"),
        default=MIN_PARTY_SIZE,
        validators=[
            InputRequired(_l("Please say how many people are coming.")),
            NumberRange(min=MIN_PARTY_SIZE, message=_l("At least one person.")),
        ],
        render_kw={"inputmode": "numeric", "min": MIN_PARTY_SIZE},
        widget=QuickNumber(),
    )
    slot = SelectField(
        _l("Time slot"), coerce=str, validate_choice=False, default="", widget=QuickSelect()
    )
    community = SelectField(
        _l("Your community (optional)"), validate_choice=False, default="", widget=QuickSelect()
    )
    email = EmailField(
        _l("E-mail (optional)"),
        validators=[
            Optional(),
            Email(_l("Please check the e-mail address.")),
            Length(max=EMAIL_LENGTH),
        ],
        render_kw={"autocomplete": "email"},
        widget=QuickEmail(),
    )
    consent = BooleanField(
        _l("I agree to the privacy notice."),
        validators=[DataRequired(_l("Please agree to the privacy notice."))],
        widget=QuickCheckbox(),
    )
    # Shown when places are short (and, ticked, as a hidden field when none are left): a
    # party that does not fit is waitlisted only when this says so.
    waitlist = BooleanField(WAITLIST_CHOICE, widget=QuickCheckbox())

    def validate_phone(self, field) -> None:
        """Checked here as well as by the rules, so that one submit reports every mistake."""
        if field.data and normalise_mobile(field.data) is None:
            raise ValidationError(_l("Please enter a valid mainland China mobile number."))

    def to_request(self, language: str) -> RegistrationRequest:
        """What the registration service needs, from the validated form."""
        slot = self.slot.data or ""
        community = self.community.data if self.community is not None else None
        return RegistrationRequest(
            name=self.name.data,
            phone=self.phone.data,
            party_size=self.party_size.data,
            consent=bool(self.consent.data),
            slot_id=int(slot) if slot.isascii() and slot.isdigit() else None,
            community_slug=community or None,
            email=self.email.data,
            language=language,
            # A form without the choice (the desk's) takes the waitlist as it comes.
            accept_waitlist=self.waitlist is None or bool(self.waitlist.data),
            phone_code=self.phone_code.data if self.phone_code is not None else None,
        )


class PartySizeForm(BaseForm):
    """Lower the number of people of a registration."""

    party_size = IntegerField(
        _l("Number of people"),
        validators=[InputRequired(_l("Please enter a number.")), NumberRange(min=MIN_PARTY_SIZE)],
    )


class ConfirmForm(BaseForm):
    """A button with CSRF protection (such as cancelling)."""
