"""The follow box's forms: a number or an e-mail address with consent, then the texted code."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, StringField
from wtforms.validators import DataRequired, InputRequired, Length

from outreach.follows.services import EMAIL_LENGTH

CONSENT = _l(
    "I agree that my number or e-mail address is kept to send me at most one message a day "
    "about new sessions here, until I stop them (every message has a link to stop)."
)


class FollowForm(FlaskForm):
    """The first step: where to send, and the consent."""

    contact = StringField(
        _l("Mobile number or e-mail address"),
        validators=[
            InputRequired(_l("Please enter a mobile number or an e-mail address.")),
            Length(max=EMAIL_LENGTH),
        ],
        render_kw={"autocomplete": "tel", "spellcheck": "false"},
    )
    consent = BooleanField(CONSENT, validators=[DataRequired(_l("Please tick the box to agree."))])

    def field_for_error(self, name: str | None):
        """The code machinery names `phone`: here that is the contact field."""
        return self.contact if name in ("phone", "contact") else None


class CodeForm(FlaskForm):
    """The second step for a number: the code texted to it (the number and consent carried)."""

    contact = HiddenField()
    consent = HiddenField()
    code = StringField(
        _l("Verification code"),
        validators=[
            InputRequired(_l("Please enter the code from the text message.")),
            Length(max=12),
        ],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )

    def field_for_error(self, name: str | None):
        """The code machinery names `phone_code`: here that is the code field; the hidden
        number's errors stand above the form."""
        return self.code if name in ("phone_code", "code") else None
