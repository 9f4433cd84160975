"""Receivers of the sessions' signals that registrations act on, in the same transaction.

Connected by `connect()`, which the package's init_app calls.
"""

from __future__ import annotations

from outreach.database import db
from outreach.events.models import EventSession
from outreach.events.signals import session_changed
from outreach.registrations import services


def _more_seats(changed: dict) -> bool:
    """Whether a change of capacity made room: raised, or made unlimited."""
    if "capacity" not in changed:
        return False
    before, after = changed["capacity"]["before"], changed["capacity"]["after"]
    return after is None or (before is not None and after > before)


def promote_when_seats_are_added(event_session: EventSession, **details) -> None:
    """More seats in a session go to its waitlist at once, in the same transaction."""
    if _more_seats(details.get("changed", {})) and not event_session.is_cancelled:
        db.session.flush()
        services.promote_waitlist(services.lock_session(event_session.id))


def connect() -> None:
    """Connect the receivers (again is harmless: a signal holds each receiver once)."""
    session_changed.connect(promote_when_seats_are_added)
