"""Subscribe links for pages: a feed's address, its webcal:// form, Google's link and a QR code.

Calendar apps subscribe to `webcal://` links (Apple opens them directly); Google's "add by
URL" page wants the webcal form URL-encoded; the plain address is for pasting into Outlook or
ICSx⁵. The QR code carries the webcal link, for posters and for phones.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote, urlsplit, urlunsplit

from flask import current_app, url_for
from flask_babel import gettext as _
from markupsafe import Markup

from outreach.i18n import current_language
from outreach.registrations.qr import qr_svg

# The kinds of page that have a feed of their own, and the feed endpoint of each.
SCOPES = {
    "township": "feeds.township",
    "community": "feeds.community",
    "organisation": "feeds.organisation",
    "category": "feeds.category",
}
GOOGLE_ADD_BY_URL = "https://calendar.google.com/calendar/r?cid="


@dataclass(frozen=True)
class Subscription:
    """The ways to subscribe to one feed."""

    url: str
    webcal: str
    google: str
    qr: Markup


def webcal(url: str) -> str:
    """The `webcal://` form of an http(s) address, which calendar apps open as a subscription."""
    parts = urlsplit(url)
    return urlunsplit(("webcal", *parts[1:]))


def google_link(url: str) -> str:
    """Google Calendar's "add by URL" link, built from the URL-encoded webcal address."""
    return GOOGLE_ADD_BY_URL + quote(webcal(url), safe="")


def subscription(url: str) -> Subscription:
    """Every way to subscribe to the feed at `url` (an absolute http or https address)."""
    link = webcal(url)
    return Subscription(
        url=url,
        webcal=link,
        google=google_link(url),
        qr=qr_svg(link, scale=4, title=_("QR code of the calendar subscription")),
    )


def scope_url(scope: str, slug: str, **filters: str) -> str:
    """The absolute address of a page's feed, in the reader's language (Chinese needs no ?lang)."""
    language = current_language()
    if language != current_app.config["BABEL_DEFAULT_LOCALE"]:
        filters["lang"] = language
    return url_for(SCOPES[scope], slug=slug, _external=True, **filters)


def event_url(event_id: int) -> str:
    """The absolute address of one event's (a campaign's) feed, in the reader's language."""
    language = current_language()
    extra = {"lang": language} if language != current_app.config["BABEL_DEFAULT_LOCALE"] else {}
    return url_for("feeds.event_feed", event_id=event_id, _external=True, **extra)


def subscribe_to(scope: str, slug: str, **filters: str) -> Subscription:
    """For templates: the subscription of a township's, community's, organisation's or
    category's feed, narrowed by ?category= or ?organisation= filters when given."""
    return subscription(scope_url(scope, slug, **filters))
