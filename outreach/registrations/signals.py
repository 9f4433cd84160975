"""Signals sent when registrations change, for higher layers (messages) to act on.

Receivers run in the same transaction as the change, so what they write (an outbox row) is
committed with it or not at all.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent with the Registration as sender (flushed, so it has an id) and `action`: "confirmed"
# or "waitlisted" (a new registration, online or at the desk), "promoted" (moved up from the
# waitlist), "cancelled"; and `actor`, the staff member who made the change, or None.
registration_changed = _signals.signal("registration-changed")

# Sent by the retention purge with `ids`, the registrations whose personal data were just
# erased, so that copies kept elsewhere (messages) are erased in the same transaction.
personal_data_purged = _signals.signal("personal-data-purged")

# Sent by the retention purge command (`flask purge-personal-data`) with `now`, after the
# registrations: packages above erase their own personal data past its time (followers) and
# return a line for the command to print. The command commits after it.
purging = _signals.signal("purging")

# Sent before a new registration takes its session's lock, with the Registration (not yet
# saved: no id; its status the likely outcome, its waitlist place a stand-in number) and
# `now`. A receiver returns what it will write for the registration, rendered now so that
# the lock is not held while texts are drawn up; the list comes back to it as `prepared`
# with "confirmed" or "waitlisted" of `registration_changed`. A value with a `companion`
# method (registration → `inserting.Companion` or None) has its row written by the
# registration's own INSERT, in the same statement where the database allows.
registration_preparing = _signals.signal("registration-preparing")
