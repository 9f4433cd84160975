"""Text helpers shared by every feature: pinyin slugs and bilingual names."""

from __future__ import annotations

import re

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
