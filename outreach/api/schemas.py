"""The JSON bodies the API takes, declared once: `REGISTRATION.read` validates a body with a
message per field in the caller's language, and `REGISTRATION.schema()` is the body's JSON
Schema in the API's OpenAPI document (outreach.api.openapi). A new field is one line here."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from outreach.contract import Agreement, Body, Email, FieldErrors, Parameter, Text, Whole
from outreach.database import MAX_ID
from outreach.errors import InvalidInput
from outreach.registrations.limits import (
    COMMUNITY_LENGTH,
    EMAIL_LENGTH,
    MIN_PARTY_SIZE,
    NAME_LENGTH,
    PHONE_CODE_LENGTH,
    PHONE_LENGTH,
)
from outreach.registrations.services import RegistrationRequest

__all__ = [
    "PHONE_CODE",
    "REGISTRATION",
    "FieldErrors",
    "per_page_parameter",
    "phone_code_request",
    "registration_request",
]

REGISTRATION = Body(
    {
        "name": Text(NAME_LENGTH, required=True, description=_l("The resident's name.")),
        "phone": Text(
            PHONE_LENGTH,
            required=True,
            description=_l("A mainland mobile number, as typed (spaces, dashes, +86 allowed)."),
        ),
        "party_size": Whole(
            description=_l(
                "How many people come, the resident included (default 1; at most the "
                "event's own limit)."
            )
        ),
        "slot": Whole(
            minimum=1,
            maximum=MAX_ID,
            description=_l("The id of one of the session's slots; required when it has slots."),
        ),
        "community": Text(
            COMMUNITY_LENGTH, description=_l("The slug of the community the resident lives in.")
        ),
        "email": Email(
            EMAIL_LENGTH, description=_l("An e-mail address for the confirmation and reminders.")
        ),
        "phone_code": Text(
            PHONE_CODE_LENGTH,
            description=_l(
                "The code texted by POST /api/v1/phone-codes to this phone; required while "
                "phones are verified."
            ),
        ),
        "consent": Agreement(
            _l("Please agree to the privacy notice."),
            description=_l("Must be true: the resident agrees to the privacy notice."),
        ),
    }
)

# Step one of registering while phones are verified: a one-time code is texted to the phone.
PHONE_CODE = Body(
    {
        "phone": Text(
            PHONE_LENGTH,
            required=True,
            description=_l("The mainland mobile number to text the code to."),
        )
    }
)


def registration_request(body: Any, language: str) -> RegistrationRequest:
    """A RegistrationRequest from a JSON body, or FieldErrors naming every bad field."""
    values = REGISTRATION.read(body)
    party_size = values["party_size"]
    return RegistrationRequest(
        name=values["name"],
        phone=values["phone"],
        party_size=MIN_PARTY_SIZE if party_size is None else party_size,
        consent=True,
        slot_id=values["slot"],
        community_slug=values["community"],
        email=values["email"],
        language=language,
        phone_code=values["phone_code"],
    )


def _per_page(raw: str | None) -> int:
    if raw is None:
        return current_app.config["API_PER_PAGE"]
    maximum = current_app.config["API_MAX_PER_PAGE"]
    if not (raw.isascii() and raw.isdigit()) or not 1 <= int(raw) <= maximum:
        raise InvalidInput(_("per_page must be a whole number from 1 to %(max)d.", max=maximum))
    return int(raw)


def _cursor(raw: str | None) -> str | None:
    return raw or None  # its signature is checked where the page is read (a 400 if bad)


CURSOR_PARAMETER = Parameter(
    "cursor",
    _cursor,
    {"type": "string", "maxLength": 1000},
    _l(
        "Where the page starts: leave it out for the first page, then copy it from the "
        "previous answer's `next` link. It is opaque and signed: a changed or out-of-date "
        "cursor is answered 400."
    ),
)


def per_page_parameter() -> Parameter:
    """`per_page` of the events list: 1 to the configured API_MAX_PER_PAGE."""
    config = current_app.config
    return Parameter(
        "per_page",
        _per_page,
        {
            "type": "integer",
            "minimum": 1,
            "maximum": config["API_MAX_PER_PAGE"],
            "default": config["API_PER_PAGE"],
        },
        _l("How many events a page holds."),
    )


# A street or township of a city brings some 25 communities and 70 venues with it.
PLACES_PER_PAGE = 5


def _places_per_page(raw: str | None) -> int:
    return PLACES_PER_PAGE if raw is None else _per_page(raw)


def places_per_page_parameter() -> Parameter:
    """`per_page` of the places tree: streets and townships a page (5 unless asked)."""
    return Parameter(
        "per_page",
        _places_per_page,
        {**per_page_parameter().schema, "default": PLACES_PER_PAGE},
        _l("How many streets and townships a page holds, each with its communities and venues."),
    )


def phone_code_request(body: Any) -> str:
    """The phone of a request for a verification code, {"phone": …}, or FieldErrors."""
    return PHONE_CODE.read(body)["phone"]
