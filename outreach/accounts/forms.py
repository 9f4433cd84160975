"""Forms of the staff accounts: signing in, one's own password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length

from outreach.forms import BaseForm


class LoginForm(BaseForm):
    """Username and password."""

    username = StringField(
        _l("Username"),
        validators=[DataRequired(_l("Please enter your username.")), Length(max=80)],
        render_kw={"autocomplete": "username", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Please enter your password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    remember = BooleanField(_l("Keep me signed in on this device"))


class CodeForm(BaseForm):
    """One code: six digits from the authenticator app, or a recovery code where allowed."""

    code = StringField(
        _l("Code from your authenticator app"),
        validators=[DataRequired(_l("Please enter the code.")), Length(max=40)],
        render_kw={
            "inputmode": "numeric",
            "autocomplete": "one-time-code",
            "autocapitalize": "none",
            "spellcheck": "false",
        },
    )


class OwnPasswordForm(BaseForm):
    """The signed-in person's new password, with their current one."""

    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Please enter your current password.")), Length(max=200)],
        render_kw={"autocomplete": "current-password"},
    )
    password = PasswordField(
        _l("New password (at least 10 characters)"),
        validators=[DataRequired(_l("Please enter a password.")), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )
