"""Usernames: one spelling of each, whatever width or case it is typed in, and no new one that
looks like an existing one or mixes alphabets.

*Canonical form*: NFKC then case folding (Unicode's recommendation for comparing identifiers
without regard to case), so "ＡＤＭＩＮ", "Admin" and "admin" are one username, stored as
"admin"; invisible characters are dropped first (`outreach.text.visible`).

*Look-alikes*: two usernames are confusable when their *skeletons* are equal, as Unicode
Technical Standard #39 defines it: every character replaced by the prototype of its class in
Unicode's confusables table ("аdmin" with a Cyrillic а, "adm1n", "adrnin" and "admin" share
one). The table comes from the `confusable-homoglyphs` package, which keeps each pair of
confusables.txt in both directions, from which the direction is read again.

*Scripts*: a username's letters come from one script, or from one of the combinations usual in
East Asian names that the standard's "highly restrictive" level allows (Latin with Han, kana,
bopomofo or hangul), so "lina" and "李娜" and "li娜" are fine but Latin mixed with Cyrillic or
Greek is not.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Iterable

from confusable_homoglyphs import categories, confusables

from outreach.text import visible

# Scripts that never make a name mixed: digits, punctuation and combining marks.
_ANY_SCRIPT = frozenset({"COMMON", "INHERITED"})
# TR39 §5.2, "highly restrictive": the mixtures of scripts that one East Asian name may hold.
_MIXTURES = (
    frozenset({"LATIN", "HAN", "HIRAGANA", "KATAKANA"}),
    frozenset({"LATIN", "HAN", "BOPOMOFO"}),
    frozenset({"LATIN", "HAN", "HANGUL"}),
)
# Marks the table puts around right-to-left characters so that it displays well.
_DIRECTION_MARKS = str.maketrans("", "", "\u200e\u200f")


def canonical(username: str) -> str:
    """The username as stored and compared: visible characters, NFKC, case-folded, trimmed."""
    folded = unicodedata.normalize("NFKC", visible(username) or "").casefold()
    return unicodedata.normalize("NFKC", folded).strip()


@functools.cache
def _prototypes() -> dict[str, str]:
    """Each confusable character's prototype (UTS #39 confusables.txt).

    The package keeps every "source → prototype" line in both directions: a source lists its
    one prototype, a prototype lists its sources. So a character with one entry maps to it when
    that entry is a sequence ("m" → "rn") or itself lists several characters; a pair that
    lists only each other maps to the lower of the two.
    """
    table = {
        key.translate(_DIRECTION_MARKS): [each["c"].translate(_DIRECTION_MARKS) for each in found]
        for key, found in confusables.confusables_data.items()
    }
    prototypes = {}
    for character, found in table.items():
        if len(character) != 1 or len(found) != 1:
            continue  # a sequence, or the prototype of several characters
        [other] = found
        if len(other) > 1 or len(table.get(other, ())) > 1:
            prototypes[character] = other
        elif table.get(other) == [character]:
            prototypes[character] = min(character, other)
    return prototypes


def _mapped(text: str) -> str:
    prototypes = _prototypes()
    return "".join(prototypes.get(character, character) for character in text)


def skeleton(username: str) -> str:
    """What the username looks like (UTS #39 skeleton of its canonical form): equal
    skeletons, confusable usernames."""
    # Stored usernames are case-folded, so a prototype in capitals ("0" → "O") is folded and
    # mapped again: "admin0" and "admino" look alike in lower case.
    decomposed = unicodedata.normalize("NFD", canonical(username))
    return unicodedata.normalize("NFD", _mapped(_mapped(decomposed).casefold()))


def mixes_scripts(username: str) -> bool:
    """Whether the username's letters come from scripts that one name does not mix."""
    scripts = categories.unique_aliases(canonical(username)) - _ANY_SCRIPT
    return len(scripts) > 1 and not any(scripts <= mixture for mixture in _MIXTURES)


def look_alike(username: str, existing: Iterable[str]) -> str | None:
    """The first of the `existing` usernames that the username could be mistaken for."""
    wanted = skeleton(username)
    return next((name for name in existing if skeleton(name) == wanted), None)
