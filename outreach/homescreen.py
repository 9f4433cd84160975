"""What a phone needs to put the site on its home screen: the web app manifest and the icons
(drawn by scripts/make_icons.py into static/icons)."""

from __future__ import annotations

import json

from flask import Blueprint, Flask, Response, current_app, request, send_from_directory, url_for
from flask_babel import gettext as _

from outreach.events.services import chosen_community
from outreach.i18n import current_language
from outreach.places.models import Community

bp = Blueprint("homescreen", __name__)

THEME_COLOUR = "#1e5b2f"  # the header's green (site.css)
BACKGROUND_COLOUR = "#ffffff"
MAX_AGE = 24 * 3600
ICONS = (
    ("icons/icon-192.png", "192x192", "image/png", "any"),
    ("icons/icon-512.png", "512x512", "image/png", "any"),
    ("icons/icon-maskable-512.png", "512x512", "image/png", "maskable"),
    ("icons/icon.svg", "any", "image/svg+xml", "any"),
)


def manifest(community: Community | None = None) -> dict:
    """The manifest in the request's language (the page links it with its ?lang=); from a
    community's page, one that opens that page, so a resident can put their community's
    sessions on the home screen."""
    language = current_language()
    start_url = url_for("events.index", lang=language)
    name, short_name = _("Community Outreach"), _("Outreach")
    if community is not None:
        short_name = community.display_name(language)
        name = _("%(community)s: what's on", community=short_name)
        start_url = url_for("events.community", slug=community.slug, lang=language)
    return {
        "id": start_url,
        "name": name,
        "short_name": short_name,
        "description": _("Community events and outreach sessions near you, and your bookings."),
        "lang": "zh-CN" if language == "zh" else language,
        "dir": "ltr",
        "start_url": start_url,
        "scope": url_for("events.index"),
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {
                "src": url_for("static", filename=path),
                "sizes": sizes,
                "type": kind,
                "purpose": purpose,
            }
            for path, sizes, kind, purpose in ICONS
        ],
    }


@bp.get("/manifest.webmanifest")
def web_manifest() -> Response:
    """The web app manifest, as application/manifest+json (?community=<slug>: that
    community's; an unknown one gives the site's)."""
    community = chosen_community(request.args.get("community"))
    body = json.dumps(manifest(community), ensure_ascii=False, indent=1)
    response = current_app.response_class(body, mimetype="application/manifest+json")
    response.headers["Cache-Control"] = f"public, max-age={MAX_AGE}"
    response.vary.add("Accept-Language")
    return response


@bp.get("/favicon.ico")
def favicon() -> Response:
    """The icon browsers ask for at the root whatever the page links."""
    response = send_from_directory(
        current_app.static_folder, "icons/favicon.ico", mimetype="image/vnd.microsoft.icon"
    )
    response.cache_control.public = True
    response.cache_control.max_age = MAX_AGE
    return response


def init_app(app: Flask) -> None:
    """Register the manifest and the favicon."""
    app.register_blueprint(bp)
