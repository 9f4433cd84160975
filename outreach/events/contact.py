"""An event's contact phone: a mainland mobile, or a landline with its area code, validated
and formatted with the `phonenumbers` library."""

from __future__ import annotations

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

from outreach.events.models import CONTACT_PHONE_LENGTH

# What a resident can ring: no premium, shared-cost or toll-free-only oddities.
_CALLABLE = frozenset(
    {PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE}
)


def normalise_contact_phone(raw: str | None) -> str | None:
    """The E.164 form of a valid mainland mobile or landline (area code included), else None.

    Accepts spaces, dashes and a leading +86 or 0086; a landline without its area code is not
    valid in China's numbering plan, so it is refused.
    """
    text = (raw or "").strip()
    if not text or len(text) > CONTACT_PHONE_LENGTH + 6:  # room for spaces and dashes
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in _CALLABLE:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)


def shown_phone(stored: str) -> str:
    """A stored contact number as residents dial it at home: 010 8765 4321, 138 1234 5678."""
    if not stored:
        return ""
    try:
        number = phonenumbers.parse(stored, "CN")
    except NumberParseException:
        return stored
    return phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL)
