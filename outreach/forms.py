"""What every form shares: typed text cleared of invisible characters, the bilingual names,
select fields, and a form's values as a service's keyword arguments (submitting it: see
`outreach.attempt`)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Form, PasswordField, SelectField, StringField
from wtforms.csrf.core import CSRFTokenField
from wtforms.fields import Label
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, HiddenInput, Input, Select
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
    """WTForms' select, written in one step when its choices are plain (value, label) pairs
    of text: an event page shows a registration form per session, each listing a
    township's communities, and WTForms' generic choice and attribute handling cost more
    than the rest of the form. The same markup as WTForms'."""

    def __call__(self, field, **kwargs) -> Markup:
        choices = field.choices
        if (
            self.multiple
            or field.coerce is not str
            or not isinstance(choices, list)
            or not all(type(choice) is tuple and len(choice) == 2 for choice in choices)
        ):
            return super().__call__(field, **kwargs)
        kwargs.setdefault("id", field.id)
        flags = vars(field.flags)
        for key in self.validation_attrs:
            if key in flags and key not in kwargs:
                kwargs[key] = flags[key]
        html = [f"<select {quick_params(name=field.name, **kwargs)}>"]
        picked = field.data
        for value, label in choices:
            if type(value) is not str:
                return super().__call__(field, **kwargs)
            selected = "selected " if value == picked else ""
            text = escape(label or value)
            html.append(f'<option {selected}value="{_value(value)}">{text}</option>')
        html.append("</select>")
        return Markup("".join(html))

    @classmethod
    def render_option(cls, choice, **kwargs) -> Markup:
        """`<option [selected ]value="…">label</option>`; anything unusual goes to WTForms."""
        if kwargs or choice.render_kw or not isinstance(choice.value, str):
            return super().render_option(choice, **kwargs)
        selected = "selected " if choice.selected else ""
        label = escape(choice.label or choice.value)
        return Markup(f'<option {selected}value="{_value(choice.value)}">{label}</option>')


# Characters an attribute's value cannot hold as they are.
_UNSAFE = re.compile(r"[&<>\"']")


def _value(value: Any) -> str:
    """An attribute's value as WTForms writes it: escaped, double quotes as `&quot;`."""
    kind = type(value)
    if kind is str and _UNSAFE.search(value) is None or kind is int:
        return str(value)  # nothing to escape (the common case: ids, names, numbers)
    return str(escape(value)).replace('"', "&quot;")


# Attribute names as WTForms writes them (`class_` as `class`, `data_x` as `data-x`), escaped:
# names come from code, so there are few of them.
_KEYS: dict[str, str] = {}


def _key(key: str) -> str:
    written = _KEYS.get(key)
    if written is None:
        written = str(escape(clean_key(key)))
        if len(_KEYS) < 1000:
            _KEYS[key] = written
    return written


def quick_params(**kwargs: Any) -> Markup:
    """WTForms' `html_params` (the same attributes, sorted, `True` bare and `False` left
    out) without a template format per attribute: the registration forms of an event page
    write hundreds of them."""
    params = []
    for key, value in sorted(kwargs.items()):
        if value is True:
            params.append(_key(key))
        elif value is not False:
            params.append(f'{_key(key)}="{_value(value)}"')
    return Markup(" ".join(params))


def _quick_input(self: Input, field: Any, **kwargs: Any) -> Markup:
    """WTForms' `Input` (and `CheckboxInput`) rendering, with the field's flags read from
    the few names the widget writes rather than from every attribute of the flags."""
    if getattr(field, "_datalist", None) is not None:
        return super(type(self), self).__call__(field, **kwargs)
    if isinstance(self, CheckboxInput) and getattr(field, "checked", field.data):
        kwargs.setdefault("checked", True)
    kwargs.setdefault("id", field.id)
    kwargs.setdefault("type", self.input_type)
    if "value" not in kwargs:
        kwargs["value"] = field._value()
    flags = vars(field.flags)
    for key in self.validation_attrs:
        if key in flags and key not in kwargs:
            value = flags[key]
            kwargs[key] = value() if callable(value) else value
    return Markup(f"<input {quick_params(name=field.name, **kwargs)}>")


def quick(widget: type[Input]) -> type[Input]:
    """An input widget of WTForms writing its attributes with `quick_params` (and, for a
    plain input or a checkbox, the whole input in one step)."""
    members: dict[str, Any] = {"html_params": staticmethod(quick_params)}
    if widget.__call__ in (Input.__call__, CheckboxInput.__call__):
        members["__call__"] = _quick_input
    return type(f"Quick{widget.__name__}", (widget,), members)


QuickHidden = quick(HiddenInput)


class QuickLabel(Label):
    """WTForms' label, written in one step when given no attributes; its text is already
    translated (see `quick_labels`)."""

    def __call__(self, text=None, **kwargs) -> Markup:
        if kwargs:
            return super().__call__(text, **kwargs)
        return Markup(f'<label for="{_value(self.field_id)}">{escape(text or self.text)}</label>')


def quick_labels(form: Form, texts: dict[str, str]) -> None:
    """Give each field of `form` a `QuickLabel`, its text from `texts` by field name, filled
    in from the field's own (lazily translated) label on first use: a page showing several
    forms of one kind translates each label once."""
    for name, field in form._fields.items():
        text = texts.get(name)
        if text is None:
            text = texts[name] = str(field.label.text)
        field.label = QuickLabel(field.id, text)


class QuickForm(BaseForm):
    """A form a page shows several of: its CSRF token's input written with `quick_params`."""

    class Meta(BaseForm.Meta):
        def bind_field(self, form, unbound_field, options):
            if issubclass(unbound_field.field_class, CSRFTokenField):
                options = {**options, "widget": QuickHidden()}
            return super().bind_field(form, unbound_field, options)

        def render_field(self, field, render_kw):
            """WTForms' (the field's own attributes, then those given), names cleaned once."""
            given = {_clean(key): value for key, value in render_kw.items()}
            if field.render_kw:
                given = {**{_clean(key): value for key, value in field.render_kw.items()}, **given}
            return field.widget(field, **given)


def _clean(key: str) -> str:
    """`clean_key` of WTForms: most names are already clean."""
    if key[-1:] == "_" or key.startswith(("data_", "aria_")):
        return clean_key(key)
    return key
