"""Absolute links for calendars and subscribe pages: from the configured public address.

Every absolute link is built from BASE_URL when it is set, never from the request's Host or
forwarded headers (staff may reach the site on an internal address, and a forged Host must
not end up in a resident's calendar); without BASE_URL, from the request, as url_for does.
"""

from __future__ import annotations

from flask import current_app, request, url_for


def public_url(endpoint: str, **values: object) -> str:
    """The absolute address of `endpoint` on the site's public address."""
    base = current_app.config.get("BASE_URL")
    if not base:
        return url_for(endpoint, _external=True, **values)
    # The path under the application's root: BASE_URL carries any prefix of its own.
    path = url_for(endpoint, **values).removeprefix(request.script_root)
    return base.rstrip("/") + path
