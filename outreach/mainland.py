"""Mainland China phone numbers, parsed and checked once with the `phonenumbers` library: a
resident's mobile (registrations) and an event's contact line (events) both come here."""

from __future__ import annotations

from collections.abc import Collection

import phonenumbers
from phonenumbers import NumberParseException, PhoneNumberFormat, PhoneNumberType

MOBILE = frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE})
# What a resident can ring: no premium, shared-cost or toll-free-only oddities.
CALLABLE = MOBILE | {PhoneNumberType.FIXED_LINE}


def e164(raw: str | None, *, longest: int, kinds: Collection[PhoneNumberType]) -> str | None:
    """The E.164 form of a valid mainland number of one of `kinds`, else None. Accepts spaces,
    dashes and a leading +86 or 0086; text longer than `longest` is refused unread."""
    text = (raw or "").strip()
    if not text or len(text) > longest:
        return None
    try:
        number = phonenumbers.parse(text, "CN")
    except NumberParseException:
        return None
    if number.country_code != 86 or not phonenumbers.is_valid_number(number):
        return None
    if phonenumbers.number_type(number) not in kinds:
        return None
    return phonenumbers.format_number(number, PhoneNumberFormat.E164)
