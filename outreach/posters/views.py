"""Printable A4 posters: an event's schedule and a community's coming weeks, with QR codes.

Each poster carries two QR codes of absolute addresses, built like every external link from
the configured public address (BASE_URL, see outreach/links.py), never from the request's
Host: a poster printed from an internal address must still work in the lobby. One opens the
page to register on (or to see what is on), the other a page to subscribe to a calendar
feed. The calendar code opens a page rather than the feed itself: WeChat's scanner and most
Android cameras do not open webcal:// links, and an https link to the .ics would only import
the dates once; the page (a community's `/subscribe/community/<slug>`, a campaign's
`/events/<id>/calendar`) leads with what works in China, then offers the webcal:// button
and the address to copy.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

import segno
from flask import Blueprint, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from markupsafe import Markup

from outreach.i18n import current_language
from outreach.links import public_url
from outreach.localtime import local_today
from outreach.posters import forms, services

bp = Blueprint("posters", __name__)


@dataclass(frozen=True)
class Code:
    """A QR code on a poster, with what it does and its address written out."""

    url: str
    svg: Markup
    caption: str

    @property
    def shown_url(self) -> str:
        """The address without its scheme, for people who type it in."""
        scheme = urlsplit(self.url).scheme
        return self.url.removeprefix(f"{scheme}://")


def qr_code(url: str, caption: str) -> Code:
    """An inline SVG QR code of `url` that takes the size CSS gives it (a viewBox, no size)."""
    # Level Q survives a quarter of the code scuffed or covered: posters hang in lobbies.
    code = segno.make(url, error="q", micro=False)
    svg = code.svg_inline(scale=1, border=3, omitsize=True, dark="#000", light="#fff", title=url)
    return Code(url=url, svg=Markup(svg), caption=caption)


def _language_args(language: str) -> dict[str, str]:
    """Links on an English poster open English pages; Chinese needs no ?lang."""
    return {} if language == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": language}


def poster_url(endpoint: str, **values: object) -> str:
    """A poster's address in the language of the page linking to it."""
    return url_for(endpoint, **_language_args(current_language()), **values)


@bp.get("/events/<id:event_id>/poster")
def event(event_id: int):
    """A published event's coming sessions by township, community and venue, on one page."""
    language = forms.poster_language(request.args)
    with force_locale(language):
        poster = services.event_poster(event_id)
        args = _language_args(language)
        register = public_url("events.event", event_id=event_id, **args)
        if poster.community is not None:
            # One community: its feed also brings residents the community's other events.
            calendar = public_url(
                "feeds.subscribe_page", kind="community", slug=poster.community.slug, **args
            )
            calendar_caption = _("Scan to add this community's events to your phone's calendar")
        else:
            calendar = public_url("feeds.event_calendar", event_id=event_id, **args)
            calendar_caption = _("Scan to add every session to your phone's calendar")
        codes = (
            qr_code(register, _("Scan to see every session and register")),
            qr_code(calendar, calendar_caption),
        )
        return render_template(
            "posters/event.html",
            poster=poster,
            codes=codes,
            language=language,
            today=local_today(),
        )


@bp.get("/communities/<slug>/poster")
def community(slug: str):
    """A community's sessions of the coming weeks (?weeks=, 4 by default), on one page."""
    language = forms.poster_language(request.args)
    weeks = forms.parse_weeks(request.args)
    with force_locale(language):
        poster = services.community_poster(slug, weeks)
        args = _language_args(language)
        page = public_url("events.community", slug=slug, **args)
        calendar = public_url("feeds.subscribe_page", kind="community", slug=slug, **args)
        codes = (
            qr_code(page, _("Scan to see every session and register")),
            qr_code(calendar, _("Scan to add this community's events to your phone's calendar")),
        )
        return render_template(
            "posters/community.html",
            poster=poster,
            codes=codes,
            language=language,
            today=poster.first_day,
            week_choices=range(services.MIN_WEEKS, services.MAX_WEEKS + 1),
        )
