"""Refresh the message catalogues from the source.

    .venv/bin/python scripts/translations.py           extract, update zh and en, compile
    .venv/bin/python scripts/translations.py --check   exit 1 if any string lacks a translation
    .venv/bin/python scripts/translations.py --apply zh FILE.json
                                                       add translations {msgid: msgstr}

Message ids are English, so the English catalogue is filled with the ids themselves; the
Chinese one lists what still needs a translator.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
CATALOGUES = ROOT / "outreach" / "translations"
TEMPLATE = CATALOGUES / "messages.pot"
PYBABEL = str(Path(sys.executable).parent / "pybabel")


def _run(*args: str) -> None:
    subprocess.run([PYBABEL, *args], cwd=ROOT, check=True, capture_output=True)


def _translated(message) -> bool:
    strings = message.string if isinstance(message.string, tuple) else (message.string,)
    return all(strings) and "fuzzy" not in message.flags


def _load(language: str):
    path = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as handle:
        return read_po(handle, locale=language)


def _save(language: str, catalogue) -> None:
    # A catalogue whose header is marked fuzzy is skipped by `pybabel compile`.
    catalogue.fuzzy = False
    catalogue.project = "outreach"
    catalogue.version = ""
    path = CATALOGUES / language / "LC_MESSAGES" / "messages.po"
    with path.open("wb") as handle:
        write_po(handle, catalogue, width=100, sort_output=True, no_location=True)


def _fill_english() -> None:
    catalogue = _load("en")
    for message in catalogue:
        if message.id and not _translated(message):
            message.string = message.id
            message.flags.discard("fuzzy")
    _save("en", catalogue)


def untranslated(language: str) -> list[str]:
    """Message ids of a catalogue that have no translation yet."""
    return [str(m.id) for m in _load(language) if m.id and not _translated(m)]


def apply(language: str, source: Path) -> None:
    """Set translations from a JSON object of message id → translation; a message with a
    context (pgettext) is keyed "context|message id"."""
    translations = json.loads(source.read_text(encoding="utf-8"))
    catalogue = _load(language)
    for message in catalogue:
        key = message.id[0] if isinstance(message.id, tuple) else message.id
        if message.context:
            key = f"{message.context}|{key}"
        if key in translations:
            text = translations[key]
            message.string = (
                (text,) * catalogue.num_plurals if isinstance(message.id, tuple) else text
            )
            message.flags.discard("fuzzy")
    _save(language, catalogue)


def main() -> int:
    """Extract, update, fill English, compile; report what Chinese still lacks."""
    if "--apply" in sys.argv:
        position = sys.argv.index("--apply")
        apply(sys.argv[position + 1], Path(sys.argv[position + 2]))
        _run("compile", "-d", str(CATALOGUES))
        return 0
    elif "--check" not in sys.argv:
        _run(
            "extract",
            "-F",
            "babel.cfg",
            "-k",
            "_l",
            "-k",
            "lazy_gettext",
            "-k",
            "lazy_pgettext:1c,2",
            "--no-location",
            "--sort-output",
            "--omit-header",
            "-o",
            str(TEMPLATE),
            ".",
        )
        _run(
            "update",
            "-i",
            str(TEMPLATE),
            "-d",
            str(CATALOGUES),
            "--no-wrap",
            "--omit-header",
            "--ignore-obsolete",
            "--no-fuzzy-matching",
        )
        _fill_english()
        _save("zh", _load("zh"))
        _run("compile", "-d", str(CATALOGUES))
    missing = {language: untranslated(language) for language in ("zh", "en")}
    for language, ids in missing.items():
        for message_id in ids:
            print(f"{language}: untranslated: {message_id}")
    return 1 if any(missing.values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
