"""Importing iCalendar files: each VEVENT becomes an event and each occurrence a session.

An import is a sync from the file, keyed by UID: the event remembers its VEVENT's UID
(`Event.source_uid`) and each session a UID made from it and the occurrence's original start
(its RECURRENCE-ID), so importing the same file again changes nothing, and a changed file
moves, retitles, cancels or restores the sessions it made instead of adding new ones. What the
file says wins over changes made here to the sessions it made; an occurrence that left the
file is cancelled (never deleted) when it is still to come. The organisation, venue and
category chosen for the import are those of new events and sessions; existing ones keep theirs.
"""

from __future__ import annotations

import hashlib
import re
import signal
import threading
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo, available_timezones

import recurring_ical_events
from flask import current_app
from flask_babel import gettext as _
from icalendar import Calendar, Component
from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from outreach.accounts import audit
from outreach.accounts.models import Organisation
from outreach.database import db, utcnow
from outreach.errors import RuleError
from outreach.events import scheduling
from outreach.events.models import (
    DESCRIPTION_LENGTH,
    TITLE_LENGTH,
    Category,
    Event,
    EventSession,
    EventStatus,
    SessionStatus,
)
from outreach.localtime import local_midnight, local_zone
from outreach.places.models import Venue
from outreach.text import visible

MAX_FILE_BYTES = 2 * 1024 * 1024
DAYS_BACK = 30
DAYS_AHEAD = 730
# A series denser than daily would flood the listings (and can take minutes to expand).
TOO_FREQUENT = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})
MAX_SESSIONS_PER_EVENT = 1000
EVENT_FIELDS = ("title", "description", "status", "category_id", "organisation_id", "source_uid")
UID_LENGTH = 255
# A content line's name and parameters: everything before the first colon outside quotes.
_HEAD = re.compile(r'^[^:"]*(?:"[^"]*"[^:"]*)*')
_TZID = re.compile(r';TZID=("[^"]*"|[^;:]*)', re.IGNORECASE)
_clock = time.monotonic  # replaced by tests


class ImportProblem(RuleError):
    """A file, or a choice for importing it, that cannot be used; the message is for the user
    and stands beside the file field unless another field is named."""

    def __init__(self, message: object, field: str | None = "file", kind: str | None = None):
        super().__init__(message, field, kind)


class Budget:
    """What one import may spend: sessions expanded (repeat rules included) and seconds,
    reading and writing alike (OUTREACH_IMPORT_MAX_SESSIONS, OUTREACH_IMPORT_SECONDS).

    Past either, the import stops with an ImportProblem; the caller rolls everything back.
    """

    def __init__(self, sessions: int, seconds: float):
        self.sessions = sessions
        self.seconds = seconds
        self.left = sessions
        self.deadline = _clock() + seconds

    @classmethod
    def configured(cls) -> Budget:
        """The budget the app's configuration sets."""
        config = current_app.config
        return cls(int(config["IMPORT_MAX_SESSIONS"]), float(config["IMPORT_SECONDS"]))

    def check(self) -> None:
        """Stop the import when its time is up."""
        if _clock() > self.deadline:
            raise self.late()

    def late(self) -> ImportProblem:
        """The refusal of an import past its time."""
        return ImportProblem(
            _(
                "The import took too long (more than %(seconds)d seconds); "
                "nothing was changed. Please split the file into smaller files.",
                seconds=int(self.seconds),
            )
        )

    @contextmanager
    def alarm(self) -> Iterator[None]:
        """Interrupt pure computation (reading the file) when the time is up.

        A repeat rule that never matches (`BYMONTH=2;BYMONTHDAY=30`) keeps the rule library
        searching to the year 9999 (seconds per event) without yielding, so checks between
        occurrences cannot stop it: a timer signal can, in the main thread (a gunicorn sync
        worker, the command line). Elsewhere (the development server's threads) only the
        checks between occurrences and events apply. Never used around database writes.
        """
        seconds = self.deadline - _clock()
        if threading.current_thread() is not threading.main_thread() or seconds <= 0:
            yield
            return

        def ring(_signum, _frame):
            raise self.late()

        previous = signal.signal(signal.SIGALRM, ring)
        signal.setitimer(signal.ITIMER_REAL, seconds)
        try:
            yield
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)

    def spend(self, sessions: int = 1) -> None:
        """Count sessions read from the file; stop past the limit or when time is up."""
        self.left -= sessions
        if self.left < 0:
            raise ImportProblem(
                _(
                    "The file has more than %(count)d sessions to import; nothing was changed. "
                    "Please split it into smaller files.",
                    count=self.sessions,
                )
            )
        self.check()


@dataclass(frozen=True)
class ImportOptions:
    """Where new events and sessions go; `category` None: matched from each VEVENT's CATEGORIES."""

    organisation: Organisation
    venue: Venue
    category: Category | None = None
    publish: bool = False


@dataclass(frozen=True)
class Window:
    """The span of time whose occurrences are imported (and whose missing ones cancelled)."""

    start: datetime
    end: datetime

    @classmethod
    def around(cls, now: datetime, back: int = DAYS_BACK, ahead: int = DAYS_AHEAD) -> Window:
        """From `back` days before `now` to `ahead` days after it."""
        return cls(now - timedelta(days=back), now + timedelta(days=ahead))

    def holds(self, instant: datetime) -> bool:
        """Whether an instant falls inside the window."""
        return self.start <= instant < self.end


@dataclass(frozen=True)
class Skipped:
    """A VEVENT left out, and why."""

    uid: str
    title: str
    reason: str


@dataclass
class ImportReport:
    """What an import did: events and sessions by outcome, and what it left out."""

    events: Counter[str] = field(default_factory=Counter)
    sessions: Counter[str] = field(default_factory=Counter)
    skipped: list[Skipped] = field(default_factory=list)
    # What was imported, but not quite as the file says (an unknown time zone, cut text).
    notes: list[Skipped] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        """Whether anything was created, updated or cancelled."""
        return bool(self.events["created"] + self.events["updated"])

    def summary(self) -> str:
        """The report as lines of plain text (for the command line)."""
        events, sessions = self.events, self.sessions
        lines = [
            f"Events: {events['created']} created, {events['updated']} updated, "
            f"{events['unchanged']} unchanged, {len(self.skipped)} skipped.",
            f"Sessions: {sessions['created']} created, {sessions['updated']} updated, "
            f"{sessions['unchanged']} unchanged, {sessions['cancelled']} cancelled.",
        ]
        lines += [f"Skipped {s.uid} ({s.title or '-'}): {s.reason}" for s in self.skipped]
        lines += [
            f"Note {n.uid} ({n.title}): {n.reason}" if n.uid else f"Note: {n.reason}"
            for n in self.notes
        ]
        return "\n".join(lines)


@dataclass(frozen=True)
class Occurrence:
    """One occurrence read from the file, in UTC, with the UID its session has."""

    uid: str
    starts_at: datetime
    ends_at: datetime
    all_day: bool
    cancelled: bool


@dataclass
class Entry:
    """One VEVENT (its master and its overrides) read from the file."""

    source_uid: str
    title: str
    description: str
    categories: tuple[str, ...]
    notes: tuple[str, ...]
    cancelled: bool
    occurrences: list[Occurrence]


class Unreadable(RuleError):
    """A VEVENT that cannot be imported; the message (for the user) says why. The import
    goes on without it and reports it."""


# ---------------------------------------------------------------------------------------------
# Choices


def resolve_options(
    organisation_slug: str, venue_id: int | None, category_slug: str | None, publish: bool
) -> ImportOptions:
    """The import's organisation, venue and category from their slugs and id."""
    organisation = db.session.scalar(
        select(Organisation).where(Organisation.slug == organisation_slug)
    )
    if organisation is None:
        raise ImportProblem(_("There is no organisation “%(slug)s”.", slug=organisation_slug))
    venue = db.session.get(Venue, venue_id) if venue_id and 0 < venue_id < 2**31 else None
    if venue is None:
        raise ImportProblem(_("There is no venue number %(id)s.", id=venue_id))
    category = None
    if category_slug:
        category = db.session.scalar(select(Category).where(Category.slug == category_slug))
        if category is None:
            raise ImportProblem(_("There is no category “%(slug)s”.", slug=category_slug))
    return ImportOptions(organisation, venue, category, publish)


# ---------------------------------------------------------------------------------------------
# Reading the file


def _decoded(data: bytes) -> str:
    """The file's text: UTF-8 as the standard says, else GB18030 (older Chinese software)."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportProblem(_("This is not an iCalendar (.ics) file."))


def real_zone(tzid: str) -> str | None:
    """The IANA name of the zone a TZID names (itself, a Windows/Outlook name, or a
    path ending in one such as `/mozilla.org/20050126_1/Europe/Berlin`); None if unknown."""
    name = tzid.strip().strip('"').strip()
    if name in WINDOWS_TO_OLSON:
        return WINDOWS_TO_OLSON[name]
    parts = name.strip("/").split("/")
    for start in range(len(parts)):
        candidate = "/".join(parts[start:])
        if candidate in _zone_names():
            return candidate
    return None


_ZONES: set[str] = set()


def _zone_names() -> set[str]:
    if not _ZONES:
        _ZONES.update(available_timezones())
    return _ZONES


def _without_timezones(text: str, report: ImportReport) -> str:
    """The file's text with its VTIMEZONEs left out and every TZID mapped to a real zone.

    A VTIMEZONE's own rules are never expanded (one repeating every second ties up a worker
    for minutes): a TZID that names a real zone (or a Windows one) is read as that zone, one
    that does not is dropped, so its times are read in the site's zone, and the report says so.
    """
    lines = re.sub(r"\r?\n[ \t]", "", text).splitlines()  # unfolded (RFC 5545, 3.1)
    kept: list[str] = []
    depth = 0
    unknown: dict[str, None] = {}

    def mapped(match: re.Match) -> str:
        tzid = match.group(1).strip('"')
        zone = real_zone(tzid)
        if zone is None:
            if len(unknown) < 10:  # a hostile file may name thousands: the first few tell
                unknown.setdefault(tzid[:80])
            return ""
        return f";TZID={zone}"

    for line in lines:
        upper = line.upper()
        if upper.startswith("BEGIN:VTIMEZONE"):
            depth += 1
        elif upper.startswith("END:VTIMEZONE") and depth:
            depth -= 1
        elif not depth:
            head = _HEAD.match(line)
            end = head.end() if head else 0
            if ";" in line[:end]:
                line = _TZID.sub(mapped, line[:end]) + line[end:]
            kept.append(line)
    for tzid in unknown:
        report.notes.append(
            Skipped(
                "",
                "",
                _(
                    "The time zone “%(tzid)s” is unknown; its times were read in the site's "
                    "time zone (%(zone)s).",
                    tzid=_clean(tzid),
                    zone=local_zone().key,
                ),
            )
        )
    return "\r\n".join(kept) + "\r\n"


def read_calendar(data: bytes, report: ImportReport | None = None) -> Calendar:
    """The calendar in an uploaded file; a clear ImportProblem when it is not one."""
    if len(data) > MAX_FILE_BYTES:
        raise ImportProblem(
            _("The file is too large: at most %(size)d MB.", size=MAX_FILE_BYTES // 2**20)
        )
    if not data.strip():
        raise ImportProblem(_("The file is empty."))
    text = _decoded(data)
    if "\x00" in text:
        raise ImportProblem(_("This is not an iCalendar (.ics) file."))
    text = _without_timezones(text, report if report is not None else ImportReport())
    try:
        calendar = Calendar.from_ical(text)
    except ImportProblem:  # out of time (Budget.alarm)
        raise
    except Exception:  # the parser raises many kinds of error on what is not iCalendar
        raise ImportProblem(_("This is not an iCalendar (.ics) file.")) from None
    if calendar.name != "VCALENDAR":
        raise ImportProblem(_("This is not an iCalendar (.ics) file."))
    return calendar


def _clean(text: str) -> str:
    """Text fit to store: no control or format characters (PostgreSQL refuses NUL; bidi
    overrides and zero-width spaces disguise a title), Unix line ends."""
    return visible(text.replace("\r\n", "\n").replace("\r", "\n")).strip()


def _first(value: Any) -> Any:
    """A property given more than once counts by its first value."""
    return value[0] if isinstance(value, list) else value


def _chinese_first(value: Any) -> Any:
    """Of a text property given more than once, the Chinese (or untagged) value, else the first.

    An import fills the Chinese fields only. Files rarely say what language a text is in; when
    one does (`SUMMARY;LANGUAGE=en:…`, maybe beside `SUMMARY;LANGUAGE=zh-CN:…`), we prefer
    the untagged or Chinese value and otherwise take the first, whatever its language, since an
    event needs a title. The English fields are never written by an import: staff fill them in
    the editor, and a second import of the file keeps what they wrote. `ALTREP` (the address of
    another form of the text, e.g. HTML) is ignored: the plain text value is what we store.
    """
    if not isinstance(value, list):
        return value
    for each in value:
        language = str(getattr(each, "params", {}).get("LANGUAGE", "")).lower()
        if not language or language.startswith("zh"):
            return each
    return _first(value)


def _text(component: Component, name: str) -> str:
    value = _chinese_first(component.get(name))
    return _clean(str(value)) if value is not None else ""


def _categories(component: Component) -> tuple[str, ...]:
    values = component.get("CATEGORIES")
    lists = values if isinstance(values, list) else [values] if values is not None else []
    return tuple(_clean(str(name)) for each in lists for name in getattr(each, "cats", [each]))


def stored_uid(uid: str) -> str:
    """A UID as an event keeps it: itself when it fits the column, else its digest."""
    if len(uid) <= UID_LENGTH:
        return uid
    return "sha256:" + hashlib.sha256(uid.encode()).hexdigest()


def _session_prefix(source_uid: str) -> str:
    """What the UIDs of an imported event's sessions start with.

    A digest, not the file's UID itself: ours stay short, and carry nothing of the file's
    (which often holds an e-mail address) into public feeds.
    """
    return f"imported-{hashlib.sha256(source_uid.encode()).hexdigest()[:24]}-"


def _instant(value: date, zone: ZoneInfo) -> datetime:
    """A DATE or DATE-TIME as an aware UTC instant; dates and floating times in `zone`."""
    if not isinstance(value, datetime):
        return local_midnight(value).astimezone(UTC)
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    return value.astimezone(UTC)


def _occurrence(component: Component, prefix: str, zone: ZoneInfo) -> Occurrence:
    """One expanded occurrence; its UID comes from its original start (RECURRENCE-ID)."""
    start = component.decoded("DTSTART")
    end = component.decoded("DTEND") if "DTEND" in component else start
    original = component.decoded("RECURRENCE-ID") if "RECURRENCE-ID" in component else start
    all_day = not isinstance(start, datetime)
    starts_at, ends_at = _instant(start, zone), _instant(end, zone)
    if all_day and ends_at <= starts_at:
        ends_at = _instant(start + timedelta(days=1), zone)  # one day, as RFC 5545 says
    ends_at = max(ends_at, starts_at)
    stamp = _instant(original, zone).strftime("%Y%m%dT%H%M%SZ")
    return Occurrence(
        uid=prefix + stamp,
        starts_at=starts_at,
        ends_at=ends_at,
        all_day=all_day,
        cancelled=_text(component, "STATUS").upper() == "CANCELLED",
    )


def _check_rules(master: Component) -> None:
    """Refuse repeat rules denser than once a day, before expanding them."""
    rules = master.get("RRULE")
    for rule in rules if isinstance(rules, list) else [rules] if rules is not None else []:
        frequencies = {str(value).upper() for value in rule.get("FREQ", [])}
        several = any(len(rule.get(part, [])) > 1 for part in ("BYHOUR", "BYMINUTE", "BYSECOND"))
        if frequencies & TOO_FREQUENT or several:
            raise Unreadable(
                _("It repeats more than once a day; import such sessions as separate events.")
            )


def _expand(series: Calendar, prefix: str, window: Window, budget: Budget) -> list[Occurrence]:
    """The occurrences of one VEVENT's series that start inside the window; each one read
    is spent from the budget, so no rule can run on unchecked."""
    zone = local_zone()
    margin = timedelta(days=2)  # floating times are placed in our zone only afterwards
    found: dict[str, Occurrence] = {}
    try:
        for component in recurring_ical_events.of(series).after(window.start - margin):
            occurrence = _occurrence(component, prefix, zone)
            if occurrence.starts_at >= window.end + margin:
                break
            budget.spend()
            if window.holds(occurrence.starts_at):
                found[occurrence.uid] = occurrence
                if len(found) > MAX_SESSIONS_PER_EVENT:
                    break
    except ImportProblem:
        raise
    except Exception:  # malformed dates and rules surface as many kinds of error
        raise Unreadable(_("Its dates or repeat rule cannot be read.")) from None
    if len(found) > MAX_SESSIONS_PER_EVENT:
        raise Unreadable(
            _(
                "It has more than %(count)d sessions in the import window.",
                count=MAX_SESSIONS_PER_EVENT,
            )
        )
    return sorted(found.values(), key=lambda o: (o.starts_at, o.uid))


def _series_calendar(calendar: Calendar, parts: list) -> Calendar:
    """A calendar of one VEVENT and its overrides, so one bad series spoils nothing else."""
    series = Calendar()
    if "X-WR-TIMEZONE" in calendar:
        series["X-WR-TIMEZONE"] = calendar["X-WR-TIMEZONE"]
    for component in parts:
        series.add_component(component)
    return series


def _fitted(text: str, limit: int, note: str, notes: list[str]) -> str:
    """Text cut to the editor's limit; a note says so when it was longer."""
    if len(text) <= limit:
        return text
    notes.append(note)
    return text[:limit]


def _entry(calendar: Calendar, uid: str, parts: list, window: Window, budget: Budget) -> Entry:
    """One VEVENT read and expanded; Unreadable says why it cannot be imported."""
    master = next((p for p in parts if "RECURRENCE-ID" not in p), parts[0])
    notes: list[str] = []
    title = _fitted(
        _text(master, "SUMMARY"),
        TITLE_LENGTH,
        _("Its title was cut to %(count)d characters.", count=TITLE_LENGTH),
        notes,
    )
    description = _fitted(
        _text(master, "DESCRIPTION"),
        DESCRIPTION_LENGTH,
        _("Its description was cut to %(count)d characters.", count=DESCRIPTION_LENGTH),
        notes,
    )
    if not title:
        raise Unreadable(_("It has no title (SUMMARY)."))
    if "DTSTART" not in master:
        raise Unreadable(_("It has no start (DTSTART)."))
    _check_rules(master)
    source_uid = stored_uid(uid)
    series = _series_calendar(calendar, parts)
    return Entry(
        source_uid=source_uid,
        title=title,
        description=description,
        categories=_categories(master),
        notes=tuple(notes),
        cancelled=_text(master, "STATUS").upper() == "CANCELLED",
        occurrences=_expand(series, _session_prefix(source_uid), window, budget),
    )


def _by_uid(calendar: Calendar) -> tuple[dict[str, list], list[Component]]:
    """The VEVENTs grouped by UID, in file order, and those with no UID."""
    groups: dict[str, list] = {}
    nameless = []
    for component in calendar.walk("VEVENT"):
        uid = _text(component, "UID")
        if uid:
            groups.setdefault(uid, []).append(component)
        else:
            nameless.append(component)
    return groups, nameless


def read_entries(
    calendar: Calendar, window: Window, report: ImportReport, budget: Budget
) -> list[Entry]:
    """Every importable VEVENT of the calendar; the others go to the report as skipped."""
    groups, nameless = _by_uid(calendar)
    if not groups and not nameless:
        raise ImportProblem(_("The file holds no events."))
    if len(groups) > budget.sessions:  # each has a session at least: refuse at once
        budget.spend(len(groups))
    for component in nameless:
        report.skipped.append(Skipped("", _text(component, "SUMMARY"), _("It has no UID.")))
    entries = []
    for uid, parts in groups.items():
        budget.check()
        try:
            entries.append(_entry(calendar, uid, parts, window, budget))
        except Unreadable as reason:
            report.skipped.append(Skipped(uid, _text(parts[0], "SUMMARY"), str(reason)))
    return entries


# ---------------------------------------------------------------------------------------------
# Writing the events and sessions


def _existing(source_uids: Iterable[str]) -> dict[str, Event]:
    """Events imported before from these UIDs, with their sessions."""
    wanted = list(source_uids)
    found: dict[str, Event] = {}
    for start in range(0, len(wanted), 500):  # bounded IN lists
        chunk = wanted[start : start + 500]
        statement = (
            select(Event).where(Event.source_uid.in_(chunk)).options(selectinload(Event.sessions))
        )
        found.update({event.source_uid: event for event in db.session.scalars(statement)})
    return found


def _category_names() -> dict[str, Category]:
    """Categories by every name a file may call them: slug, Chinese and English names."""
    names: dict[str, Category] = {}
    for category in db.session.scalars(select(Category).order_by(Category.id)):
        for name in (category.slug, category.name, category.name_en):
            if name:
                names.setdefault(name.strip().casefold(), category)
    return names


class _Import:
    """One run of an import: the options, the actor, the clock and the report.

    Sessions are written through the one path (scheduling.py) with no entry of their own:
    each event's "import" entry counts what happened to its sessions. Changes are signalled,
    so registrants hear of a session the file moved, cancelled or put back on.
    """

    def __init__(
        self,
        options: ImportOptions,
        actor: Any,
        now: datetime,
        window: Window,
        budget: Budget,
        report: ImportReport,
    ):
        self.options = options
        self.actor = actor
        self.now = now
        self.window = window
        self.budget = budget
        self.report = report
        self.categories = _category_names() if options.category is None else {}

    def skip(self, entry: Entry, reason: str) -> None:
        """Leave a VEVENT out, saying why."""
        self.report.skipped.append(Skipped(entry.source_uid, entry.title, reason))

    def category_of(self, entry: Entry) -> Category | None:
        """The chosen category, else the first of the VEVENT's CATEGORIES that we know."""
        if self.options.category is not None:
            return self.options.category
        for name in entry.categories:
            if found := self.categories.get(name.casefold()):
                return found
        return None

    def run(self, entries: list[Entry]) -> None:
        """Create or update the event of each entry."""
        self.budget.check()
        existing = _existing(entry.source_uid for entry in entries)
        for entry in entries:
            self.budget.check()
            self.report.notes += [Skipped(entry.source_uid, entry.title, n) for n in entry.notes]
            event = existing.get(entry.source_uid)
            if event is None:
                self.create(entry)
            elif event.organisation_id != self.options.organisation.id:
                self.skip(entry, _("Another organisation imported this event before."))
            else:
                self.update(event, entry)
        db.session.flush()
        self.budget.check()

    def create(self, entry: Entry) -> None:
        """A new event with a session per occurrence (cancelled occurrences are left out)."""
        live = [o for o in entry.occurrences if not o.cancelled]
        if entry.cancelled:
            return self.skip(entry, _("It is cancelled in the file."))
        if not live:
            return self.skip(entry, _("It has no sessions in the import window."))
        category = self.category_of(entry)
        if category is None:
            return self.skip(entry, _("Its category is unknown: choose a category for it."))
        publish = self.options.publish
        event = Event(
            organisation=self.options.organisation,
            organisation_id=self.options.organisation.id,
            category=category,
            category_id=category.id,
            title=entry.title,
            description=entry.description,
            status=EventStatus.PUBLISHED if publish else EventStatus.DRAFT,
            source_uid=entry.source_uid,
        )
        db.session.add(event)
        self.add_sessions(event, live)
        self.report.events["created"] += 1
        after = audit.snapshot(event, EVENT_FIELDS)
        self.record(event, audit.changes({}, after), Counter(created=len(live)))

    def add_sessions(self, event: Event, occurrences: list[Occurrence]) -> None:
        """New sessions at the chosen venue, keeping the occurrences' UIDs."""
        new = [
            scheduling.NewSession(
                starts_at=occurrence.starts_at,
                ends_at=occurrence.ends_at,
                venue=self.options.venue,
                all_day=occurrence.all_day,
                uid=occurrence.uid,
            )
            for occurrence in occurrences
        ]
        scheduling.add_sessions(self.actor, event, new, audited=False)
        self.report.sessions["created"] += len(new)

    def update(self, event: Event, entry: Entry) -> None:
        """Bring an imported event and its sessions in line with the file."""
        before = audit.snapshot(event, EVENT_FIELDS)
        event.title, event.description = entry.title, entry.description
        if self.options.publish and event.status == EventStatus.DRAFT:
            event.status = EventStatus.PUBLISHED
        changed = audit.changes(before, audit.snapshot(event, EVENT_FIELDS))
        touched = self.sync_sessions(event, entry)
        if {"title", "description"} & changed.keys():
            # Calendars show the title and text: every session still to come must re-sync
            # (those changed above already have).
            scheduling.follow_event(
                s for s in event.sessions if s.ends_at >= self.now and s.uid not in touched
            )
        outcomes = Counter(touched.values())
        if changed or outcomes:
            self.report.events["updated"] += 1
            self.record(event, changed, outcomes)
        else:
            self.report.events["unchanged"] += 1

    def sync_sessions(self, event: Event, entry: Entry) -> dict[str, str]:
        """Create, move, cancel or restore the sessions the file made; {uid: outcome}."""
        prefix = _session_prefix(entry.source_uid)
        current = {s.uid: s for s in event.sessions if s.uid.startswith(prefix)}
        outcomes: dict[str, str] = {}
        for occurrence in entry.occurrences:
            event_session = current.get(occurrence.uid)
            if event_session is not None:
                outcome = self.apply(event_session, occurrence)
            elif not occurrence.cancelled:
                self.add_sessions(event, [occurrence])
                outcome = "created"
            else:
                continue
            if outcome != "unchanged":
                outcomes[occurrence.uid] = outcome
        listed = {o.uid for o in entry.occurrences}
        for uid, event_session in current.items():
            if uid not in listed and self.gone(event_session):
                outcomes[uid] = self.cancel(event_session)
        return outcomes

    def gone(self, event_session: EventSession) -> bool:
        """Whether a session missing from the file is one to cancel: to come, in the window."""
        return (
            event_session.status == SessionStatus.SCHEDULED
            and event_session.starts_at > self.now
            and self.window.holds(event_session.starts_at)
        )

    def apply(self, event_session: EventSession, occurrence: Occurrence) -> str:
        """Give a session the occurrence's times and status; returns the outcome."""
        values: dict[str, Any] = {
            "starts_at": occurrence.starts_at,
            "ends_at": occurrence.ends_at,
            "all_day": occurrence.all_day,
        }
        if occurrence.cancelled:
            values["status"] = SessionStatus.CANCELLED
        elif event_session.status == SessionStatus.CANCELLED:
            values["status"], values["cancellation_reason"] = SessionStatus.SCHEDULED, ""
        return self.change(event_session, values)

    def cancel(self, event_session: EventSession) -> str:
        """Cancel a session that left the file; returns the outcome."""
        return self.change(event_session, {"status": SessionStatus.CANCELLED})

    def change(self, event_session: EventSession, values: dict[str, Any]) -> str:
        """Change a session (touched and signalled by the one path); returns the outcome."""
        changed = scheduling.change_session(self.actor, event_session, audited=False, **values)
        if not changed:
            outcome = "unchanged"
        elif scheduling.action_of(changed) == "cancel":
            outcome = "cancelled"
        else:
            outcome = "updated"
        self.report.sessions[outcome] += 1
        return outcome

    def record(self, event: Event, changed: dict[str, Any], sessions: Counter[str]) -> None:
        """The audit entry of an imported event, with what happened to its sessions."""
        if sessions:
            changed = {**changed, "sessions": {"before": None, "after": dict(sessions)}}
        audit.record(
            self.actor,
            "import",
            event,
            organisation_id=event.organisation_id,
            label=event.title,
            changed=changed,
        )


def import_calendar(
    data: bytes,
    options: ImportOptions,
    actor: Any,
    *,
    now: datetime | None = None,
    window: Window | None = None,
) -> ImportReport:
    """Import an iCalendar file's events and sessions; flushes, never commits.

    Past the budget (sessions or seconds, reading and writing alike) it raises ImportProblem
    and the caller's attempt rolls the whole import back.
    """
    now = now or utcnow()
    window = window or Window.around(now)
    budget = Budget.configured()
    report = ImportReport()
    with budget.alarm():
        calendar = read_calendar(data, report)
        budget.check()
        entries = read_entries(calendar, window, report, budget)
    run = _Import(options, actor, now, window, budget, report)
    run.run(entries)
    return report
