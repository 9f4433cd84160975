"""Choosing the interface language: an explicit choice (kept in a cookie), then the browser."""

from __future__ import annotations

from typing import Any
from weakref import WeakKeyDictionary

from flask import Flask, Response, current_app, g, has_request_context, request
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

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


# Where Flask-Babel keeps a request's locale, domain and translations (flask_babel's own
# namespace on `g`); this module keeps, beside them, what it worked out from them.
_BABEL_CONTEXT = "_flask_babel"
_KEPT = "outreach_language"


def _kept() -> tuple[Any, Any, str, Any] | None:
    """The language code and translations worked out for this request's locale and domain,
    while Flask-Babel holds the same ones (`force_locale` and `refresh` replace them)."""
    try:
        context = getattr(g, _BABEL_CONTEXT, None)
    except RuntimeError:  # outside an application context
        return None
    kept = getattr(context, _KEPT, None)
    if (
        kept is not None
        and kept[0] is getattr(context, "babel_locale", None)
        and kept[1] is getattr(context, "babel_domain", None)
    ):
        return kept
    return None


def _keep(with_translations: bool) -> tuple[Any, Any, str, Any]:
    # get_translations sets the locale and domain on Flask-Babel's context; get_locale only
    # the locale (a JSON answer that writes no text needs no catalogue).
    translations = get_translations() if with_translations else None
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
    return (_kept() or _keep(with_translations=False))[2]


def translations() -> Any:
    """Flask-Babel's translations for this request, looked up once: a page's template asks
    for dozens of strings, and each of Flask-Babel's own lookups goes through its context
    several times."""
    kept = _kept()
    if kept is None or kept[3] is None:
        kept = _keep(with_translations=True)
    return kept[3]


# Fixed strings of HTML templates as written, by message, for each language's translations
# (Flask-Babel keeps one per language and application: kept as long as it is).
_WRITTEN: WeakKeyDictionary[Any, dict[str, Markup]] = WeakKeyDictionary()


@pass_context
def _template_gettext(context: Context, string: str, **variables: Any) -> str:
    """The templates' `_` and `gettext`: Jinja's own (new style: always formatted with
    `variables`, Markup where the template escapes) in one step, where Jinja's goes through
    three template calls for every string."""
    if variables or not context.eval_ctx.autoescape:
        found = translations().ugettext(string)
        return (Markup(found) if context.eval_ctx.autoescape else found) % variables
    # A page's fixed strings, written as Markup once per language and kept.
    found = translations()
    kept = _WRITTEN.get(found)
    if kept is None:
        kept = _WRITTEN[found] = {}
    written = kept.get(string)
    if written is None:
        written = kept[string] = Markup(found.ugettext(string)) % {}
    return written


@pass_context
def _template_ngettext(
    context: Context, singular: str, plural: str, num: int, **variables: Any
) -> str:
    """The templates' `ngettext`, as `_template_gettext`; `num` is also a variable."""
    variables.setdefault("num", num)
    found = translations().ungettext(singular, plural, num)
    return (Markup(found) if context.eval_ctx.autoescape else found) % variables


def init_app(app: Flask) -> None:
    """Register the cookie hook and template helpers; the templates' translation functions
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
    app.jinja_env.globals.update(
        _=_template_gettext, gettext=_template_gettext, ngettext=_template_ngettext
    )
