"""Choosing the interface language: an explicit choice (kept in a cookie), then the browser."""

from __future__ import annotations

from flask import Flask, Response, current_app, has_request_context, request
from flask_babel import get_locale

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600
# Addresses whose language is only ever their ?lang=: feeds, and calendars in other sites.
URL_LANGUAGE = ("/feeds/", "/embed/")


def supported() -> tuple[str, ...]:
    """Language codes the interface is translated into, the default first."""
    return tuple(current_app.config["LANGUAGES"])


def _explicit_choice() -> str | None:
    for value in (request.args.get(COOKIE), request.cookies.get(COOKIE)):
        if value and value.lower() in supported():
            return value.lower()
    return None


def select_locale() -> str:
    """The request's language: ?lang=, the cookie, Accept-Language by primary subtag, zh."""
    if not has_request_context():  # commands and background jobs speak the default language
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    choice = _explicit_choice()
    if choice:
        return choice
    # accept_languages is already ordered by quality; compare primary subtags only, so
    # zh-CN, zh-Hans and zh-TW all mean the Chinese interface.
    for tag, _quality in request.accept_languages:
        primary = tag.split("-")[0].split("_")[0].lower()
        if primary in supported():
            return primary
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def remember_choice(response: Response) -> Response:
    """Keep a ?lang= choice in a cookie so later pages follow it."""
    if request.path.startswith(URL_LANGUAGE) or response.mimetype != "text/html":
        # A feed's, an embedded calendar's or a file's ?lang= is part of its URL (calendar
        # servers and other sites' frames keep no cookies); only pages remember the choice.
        return response
    value = (request.args.get(COOKIE) or "").lower()
    if value in supported() and request.cookies.get(COOKIE) != value:
        response.set_cookie(COOKIE, value, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response


def current_language() -> str:
    """The language of this request as a plain code ("zh" or "en")."""
    return str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])


def init_app(app: Flask) -> None:
    """Register the cookie hook and template helpers."""
    app.after_request(remember_choice)
    app.jinja_env.globals["current_language"] = current_language
