"""Input of the poster pages: the poster's language, how many weeks a community's covers, and
what a share is shared from."""

from __future__ import annotations

from flask import current_app
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

from outreach.errors import InvalidInput, NotFoundError
from outreach.events.services import MAX_SLUG
from outreach.posters.services import DEFAULT_WEEKS, MAX_WEEKS, MIN_WEEKS


def poster_language(args: MultiDict[str, str]) -> str:
    """`?lang=` when it names a language of the site, else the default (Chinese).

    A poster is printed for a lobby, so unlike a page it does not follow the language of the
    person printing it (their cookie or browser); English is asked for in the address.
    """
    value = (args.get("lang") or "").strip().lower()
    languages = current_app.config["LANGUAGES"]
    return value if value in languages else current_app.config["BABEL_DEFAULT_LOCALE"]


def parse_weeks(args: MultiDict[str, str]) -> int:
    """`?weeks=`: how many weeks a community's poster covers; InvalidInput outside the limits."""
    raw = (args.get("weeks") or "").strip()
    if not raw:
        return DEFAULT_WEEKS
    if raw.isascii() and raw.isdigit() and MIN_WEEKS <= int(raw) <= MAX_WEEKS:
        return int(raw)
    raise InvalidInput(_("A poster covers %(min)d to %(max)d weeks.", min=MIN_WEEKS, max=MAX_WEEKS))


def share_context(args: MultiDict[str, str]) -> tuple[int | None, str | None]:
    """What a share is shared from: `?session=` (an id) or `?community=` (a slug), else the
    event itself. A malformed id names no session (NotFoundError, as an unknown one)."""
    raw = (args.get("session") or "").strip()
    session_id = None
    if raw:
        if not (raw.isascii() and raw.isdigit() and len(raw) <= 18):
            raise NotFoundError("session", raw[:20])
        session_id = int(raw)
    community = (args.get("community") or "").strip()[:MAX_SLUG] or None
    return session_id, community
