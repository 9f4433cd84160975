"""The desk without network: the session's roster a desk keeps on the device for the day
(codes and masked names only), and the check-ins it made offline, sent later in one batch.

Each check-in made offline carries a key made on the device (a UUID) and the time the desk
checked the person in. The key is stored (OfflineCheckIn), so a batch sent twice counts once;
each check-in goes through the desk's own check-in (desk.check_in), at its original time; what
cannot be done any more (checked in on another device meanwhile, cancelled, unknown) comes back
to the desk as a conflict, item by item.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from outreach.accounts import audit
from outreach.database import db, utcnow
from outreach.events.models import EventSession
from outreach.formatting import clock
from outreach.i18n import current_language
from outreach.localtime import local_date, local_midnight
from outreach.registrations import desk
from outreach.registrations.models import OfflineCheckIn, Registration
from outreach.registrations.roster import clean_code, mask_name
from outreach.registrations.services import RegistrationError

# At most this many check-ins in one batch (a desk offline for a whole day sends fewer).
MOST_ITEMS = 500
CODE_LENGTH = 20
MOST_PEOPLE = 99
# A device's clock may run a little ahead of the server's: times this far ahead count as now.
CLOCK_SKEW = timedelta(minutes=5)
# What became of a check-in sent later; all but the first are conflicts the desk shows.
CHECKED_IN = "checked_in"
OUTCOMES = (CHECKED_IN, "already", "cancelled", "waitlisted", "unknown", "wrong_day", "refused")
# The desk's refusals (desk.DeskResult.refused) under the names a sync reports them by.
_REFUSED = {"cancelled": "cancelled", "waitlisted": "waitlisted", "unknown": "unknown"}
AUDIT_FIELDS = ("arrived", "checked_in_at", "checked_in_by_id")


@dataclass(frozen=True)
class Item:
    """One check-in made offline: its key, the code typed, how many people (None: the whole
    party) and when."""

    key: str
    code: str
    people: int | None
    at: datetime


def _invalid(number: int, problem: str) -> RegistrationError:
    return RegistrationError(
        _("Check-in %(number)d of the batch: %(problem)s", number=number, problem=problem),
        "items",
    )


def _read_item(number: int, raw: object) -> Item:
    if not isinstance(raw, dict):
        raise _invalid(number, _("it is not an object."))
    try:
        key = str(uuid.UUID(str(raw.get("key", ""))))
    except ValueError:
        raise _invalid(number, _("its key is not a UUID.")) from None
    code = raw.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > CODE_LENGTH:
        raise _invalid(number, _("its code is missing or too long."))
    people = raw.get("people")
    if people is not None and (
        isinstance(people, bool) or not isinstance(people, int) or not 1 <= people <= MOST_PEOPLE
    ):
        raise _invalid(number, _("the number of people must be a whole number from 1."))
    try:
        at = datetime.fromisoformat(str(raw.get("at", "")))
    except ValueError:
        at = None
    if at is None or at.tzinfo is None:
        raise _invalid(number, _("its time must be an ISO 8601 time with its offset."))
    return Item(key=key, code=clean_code(code), people=people, at=at)


def read_batch(payload: object) -> list[Item]:
    """The check-ins of a batch as the desk's script sends them:
    `{"items": [{"key": UUID, "code", "people": n or null, "at": ISO time with offset}]}`;
    anything else is refused with the first problem found."""
    items = payload.get("items") if isinstance(payload, dict) else None
    if not isinstance(items, list) or not items:
        raise RegistrationError(_("Send a JSON object with a list of check-ins in “items”."))
    if len(items) > MOST_ITEMS:
        message = _("Send at most %(most)d check-ins at once.", most=MOST_ITEMS)
        raise RegistrationError(message, "items")
    return [_read_item(number, raw) for number, raw in enumerate(items, start=1)]


def desk_roster(event_session: EventSession) -> dict:
    """What a desk keeps on the device for the session's day: each registration's code,
    masked name, party, arrivals, status and slot with its time; no phone number, no full
    name. `starts` and `expires` are the start and end of the session's local day: the
    device checks in only between them, and forgets the list at its end."""
    day = local_date(event_session.starts_at)
    language = current_language()
    registrations = db.session.scalars(
        select(Registration)
        .where(Registration.session_id == event_session.id)
        .options(joinedload(Registration.slot))
        .order_by(Registration.code)
    )
    return {
        "session": event_session.id,
        "day": day.isoformat(),
        "starts": local_midnight(day).isoformat(),
        "expires": local_midnight(day + timedelta(days=1)).isoformat(),
        "registrations": [
            {
                "code": registration.code,
                "name": "" if registration.purged_at else mask_name(registration.name),
                "party": registration.party_size,
                "arrived": registration.arrived,
                "status": registration.status.value,
                "slot": registration.slot.label_and_times(language) if registration.slot else "",
                "checked_in_at": _iso(registration.checked_in_at),
                "checked_in_clock": clock(registration.checked_in_at)
                if registration.checked_in_at
                else "",
            }
            for registration in registrations
        ],
    }


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _elsewhere_message(registration: Registration) -> str:
    return _(
        "Already checked in on another device at %(time)s.",
        time=clock(registration.checked_in_at),
    )


def _repeat_message(record: OfflineCheckIn) -> str:
    """What the desk is told of a check-in sent again: what became of it the first time."""
    registration = record.registration
    if record.outcome == CHECKED_IN:
        return _("Sent before and counted once.")
    if record.outcome == "already" and registration and registration.checked_in_at:
        return _elsewhere_message(registration)
    messages = {
        "cancelled": _("This registration has been cancelled."),
        "waitlisted": _("This registration is on the waitlist."),
        "unknown": _("No registration with this code for this session."),
    }
    return messages.get(record.outcome, _("Sent before, and not checked in then."))


def _answer(record: OfflineCheckIn, message: str, *, repeat: bool = False) -> dict:
    registration = (
        db.session.get(Registration, record.registration_id) if record.registration_id else None
    )
    return {
        "key": record.key,
        "code": record.code,
        "outcome": record.outcome,
        "conflict": record.outcome != CHECKED_IN,
        "message": message,
        "name": mask_name(registration.name) if registration and not registration.purged_at else "",
        "checked_in_at": _iso(registration.checked_in_at) if registration else None,
        "repeat": repeat,
    }


def _claim(record: OfflineCheckIn) -> bool:
    """Store the key before checking anyone in: of two batches with it sent at once, the
    second waits for the first and then finds it taken."""
    try:
        with db.session.begin_nested():
            db.session.add(record)
    except IntegrityError:
        return False
    return True


def _check_in(event_session: EventSession, item: Item, record: OfflineCheckIn, actor) -> str:
    """Check the item in as the desk does, at its time; the message for the desk."""
    found = db.session.scalar(
        select(Registration).where(
            Registration.session_id == event_session.id, Registration.code == item.code
        )
    )
    before = audit.snapshot(found, AUDIT_FIELDS) if found is not None else {}
    try:
        result = desk.check_in(
            event_session, item.code, actor=actor, people=item.people, now=record.checked_at
        )
    except desk.WrongDay as error:
        record.outcome, record.registration_id = "wrong_day", error.registration.id
        return str(error)
    except RegistrationError as error:
        # Refused before anything changed: the family's count, its status, its code.
        outcome = desk.DeskResult.refused(error).outcome
        record.outcome = _REFUSED.get(outcome, "already" if error.field == "people" else "unknown")
        record.registration_id = found.id if found is not None else None
        return str(error)
    registration = result.registration
    record.registration_id = registration.id
    if result.already:
        record.outcome = "already"
        return _elsewhere_message(registration)
    record.outcome = CHECKED_IN
    audit.record(
        actor,
        "check_in_synced",
        registration,
        organisation_id=event_session.event.organisation_id,
        label=registration.code,
        changed=audit.changes(before, audit.snapshot(registration, AUDIT_FIELDS)),
    )
    return result.message


def sync_one(event_session: EventSession, item: Item, *, actor, now: datetime) -> dict:
    """One check-in made offline, checked in now at its own time unless its key was seen."""
    seen = db.session.scalar(select(OfflineCheckIn).where(OfflineCheckIn.key == item.key))
    if seen is None:
        day_starts = local_midnight(local_date(event_session.starts_at))
        if item.at > now + CLOCK_SKEW or item.at < day_starts:
            message = _("Its time is in the future or before the session's day: not checked in.")
            return {
                "key": item.key,
                "code": item.code,
                "outcome": "refused",
                "conflict": True,
                "message": message,
                "name": "",
                "checked_in_at": None,
                "repeat": False,
            }
        record = OfflineCheckIn(
            key=item.key,
            session_id=event_session.id,
            code=item.code,
            people=item.people,
            outcome="refused",
            checked_at=min(item.at, now),
            synced_at=now,
            synced_by_id=actor.id,
        )
        if _claim(record):
            message = _check_in(event_session, item, record, actor)
            db.session.flush()
            return _answer(record, message)
        seen = db.session.scalar(select(OfflineCheckIn).where(OfflineCheckIn.key == item.key))
    if seen.session_id != event_session.id:
        raise RegistrationError(_("A check-in's key was sent for another session."), "items")
    return _answer(seen, _repeat_message(seen), repeat=True)


def sync(event_session: EventSession, items: list[Item], *, actor, now=None) -> list[dict]:
    """Check in a batch of check-ins made offline, each once whatever how often it is sent;
    what became of each, in order."""
    now = now or utcnow()
    return [sync_one(event_session, item, actor=actor, now=now) for item in items]
