"""Validation of JSON request bodies, with a message per field in the caller's language."""

from __future__ import annotations

from typing import Any

from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext as _

from outreach.errors import RuleError
from outreach.registrations.limits import (
    COMMUNITY_LENGTH,
    EMAIL_LENGTH,
    MIN_PARTY_SIZE,
    NAME_LENGTH,
    PHONE_CODE_LENGTH,
    PHONE_LENGTH,
)
from outreach.registrations.services import RegistrationRequest
from outreach.text import visible


class FieldErrors(RuleError):
    """Invalid fields of a JSON body, {field: message}, all reported at once (answered with
    422); the first one is the error's own field and message."""

    def __init__(self, fields: dict[str, str]) -> None:
        field, message = next(iter(fields.items()))
        super().__init__(message, field)
        self.by_field = fields

    @property
    def fields(self) -> dict[str, str]:
        """Every invalid field's message."""
        return self.by_field


def _text(body: dict[str, Any], key: str, errors: dict, required: bool, limit: int) -> str | None:
    value = body.get(key)
    if value is None or value == "":
        if required:
            errors[key] = _("This field is required.")
        return None
    if not isinstance(value, str) or len(value) > limit:
        errors[key] = _("Must be text of at most %(max)d characters.", max=limit)
        return None
    return visible(value)


def _whole(body: dict[str, Any], key: str, errors: dict, required: bool) -> int | None:
    value = body.get(key)
    if value is None:
        if required:
            errors[key] = _("This field is required.")
        return None
    # bool is an int in Python; true is not a party size.
    if isinstance(value, bool) or not isinstance(value, int):
        errors[key] = _("Must be a whole number.")
        return None
    return value


def registration_request(body: Any, language: str) -> RegistrationRequest:
    """A RegistrationRequest from a JSON body, or FieldErrors naming every bad field."""
    if not isinstance(body, dict):
        raise FieldErrors({"body": _("The body must be a JSON object.")})
    errors: dict[str, str] = {}
    name = _text(body, "name", errors, True, NAME_LENGTH)
    phone = _text(body, "phone", errors, True, PHONE_LENGTH)
    party_size = _whole(body, "party_size", errors, False)
    slot = _whole(body, "slot", errors, False)
    community = _text(body, "community", errors, False, COMMUNITY_LENGTH)
    email = _text(body, "email", errors, False, EMAIL_LENGTH)
    phone_code = _text(body, "phone_code", errors, False, PHONE_CODE_LENGTH)
    if email is not None and "email" not in errors:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = _("Please check the e-mail address.")
    if body.get("consent") is not True:
        errors["consent"] = _("Please agree to the privacy notice.")
    if errors:
        raise FieldErrors(errors)
    return RegistrationRequest(
        name=name or "",
        phone=phone or "",
        party_size=MIN_PARTY_SIZE if party_size is None else party_size,
        consent=True,
        slot_id=slot,
        community_slug=community,
        email=email,
        language=language,
        phone_code=phone_code,
    )


def phone_code_request(body: Any) -> str:
    """The phone of a request for a verification code, {"phone": …}, or FieldErrors."""
    if not isinstance(body, dict):
        raise FieldErrors({"body": _("The body must be a JSON object.")})
    errors: dict[str, str] = {}
    phone = _text(body, "phone", errors, True, PHONE_LENGTH)
    if errors:
        raise FieldErrors(errors)
    return phone or ""
