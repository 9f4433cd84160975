"""The one path that writes sessions: adding, changing (rescheduling, moving, resizing,
cancelling, restoring) and removing them, whoever asks: the editor, the series generator, the
calendar importer, the demo data.

Each function snapshots the session, changes it, touches it so calendar feeds see a higher
SEQUENCE and a later LAST-MODIFIED, writes its audit entry and sends `session_changed`, all in
the caller's transaction (flushes, never commits). A caller that writes one entry for a whole
batch (a series regenerated, a file imported, an event cloned) passes `audited=False`; the
rules a change must pass first (the editor's, the series') stay with the caller.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from outreach.accounts import audit
from outreach.database import db
from outreach.events.models import Event, EventSession, SessionStatus
from outreach.events.signals import session_changed
from outreach.localtime import local_date
from outreach.places.models import Venue

# What a session is made of, as its audit entries show it.
SESSION_FIELDS = ("starts_at", "ends_at", "all_day", "venue_id", "capacity")
STATUS_FIELDS = ("status", "cancellation_reason")
# A change to any of these moves the session in time or space: the audit calls it a reschedule.
RESCHEDULE_FIELDS = frozenset({"starts_at", "ends_at", "all_day", "venue_id"})
# What `change_session` may set (`venue` is stored as `venue_id` too).
CHANGEABLE = frozenset({*SESSION_FIELDS, "venue", *STATUS_FIELDS}) - {"venue_id"}


@dataclass(frozen=True)
class NewSession:
    """A session to add: when, where and for how many (times are aware instants).

    `uid` is the calendar UID when the caller keeps one of its own (an imported occurrence);
    otherwise a new one is made. `series_id` marks a session a series generated.
    """

    starts_at: datetime
    ends_at: datetime
    venue: Venue
    all_day: bool = False
    capacity: int | None = None
    uid: str | None = None
    series_id: int | None = None


def session_label(event_session: EventSession) -> str:
    """The event's title, the local day and the venue: enough to recognise a session."""
    day = local_date(event_session.starts_at).isoformat()
    return f"{event_session.event.title} · {day} · {event_session.venue.name}"


def _record(actor: Any, action: str, event_session: EventSession, changed: dict) -> None:
    audit.record(
        actor,
        action,
        event_session,
        organisation_id=event_session.event.organisation_id,
        label=session_label(event_session),
        changed=changed,
    )


def action_of(changed: dict[str, Any]) -> str:
    """How the audit and the signal name a change: cancel, restore, reschedule or update."""
    if "status" in changed:
        return "cancel" if changed["status"]["after"] == SessionStatus.CANCELLED else "restore"
    return "reschedule" if RESCHEDULE_FIELDS & changed.keys() else "update"


def add_sessions(
    actor: Any, event: Event, new: Sequence[NewSession], *, audited: bool = True
) -> list[EventSession]:
    """Add a scheduled session per item to the event; each gets its calendar UID.

    No signal is sent: nobody can have registered for, or subscribed to, a session that did
    not exist. With `audited`, each session gets a "create" entry.
    """
    created = []
    for item in new:
        event_session = EventSession(
            starts_at=item.starts_at,
            ends_at=item.ends_at,
            all_day=item.all_day,
            # The id too, not only the relationship: the audit snapshot reads it before a flush.
            venue=item.venue,
            venue_id=item.venue.id,
            capacity=item.capacity,
            status=SessionStatus.SCHEDULED,
            series_id=item.series_id,
        )
        if item.uid is not None:
            event_session.uid = item.uid
        event.sessions.append(event_session)
        created.append(event_session)
    if audited and created:
        db.session.flush()  # one INSERT for all, and the ids the entries point at
        for event_session in created:
            after = audit.snapshot(event_session, SESSION_FIELDS)
            _record(actor, "create", event_session, audit.changes({}, after))
    return created


def change_session(
    actor: Any,
    event_session: EventSession,
    *,
    audited: bool = True,
    signalled: bool = True,
    **values: Any,
) -> dict[str, Any]:
    """Set a session's time, place, capacity or status; returns what changed ({}: nothing).

    A real change touches the session, is audited (reschedule, update, cancel or restore) and
    signalled, so registrants hear of it once. `signalled=False` is for a caller that knows
    nobody registered (a series regenerating unbooked sessions) and spares the receivers.
    """
    unknown = values.keys() - CHANGEABLE
    if unknown:
        raise TypeError(f"change_session cannot set {', '.join(sorted(unknown))}")
    if "venue" in values:
        values["venue_id"] = values["venue"].id
    for name in ("starts_at", "ends_at"):
        if name in values:  # in UTC, as stored, so an unchanged time compares equal
            values[name] = values[name].astimezone(UTC)
    fields = tuple(name for name in (*SESSION_FIELDS, *STATUS_FIELDS) if name in values)
    before = audit.snapshot(event_session, fields)
    for name, value in values.items():
        setattr(event_session, name, value)
    changed = audit.changes(before, audit.snapshot(event_session, fields))
    if not changed:
        return changed
    event_session.touch()
    action = action_of(changed)
    if audited:
        _record(actor, action, event_session, changed)
    if signalled:
        session_changed.send(event_session, action=action, changed=changed)
    return changed


def remove_session(
    actor: Any, event_session: EventSession, *, audited: bool = True, signalled: bool = True
) -> None:
    """Delete a session nobody registered for (the caller makes sure); it leaves feeds.

    The entry keeps the label and the fields, as the row itself goes; the signal is sent
    while the row is still whole.
    """
    before = audit.snapshot(event_session, SESSION_FIELDS)
    changed = {name: {"before": value, "after": None} for name, value in before.items()}
    if audited:
        _record(actor, "delete", event_session, changed)
    if signalled:
        session_changed.send(event_session, action="delete", changed=changed)
    event_session.event.sessions.remove(event_session)  # delete-orphan deletes the row


def leave_series(event_sessions: Iterable[EventSession]) -> None:
    """The series that made these sessions is gone: they become single sessions.

    Not a change calendars see (no touch), nor one of its own in the audit: the series
    entry tells it.
    """
    for event_session in event_sessions:
        event_session.series_id = None


def follow_event(
    event_sessions: Iterable[EventSession],
    *,
    action: str | None = None,
    changed: dict[str, Any] | None = None,
) -> None:
    """The event changed in a way its sessions' calendar entries show: touch each of them.

    With an `action` (the event was cancelled or restored), the sessions not called off on
    their own go or come back with it: each is signalled, as when one session is cancelled,
    so registrants hear of it. The audit entry is the event's, written by the caller.
    """
    event_sessions = list(event_sessions)
    for event_session in event_sessions:
        event_session.touch()
    if action is None:
        return
    for event_session in event_sessions:
        if event_session.status == SessionStatus.SCHEDULED:
            session_changed.send(event_session, action=action, changed=changed or {})
