"""Managing a session's slots: specialties, time windows, or both. Flushes, never commits."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select

from outreach.accounts import audit
from outreach.database import db
from outreach.errors import RuleError
from outreach.events.models import EventSession
from outreach.localtime import local_date, local_zone
from outreach.registrations.models import Registration, Slot
from outreach.registrations.services import lock_session, promote_waitlist, slot_seats_taken

SLOT_FIELDS = ("label", "label_en", "starts_at", "ends_at", "capacity")
MAX_SLOTS = 60


class SlotError(RuleError):
    """A slot change that cannot be made; the message is for the user."""


@dataclass(frozen=True)
class SlotPlan:
    """Labels (one slot each, or one per window) with a capacity, and optional windows."""

    labels: tuple[str, ...]
    capacity: int
    start: time | None = None
    end: time | None = None
    window_minutes: int | None = None
    # English names of some labels: {Chinese label: English label}.
    english: dict[str, str] = field(default_factory=dict)


def _windows(event_session: EventSession, plan: SlotPlan) -> list[tuple[datetime, datetime]]:
    """The time windows inside the session the plan asks for (none: whole-session slots)."""
    if plan.start is None or plan.end is None:
        return []
    zone, day = local_zone(), local_date(event_session.starts_at)
    first = datetime.combine(day, plan.start, zone)
    last = datetime.combine(day, plan.end, zone)
    if last <= first:
        raise SlotError(_("The end time must be after the start time."), "end")
    if first < event_session.starts_at or last > event_session.ends_at:
        raise SlotError(_("Time windows must lie inside the session."))
    step = timedelta(minutes=plan.window_minutes) if plan.window_minutes else last - first
    windows, cursor = [], first
    while cursor < last:
        windows.append((cursor, min(cursor + step, last)))
        cursor += step
    return windows


def add_slots(actor, event_session: EventSession, plan: SlotPlan) -> list[Slot]:
    """One slot per label, or per label and time window; audited."""
    windows = _windows(event_session, plan) or [(None, None)]
    wanted = len(plan.labels) * len(windows)
    if len(event_session.slots) + wanted > MAX_SLOTS:
        raise SlotError(_("A session can have at most %(max)d slots.", max=MAX_SLOTS))
    position = max((s.position for s in event_session.slots), default=0)
    created = []
    for label in plan.labels:
        for starts_at, ends_at in windows:
            position += 1
            slot = Slot(
                event_session=event_session,
                label=label,
                label_en=plan.english.get(label) or None,
                starts_at=starts_at,
                ends_at=ends_at,
                capacity=plan.capacity,
                position=position,
            )
            db.session.add(slot)
            created.append(slot)
    db.session.flush()
    for slot in created:
        _record(actor, "create", slot, audit.changes({}, audit.snapshot(slot, SLOT_FIELDS)))
    return created


def update_slot(actor, slot: Slot, label: str, capacity: int, label_en: str = "") -> None:
    """Rename a slot or change its capacity; a capacity below the seats taken is refused.

    Seats are counted with the session locked, and more seats go to the waitlist at once.
    """
    event_session = lock_session(slot.session_id)
    taken = slot_seats_taken([slot.id]).get(slot.id, 0)
    if capacity < taken:
        raise SlotError(_("%(num)d places are already taken in this slot.", num=taken), "capacity")
    before = audit.snapshot(slot, SLOT_FIELDS)
    slot.label, slot.capacity = label, capacity
    slot.label_en = (label_en or "").strip() or None
    changed = audit.changes(before, audit.snapshot(slot, SLOT_FIELDS))
    if changed:
        _record(actor, "update", slot, changed)
    if capacity > before["capacity"]:
        db.session.flush()
        promote_waitlist(event_session)


def delete_slot(actor, slot: Slot) -> None:
    """Remove a slot nobody has registered for."""
    in_use = db.session.scalar(
        select(func.count(Registration.id)).where(Registration.slot_id == slot.id)
    )
    if in_use:
        raise SlotError(
            _("Residents have registered for this slot; it cannot be deleted."), kind="closed"
        )
    before = audit.snapshot(slot, SLOT_FIELDS)
    _record(actor, "delete", slot, {k: {"before": v, "after": None} for k, v in before.items()})
    db.session.delete(slot)
    db.session.flush()


def _record(actor, action: str, slot: Slot, changed: dict) -> None:
    event_session = slot.event_session
    # The event page shows the session's slots: its cached copy's data version moves.
    event_session.touch(significant=False)
    audit.record(
        actor,
        action,
        slot,
        organisation_id=event_session.event.organisation_id,
        label=f"{event_session.event.title} · {slot.label}",
        changed=changed,
    )
