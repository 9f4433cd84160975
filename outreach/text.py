"""Text helpers shared by every feature: pinyin slugs, bilingual names, and typed text cleared of
invisible characters."""

from __future__ import annotations

import functools
import re
import unicodedata

from pypinyin import Style, lazy_pinyin

_NOT_SLUG = re.compile(r"[^a-z0-9]+")
MAX_SLUG_LENGTH = 80


def slugify(text: str) -> str:
    """A URL-safe ASCII slug; Chinese characters become their pinyin syllables."""
    syllables = lazy_pinyin(text, style=Style.NORMAL, errors=lambda chunk: chunk)
    slug = _NOT_SLUG.sub("-", " ".join(syllables).lower()).strip("-")
    return slug[:MAX_SLUG_LENGTH].rstrip("-") or "item"


def localised(zh: str, en: str | None, locale: str) -> str:
    """The English form when asked for and known, else the Chinese one."""
    return en if locale == "en" and en else zh


def in_language(zh: str | None, en: str | None, locale: str) -> tuple[str, str]:
    """A text in the reader's language and the language it is really in ("zh" or "en").

    English readers get the English form when there is one, else the Chinese (the main form,
    always entered for titles and names); Chinese readers get the Chinese form, else the
    English one when only that was entered (an optional summary, say), rather than nothing.
    """
    zh, en = zh or "", en or ""
    if locale == "en":
        return (en, "en") if en else (zh, "zh")
    return (zh, "zh") if zh or not en else (en, "en")


# The language of a text as HTML's lang attribute names it.
HTML_LANG = {"zh": "zh-CN", "en": "en"}


# Tab and line breaks are the only control characters typed text keeps.
_KEPT_CONTROLS = frozenset("\t\n\r")


# Where Unicode puts control and format characters: the basic and supplementary multilingual
# planes, and the tags of plane 14 (scanning only these is eight times faster than all planes).
_PLANES = (range(0x20000), range(0xE0000, 0xE0100))


@functools.cache
def _invisible() -> re.Pattern[str]:
    """Every control (Cc) and format (Cf) character but tab and line breaks, built once."""
    characters = (
        chr(point)
        for plane in _PLANES
        for point in plane
        if unicodedata.category(chr(point)) in ("Cc", "Cf") and chr(point) not in _KEPT_CONTROLS
    )
    return re.compile("[" + "".join(re.escape(character) for character in characters) + "]")


def visible(text: str | None) -> str | None:
    """Text without control and format characters (tab and line breaks kept).

    Bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069, U+061C, U+200E/F)
    can make a name or title read differently from what is stored ("…\u202egnp.exe"), and
    zero-width characters (U+200B–U+200D, U+FEFF) make two texts that look the same differ;
    none of them is something a person means to type into a name, title or label.
    """
    if not text:
        return text
    return _invisible().sub("", text)
