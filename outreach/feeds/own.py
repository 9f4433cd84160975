"""A resident's own calendar file: what `/r/<token>.ics` serves and what confirmation,
promotion, change and reminder e-mails attach.

One builder for both, because both carry the UID and SEQUENCE of the resident's entry:
a file that said less (the whole morning instead of the slot's half-hour, no code) would
reset the entry already in their calendar when opened. Messages import it from here (feeds
never import messages).
"""

from __future__ import annotations

from datetime import timedelta

from flask import current_app
from flask_babel import force_locale

from outreach.feeds import content
from outreach.feeds.calendar import SessionFacts, build_calendar
from outreach.links import public_url
from outreach.localtime import local_zone
from outreach.registrations.models import Registration

# Reminders of a resident's own entry: the evening before (fasting, papers to bring) and
# FEED_REMINDER_MINUTES before the slot starts.
DAY_BEFORE = timedelta(days=1)


def reminder() -> timedelta:
    """How long before a session (or slot) starts a resident's calendar reminds them."""
    return timedelta(minutes=current_app.config["FEED_REMINDER_MINUTES"])


def own_entry(registration: Registration, language: str) -> SessionFacts:
    """The registration as its own calendar entry, in `language`: the slot's window, the code
    and the manage link; call in that language's locale."""
    manage = public_url("registrations.manage", token=registration.manage_token, lang=language)
    return content.registration_facts(
        registration,
        language,
        reminder(),
        extra=content.own_entry_lines(registration, manage),
        alarms=tuple(sorted({DAY_BEFORE, reminder()}, reverse=True)),
    )


def own_file(registration: Registration, language: str) -> bytes:
    """The registration's own calendar file, as it is now, in `language`."""
    with force_locale(language):
        facts = own_entry(registration, language)
        return build_calendar(facts.summary, [facts], local_zone(), refresh=None)
