"""Declared input: each field of a JSON body reads a value (or says why not, in the caller's
language) and describes itself as JSON Schema (2020-12, the dialect of OpenAPI 3.1), so the
API's validation and its published document come from one declaration.

    BODY = Body({"name": Text(50, required=True), "party_size": Whole(minimum=1)})
    values = BODY.read(request_json)     # {name: value}, or FieldErrors naming every bad field
    BODY.schema()                        # {"type": "object", "properties": ..., "required": ...}

Query parameters are declared the same way (`Parameter`): the parser walks the declarations
that the document lists.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from outreach.errors import RuleError
from outreach.text import visible


class Invalid(ValueError):
    """A value a field refuses; the message is for the user, translated."""


class FieldErrors(RuleError):
    """Invalid fields of a JSON body, {field: message}, all reported at once (answered with
    422); the first one is the error's own field and message."""

    def __init__(self, fields: dict[str, str]) -> None:
        first, message = next(iter(fields.items()))
        super().__init__(message, first)
        self.by_field = fields

    @property
    def fields(self) -> dict[str, str]:
        """Every invalid field's message."""
        return self.by_field


def _required() -> Invalid:
    return Invalid(_("This field is required."))


def _nullable(schema: dict[str, Any]) -> dict[str, Any]:
    """The schema, also allowing null (an optional field left out or sent as null)."""
    return {**schema, "type": [schema["type"], "null"]}


@dataclass(frozen=True)
class Text:
    """A string of at most `max_length` characters; "" counts as left out."""

    max_length: int
    required: bool = False
    description: Any = ""  # a lazy string: the document is built in the reader's language

    def read(self, value: Any) -> str | None:
        """The text, None when left out, or Invalid."""
        if value is None or value == "":
            if self.required:
                raise _required()
            return None
        if not isinstance(value, str) or len(value) > self.max_length:
            raise Invalid(_("Must be text of at most %(max)d characters.", max=self.max_length))
        return self.clean(visible(value))  # bidirectional and zero-width controls taken out

    def clean(self, value: str) -> str:
        """The text as kept (a subclass may normalise or refuse it)."""
        return value

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the accepted values."""
        schema: dict[str, Any] = {"type": "string", "maxLength": self.max_length}
        if self.required:
            return {**schema, "minLength": 1}
        return _nullable(schema)


@dataclass(frozen=True)
class Email(Text):
    """An e-mail address, normalised (the domain lower-cased, Unicode in NFC)."""

    def clean(self, value: str) -> str:
        try:
            return validate_email(value, check_deliverability=False).normalized
        except EmailNotValidError:
            raise Invalid(_("Please check the e-mail address.")) from None

    def schema(self) -> dict[str, Any]:
        return {**super().schema(), "format": "email"}


@dataclass(frozen=True)
class Whole:
    """A whole number (JSON true and false are not numbers here), within bounds if given."""

    minimum: int | None = None
    maximum: int | None = None
    required: bool = False
    description: Any = ""

    def read(self, value: Any) -> int | None:
        """The number, None when left out, or Invalid."""
        if value is None:
            if self.required:
                raise _required()
            return None
        # bool is an int in Python; true is not a party size.
        if isinstance(value, bool) or not isinstance(value, int):
            raise Invalid(_("Must be a whole number."))
        low = self.minimum if self.minimum is not None else value
        high = self.maximum if self.maximum is not None else value
        if not low <= value <= high:
            raise Invalid(_("Must be a whole number from %(min)d to %(max)d.", min=low, max=high))
        return value

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the accepted values."""
        schema: dict[str, Any] = {"type": "integer"}
        if self.minimum is not None:
            schema["minimum"] = self.minimum
        if self.maximum is not None:
            schema["maximum"] = self.maximum
        return schema if self.required else _nullable(schema)


@dataclass(frozen=True)
class Agreement:
    """A box that must be ticked: only JSON true. `message` says why when it is not (a lazy
    string, translated when read)."""

    message: Any
    description: Any = ""
    required: bool = True

    def read(self, value: Any) -> bool:
        """True, or Invalid with the field's own message."""
        if value is not True:
            raise Invalid(str(self.message))
        return True

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the accepted values."""
        return {"const": True}


@dataclass(frozen=True)
class Body:
    """A JSON object's declared fields, in the order their errors are reported. Fields not
    declared are ignored."""

    fields: Mapping[str, Text | Whole | Agreement]

    def read(self, body: Any) -> dict[str, Any]:
        """Each declared field's value (None when left out), or FieldErrors naming every bad
        field."""
        if not isinstance(body, dict):
            raise FieldErrors({"body": _("The body must be a JSON object.")})
        values: dict[str, Any] = {}
        errors: dict[str, str] = {}
        for name, declared in self.fields.items():
            try:
                values[name] = declared.read(body.get(name))
            except Invalid as error:
                errors[name] = str(error)
        if errors:
            raise FieldErrors(errors)
        return values

    def schema(self) -> dict[str, Any]:
        """JSON Schema of the object."""
        properties = {}
        for name, declared in self.fields.items():
            properties[name] = declared.schema()
            if declared.description:
                properties[name]["description"] = str(declared.description)
        return {
            "type": "object",
            "properties": properties,
            "required": [name for name, declared in self.fields.items() if declared.required],
        }


@dataclass(frozen=True)
class Parameter:
    """A query parameter: the function that reads its raw text (None when absent; raises
    InvalidInput, a 400, when it cannot) and the JSON Schema of the values it accepts."""

    name: str
    read: Callable[[str | None], Any]
    schema: dict[str, Any] = field(default_factory=lambda: {"type": "string"})
    description: Any = ""
