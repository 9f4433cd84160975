"""The check-in desk: a code typed or scanned, and what the desk tells staff about it.

A refused code is a RegistrationError: `invalid` (not a code), `unknown` (no registration
of this session has it), `waitlisted` or `closed` (cancelled); WrongDay when the code is
checked in on another day than the session's, until the desk confirms it."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from outreach.database import db, utcnow
from outreach.errors import RuleError
from outreach.events.models import EventSession
from outreach.formatting import clock, day, name
from outreach.i18n import current_language
from outreach.localtime import local_date
from outreach.registrations import roster, services
from outreach.registrations.models import Registration, RegistrationStatus
from outreach.registrations.roster import clean_code, mask_name
from outreach.registrations.services import RegistrationError

# The desk's word for each kind of refusal (the desk page's script reads it).
REFUSALS = {"closed": "cancelled", "waitlisted": "waitlisted", "unknown": "unknown"}
# The tone of the result card for each outcome: green, orange or red.
TONES = {"checked_in": "ok", "already": "warn", "waitlisted": "warn", "confirm": "warn"}


def _titles() -> dict[str, str]:
    return {
        "checked_in": _("Checked in successfully"),
        "already": _("Already checked in"),
        "confirm": _("Not today: check the day"),
        "undone": _("Check-in undone"),
    }


@dataclass(frozen=True)
class DeskResult:
    """What the desk tells staff after a code is typed or scanned, or a check-in undone.

    `outcome` is one of: checked_in, already, confirm (another day: tap again to check in),
    undone, waitlisted, cancelled, unknown, invalid. `registration` is the one the code found,
    when it may be shown; `code` and `people` are what was asked, to ask again.
    """

    outcome: str
    message: str
    registration: Registration | None = None
    code: str = ""
    people: int | None = None

    @property
    def ok(self) -> bool:
        """The resident is checked in now."""
        return self.outcome == "checked_in"

    @property
    def already(self) -> bool:
        """The resident had been checked in before: a second scan."""
        return self.outcome == "already"

    @property
    def tone(self) -> str:
        """ok, warn or error: the card's colour."""
        return TONES.get(self.outcome, "ok" if self.outcome == "undone" else "error")

    @classmethod
    def refused(cls, error: RuleError, code: str = "", people: int | None = None) -> DeskResult:
        """What the desk says of a refused code."""
        if isinstance(error, WrongDay):
            return cls("confirm", str(error), error.registration, code, people)
        return cls(REFUSALS.get(error.kind, "invalid"), str(error))

    def card(self) -> dict:
        """The result card's contents in plain values (the page and its script show them)."""
        card: dict = {
            "tone": self.tone,
            "title": _titles().get(self.outcome, _("Not checked in")),
            "message": self.message,
            "facts": [],
            "undo": None,
            "confirm": None,
            "quiet": False,
        }
        registration = self.registration
        if registration is None:
            return card
        facts = [
            (_("Full name"), mask_name(registration.name) or registration.code),
            (_("Arrived"), _("%(arrived)d of %(party)d", **_counts(registration))),
        ]
        if registration.slot is not None:
            facts.append((_("Time slot"), registration.slot.label_and_times(current_language())))
        if self.outcome == "already":
            facts.append((_("Checked in at"), clock(registration.checked_in_at)))
        card["facts"] = [{"label": label, "value": value} for label, value in facts]
        # The facts say it all to the eye, but for another day's check-in: the message is
        # then for screen readers only.
        card["quiet"] = self.outcome != "confirm"
        if registration.arrived:
            card["undo"] = {
                "url": url_for(
                    "roster.undo_check_in",
                    session_id=registration.session_id,
                    registration_id=registration.id,
                ),
                "people": registration.arrived,
                "code": registration.code,
            }
        if self.outcome == "confirm":
            card["confirm"] = {"code": self.code, "people": self.people or ""}
        return card


class WrongDay(RegistrationError):
    """A check-in on a day other than the session's local date: the desk must confirm it."""

    def __init__(self, message: str, registration: Registration) -> None:
        super().__init__(message, "confirm", "closed")
        self.registration = registration


def _counts(registration: Registration) -> dict[str, int]:
    return {"arrived": registration.arrived, "party": registration.party_size}


def _who(registration: Registration) -> str:
    """Name initial, party size and slot of a registration, for the desk's messages: the
    screen faces a queue, so the name is cut to its first character."""
    people = ngettext("%(num)d person", "%(num)d people", registration.party_size)
    parts = [mask_name(registration.name) or registration.code, people]
    if registration.slot is not None:
        parts.append(registration.slot.label_and_times(current_language()))
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


def _check_day(event_session: EventSession, registration: Registration, now) -> None:
    """Refuse a check-in on another local day than the session's, until the desk confirms."""
    today = local_date(now or utcnow())
    if today == local_date(event_session.starts_at):
        return
    message = _(
        "This session is on %(day)s, not today. Check the resident's session; "
        "tap “Check in anyway” only if they are right to be here.",
        day=day(local_date(event_session.starts_at)),
    )
    raise WrongDay(message, registration)


def check_in(
    event_session: EventSession,
    code: str,
    *,
    actor,
    people: int | None = None,
    any_day: bool = False,
    now=None,
) -> DeskResult:
    """Check `people` of a party in by code (all still to come when None); waitlisted,
    cancelled and unknown codes are refused, and a check-in on another day than the
    session's needs `any_day` (the desk's second tap)."""
    cleaned = clean_code(code)
    if not re.fullmatch(r"[A-Z0-9]{1,20}", cleaned):
        raise RegistrationError(_("Please enter a confirmation code."), "code")
    registration = db.session.scalar(
        select(Registration)
        .where(Registration.session_id == event_session.id, Registration.code == cleaned)
        .options(joinedload(Registration.slot))
        # Two desks scanning one family at once: the arrivals add up, one after the other.
        .with_for_update(of=Registration)
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
    if registration.is_active and registration.still_to_come and not any_day:
        _check_day(event_session, registration, now)
    result = services.check_in(registration, actor=actor, now=now, people=people)
    if result.already:
        at = clock(registration.checked_in_at)
        message = _("Already checked in at %(time)s: %(who)s", time=at, who=_who(registration))
        return DeskResult("already", message, registration)
    if registration.still_to_come:
        message = _(
            "Checked in %(arrived)d of %(party)d: %(who)s",
            who=_who(registration),
            **_counts(registration),
        )
    else:
        message = _("Checked in: %(who)s", who=_who(registration))
    return DeskResult("checked_in", message, registration)


def undo(event_session: EventSession, registration_id: int, *, actor, people=None) -> DeskResult:
    """Take back the check-in of `people` of a registration of this session (all when None)."""
    registration = roster.registration_of(event_session, registration_id, lock=True)
    services.undo_check_in(registration, actor=actor, people=people)
    message = _(
        "Check-in undone: %(arrived)d of %(party)d now checked in. %(who)s",
        who=_who(registration),
        **_counts(registration),
    )
    return DeskResult("undone", message, registration)
