"""What every staff form shares: the bilingual names, select fields, and submitting a form
whose rules live in a service."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from outreach.database import db
from outreach.errors import FieldError

T = TypeVar("T")


def options(pairs: Iterable[tuple[object, object]]) -> list[SelectChoice]:
    """Choices of a select field from (value, label) pairs."""
    return [SelectChoice(value, label) for value, label in pairs]


def choice_field(label, message, *, required: bool = True, **kwargs) -> SelectField:
    """A select field that answers a missing or unknown choice with `message`."""
    return SelectField(
        label,
        validators=[DataRequired(message)] if required else [],
        invalid_value_message=message,
        invalid_choice_message=message,
        **kwargs,
    )


class NamesForm(FlaskForm):
    """The Chinese name every place, organisation and category has, and its English name."""

    name = StringField(
        _l("Name in Chinese"),
        validators=[DataRequired(_l("Please enter the Chinese name.")), Length(max=160)],
    )
    name_en = StringField(_l("Name in English (optional)"), validators=[Length(max=160)])


def values(form: FlaskForm) -> dict[str, Any]:
    """The form's data by field name (without the CSRF token), as keyword arguments."""
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


def show_error(form: FlaskForm, error: FieldError) -> None:
    """Put a rule's message beside the field it names, or above the form when none matches."""
    target = form._fields.get(error.field)
    if target is None:
        form.form_errors.append(str(error))
    else:
        target.errors = [*target.errors, str(error)]


def submit(form: FlaskForm, action: Callable[[], T]) -> T | None:
    """Validate a posted form and carry out `action`: its result, not yet committed.

    None when the form is not posted or not valid, or when a rule refuses the action; the
    reason then stands beside its field, and the refused change is rolled back.
    """
    if not form.validate_on_submit():
        return None
    try:
        return action()
    except FieldError as error:
        db.session.rollback()
        show_error(form, error)
        return None
