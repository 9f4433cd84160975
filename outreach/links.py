"""Absolute links to the site (calendars, messages, posters' QR codes, the API), from its
configured public address.

Every absolute link is built from BASE_URL (else SERVER_NAME), never from the request's Host
or forwarded headers: staff may reach the site on an internal address, and a forged Host must
not end up in a resident's calendar, e-mail or a printed poster. Only when neither is set
does a link inside a request take the request's address, as `url_for` does (development);
outside a request it then points at http://localhost, with a warning.

Every package may import this module: it imports no feature package.
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request, url_for

log = logging.getLogger(__name__)

FALLBACK = "http://localhost"


def base_url() -> str | None:
    """The site's public address without a trailing slash: BASE_URL, else SERVER_NAME (with
    APPLICATION_ROOT); None when neither is configured."""
    config = current_app.config
    configured = config.get("BASE_URL")
    if configured:
        return configured.rstrip("/")
    server_name = config.get("SERVER_NAME")
    if server_name:
        scheme = config.get("PREFERRED_URL_SCHEME") or "http"
        root = (config.get("APPLICATION_ROOT") or "/").rstrip("/")
        return f"{scheme}://{server_name}{root}"
    return None


def public_url(endpoint: str, **values: object) -> str:
    """The absolute address of `endpoint` on the site's public address, in a request or not."""
    base = base_url()
    if base is None:
        if has_request_context():
            return url_for(endpoint, _external=True, **values)
        log.warning("links point at %s: set OUTREACH_BASE_URL", FALLBACK)
        base = FALLBACK
    return base + _path(endpoint, values)


def text_link(key: str) -> str:
    """A text message's short link to a registration: OUTREACH_SMS_LINK_BASE (a short address
    of the site) when set, else the public address, then /s/<key>."""
    return short_url("registrations.short_link", key=key)


def short_url(endpoint: str, **values: object) -> str:
    """A link for a text message: on OUTREACH_SMS_LINK_BASE (a short address of the site)
    when set, else on the public address."""
    short = current_app.config.get("SMS_LINK_BASE")
    if short:
        return short.rstrip("/") + _path(endpoint, values)
    return public_url(endpoint, **values)


def _path(endpoint: str, values: dict[str, object]) -> str:
    """The endpoint's path under the application's root (the base carries any prefix)."""
    if has_request_context():
        return url_for(endpoint, **values).removeprefix(request.script_root)
    # Outside a request (`flask deliver`, imports): a bare request at the root builds it, on
    # the public host (TRUSTED_HOSTS refuses any other once BASE_URL is set).
    parts = urlsplit(base_url() or FALLBACK)
    with current_app.test_request_context("/", base_url=f"{parts.scheme}://{parts.netloc}"):
        return url_for(endpoint, **values)
