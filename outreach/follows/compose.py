"""What follows' messages say: the e-mail confirmation link, and the digest (one line per
session by e-mail; a text that fits one segment where it can), each in the follower's
language with links from the configured public address and the one-tap unsubscribe link.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from flask_babel import force_locale, format_date, format_time
from flask_babel import gettext as _

from outreach.events.models import EventSession
from outreach.formatting import day, session_time
from outreach.links import public_url, short_url
from outreach.localtime import local_date
from outreach.messages.compose import SMS_DAY
from outreach.messages.models import MessageChannel, MessageKind
from outreach.messages.services import outbox_row
from outreach.smstext import FLOOR, Text, fits, make

if TYPE_CHECKING:
    from outreach.follows.models import Follower
    from outreach.follows.services import Target


def confirmation_row(
    address: str, target: Target, token: str, language: str, now: datetime
) -> dict[str, Any]:
    """The outbox row of the e-mail that asks to confirm a follow (its key: the link's)."""
    row = outbox_row(MessageKind.FOLLOW_CONFIRM, MessageChannel.EMAIL, address, language, now)
    with force_locale(language):
        name = target.row.display_name(language)
        link = public_url("follows.confirm_email", token=token, lang=language)
        row["dedupe_key"] = f"follow-confirm:{token[-40:]}"
        row["subject"] = _("Please confirm: follow %(name)s", name=name)[:300]
        row["body"] = "\n\n".join(
            [
                _(
                    "Someone (we hope you) asked to be told by e-mail of new sessions in "
                    "%(name)s. To confirm, open this link and press the button:",
                    name=name,
                ),
                link,
                _("If it was not you, ignore this e-mail: nothing is kept."),
            ]
        )
    return row


def stop_link(follower: Follower) -> str:
    """The one-tap unsubscribe link (a page with a button: scanners cannot stop anything)."""
    return short_url("follows.unsubscribe", token=follower.token)


def session_link(event_session: EventSession) -> str:
    """A short link to a session on its event page."""
    return short_url("follows.session_link", session_id=event_session.id)


def _sms_when(event_session: EventSession, language: str) -> str:
    starts_at = event_session.starts_at
    the_day = format_date(local_date(starts_at), SMS_DAY.get(language, SMS_DAY["en"])).strip()
    if event_session.all_day:
        return the_day
    return the_day + format_time(starts_at, "H:mm")


def _cut(word: str) -> str:
    kept = word.removesuffix("…")[:-1].rstrip()
    return kept + "…" if kept else ""


def text_message(follower: Follower, sessions: Sequence[EventSession], total: int) -> Text:
    """The digest as one text: every session with its link when that fits one segment
    (titles shortened, not below a few characters); else their titles, how many, and the
    link to the follower's page, which lists them and stops the messages."""
    language = follower.language
    stop = stop_link(follower)
    titles = [s.event.text("title", language) for s in sessions]
    if total > len(sessions):
        return _brief(sessions, total, language, stop)

    def listed() -> str:
        return _("; ").join(
            f"{title}{_sms_when(s, language)} {session_link(s)}"
            for title, s in zip(titles, sessions, strict=True)
        )

    text = make("follow_digest", sessions=listed(), stop=stop)
    while not fits(text.text):
        longest = max(range(len(titles)), key=lambda i: len(titles[i]))
        if len(titles[longest].rstrip("…")) <= FLOOR:
            break
        titles[longest] = _cut(titles[longest])
        text = make("follow_digest", sessions=listed(), stop=stop)
    if fits(text.text):
        return text
    return _brief(sessions, total, language, stop)


def _brief(sessions: Sequence[EventSession], total: int, language: str, stop: str) -> Text:
    return make(
        "follow_digest_brief",
        count=total,
        # Each title once: a series' sessions share theirs.
        title=_("; ").join(dict.fromkeys(s.event.text("title", language) for s in sessions)),
        stop=stop,
    )


def _where(event_session: EventSession, language: str) -> str:
    venue = event_session.venue
    places = [venue.display_name(language)]
    if venue.community is not None:
        places.append(venue.community.display_name(language))
    return " · ".join(places)


def email_body(follower: Follower, sessions: Sequence[EventSession], total: int) -> str:
    """The digest e-mail: one line per session (the rest counted), then how to stop."""
    language = follower.language
    lines = [_("New sessions in what you follow:"), ""]
    for s in sessions:
        when = f"{day(local_date(s.starts_at), with_year=False)} {session_time(s)}"
        title = s.event.text("title", language)
        lines.append(f"- {when} {title} ({_where(s, language)}) {session_link(s)}")
    if total > len(sessions):
        more = total - len(sessions)
        lines += ["", _("And %(count)d more; your page lists them all:", count=more)]
        lines.append(stop_link(follower))
    lines += [
        "",
        _("To stop these e-mails, open this link and press the button:"),
        stop_link(follower),
        _("You receive this e-mail because you chose to follow these on our site."),
    ]
    return "\n".join(lines) + "\n"


def digest_row(
    follower: Follower, sessions: Sequence[EventSession], total: int, key: str, now: datetime
) -> dict[str, Any]:
    """The outbox row of one digest: `sessions` named, `total` new in all."""
    row = outbox_row(MessageKind.DIGEST, follower.channel, follower.address, follower.language, now)
    row.update(dedupe_key=key, follower_id=follower.id)
    with force_locale(follower.language):
        row["subject"] = _("New sessions in what you follow (%(count)d)", count=total)
        if follower.channel == MessageChannel.SMS:
            text = text_message(follower, sessions, total)
            row.update(body=text.text, sms_template=text.template, sms_params=text.params)
        else:
            row["body"] = email_body(follower, sessions, total)
    return row
