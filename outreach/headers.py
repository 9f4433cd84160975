"""Security headers on every response, set here and nowhere else (issue 12, item 8).

- A strict Content-Security-Policy: styles and scripts come only from the site's own files
  (no inline style, style attribute, inline script or handler), images also from `data:`,
  no plugins, no `<base>`, forms post only to the site, and no page may be framed but the
  embeddable calendars (`/embed/…`), which any site may put in a frame.
- `X-Content-Type-Options: nosniff` and `Referrer-Policy: same-origin`; a view that already
  chose a stricter policy (`no-referrer` on pages whose address holds a token) keeps it.
- `Permissions-Policy`: no powerful feature anywhere, except the camera on the staff desk page
  (a session's roster, and the desk kept for offline use).
- HSTS when the session cookie is HTTPS-only (OUTREACH_SESSION_COOKIE_SECURE): the site is
  then served over HTTPS only.
- `Cache-Control: no-store` on every staff page and every page or file with personal data
  (manage pages, personal feeds, the API's registrations), whatever the view said.

Every package may import this module: it imports no feature package.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, request

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
# Pages any other site may show in a frame: the embeddable calendars (outreach/embed).
FRAMEABLE_PREFIXES = ("/embed/",)
FRAMEABLE_POLICY = CONTENT_SECURITY_POLICY.replace("frame-ancestors 'none'", "frame-ancestors *")
# Features a page could ask the browser for; all refused, the camera allowed where it scans.
FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")
# The desk page, and the desk its service worker keeps for when the page cannot be loaded.
CAMERA_ENDPOINTS = frozenset({"roster.roster_page", "desk_offline.shell"})
HSTS = "max-age=31536000; includeSubDomains"

# Paths whose answers are a staff page or hold personal data: never stored by any cache.
PRIVATE_PREFIXES = (
    "/staff",
    "/r/",
    "/s/",
    "/u/",
    "/follow/confirm/",
    "/feeds/me/",
    "/subscribe/me/",
    "/api/v1/registrations",
)
# Pages at a public-looking address that show the visitor's own registration.
PRIVATE_ENDPOINTS = frozenset({"registrations.mine"})
# Addresses that are a resident's secret (a manage, follower or feed token, a signed e-mail
# link): no other site may learn them from a Referer header.
SECRET_PREFIXES = ("/r/", "/s/", "/u/", "/follow/confirm/", "/feeds/me/", "/subscribe/me/")


def permissions_policy(endpoint: str | None) -> str:
    """The Permissions-Policy of a page: everything off, the camera on where staff scan."""
    allowed = {"camera"} if endpoint in CAMERA_ENDPOINTS else set()
    return ", ".join(f"{name}=(self)" if name in allowed else f"{name}=()" for name in FEATURES)


def is_private(path: str, endpoint: str | None) -> bool:
    """Does the answer at this path belong to staff or carry a resident's data?"""
    return path.startswith(PRIVATE_PREFIXES) or endpoint in PRIVATE_ENDPOINTS


def init_app(app: Flask) -> None:
    # Runs after every other after_request hook (they run in reverse order of registration).
    app.after_request_funcs.setdefault(None, []).insert(0, add_headers)


def add_headers(response: Response) -> Response:
    """The headers every answer carries (pages, files, errors and redirects alike)."""
    headers = response.headers
    if request.path.startswith(FRAMEABLE_PREFIXES):
        headers["Content-Security-Policy"] = FRAMEABLE_POLICY
    else:
        headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
        headers["X-Frame-Options"] = "DENY"
    headers["X-Content-Type-Options"] = "nosniff"
    if request.path.startswith(SECRET_PREFIXES):
        headers["Referrer-Policy"] = "no-referrer"
    else:
        headers.setdefault("Referrer-Policy", "same-origin")
    headers["Permissions-Policy"] = permissions_policy(request.endpoint)
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if current_app.config.get("SESSION_COOKIE_SECURE"):
        headers["Strict-Transport-Security"] = HSTS
    if is_private(request.path, request.endpoint):
        headers["Cache-Control"] = "private, no-store"
        headers.setdefault("X-Robots-Tag", "noindex")
    return response
