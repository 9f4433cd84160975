"""The embedded calendar of a township, community, organisation or category, and its snippet.

Other sites' visitors send no cookie of ours (browsers keep third-party cookies from frames)
and their Accept-Language says little about the site they read, so the language is part of
the address (`?lang=en`, Chinese by default), as for feeds. Each page is built once per data
version and language, kept in the cache of built pages, and answered 304 when unchanged.
Framing is allowed on these addresses only (outreach/headers.py, FRAMEABLE_PREFIXES).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from itertools import groupby

from flask import Blueprint, Response, current_app, render_template, request, session
from flask_babel import force_locale
from markupsafe import Markup

from outreach import formatting, i18n
from outreach.database import Named
from outreach.events.models import EventSession
from outreach.feeds import responses
from outreach.feeds import services as feed_services
from outreach.feeds.cache import BuiltFeed, cached, remembered_version
from outreach.links import base_url, public_url
from outreach.localtime import local_date
from outreach.text import HTML_LANG

bp = Blueprint("embed", __name__)

# Raise when the page's markup changes, so that bodies kept in Redis are not served again.
FORMAT = "1"
# The sessions an embedded calendar lists: the nearest, from today on.
SESSIONS = 20
CONTENT_TYPE = "text/html; charset=utf-8"
SCOPES = ", ".join(feed_services.SINGULARS)


def _language() -> str:
    """`?lang=` when it names a language of the site, else the default (Chinese)."""
    value = (request.args.get(i18n.COOKIE) or "").lower()
    return value if value in i18n.supported() else current_app.config["BABEL_DEFAULT_LOCALE"]


def _lang(language: str) -> dict[str, str]:
    return {} if language == current_app.config["BABEL_DEFAULT_LOCALE"] else {"lang": language}


def _days(rows: list[tuple[EventSession, int]]) -> list[tuple[date, list[EventSession]]]:
    """The sessions by local day, in order."""
    sessions = (event_session for event_session, _taken in rows)
    return [
        (day, list(group))
        for day, group in groupby(sessions, key=lambda s: local_date(s.starts_at))
    ]


def _render(dimension: str, ids: dict[str, int], language: str, start: datetime) -> BuiltFeed:
    with force_locale(language):
        rows = feed_services.public_sessions(ids, start, limit=SESSIONS)
        about: Named = feed_services.named(ids)[dimension]
        lang = _lang(language)
        body = render_template(
            "embed/calendar.html",
            about=about,
            days=_days(rows),
            event_url=lambda event_id: public_url("events.event", event_id=event_id, **lang),
            page=public_url(f"events.{dimension}", slug=about.slug, **lang),
            html_lang=HTML_LANG.get(language, language),
            zone=formatting.zone_name(),
        )
    last = max((max(s.updated_at, s.event.updated_at) for s, _taken in rows), default=start)
    return BuiltFeed.of(body.encode(), last)


@bp.get(f"/embed/<any({SCOPES}):scope>/<slug>")
def calendar(scope: str, slug: str) -> Response:
    """A compact list of the coming sessions of one township, community, organisation or
    category, for another website's frame; an unknown slug is the 404 page."""
    dimension = feed_services.SINGULARS[scope]
    slugs = {dimension: slug}
    language = _language()
    start = feed_services.upcoming_start()
    version = remembered_version(
        ("public", start, *slugs.items()), lambda: feed_services.public_version(slugs, start)
    )
    ids = dict(version.ids)
    # The path prefix a proxy mounts the app under: the stylesheet's address carries it.
    root = request.script_root
    parts = ("embed", FORMAT, base_url() or request.host_url, root, language, dimension, slug)
    built = cached(parts, version.stamp, lambda: _render(dimension, ids, language, start), "page")
    response = responses.respond(built, public=False, content_type=CONTENT_TYPE)
    shared = current_app.config["PAGE_SHARED_MAX_AGE"]
    response.headers["Cache-Control"] = f"public, max-age=0, s-maxage={shared}"
    return response


def forget_session_reads(response: Response) -> Response:
    """The calendars do not depend on the session: keep `Vary: Cookie` off them."""
    if request.path.startswith("/embed/"):
        session.accessed = False
    return response


@dataclass(frozen=True)
class EmbedCode:
    """What staff paste into another website: a frame, or the script that inserts one."""

    url: str
    iframe: str
    script: str


HEIGHT = 480


def embed_code(item: Named) -> EmbedCode | None:
    """For staff pages: the snippets of a township's, community's, organisation's or
    category's calendar; None for anything else (a venue)."""
    dimension = next(
        (d for d, model in feed_services.DIMENSIONS.items() if isinstance(item, model)), None
    )
    if dimension is None:
        return None
    url = public_url("embed.calendar", scope=feed_services.PLURALS[dimension], slug=item.slug)
    title = item.display_name(i18n.current_language())
    # A stable address (no version): pasted snippets should pick up a fixed script.
    script = public_url("static", filename="js/embed.js", v=None)
    iframe = Markup(
        '<iframe src="{}" title="{}" width="100%" height="{}" loading="lazy"></iframe>'
    ).format(url, title, HEIGHT)
    tag = Markup(
        '<script src="{}" data-calendar="{}" data-title="{}" data-width="100%" '
        'data-height="{}" async></script>'
    ).format(script, url, title, HEIGHT)
    return EmbedCode(url=url, iframe=str(iframe), script=str(tag))
