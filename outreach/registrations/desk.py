"""The check-in desk: a code typed or scanned, and what the desk tells staff about it.

A refused code is a RegistrationError: `invalid` (not a code), `unknown` (no registration
of this session has it), `waitlisted` or `closed` (cancelled)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from outreach.database import db
from outreach.errors import RuleError
from outreach.events.models import EventSession
from outreach.formatting import clock, day, name
from outreach.localtime import local_date
from outreach.registrations import services
from outreach.registrations.models import Registration, RegistrationStatus
from outreach.registrations.roster import clean_code
from outreach.registrations.services import RegistrationError

# The desk's word for each kind of refusal (the scan page's script reads it).
REFUSALS = {"closed": "cancelled", "waitlisted": "waitlisted", "unknown": "unknown"}


@dataclass(frozen=True)
class DeskResult:
    """What the desk tells staff after a code is typed or scanned.

    `outcome` is one of: checked_in, already, waitlisted, cancelled, unknown, invalid.
    """

    outcome: str
    message: str

    @property
    def ok(self) -> bool:
        """The resident is checked in now."""
        return self.outcome == "checked_in"

    @property
    def already(self) -> bool:
        """The resident had been checked in before: a second scan."""
        return self.outcome == "already"

    @classmethod
    def refused(cls, error: RuleError) -> DeskResult:
        """What the desk says of a refused code."""
        return cls(REFUSALS.get(error.kind, "invalid"), str(error))


def _who(registration: Registration) -> str:
    """Name, party size and slot of a registration, for the desk's messages."""
    people = ngettext("%(num)d person", "%(num)d people", registration.party_size)
    parts = [registration.name or registration.code, people]
    if registration.slot is not None:
        parts.append(registration.slot.label)
    return " · ".join(parts)


def _elsewhere(event_session: EventSession, code: str) -> RegistrationError:
    """Explain an unknown code; name the other session when it is of the same event."""
    other = db.session.scalar(
        select(Registration)
        .join(Registration.event_session)
        .where(Registration.code == code, EventSession.event_id == event_session.event_id)
        .options(joinedload(Registration.event_session).joinedload(EventSession.venue))
    )
    if other is None:
        message = _("No registration with this code for this session.")
        return RegistrationError(message, "code", "unknown")
    elsewhere = other.event_session
    message = _(
        "This code is for another session of this event: %(day)s %(time)s, %(venue)s.",
        day=day(local_date(elsewhere.starts_at)),
        time=clock(elsewhere.starts_at),
        venue=name(elsewhere.venue),
    )
    return RegistrationError(message, "code", "unknown")


def check_in(event_session: EventSession, code: str, *, actor, now=None) -> DeskResult:
    """Check a resident in by code; waitlisted, cancelled and unknown codes are refused."""
    cleaned = clean_code(code)
    if not re.fullmatch(r"[A-Z0-9]{1,20}", cleaned):
        raise RegistrationError(_("Please enter a confirmation code."), "code")
    registration = db.session.scalar(
        select(Registration)
        .where(Registration.session_id == event_session.id, Registration.code == cleaned)
        .options(joinedload(Registration.slot))
    )
    if registration is None:
        raise _elsewhere(event_session, cleaned)
    if registration.status == RegistrationStatus.WAITLISTED:
        # Refused by services.check_in too; the desk says who it is and where they stand.
        message = _(
            "Not checked in: %(who)s is on the waitlist (number %(position)d) "
            "and has no confirmed place.",
            who=_who(registration),
            position=services.waitlist_position(registration),
        )
        raise RegistrationError(message, "code", "waitlisted")
    result = services.check_in(registration, actor=actor, now=now)
    if result.already:
        at = clock(registration.checked_in_at)
        return DeskResult(
            "already",
            _("Already checked in at %(time)s: %(who)s", time=at, who=_who(registration)),
        )
    return DeskResult("checked_in", _("Checked in: %(who)s", who=_who(registration)))
