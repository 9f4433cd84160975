"""Any text survives build_calendar → icalendar exactly, in lines RFC 5545 allows.

Property-based (hypothesis): titles, descriptions, locations, organiser and calendar names
made of CJK, emoji, `,;\\`, escapes, line breaks, very long runs and control characters. The
only changes allowed are the documented ones: control characters other than tab and line
breaks are dropped (with the byte-order mark, which is no text), and line breaks (CRLF, CR,
LF) come back as LF, as the icalendar library normalises them. No database is needed.
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st
from icalendar import Calendar

from outreach.feeds.calendar import SessionFacts, build_calendar
from tests.feeds import icaljs

ZONE = ZoneInfo("Asia/Shanghai")
START = datetime(2025, 3, 1, 1, 0, tzinfo=UTC)
MAX_OCTETS = 75

# Pieces that have broken calendar writers before: escapes, folding at multi-byte characters,
# line breaks of every kind, parameter quoting, and invisible characters.
TRICKY = st.sampled_from(
    [",", ";", "\\", "\\N", "\\n", "\\,", ":", '"', "^", "'", " ", "\t", "\n", "\r\n", "\r"]
    + ["社区", "𠀀", "🎉", "👨‍👩‍👧‍👦", "é", "\u0301", "\u2028", "\u200b", "，；"]
    + ["\x00", "\x07", "\x1b", "\x7f", "\x85", "\x9f", "\ufeff"]
)
WIDE = st.sampled_from("大西洋新城社区健康义诊，；、。🙂🎉😀𠀀𪚥é")
TEXT = st.lists(
    st.one_of(
        st.text(st.characters(codec="utf-8"), max_size=30),
        TRICKY,
        # Long runs of 3- and 4-byte characters, so folds fall beside and inside them.
        st.text(WIDE, min_size=40, max_size=1200),
    ),
    max_size=8,
).map("".join)


def read_back(text: str) -> str:
    """What a parser must give back for `text`: controls and BOMs dropped, line ends as LF."""
    kept = "".join(
        c for c in text if c in "\t\n\r" or (unicodedata.category(c) != "Cc" and c != "\ufeff")
    )
    return kept.replace("\r\n", "\n").replace("\r", "\n")


def calendar_of(**texts: str) -> bytes:
    """A one-session calendar whose texts are the given ones."""
    facts = SessionFacts(
        uid="property@outreach.test",
        summary=texts.get("summary", "活动"),
        starts_at=START,
        ends_at=START + timedelta(hours=2),
        all_day=False,
        sequence=0,
        created=START,
        last_modified=START,
        description=texts.get("description", ""),
        location=texts.get("location", ""),
        organizer=texts.get("organizer", ""),
    )
    name = texts.get("name", "大西洋新城社区 · 社区活动")
    return build_calendar(name, [facts], ZONE, refresh=timedelta(hours=1))


def assert_lines_follow_rfc5545(body: bytes) -> None:
    """CRLF line ends only, at most 75 octets a line, and no line splits a UTF-8 character."""
    assert body.endswith(b"\r\n")
    for number, line in enumerate(body[: -len(b"\r\n")].split(b"\r\n"), start=1):
        assert b"\r" not in line and b"\n" not in line, f"bare line break in line {number}"
        assert len(line) <= MAX_OCTETS, f"line {number} has {len(line)} octets: {line!r}"
        # Strict decoding: a fold inside a character leaves half of it on each line.
        line.decode("utf-8", errors="strict")


@settings(max_examples=60, deadline=None)
@given(summary=TEXT, description=TEXT, location=TEXT, organizer=TEXT)
@example(summary="C:\\New folder", description="\\N", location="a\\,b", organizer="x")
@example(summary="\ufeff活动", description="a\x85b", location="\x00\x1b[31m", organizer="\"^'")
@example(summary="长" * 200, description="🎉" * 500, location="a\r\nb\rc\n", organizer="\tx\ny\\")
def test_text_survives_the_round_trip_exactly(summary, description, location, organizer):
    body = calendar_of(
        summary=summary, description=description, location=location, organizer=organizer
    )
    assert_lines_follow_rfc5545(body)
    vevent = Calendar.from_ical(body).walk("VEVENT")[0]
    assert str(vevent["SUMMARY"]) == read_back(summary)
    assert str(vevent.get("DESCRIPTION", "")) == read_back(description)
    assert str(vevent.get("LOCATION", "")) == read_back(location)
    if organizer:
        assert vevent["ORGANIZER"].params["CN"] == as_parameter(organizer)


def as_parameter(text: str) -> str:
    """What a parser must give back for the organiser's name, a parameter value: one line,
    spaces collapsed (icalendar's parser strips unquoted tabs), and no backslashes, which
    icalendar and ical.js read as escapes where RFC 5545 has none."""
    return " ".join(read_back(text).replace("\\", "").split())


@pytest.fixture(scope="module")
def node() -> str:
    """node with ical.js (skipped when missing, but a failure on CI)."""
    return icaljs.node_or_skip()


@settings(max_examples=40, deadline=None)
@given(summary=TEXT, description=TEXT, location=TEXT)
@example(summary="C:\\New folder", description="a\u2028b\x85c", location=" 首尾 \t")
def test_icaljs_reads_the_same_text(node, summary, description, location):
    body = calendar_of(summary=summary, description=description, location=location)
    [event] = icaljs.parse(node, body)["events"]
    assert event["summary"] == read_back(summary)
    assert (event["description"] or "") == read_back(description)
    assert (event["location"] or "") == read_back(location)


@settings(max_examples=60, deadline=None)
@given(name=TEXT)
@example(name="读书会\n第二期")
@example(name="清晨太极, 八段锦; 24式\\简化版")
def test_any_calendar_name_gives_a_valid_calendar_with_a_one_line_name(name):
    body = calendar_of(name=name)
    assert_lines_follow_rfc5545(body)
    calendar = Calendar.from_ical(body)
    for prop in ("NAME", "X-WR-CALNAME"):
        assert "\n" not in str(calendar[prop]) and "\r" not in str(calendar[prop])


@settings(max_examples=30, deadline=None)
@given(texts=st.lists(TEXT, min_size=1, max_size=6))
def test_every_line_of_a_many_session_calendar_follows_rfc5545(texts):
    facts = [
        SessionFacts(
            uid=f"{number}@outreach.test",
            summary=text,
            starts_at=START + timedelta(days=number),
            ends_at=START + timedelta(days=number, hours=1),
            all_day=number % 2 == 1,
            sequence=number,
            created=START,
            last_modified=START,
            description=text,
            location=text,
            categories=(text,) if text.strip() else (),
        )
        for number, text in enumerate(texts)
    ]
    body = build_calendar("社区活动", facts, ZONE, refresh=timedelta(hours=1))
    assert_lines_follow_rfc5545(body)
    summaries = [str(e["SUMMARY"]) for e in Calendar.from_ical(body).walk("VEVENT")]
    assert summaries == [read_back(text) for text in texts]
