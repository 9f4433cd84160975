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

import hashlib

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _

from outreach.database import utcnow
from outreach.errors import NotFoundError
from outreach.feeds.cache import BuiltFeed, cached, remembered_version
from outreach.i18n import current_language
from outreach.links import base_url, public_url
from outreach.localtime import local_today
from outreach.pages import versions
from outreach.posters import forms, services, share, share_image
from outreach.posters.codes import qr_code

bp = Blueprint("posters", __name__)

# Raise when share images are drawn differently, so that images built by the old code (kept
# in Redis across a deployment) are not served by the new.
SHARE_IMAGE_FORMAT = "1"


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


def _share_args(session_id: int | None, community: str | None) -> dict[str, object]:
    args: dict[str, object] = {}
    if session_id is not None:
        args["session"] = session_id
    if community:
        args["community"] = community
    return args


@bp.get("/events/<id:event_id>/share")
def share_page(event_id: int):
    """An event's text to paste into a chat, with a button to copy it, and its share image;
    `?session=` or `?community=` when shared from one."""
    session_id, community = forms.share_context(request.args)
    shared = share.event_share(event_id, session_id, community)
    image = None
    if share_image.available():
        args = _share_args(session_id, community)
        image = url_for("posters.share_png", event_id=event_id, lang=current_language(), **args)
    return render_template("posters/share.html", share=shared, image=image)


@bp.get("/events/<id:event_id>/share.png")
def share_png(event_id: int):
    """The share image: drawn once per data version of the event (the event page's) and
    kept with the built pages; answered 304 to a copy with the same tag. Its language is in
    its address (?lang=, Chinese by default), so that shared caches may keep it."""
    if not share_image.available():
        raise NotFoundError("event", event_id)
    language = forms.poster_language(request.args)
    session_id, community = forms.share_context(request.args)
    now = utcnow()
    version = remembered_version(("share", event_id), lambda: versions.event_version(event_id, now))

    def build() -> BuiltFeed:
        with force_locale(language):
            shared = share.event_share(event_id, session_id, community)
            body = share_image.draw(shared, language)
        # Not compressed: a PNG already is.
        etag = hashlib.sha256(body).hexdigest()[:32]
        return BuiltFeed(body=body, gzipped=b"", etag=etag, last_modified=now)

    parts = (
        "share-image",
        SHARE_IMAGE_FORMAT,
        base_url() or request.host_url,
        str(event_id),
        str(session_id),
        community or "",
        language,
    )
    built = cached(parts, version, build, kind="image")
    if request.if_none_match.contains_weak(built.etag):
        response = Response(status=304)
    else:
        response = Response(built.body, mimetype="image/png")
    response.set_etag(built.etag)
    # As the public pages: browsers ask again each time (a 304 costs a remembered version
    # and a lookup), a shared proxy may keep it a while.
    shared_age = current_app.config["PAGE_SHARED_MAX_AGE"]
    response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={shared_age}"
    return response
