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
