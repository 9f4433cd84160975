#!/usr/bin/env python3
"""Fill in a deploy/ template: replace each @NAME@ with a value; refuse to leave one empty.

    python3 deploy/render.py deploy/nginx/outreach.conf SERVER_NAME=events.example.cn \
        LISTEN=80 APP_1=10.0.0.11:8000 APP_2=10.0.0.12:8000 ... > outreach.conf

Standard library only, so it runs with any Python 3 on the host. Exits with 2, naming them,
when the template has placeholders without a value or a value names no placeholder.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from pathlib import Path

PLACEHOLDER = re.compile(r"@([A-Z][A-Z0-9_]*)@")


class RenderError(ValueError):
    """A placeholder without a value, or a value for no placeholder."""


def placeholders(text: str) -> set[str]:
    """The names of the placeholders in a template."""
    return set(PLACEHOLDER.findall(text))


def render(text: str, values: Mapping[str, str]) -> str:
    """The template with every placeholder filled in."""
    wanted = placeholders(text)
    missing = sorted(wanted - set(values))
    unknown = sorted(set(values) - wanted)
    if missing or unknown:
        problems = []
        if missing:
            problems.append("no value for " + ", ".join(missing))
        if unknown:
            problems.append("no placeholder for " + ", ".join(unknown))
        raise RenderError("; ".join(problems))
    return PLACEHOLDER.sub(lambda found: values[found[1]], text)


def main(argv: list[str]) -> int:
    """Render the template named first with the NAME=VALUE pairs after it, to stdout."""
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    template, *pairs = argv
    values = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep:
            print(f"render: {pair!r} is not NAME=VALUE", file=sys.stderr)
            return 2
        values[name] = value
    try:
        sys.stdout.write(render(Path(template).read_text(encoding="utf-8"), values))
    except RenderError as error:
        print(f"render: {template}: {error}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
