"""The resident's registration form and the manage page's forms."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, HiddenField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, InputRequired, Length, NumberRange, Optional

from outreach.registrations.services import RegistrationError, RegistrationRequest


class RegistrationForm(FlaskForm):
    """Name, mobile number, party size, slot, community, e-mail and consent."""

    session_id = HiddenField()
    name = StringField(
        _l("Full name"),
        validators=[DataRequired(_l("Please enter a name.")), Length(max=50)],
        render_kw={"autocomplete": "name"},
    )
    phone = StringField(
        _l("Mobile number"),
        validators=[DataRequired(_l("Please enter a mobile number.")), Length(max=30)],
        render_kw={"autocomplete": "tel", "inputmode": "tel"},
    )
    party_size = IntegerField(
        _l("Number of people"),
        default=1,
        validators=[
            InputRequired(_l("Please say how many people are coming.")),
            NumberRange(min=1, message=_l("At least one person.")),
        ],
        render_kw={"inputmode": "numeric", "min": 1},
    )
    slot = SelectField(_l("Time slot"), coerce=str, validate_choice=False, default="")
    community = SelectField(_l("Your community (optional)"), validate_choice=False, default="")
    email = EmailField(
        _l("E-mail (optional)"),
        validators=[Optional(), Email(_l("Please check the e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "email"},
    )
    consent = BooleanField(
        _l("I agree to the privacy notice."),
        validators=[DataRequired(_l("Please agree to the privacy notice."))],
    )

    def to_request(self, language: str) -> RegistrationRequest:
        """What the registration service needs, from the validated form."""
        slot = self.slot.data or ""
        community = self.community.data if self.community is not None else None
        return RegistrationRequest(
            name=self.name.data,
            phone=self.phone.data,
            party_size=self.party_size.data,
            consent=bool(self.consent.data),
            slot_id=int(slot) if slot.isdigit() else None,
            community_slug=community or None,
            email=self.email.data,
            language=language,
        )

    def show_error(self, error: RegistrationError) -> None:
        """Put a refusal of the rules next to the field it concerns (or above the form)."""
        field = getattr(self, error.field, None) if error.field else None
        (field.errors if field is not None else self.form_errors).append(error.message)


class PartySizeForm(FlaskForm):
    """Lower the number of people of a registration."""

    party_size = IntegerField(
        _l("Number of people"),
        validators=[InputRequired(_l("Please enter a number.")), NumberRange(min=1)],
    )


class ConfirmForm(FlaskForm):
    """A button with CSRF protection (such as cancelling)."""
