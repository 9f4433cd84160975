"""Signals sent when sessions change, for higher layers (registrations, messages) to act on.

Events cannot import registrations (imports flow one way); a signal lets the registration
rules react in the same transaction, such as confirming the waitlist when seats are added.
"""

from __future__ import annotations

from blinker import Namespace

_signals = Namespace()

# Sent by the one path that writes sessions (scheduling.py) with the EventSession as sender,
# and `action` ("update", "reschedule", "cancel", "restore", "delete") and `changed`
# ({field: {"before", "after"}}) as keyword arguments. Not sent for a session just added.
session_changed = _signals.signal("session-changed")
