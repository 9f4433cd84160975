"""Template filters that turn stored values into what a reader sees, in their language."""

from __future__ import annotations

import functools
import re
from datetime import date, datetime, timedelta, tzinfo
from urllib.parse import quote, urlencode, urlsplit

from babel.dates import format_date as babel_format_date
from flask import Flask, request
from flask_babel import format_date, format_decimal
from flask_babel import gettext as _
from markupsafe import Markup, escape

from outreach.i18n import current_language
from outreach.localtime import local_date, local_zone, stamp
from outreach.text import HTML_LANG

DAY_PATTERNS = {"zh": "M月d日 EEEE", "en": "EEEE d MMMM"}
FULL_DAY_PATTERNS = {"zh": "y年M月d日 EEEE", "en": "EEEE d MMMM y"}
_URL = re.compile(r"https?://[^\s<>\"'，。；、）]+")


def day(value: date, with_year: bool = False) -> str:
    """A calendar day, e.g. 11月28日 星期六 / Saturday 28 November."""
    patterns = FULL_DAY_PATTERNS if with_year else DAY_PATTERNS
    language = current_language()
    pattern = patterns.get(language, patterns["en"])
    if isinstance(value, datetime):  # a moment: Babel's day in the reader's zone
        return format_date(value, pattern)
    return formatted_date(value, pattern, language)


@functools.lru_cache(maxsize=1024)
def formatted_date(value: date, pattern: str, language: str) -> str:
    """A calendar day written with a Babel `pattern` in `language`, each once: a page or a
    registration's message writes the same few days again and again, and Babel parses the
    pattern on every call."""
    return babel_format_date(value, pattern, locale=language)


def clock(value: datetime, zone: tzinfo | None = None) -> str:
    """A local wall-clock time, 24-hour, e.g. 09:30 (the same digits in every language);
    `zone`: the local zone when the caller has it at hand (it asks the app's config)."""
    # Not Babel's format_time: it parses the pattern on every call, and an event page with
    # many slots calls this hundreds of times.
    return value.astimezone(zone or local_zone()).strftime("%H:%M")


def session_time(event_session) -> str:
    """When a session runs, in local time: 09:00–11:30, or all day (with its span)."""
    if event_session.all_day:
        last = local_date(event_session.ends_at - timedelta(seconds=1))
        first = local_date(event_session.starts_at)
        if last > first:
            return _("All day, until %(day)s", day=day(last))
        return _("All day")
    return f"{clock(event_session.starts_at)}–{clock(event_session.ends_at)}"


def paragraphs(text: str | None) -> Markup:
    """Plain text as escaped paragraphs, with web addresses made into links."""
    if not text:
        return Markup("")
    blocks = [block.strip() for block in re.split(r"\n\s*\n", text.strip()) if block.strip()]
    html = []
    for block in blocks:
        pieces, last = [], 0
        for match in _URL.finditer(block):
            pieces.append(escape(block[last : match.start()]))
            address = escape(match.group(0))
            pieces.append(Markup(f'<a href="{address}" rel="nofollow noopener">{address}</a>'))
            last = match.end()
        pieces.append(escape(block[last:]))
        body = Markup("").join(pieces).replace("\n", Markup("<br>"))
        html.append(Markup("<p>") + body + Markup("</p>"))
    return Markup("\n").join(html)


def name(obj) -> str:
    """A place's, organisation's or category's name in the reader's language."""
    return obj.display_name(current_language())


def text(obj, field: str, mark: bool = True) -> Markup | str:
    """A bilingual field (`event|text("title")`) in the reader's language, falling back to
    the other one; the fallback is wrapped in `<span lang="…">` so screen readers and
    browsers read it as the language it is in. `mark=False` gives plain text, for places
    that take no markup (the page title, attributes, option labels)."""
    reader = current_language()
    value, language = obj.text_in(field, reader)
    if not mark:
        return value
    if value and language != reader:
        return Markup('<span lang="{}">{}</span>').format(HTML_LANG[language], value)
    return escape(value)


def text_paragraphs(obj, field: str) -> Markup:
    """A bilingual field as `paragraphs`, in a `<div lang="…">` when it falls back."""
    value, language = obj.text_in(field, current_language())
    html = paragraphs(value)
    if html and language != current_language():
        return Markup('<div lang="{}">{}</div>').format(HTML_LANG[language], html)
    return html


def url_with(**changes: object) -> str:
    """The current page's URL with some query parameters changed (None removes one).

    After a POST (a form shown again with its errors) the URL takes only POSTs, so the
    link goes to the page the form was on instead.
    """
    if request.method != "GET":
        referrer = urlsplit(request.referrer or "")
        path = referrer.path if referrer.netloc == request.host and referrer.path else "/"
        args = {key: value for key, value in changes.items() if value is not None}
        return _same_site(path) + ("?" + urlencode(args) if args else "")
    args = request.args.to_dict()
    for key, value in changes.items():
        if value is None:
            args.pop(key, None)
        else:
            args[key] = str(value)
    return _same_site(request.path) + ("?" + urlencode(args) if args else "")


def _same_site(path: str) -> str:
    """A path that stays on this site as a link: a browser reads "//host" and "/\\host" as
    another site's address, so a path asked for as /%5Chost or //host (a 404 page's own)
    is quoted and starts with one slash."""
    return "/" + quote(path.lstrip("/\\"), safe="/:@!$&'()*+,;=-._~")


# The zones China keeps on Beijing time, whose name readers know better than a zone key.
_BEIJING_ZONES = frozenset({"Asia/Shanghai", "Asia/Chongqing", "Asia/Harbin", "PRC"})


def zone_name() -> str:
    """The local zone as staff call it: 北京时间 (Beijing time), else the zone's key."""
    key = local_zone().key
    return _("Beijing time") if key in _BEIJING_ZONES else key


def with_zone(heading: str) -> str:
    """A heading of local times that names their zone: 报名时间（北京时间）."""
    return _("%(heading)s (%(zone)s)", heading=heading, zone=zone_name())


def thousands(value: int) -> str:
    """A whole number with the reader's digit grouping (1,000)."""
    return format_decimal(value)


def init_app(app: Flask) -> None:
    """Register the filters and helpers."""
    app.add_template_filter(day)
    app.add_template_filter(clock)
    app.add_template_filter(session_time)
    app.add_template_filter(paragraphs)
    app.add_template_filter(name)
    app.add_template_filter(text)
    app.add_template_filter(text_paragraphs)
    app.add_template_filter(local_date)
    app.add_template_filter(thousands)
    app.add_template_filter(stamp)
    app.add_template_filter(with_zone)
    app.jinja_env.globals["url_with"] = url_with
