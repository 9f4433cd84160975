"""Running Mozilla's ical.js (the parser inside Thunderbird) on our calendars, through node.

tests/js holds a tiny Node project pinning ical.js; `.ci/run` installs it with `npm ci`.
Without node or the package the checks are skipped, except on CI, where they must run.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

JS_DIR = Path(__file__).parent.parent / "js"
PARSE_ICS = JS_DIR / "parse_ics.mjs"


def node_or_skip() -> str:
    """The node binary, with ical.js installed in tests/js; a skip when missing (CI fails)."""
    problem = None
    node = shutil.which("node")
    if node is None:
        problem = "node is not installed (Debian: apt-get install nodejs npm)"
    elif not (JS_DIR / "node_modules" / "ical.js" / "package.json").is_file():
        problem = "ical.js is not installed: run (cd tests/js && npm ci)"
    if problem is None:
        return node
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem}; CI must run the ical.js checks", pytrace=False)
    pytest.skip(problem)


def parse(node: str, body: bytes) -> dict:
    """What ical.js reads: `calendar` (`name`, `x_wr_calname`) and `events`, each with uid,
    summary, description, location, status, sequence, all_day, start and end (UTC `…Z`
    instants, or `YYYY-MM-DD` dates), has_dtend, and the zones it resolved the times in."""
    result = subprocess.run(
        [node, str(PARSE_ICS)], input=body, capture_output=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr.decode(errors="replace")
    return json.loads(result.stdout)
