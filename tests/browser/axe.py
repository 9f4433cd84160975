"""Checking pages with Deque's axe-core (the WCAG 2.1 A and AA rules) inside Playwright.

tests/js pins axe-core; `.ci/run` installs it with `npm ci`. Without it the checks are
skipped, except on CI, where they must run. The script is evaluated in the page through the
DevTools protocol, which the page's Content-Security-Policy does not govern, so the pages are
checked exactly as they are served.
"""

from __future__ import annotations

import os
import weakref
from functools import cache
from pathlib import Path

import pytest

AXE_JS = Path(__file__).parent.parent / "js" / "node_modules" / "axe-core" / "axe.min.js"
# WCAG 2.0 and 2.1, levels A and AA: what issue 11 and the 适老化 rules ask of every page.
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
RUN = """async (tags) => {
  const options = {runOnly: {type: "tag", values: tags}, resultTypes: ["violations"]};
  const results = await axe.run(document, options);
  return results.violations.map((rule) => ({
    id: rule.id,
    impact: rule.impact,
    help: rule.help,
    nodes: rule.nodes.map((node) => ({
      target: node.target.map(String),
      summary: node.failureSummary,
    })),
  }));
}"""


@cache
def _source() -> str:
    return AXE_JS.read_text(encoding="utf-8")


def axe_or_skip() -> None:
    """Skip the test when axe-core is not installed in tests/js (fail under CI instead)."""
    if AXE_JS.is_file():
        return
    problem = "axe-core is not installed: run (cd tests/js && npm ci)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{problem}; CI must run the accessibility checks", pytrace=False)
    pytest.skip(problem)


# Browser contexts that load axe-core into each new document themselves.
_PRELOADING: weakref.WeakSet = weakref.WeakSet()


def violations(page) -> list[dict]:
    """The WCAG 2.1 A/AA violations axe-core finds on the page (or frame) as it is now: each
    rule's id, impact, help text and failing nodes (their selectors and what is wrong).

    The first check in a browser context hands the context axe-core as an init script, so
    every later page of it starts with axe loaded: sending the half-megabyte script over the
    DevTools protocol for each page checked took about a third of an accessibility test."""
    context = getattr(page, "page", page).context  # a frame's, or the page's own
    if context not in _PRELOADING:
        context.add_init_script(script=_source())
        _PRELOADING.add(context)
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.evaluate(_source())  # the page was loaded before its context preloaded axe
    return page.evaluate(RUN, TAGS)


def describe(found: list[dict], where: str = "", most: int = 5) -> str:
    """A readable account of violations: one line per rule, then an indented line for each
    of its first `most` failing nodes (the selector, and what axe says is wrong)."""
    lines = []
    for rule in found:
        nodes = rule["nodes"]
        lines.append(f"{where}{rule['id']} ({rule['impact']}, {len(nodes)}×): {rule['help']}")
        for node in nodes[:most]:
            summary = " ".join((node["summary"] or "").split())
            lines.append(f"    {' '.join(node['target'])}: {summary}")
        if len(nodes) > most:
            lines.append(f"    … and {len(nodes) - most} more")
    return "\n".join(lines)


def count(found: list[dict]) -> int:
    """How many failing nodes the violations hold (axe's usual count of "issues")."""
    return sum(len(rule["nodes"]) for rule in found)
