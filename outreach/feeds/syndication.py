"""Building Atom and RSS documents with feedgen: pure functions from plain facts to XML.

News readers, WeChat official-account editors and community websites read these; each
entry is one session, linked to its event page, its time and place written out in the
feed's language. A cancelled session stays, its title marked, until it has passed.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from feedgen.feed import FeedGenerator
from markupsafe import Markup, escape

from outreach.feeds.calendar import SessionFacts, clean, one_line

KINDS = {
    "atom": "application/atom+xml; charset=utf-8",
    "rss": "application/rss+xml; charset=utf-8",
}


@dataclass(frozen=True)
class Channel:
    """What the feed says of itself, already in the reader's language."""

    title: str
    subtitle: str
    page: str  # the public page of the same sessions
    url: str  # the feed's own address
    language: str
    updated: datetime


@dataclass(frozen=True)
class Entry:
    """One session: its calendar facts and when it runs, written out in local time."""

    facts: SessionFacts
    title: str
    when: str


def entry_id(uid: str) -> str:
    """A permanent id from the session's calendar UID (a UUID at our domain, or imported)."""
    try:
        return uuid.UUID(uid.partition("@")[0]).urn
    except ValueError:
        return "urn:x-outreach-session:" + quote(uid, safe="@.-_")


def _paragraph(part: str, url: str) -> Markup:
    if part == url:  # the event page, which ends the calendar entry's text
        return Markup('<p><a href="{0}">{0}</a></p>').format(url)
    return Markup("<p>{}</p>").format(
        Markup("<br>").join(escape(line) for line in part.split("\n"))
    )


def _content(entry: Entry) -> str:
    """The entry's body as small HTML: when, where, then the calendar entry's text."""
    facts = entry.facts
    parts = [entry.when, facts.location, *facts.description.split("\n\n")]
    return "".join(
        _paragraph(part, facts.url) for part in (clean(p).strip() for p in parts) if part
    )


def build(kind: str, channel: Channel, entries: Sequence[Entry]) -> bytes:
    """The Atom (`kind` "atom") or RSS 2.0 ("rss") document, byte-for-byte the same for the
    same facts (no build time in it)."""
    feed = FeedGenerator()
    feed.id(channel.url)
    feed.title(one_line(channel.title))
    feed.subtitle(one_line(channel.subtitle))  # RSS's description too
    feed.link(href=channel.url, rel="self")
    feed.link(href=channel.page, rel="alternate")  # last: RSS's one link
    feed.language(channel.language)
    feed.updated(channel.updated)
    feed.lastBuildDate(channel.updated)
    feed.generator("outreach")
    for entry in entries:
        facts = entry.facts
        item = feed.add_entry(order="append")
        item.id(entry_id(facts.uid))
        item.guid(entry_id(facts.uid), permalink=False)
        item.title(one_line(entry.title))
        item.link(href=facts.url)
        item.published(facts.created)
        item.updated(facts.last_modified)
        if facts.organizer:
            item.author(name=one_line(facts.organizer))
        for category in facts.categories:
            item.category(term=one_line(category))
        if kind == "atom":
            item.content(_content(entry), type="html")
        else:
            item.description(_content(entry))
    if kind == "atom":
        return feed.atom_str(pretty=False)
    return feed.rss_str(pretty=False)
