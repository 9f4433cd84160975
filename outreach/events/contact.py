"""An event's contact phone: a mainland mobile, or a landline with its area code, validated
and formatted with the `phonenumbers` library."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat

from outreach import mainland
from outreach.events.models import CONTACT_PHONE_LENGTH


def normalise_contact_phone(raw: str | None) -> str | None:
    """The E.164 form of a valid mainland mobile or landline (area code included), else None.

    Accepts spaces, dashes and a leading +86 or 0086; a landline without its area code is not
    valid in China's numbering plan, so it is refused.
    """
    # Room for spaces and dashes.
    return mainland.e164(raw, longest=CONTACT_PHONE_LENGTH + 6, kinds=mainland.CALLABLE)


def shown_phone(stored: str) -> str:
    """A stored contact number as residents dial it at home: 010 8765 4321, 138 1234 5678."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, "CN")
    except NumberParseException:
        return stored
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
