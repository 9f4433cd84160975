"""Choosing the interface language: an explicit choice (kept in a cookie), then the browser."""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations

COOKIE = "lang"
COOKIE_MAX_AGE = 365 * 24 * 3600


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
    if request.path.startswith("/feeds/") or response.mimetype != "text/html":
        # A feed's or a file's ?lang= is part of its URL (calendar servers keep no cookies);
        # only pages remember the choice.
        return response
    value = (request.args.get(COOKIE) or "").lower()
    if value in supported() and request.cookies.get(COOKIE) != value:
        response.set_cookie(COOKIE, value, max_age=COOKIE_MAX_AGE, samesite="Lax", httponly=True)
    return response


# Where Flask-Babel keeps a request's locale, domain and translations (flask_babel's own
# namespace on `g`); this module keeps, beside them, what it worked out from them.
_BABEL_CONTEXT = "_flask_babel"
_KEPT = "outreach_language"


def _kept() -> tuple[Any, Any, str, Any] | None:
    """The language code and translations worked out for this request's locale and domain,
    while Flask-Babel holds the same ones (`force_locale` and `refresh` replace them)."""
    context = getattr(g, _BABEL_CONTEXT, None) if g else None
    kept = getattr(context, _KEPT, None)
    if (
        kept is not None
        and kept[0] is getattr(context, "babel_locale", None)
        and kept[1] is getattr(context, "babel_domain", None)
    ):
        return kept
    return None


def _keep() -> tuple[Any, Any, str, Any]:
    translations = get_translations()  # sets the locale and domain on Flask-Babel's context
    language = str(get_locale() or current_app.config["BABEL_DEFAULT_LOCALE"])
    context = getattr(g, _BABEL_CONTEXT, None) if g else None
    kept = (
        getattr(context, "babel_locale", None),
        getattr(context, "babel_domain", None),
        language,
        translations,
    )
    if context is not None:
        setattr(context, _KEPT, kept)
    return kept


def current_language() -> str:
    """The language of this request as a plain code ("zh" or "en")."""
    return (_kept() or _keep())[2]


def translations() -> Any:
    """Flask-Babel's translations for this request, looked up once: a page's template asks
    for dozens of strings, and each of Flask-Babel's own lookups goes through its context
    several times."""
    return (_kept() or _keep())[3]


def init_app(app: Flask) -> None:
    """Register the cookie hook and template helpers; the templates' `_` and `ngettext`
    (installed by Flask-Babel, which must be set up first) go through `translations`."""
    app.after_request(remember_choice)
    app.jinja_env.globals["current_language"] = current_language
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
    )
