"""What a message says: subject, plain text, HTML and text-message bodies, in the resident's
language, with absolute links to the site.
"""

from __future__ import annotations

from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from outreach.database import db
from outreach.events.contact import shown_phone
from outreach.events.models import EventSession
from outreach.formatting import clock, day, formatted_date, session_time
from outreach.i18n import current_language
from outreach.links import public_url, text_link
from outreach.localtime import local_date, local_zone
from outreach.messages.models import MessageChannel, MessageKind
from outreach.places.models import Venue
from outreach.registrations import services as registration_services
from outreach.registrations.models import Registration, RegistrationStatus
from outreach.smstext import TEMPLATES, Text, make

# Kinds whose e-mail carries the session as an .ics file (a waitlist place or a cancelled
# registration is not a date in the resident's calendar).
CALENDAR_KINDS = frozenset(
    {
        MessageKind.CONFIRMED,
        MessageKind.PROMOTED,
        MessageKind.SESSION_CANCELLED,
        MessageKind.SESSION_RESCHEDULED,
        MessageKind.SESSION_RESTORED,
        MessageKind.REMINDER,
    }
)


def language_of(registration: Registration) -> str:
    """The language the resident registered in, if the site speaks it; else the default."""
    languages = current_app.config["LANGUAGES"]
    return registration.language if registration.language in languages else languages[0]


def _one_line(text: str) -> str:
    return " ".join((text or "").split())


def _where(event_session: EventSession, language: str, venue: Venue | None = None) -> str:
    venue = venue or event_session.venue
    places = [venue.display_name(language)]
    if venue.community is not None:
        places.append(venue.community.display_name(language))
    places.append(venue.township.display_name(language))
    where = " · ".join(places)
    address = venue.text("address", language)
    if address:
        where = _("%(place)s, %(address)s", place=where, address=address)
    return where


def _when(starts_at: datetime, event_session: EventSession) -> str:
    return f"{day(local_date(starts_at), with_year=True)} {session_time(event_session)}"


@dataclass(frozen=True)
class Letter:
    """The parts of a message before they are laid out as text, HTML or a text message."""

    subject: str
    paragraphs: tuple[str, ...]
    facts: tuple[tuple[str, str], ...]
    manage_url: str
    language: str
    calendar: bool = False
    notice_text: str = ""
    # Whom to call about the event, for e-mails only (a text message has no room): a name,
    # the number as written, and the number to dial (tel:); empty when not given.
    contact_name: str = ""
    contact_phone: str = ""
    contact_tel: str = ""

    @property
    def contact(self) -> str:
        """The contact as one line of text: 王医生 010 8765 4321."""
        return " ".join(part for part in (self.contact_name, self.contact_phone) if part)

    # The words around the parts, translated here: the .txt templates are not extracted.
    labels: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Rendered:
    """A message as stored in the outbox."""

    subject: str
    body: str
    body_html: str
    # A text message's template and variables (template mode sends these).
    sms: Text | None = None


def _status_text(registration: Registration) -> str:
    if registration.is_active and registration.event_session.is_cancelled:
        # Still "confirmed" in the table, but there is nothing to come to.
        return _("The session is cancelled")
    if registration.status == RegistrationStatus.CONFIRMED:
        return _("Confirmed")
    if registration.status == RegistrationStatus.WAITLISTED:
        position = registration_services.waitlist_position(registration) or 0
        return _("Waitlist, number %(position)d", position=position)
    return _("Cancelled")


def _facts(registration: Registration, language: str) -> tuple[tuple[str, str], ...]:
    event_session = registration.event_session
    event = event_session.event
    facts = [
        (_("Event"), event.text("title", language)),
        (_("When"), _when(event_session.starts_at, event_session)),
        (_("Where"), _where(event_session, language)),
        (_("Organised by"), event.organisation.display_name(language)),
    ]
    if registration.slot is not None:
        facts.append((_("Time slot"), registration.slot.label_and_times(language)))
    facts += [
        (_("Number of people"), str(registration.party_size)),
        (_("Confirmation code"), registration.code),
        (_("Status"), _status_text(registration)),
    ]
    return tuple(facts)


def _before_change(event_session: EventSession, changed: dict, language: str) -> str:
    """Where and when the session was before a reschedule, from the audit's `changed`."""
    starts_at = event_session.starts_at
    before = (changed.get("starts_at") or {}).get("before")
    if isinstance(before, str):
        with suppress(ValueError):
            parsed = datetime.fromisoformat(before)
            starts_at = parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    venue = None
    venue_id = (changed.get("venue_id") or {}).get("before")
    if isinstance(venue_id, int):
        venue = db.session.get(Venue, venue_id)
    when = day(local_date(starts_at), with_year=True)
    if not event_session.all_day:
        when = f"{when} {clock(starts_at)}"
    return _(
        "Before the change: %(when)s, %(where)s",
        when=when,
        where=_where(event_session, language, venue),
    )


def _cancellation(event_session: EventSession) -> list[str]:
    """That the session is off, and why when staff said why."""
    lines = [_("We are sorry: this session has been cancelled.")]
    reason = event_session.cancellation_reason or event_session.event.cancellation_reason
    if reason:
        lines.append(_("Reason: %(reason)s", reason=reason))
    return lines


def _lead(kind: MessageKind, registration: Registration, context: dict) -> list[str]:
    """The opening paragraphs of each kind of message."""
    event_session = registration.event_session
    event = event_session.event
    code = registration.code
    if kind == MessageKind.CONFIRMED:
        return [
            _(
                "Your registration is confirmed. Please show your code %(code)s at the desk.",
                code=code,
            )
        ]
    if kind == MessageKind.WAITLISTED:
        position = registration_services.waitlist_position(registration) or 0
        return [
            _(
                "The session is full, so you are on the waitlist (number %(position)d). "
                "We will let you know as soon as a place is free for you.",
                position=position,
            )
        ]
    if kind == MessageKind.PROMOTED:
        return [
            _(
                "Good news: a place has become free and your registration is now confirmed. "
                "Please show your code %(code)s at the desk.",
                code=code,
            )
        ]
    if kind == MessageKind.CANCELLED:
        return [
            _(
                "Your registration has been cancelled. You are welcome to register again "
                "while places are left."
            )
        ]
    if kind == MessageKind.SESSION_CANCELLED:
        return _cancellation(event_session)
    if kind == MessageKind.SESSION_RESCHEDULED:
        return [
            _("The session has been changed. Please note the new time and place below."),
            _before_change(event_session, context.get("changed") or {}, context["language"]),
        ]
    if kind == MessageKind.SESSION_RESTORED:
        return [_("Good news: this session takes place after all. Your registration stands.")]
    if kind == MessageKind.REMINDER:
        if registration.status == RegistrationStatus.WAITLISTED:
            position = registration_services.waitlist_position(registration) or 0
            return [
                _(
                    "A reminder: you are still on the waitlist (number %(position)d) for this "
                    "session. We will let you know if a place becomes free.",
                    position=position,
                )
            ]
        return [_("A reminder of your session. Please bring your code %(code)s.", code=code)]
    # MessageKind.NOTICE: staff may write to the registrants of a cancelled session (they
    # chose it by name); the message must not read as if it were still on.
    lines = _cancellation(event_session) if event_session.is_cancelled else []
    return lines + [
        _(
            "A message from %(organisation)s about your registration:",
            organisation=event.organisation.display_name(context["language"]),
        )
    ]


def _subject(kind: MessageKind, registration: Registration, context: dict) -> str:
    event_session = registration.event_session
    title = event_session.event.text("title", context["language"])
    the_day = day(local_date(event_session.starts_at))
    subjects = {
        MessageKind.CONFIRMED: lambda: _("Registration confirmed: %(title)s", title=title),
        MessageKind.WAITLISTED: lambda: _("On the waitlist: %(title)s", title=title),
        MessageKind.PROMOTED: lambda: _("A place is free for you: %(title)s", title=title),
        MessageKind.CANCELLED: lambda: _("Registration cancelled: %(title)s", title=title),
        MessageKind.SESSION_CANCELLED: lambda: _(
            "Cancelled: %(title)s, %(day)s", title=title, day=the_day
        ),
        MessageKind.SESSION_RESCHEDULED: lambda: _(
            "Changed: %(title)s, now %(day)s", title=title, day=the_day
        ),
        MessageKind.SESSION_RESTORED: lambda: _(
            "Back on: %(title)s, %(day)s", title=title, day=the_day
        ),
        MessageKind.REMINDER: lambda: _(
            "Reminder: %(title)s, %(day)s %(time)s",
            title=title,
            day=the_day,
            time=session_time(event_session),
        ),
        MessageKind.NOTICE: lambda: context["notice_subject"],
    }
    return _one_line(subjects[kind]())[:300]


def letter(kind: MessageKind, registration: Registration, **context: Any) -> Letter:
    """The parts of a message of `kind` to `registration`; call in its language."""
    language = context.setdefault("language", language_of(registration))
    event_session = registration.event_session
    event = event_session.event
    paragraphs = _lead(kind, registration, context)
    notice_text = context.get("notice_body", "") if kind == MessageKind.NOTICE else ""
    if event_session.is_cancelled:
        # The file sent then is the STATUS:CANCELLED entry with a higher SEQUENCE.
        calendar_text = _(
            "The attached calendar file removes the session from your calendar, "
            "or marks it as cancelled there."
        )
    else:
        calendar_text = _("The attached calendar file puts the session in your calendar.")
    return Letter(
        subject=_subject(kind, registration, context),
        paragraphs=tuple(paragraphs),
        facts=_facts(registration, language),
        # With the language: the page would otherwise follow the browser's, maybe English.
        manage_url=public_url(
            "registrations.manage", token=registration.manage_token, lang=language
        ),
        language=language,
        calendar=kind in CALENDAR_KINDS,
        notice_text=notice_text,
        contact_name=event.contact_name,
        contact_phone=shown_phone(event.contact_phone),
        contact_tel=event.contact_phone,
        labels={
            "colon": _(": "),
            "contact": _("Enquiries"),
            # Nothing is left to change or cancel once the session is off.
            "manage": _("See your registration")
            if event_session.is_cancelled
            else _("See, change or cancel your registration"),
            "calendar": calendar_text,
            "why": _("You receive this message because you registered for this session."),
        },
    )


def _render(template: str, **context: Any) -> str:
    # From the environment, not render_template: no request or context processors needed.
    return current_app.jinja_env.get_template(template).render(**context)


def compose(
    kind: MessageKind, registration: Registration, channel: MessageChannel, **context: Any
) -> Rendered:
    """Subject and bodies of one message, in the registration's language, links absolute."""
    language = language_of(registration)
    with force_locale(language):
        if channel == MessageChannel.SMS:
            # A text message has a subject (the outbox shows it) but no letter.
            sms = text_message(kind, registration, language=language, **context)
            subject = _subject(kind, registration, {**context, "language": language})
            return Rendered(subject, sms.text, "", sms)
        parts = letter(kind, registration, language=language, **context)
        return Rendered(
            parts.subject,
            _render("messages/email.txt", letter=parts, kind=kind.value).strip() + "\n",
            _render("messages/email.html", letter=parts, kind=kind.value),
        )


# Babel patterns for the day in a text message: short, no weekday, no year; the time follows
# without a space in Chinese ("12月8日9:30").
SMS_DAY = {"zh": "M月d日", "en": "d MMM "}


def _sms_when(registration: Registration) -> str:
    """When to come, as short as it can be read: the slot's start when it has one, the date
    alone for an all-day session."""
    event_session = registration.event_session
    slot = registration.slot
    starts_at = slot.starts_at if slot is not None and slot.starts_at else event_session.starts_at
    language = current_language()
    the_day = formatted_date(local_date(starts_at), SMS_DAY.get(language, SMS_DAY["en"]), language)
    if event_session.all_day and (slot is None or slot.starts_at is None):
        return the_day.strip()
    local = starts_at.astimezone(local_zone())
    return f"{the_day}{local.hour}:{local.minute:02d}"  # Babel's H:mm


def _sms_template(kind: MessageKind, registration: Registration) -> str:
    if kind == MessageKind.REMINDER and registration.status == RegistrationStatus.WAITLISTED:
        return "reminder_waitlisted"
    if kind == MessageKind.NOTICE and registration.event_session.is_cancelled:
        return "notice_cancelled"
    return kind.value


def text_message(kind: MessageKind, registration: Registration, **context: Any) -> Text:
    """The text message of `kind` to `registration`, in one segment; call in its language."""
    language = context.get("language") or language_of(registration)
    event_session = registration.event_session
    template = _sms_template(kind, registration)
    values = {
        "title": event_session.event.text("title", language),
        "when": _sms_when(registration),
        "code": registration.code,
        # The short alias of the manage page: its language comes from the registration.
        "link": text_link(registration.link_key),
        "position": registration_services.waitlist_position(registration) or 0,
        "venue": event_session.venue.display_name(language),
        "notice": context.get("notice_body", ""),
    }
    pattern = TEMPLATES[template]
    params = {k: v for k, v in values.items() if f"%({k})s" in pattern}
    if registration.slot is not None and "when" in params:
        params["slot"] = registration.slot.text("label", language)
    return make(template, **params)
