"""What every form shares: typed text cleared of invisible characters, the bilingual names,
select fields, and a form's values as a service's keyword arguments (submitting it: see
`outreach.attempt`)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import Input, Select
from wtforms.widgets.core import clean_key

from outreach.text import visible


def _visible(data: Any) -> Any:
    """Typed text without invisible characters; a field's parsed value (a date) as it is."""
    return visible(data) if isinstance(data, str) else data


class BaseForm(FlaskForm):
    """The base of every form: each text field (names, titles, labels, free text) drops
    control and format characters, bidirectional overrides and zero-width spaces among them
    (see `outreach.text.visible`), before its validators run. Passwords are kept as typed."""

    class Meta:
        def bind_field(self, form, unbound_field, options):
            """Add the filter to every text field but passwords."""
            field_class = unbound_field.field_class
            if issubclass(field_class, StringField) and not issubclass(field_class, PasswordField):
                filters = unbound_field.kwargs.get("filters", ())
                options = {**options, "filters": (_visible, *filters)}
            return unbound_field.bind(form=form, **options)


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


class NamesForm(BaseForm):
    """The Chinese name every place, organisation and category has, and its English name."""

    name = StringField(
        _l("Name in Chinese"),
        validators=[DataRequired(_l("Please enter the Chinese name.")), Length(max=160)],
    )
    name_en = StringField(_l("Name in English (optional)"), validators=[Length(max=160)])


def values(form: FlaskForm) -> dict[str, Any]:
    """The form's data by field name (without the CSRF token), as keyword arguments."""
    return {name: field.data for name, field in form._fields.items() if name != "csrf_token"}


class QuickSelect(Select):
    """WTForms' select, each plain option written in one step: an event page shows a
    registration form per session, each listing a township's communities, and the generic
    attribute writer cost more than the rest of the form. The same markup as WTForms'."""

    @classmethod
    def render_option(cls, choice, **kwargs) -> Markup:
        """`<option [selected ]value="…">label</option>`; anything unusual goes to WTForms."""
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        value = escape(choice.value).replace(Markup('"'), Markup("&quot;"))
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{value}">{label}</option>')


def quick_params(**kwargs: Any) -> Markup:
    """WTForms' `html_params` (the same attributes, sorted, `True` bare and `False` left
    out) without a template format per attribute: the registration forms of an event page
    write hundreds of them."""
    params = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            params.append(str(escape(key)))
        elif value is not False:
            params.append(f'{escape(key)}="{str(escape(value)).replace(chr(34), "&quot;")}"')
    return Markup(" ".join(params))


def quick(widget: type[Input]) -> type[Input]:
    """An input widget of WTForms writing its attributes with `quick_params`."""
    return type(f"Quick{widget.__name__}", (widget,), {"html_params": staticmethod(quick_params)})
