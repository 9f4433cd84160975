"""Subscribe links for pages: a feed's address, its webcal:// form, Google's link, the https
page that explains the choices, and a QR code of that page.

Calendar apps subscribe to `webcal://` links (Apple opens them directly); Google's "add by
URL" page wants the webcal form URL-encoded; the plain address is for pasting into a calendar
that takes one. The QR code never carries the webcal link: WeChat's scanner (and many
Android cameras) cannot open it. It carries an https page of ours with every choice.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from flask import current_app, request
from flask_babel import gettext as _
from markupsafe import Markup
from werkzeug.exceptions import HTTPException

from outreach.i18n import current_language
from outreach.links import public_url
from outreach.qr import public_qr_svg, qr_svg

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
    """The ways to subscribe to one feed, and the page explaining them (what QR codes open)."""

    url: str
    webcal: str
    google: str
    page: str
    qr: Markup
    # The same sessions for news readers (public feeds of a place, organiser or kind only).
    atom: str | None = None
    rss: str | None = None


def webcal(url: str) -> str:
    """The `webcal://` form of an http(s) address, which calendar apps open as a subscription."""
    parts = urlsplit(url)
    return urlunsplit(("webcal", *parts[1:]))


def google_link(url: str) -> str:
    """Google Calendar's "add by URL" link, built from the URL-encoded webcal address."""
    return GOOGLE_ADD_BY_URL + quote(webcal(url), safe="")


def subscription(url: str, page: str | None = None) -> Subscription:
    """Every way to subscribe to the feed at `url`; `page` is the https page explaining them
    (by default the one of that feed: see page_for). The QR code of a public page is drawn
    once and kept; that of a resident's own feed, whose address is a secret, never."""
    page = page or page_for(url)
    draw = qr_svg if _feed_endpoint(url)[0] == "feeds.personal" else public_qr_svg
    return Subscription(
        url=url,
        webcal=webcal(url),
        google=google_link(url),
        page=page,
        qr=draw(page, scale=4, title=_("QR code of the page to add this calendar")),
    )


def page_for(url: str) -> str:
    """The https page that explains how to subscribe to one of our feeds, from its address.

    An address that is not one of our feeds is a ValueError: a page never explains others'.
    """
    parts = urlsplit(url)
    endpoint, args = _feed_endpoint(url)
    filters = {k: v for k, v in parse_qsl(parts.query) if k in SCOPES and k not in args}
    if endpoint == "feeds.personal":
        return public_url("feeds.subscribe_personal", token=args["token"], **_language())
    if endpoint == "feeds.event_feed":
        return public_url("feeds.event_calendar", event_id=args["event_id"], **_language())
    for kind, feed_endpoint in SCOPES.items():
        if endpoint == feed_endpoint:
            return public_url(
                "feeds.subscribe_page", kind=kind, slug=args["slug"], **filters, **_language()
            )
    raise ValueError(f"not a feed of this site: {url}")


def _feed_endpoint(url: str) -> tuple[str, dict]:
    """The endpoint and arguments of one of our addresses; ValueError for any other."""
    base_path = urlsplit(current_app.config.get("BASE_URL") or "").path.rstrip("/")
    path = urlsplit(url).path.removeprefix(base_path or request.script_root)
    try:
        return current_app.url_map.bind("localhost").match(path, method="GET")
    except HTTPException as error:
        raise ValueError(f"not a feed of this site: {url}") from error


def _language() -> dict[str, str]:
    """?lang= for a language other than the default (Chinese needs none)."""
    language = current_language()
    return {"lang": language} if language != current_app.config["BABEL_DEFAULT_LOCALE"] else {}


def scope_url(scope: str, slug: str, **filters: str) -> str:
    """The absolute address of a page's feed, in the reader's language."""
    return public_url(SCOPES[scope], slug=slug, **filters, **_language())


def event_url(event_id: int) -> str:
    """The absolute address of one event's (a campaign's) feed, in the reader's language."""
    return public_url("feeds.event_feed", event_id=event_id, **_language())


def subscribe_to(scope: str, slug: str, **filters: str) -> Subscription:
    """For templates: the subscription of a township's, community's, organisation's or
    category's feed, narrowed by ?category= or ?organisation= filters when given."""
    url = scope_url(scope, slug, **filters)
    # The Atom and RSS feeds sit beside the calendar (views.py: /feeds/<scope>/<slug>.atom),
    # so their addresses differ only in the ending: no more URL building on cached pages.
    path, mark, query = url.partition("?")
    stem = path.removesuffix(".ics")
    news = {kind: f"{stem}.{kind}{mark}{query}" for kind in ("atom", "rss")}
    return replace(subscription(url), **news)
