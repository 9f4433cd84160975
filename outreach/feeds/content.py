"""What a calendar entry says about a session, in the reader's language (call with a request)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

from flask_babel import gettext as _
from flask_babel import ngettext

from outreach.database import Named
from outreach.events.models import Event, EventSession
from outreach.feeds.calendar import SessionFacts
from outreach.links import public_url
from outreach.registrations.models import Registration, RegistrationStatus
from outreach.registrations.services import seats_left


def seats_text(event_session: EventSession, taken: int) -> str:
    """Places left, "no limit", or full (with or without a waitlist)."""
    capacity = event_session.capacity
    if capacity is None:
        return _("No limit on places")
    if capacity == 0:
        return _("This session does not take registrations.")
    left = seats_left(capacity, taken) or 0
    if left > 0:
        return ngettext("%(num)d place left", "%(num)d places left", left)
    if event_session.event.allow_waitlist:
        return _("Full") + _(", waitlist open")
    return _("Full")


def _location(event_session: EventSession, language: str) -> str:
    venue = event_session.venue
    places = [venue.display_name(language)]
    if venue.community is not None:
        places.append(venue.community.display_name(language))
    places.append(venue.township.display_name(language))
    address = venue.text("address", language)
    return " · ".join(places) + (f", {address}" if address else "")


def _state(event_session: EventSession, taken: int | None) -> str:
    """The cancellation reason of a called-off session, else its places left."""
    if event_session.is_cancelled:
        return event_session.cancellation_reason or event_session.event.cancellation_reason
    return "" if taken is None else seats_text(event_session, taken)


# About how much of an event's summary and description a calendar entry carries: enough for
# what to bring, fasting before a blood test or the rain plan, not a whole imported page.
ABOUT_LIMIT = 2000
_SENTENCE_ENDS = "。！？；.!?;\n"


def about_event(event: Event, language: str, url: str) -> str:
    """The event's summary and description in the reader's language (else the Chinese), cut
    near ABOUT_LIMIT characters (at the end of a sentence when one is near) with a line
    sending the reader to the event page."""
    summary = event.text("summary", language).strip()
    description = event.text("description", language).strip()
    # Imported events often repeat the summary as the description's first sentence.
    repeated = summary and description.startswith(summary)
    parts = (description,) if repeated else (summary, description)
    text = "\n\n".join(part for part in parts if part)
    if len(text) <= ABOUT_LIMIT:
        return text
    cut = text[:ABOUT_LIMIT]
    sentence_end = max(cut.rfind(mark) for mark in _SENTENCE_ENDS)
    if sentence_end >= ABOUT_LIMIT * 3 // 4:
        cut = cut[: sentence_end + 1]
    more = _("More on the event page: %(url)s", url=url)
    return f"{cut.rstrip()}…\n{more}"


def session_facts(
    event_session: EventSession,
    language: str,
    *,
    taken: int | None = None,
    prefix: str = "",
    suffix: str = "",
    notes: tuple[str, ...] = (),
    changed_at: datetime | None = None,
    alarms: tuple[timedelta, ...] = (),
    window: tuple[datetime, datetime] | None = None,
    called_off: bool = False,
) -> SessionFacts:
    """What a calendar shows of a session, in the reader's language.

    `taken` (confirmed seats) adds the places left; `prefix` goes before the title (after
    "[Cancelled]") and `suffix` after it; `notes` are lines for the description; `changed_at`
    is a later change than the session's and event's own (a registration's, in a personal
    feed); `window` replaces the session's start and end (a slot's); `called_off` marks the
    entry cancelled although the session is not (a cancelled registration), one sequence on.
    """
    event = event_session.event
    # English feeds carry the English texts where staff gave them, else the Chinese.
    title = event.text("title", language)
    summary = f"{prefix} {title}" if prefix else title
    if suffix:
        summary = f"{summary} · {suffix}"
    cancelled = event_session.is_cancelled or called_off
    if cancelled:
        # Outlook ignores STATUS: the title itself says it. (Not inside the f-string, where
        # message extraction would not find it.)
        mark = _("[Cancelled]")
        summary = f"{mark} {summary}"
    url = public_url("events.event", event_id=event.id)
    parts = (about_event(event, language, url), *notes, _state(event_session, taken), url)
    venue = event_session.venue
    geo = None
    if venue.latitude is not None and venue.longitude is not None:
        geo = (float(venue.latitude), float(venue.longitude))
    last_modified = max(event_session.updated_at, event.updated_at)
    starts_at, ends_at = window or (event_session.starts_at, event_session.ends_at)
    return SessionFacts(
        uid=event_session.uid,
        summary=summary,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=event_session.all_day and window is None,
        sequence=event_session.sequence + (1 if called_off else 0),
        created=event_session.created_at,
        last_modified=max(last_modified, changed_at) if changed_at else last_modified,
        description="\n\n".join(part for part in parts if part),
        location=_location(event_session, language),
        url=url,
        organizer=event.organisation.display_name(language),
        categories=(event.category.display_name(language),),
        cancelled=cancelled,
        geo=geo,
        # Nobody needs reminding of a session that is off.
        alarms=() if cancelled else alarms,
    )


def slot_window(registration: Registration) -> tuple[datetime, datetime] | None:
    """The start and end of the registration's slot, when the slot has times of its own."""
    slot = registration.slot
    if slot is None or slot.starts_at is None:
        return None
    return slot.starts_at, slot.ends_at or slot.starts_at


def _registration_notes(registration: Registration, language: str) -> tuple[str, ...]:
    """Status and party size, then the slot's label and times when there is a slot."""
    status = str(registration.status.label)
    people = ngettext("%(num)d person", "%(num)d people", registration.party_size)
    notes = [f"{status} · {people}"]
    if registration.slot is not None:
        slot = registration.slot.label_and_times(language)
        notes.append(_("Time slot: %(slot)s", slot=slot))
    return tuple(notes)


def registration_facts(
    registration: Registration,
    language: str,
    reminder: timedelta,
    *,
    extra: tuple[str, ...] = (),
    alarms: tuple[timedelta, ...] | None = None,
) -> SessionFacts:
    """A resident's registration as a calendar entry: the session in the slot's time window,
    the slot's label, their status, reminders counted from the slot's start, but not the
    places left (a file imported once would keep the count of that day); `extra` lines
    (the code and the manage link, in the registration's own file). A cancelled registration
    is a cancelled entry with the same UID. Only a confirmed registration has reminders: a
    waitlisted family is not called to a session they may not have a place in."""
    waitlisted = registration.status == RegistrationStatus.WAITLISTED
    if registration.status != RegistrationStatus.CONFIRMED:
        alarms = ()
    slot = registration.slot
    return session_facts(
        registration.event_session,
        language,
        prefix=_("[Waitlist]") if waitlisted else "",
        suffix=slot.text("label", language) if slot is not None else "",
        notes=(*_registration_notes(registration, language), *extra),
        changed_at=registration.updated_at,
        alarms=(reminder,) if alarms is None else alarms,
        window=slot_window(registration),
        called_off=registration.status == RegistrationStatus.CANCELLED,
    )


def own_entry_lines(registration: Registration, manage_url: str) -> tuple[str, ...]:
    """What only the registration's own file says: the code to show at the desk (once there
    is a place to show it for) and the manage link."""
    manage = _("See, change or cancel your registration: %(url)s", url=manage_url)
    if registration.status != RegistrationStatus.CONFIRMED:
        return (manage,)
    code = _("Confirmation code: %(code)s (show it at the desk)", code=registration.code)
    return (code, manage)


def calendar_name(about: Mapping[str, Named], language: str) -> str:
    """ "大西洋新城社区 · 社区活动", "六里屯社区卫生服务中心 · 活动", or "全部社区活动"."""
    if not about:
        return _("All community events")
    names = [item.display_name(language) for item in about.values()]
    # An organisation's feed holds its own events; every other feed is the community's.
    suffix = _("Events") if "organisation" in about else _("Community events")
    return " · ".join((*names, suffix))
