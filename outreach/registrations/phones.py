"""Chinese mobile numbers: validated and normalised once, in outreach.mainland."""

from __future__ import annotations

import functools

from outreach import mainland
from outreach.registrations.limits import PHONE_LENGTH


# A registration reads the number it was sent twice (with the session's stamp, then with the
# rest of the form): the library's parse is the dearer part of either.
@functools.lru_cache(maxsize=256)
def normalise_mobile(raw: str) -> str | None:
    """The E.164 form (+8613812345678) of a valid mainland China mobile number, else None.

    Accepts what residents type: spaces, dashes, a leading +86 or 0086.
    """
    return mainland.e164(raw, longest=PHONE_LENGTH, kinds=mainland.MOBILE)


def mask_mobile(phone: str) -> str:
    """A stored number with its middle hidden, as staff who may not see it whole read it:
    +8613812341234 becomes 138****1234."""
    digits = phone.removeprefix("+86")
    if len(digits) < 7:
        return "****"
    return f"{digits[:3]}****{digits[-4:]}"


def mask_digits(typed: str) -> str:
    """Digits someone typed, kept only as the mask shows a number: a whole mobile number as
    138****1234, any other run of digits as its last four behind stars (*****1234)."""
    phone = normalise_mobile(typed)
    if phone is not None:
        return mask_mobile(phone)
    digits = "".join(str(int(character)) for character in typed if character.isdecimal())
    return "*" * max(0, len(digits) - 4) + digits[-4:]
