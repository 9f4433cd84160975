"""How public pages are shown: the elderly mode (长辈模式) and high contrast, each switched by a
query parameter and kept in a cookie, as the language is (see i18n.py)."""

from __future__ import annotations

from flask import Flask, Response, has_request_context, request

COOKIE_MAX_AGE = 365 * 24 * 3600
# Each switch: its query parameter (also the cookie's name), and the values meaning on and off.
SWITCHES = {
    "elder": ("1", "0"),
    "contrast": ("high", "normal"),
}
# Staff pages keep the ordinary layout: elderly mode is for residents' pages.
STAFF_PREFIX = "/staff"
# Answers that are no pages: a calendar's or the API's parameters are part of their URLs.
NOT_PAGES = ("/feeds/", "/api/", "/static/")


def _choice(name: str) -> bool | None:
    """True or False when the query or the cookie says so for this switch, else None."""
    on, off = SWITCHES[name]
    for value in (request.args.get(name), request.cookies.get(name)):
        if value in (on, off):
            return value == on
    return None


def is_public_page() -> bool:
    """Whether this request shows a residents' page (not a staff page)."""
    path = request.path
    return not (path == STAFF_PREFIX or path.startswith(STAFF_PREFIX + "/"))


def elder_mode() -> bool:
    """Whether this page is shown in elderly mode (large text and targets, one column)."""
    return has_request_context() and is_public_page() and bool(_choice("elder"))


def high_contrast() -> bool:
    """Whether this page is shown in high contrast."""
    return has_request_context() and is_public_page() and bool(_choice("contrast"))


def page_classes() -> str:
    """The classes of the page's <html> element that turn the chosen modes on in site.css."""
    return " ".join(
        name for name, chosen in (("elder", elder_mode()), ("contrast", high_contrast())) if chosen
    )


def remember_choices(response: Response) -> Response:
    """Keep a ?elder= or ?contrast= choice in a cookie so later pages follow it."""
    if request.path.startswith(NOT_PAGES) or response.mimetype != "text/html":
        return response  # calendar files and JSON set no cookie: only pages remember
    for name, (on, off) in SWITCHES.items():
        value = request.args.get(name)
        if value == on and request.cookies.get(name) != on:
            response.set_cookie(name, on, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
        elif value == off and name in request.cookies:
            response.delete_cookie(name, samesite="Lax", httponly=True)
    return response


def init_app(app: Flask) -> None:
    """Register the cookie hook and the template helpers."""
    app.after_request(remember_choices)
    app.jinja_env.globals.update(
        elder_mode=elder_mode,
        high_contrast=high_contrast,
        page_classes=page_classes,
        is_public_page=is_public_page,
    )
