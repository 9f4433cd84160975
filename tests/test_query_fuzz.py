"""The public pages' query strings, fuzzed with Hypothesis: whatever a link or a hand-typed
address puts after "?" (arbitrary text, huge numbers, full-width digits, control characters,
repeated keys), a page answers as a page or as a 4xx, never with a server error.

OUTREACH_FUZZ_EXAMPLES (see tests/test_api_fuzz.py) bounds the cases: a fifth of it per page.
"""

from __future__ import annotations

import os
from urllib.parse import urlencode, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.public_pages import PAGES, build_world

EXAMPLES = max(10, int(os.environ.get("OUTREACH_FUZZ_EXAMPLES", "30")) // 5)

# The parameters the public views and their shared helpers read (listings, display modes,
# language, the registration pages, the feeds and posters), and a few no view reads.
NAMES = (
    "page",
    "lang",
    "elder",
    "contrast",
    "community",
    "township",
    "category",
    "organisation",
    "from",
    "to",
    "new",
    "again",
    "weeks",
    "per_page",
    "next",
)

NUMBERS = st.one_of(
    st.integers(-(10**30), 10**30).map(str),
    st.integers(0, 10**6).map(lambda n: str(n).translate({c: c + 0xFEE0 for c in range(48, 58)})),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["0", "-1", "1e9", "٣", "²", "0x10", " 1 ", "2026-02-30", "2026-13-01"]),
)
DATES = st.dates().map(lambda day: day.isoformat()) | st.dates().map(lambda d: f"{d:%Y/%m/%d}")
TEXT = st.text(st.characters(codec="utf-8"), max_size=60)
CONTROL = st.text(st.characters(max_codepoint=0x9F, categories=("Cc",)), min_size=1, max_size=5)
VALUES = st.one_of(TEXT, NUMBERS, DATES, CONTROL, st.text("１２３４５６７８９０-", max_size=12))
PAIRS = st.lists(
    st.tuples(st.sampled_from(NAMES) | st.text(max_size=10), VALUES), min_size=1, max_size=6
).map(urlencode)
# Escapes no form would send: bytes that are not UTF-8, broken escapes, bare separators.
RAW = st.lists(
    st.sampled_from(NAMES)
    | st.sampled_from(["%FF", "%C0%AF", "%ZZ", "%", "&", "=", "%E4%B8", ";"]),
    min_size=1,
    max_size=8,
).map("".join)
QUERIES = PAIRS | RAW


@pytest.fixture
def pages(app, make):
    """Every public page's path, on the small world of tests/public_pages.py."""
    return {name: page.path for name, page in build_world(make).pages.items()}


@pytest.mark.parametrize("name", PAGES)
def test_no_query_string_makes_a_public_page_fail(client, pages, name):
    path = urlsplit(pages[name]).path
    kept = urlsplit(pages[name]).query  # the page's own (a token page's ?new=1)

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(query=QUERIES)
    def visit(query):
        query_string = "&".join(part for part in (kept, query) if part)
        response = client.get(f"{path}?{query_string}")
        assert response.status_code < 500, (path, query_string, response.status_code)

    visit()
