"""Forms of the administration pages: organisations, members and accounts."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, HiddenField, PasswordField, SelectField, StringField
from wtforms.validators import AnyOf, DataRequired, Length

from outreach.accounts.models import OrganisationKind, Role
from outreach.forms import BaseForm, NamesForm, choice_field, options


class OrganisationForm(NamesForm):
    """An organisation's names and kind."""

    kind = choice_field(
        _l("Kind"),
        _l("Please choose what kind of organisation it is."),
        choices=options(OrganisationKind.choices()),
    )


def _role_field() -> SelectField:
    return choice_field(
        _l("Role"),
        _l("Please choose a role: manager, organiser or checker."),
        choices=options(Role.choices()),
        default=Role.ORGANISER.value,
    )


def _username_field(label) -> StringField:
    return StringField(
        label,
        validators=[DataRequired(_l("Please enter a username.")), Length(max=80)],
        render_kw={"autocomplete": "off", "autocapitalize": "none", "spellcheck": "false"},
    )


def _new_password_field(label) -> PasswordField:
    return PasswordField(
        label,
        validators=[DataRequired(_l("Please enter a password.")), Length(max=200)],
        render_kw={"autocomplete": "new-password"},
    )


class ExistingMemberForm(BaseForm):
    """Give an account that already exists a role in the organisation."""

    username = _username_field(_l("Username of the existing account"))
    role = _role_field()


class NewAccountForm(BaseForm):
    """A new staff account."""

    username = _username_field(_l("Username"))
    display_name = StringField(
        _l("Name shown on pages"),
        validators=[DataRequired(_l("Please enter the person's name.")), Length(max=120)],
    )
    password = _new_password_field(_l("Initial password (at least 10 characters)"))


class NewMemberForm(NewAccountForm):
    """A new staff account with a role in the organisation."""

    role = _role_field()


class NewAdminAccountForm(NewAccountForm):
    """A new account made by an administrator, who may make it an administrator too."""

    is_admin = BooleanField(_l("Site administrator"))


class RoleForm(BaseForm):
    """A member's new role."""

    role = _role_field()


class SwitchForm(BaseForm):
    """Turn a setting of an account on or off."""

    state = HiddenField(validators=[AnyOf(["on", "off"])])


class PasswordForm(BaseForm):
    """A new password for an account."""

    password = _new_password_field(_l("New password (at least 10 characters)"))
