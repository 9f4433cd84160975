"""The limits of what a resident (or staff for them) enters to register, defined once: the
registration form, the walk-in form, the API schema and the registration rules read them.

The one free-text note is how to reach a resident without a mobile phone (staff write it).
"""

from __future__ import annotations

NAME_LENGTH = 50  # characters, counted after runs of spaces are made one
PHONE_LENGTH = 30  # as typed, with spaces, dashes and a leading +86 or 0086
PHONE_CODE_LENGTH = 10  # a 6-digit verification code, with room for stray spaces
EMAIL_LENGTH = 254  # the longest address SMTP can carry (RFC 5321)
CONTACT_NOTE_LENGTH = 100  # who to reach instead of a mobile: a proxy, a landline
COMMUNITY_LENGTH = 80  # a community's slug, as the API takes it
MIN_PARTY_SIZE = 1  # the most is each event's own `max_party_size`
