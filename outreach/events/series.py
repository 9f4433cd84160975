"""Series: an event's recurrence rule and the sessions it generates. Flushes, never commits.

Each occurrence is its own EventSession (with `series_id`), so capacity, cancellation and
calendar UIDs work per date. Editing the rule changes only future sessions the series made
and nobody changed since; everything else is kept and reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from outreach.accounts import audit
from outreach.database import db, utcnow
from outreach.enums import LabelledEnum
from outreach.events import holidays, recurrence, scheduling
from outreach.events.models import Event, EventSeries, EventSession, SessionStatus
from outreach.events.recurrence import Adjustment, CalendarChange, Occurrence, RecurrenceError, Rule
from outreach.localtime import local_date, local_zone
from outreach.places.models import Venue

SERIES_FIELDS = (
    "rule",
    "first_day",
    "start_time",
    "end_time",
    "all_day",
    "venue_id",
    "capacity",
    "exdates",
    "skip_holidays",
    "working_calendar",
)


class SeriesError(RecurrenceError):
    """A series that cannot be saved or removed as asked; names the field, speaks to users."""


class KeptReason(LabelledEnum):
    """Why regenerating left a future session of the series alone."""

    CANCELLED = "cancelled", _l("cancelled")
    CHANGED = "changed", _l("changed on its own")  # rescheduled, moved or resized on its own
    # Residents have registered: never moved or deleted by a rule.
    REGISTERED = "registered", _l("residents have registered")


@dataclass(frozen=True)
class SeriesPlan:
    """A series as the form describes it: the rule, times in local wall time, and the place."""

    rule: Rule
    first_day: date
    start_time: time
    end_time: time
    all_day: bool
    venue_id: int
    capacity: int | None
    exdates: tuple[date, ...] = ()
    skip_holidays: bool = False
    working_calendar: bool = False

    def _dated(self, days: list[date]) -> dict[date, Occurrence]:
        found = recurrence.spans(days, self.start_time, self.end_time, self.all_day, local_zone())
        return {local_date(item.starts_at): item for item in found}

    def schedule(self) -> Schedule:
        """The plan's sessions after exceptions and the official calendar, what the calendar
        changed and which years it does not know; RecurrenceError past the limits."""
        start = time.min if self.all_day else self.start_time
        days = recurrence.rule_days(recurrence.to_rrule(self.rule), self.first_day, start)
        skipped = set(self.exdates)
        if not (self.skip_holidays or self.working_calendar) or not days:
            dated = self._dated([day for day in days if day not in skipped])
            return Schedule(dated, [], [], dated)
        last = self.rule.until or days[-1]
        calendar = holidays.official_calendar(self.first_day, last)
        followed = recurrence.follow_calendar(
            days,
            last,
            calendar,
            skip_holidays=self.skip_holidays,
            working_calendar=self.working_calendar,
            add_workdays=self.rule.every_working_day,
        )
        added = {item.day for item in followed.adjustments if item.change == CalendarChange.WORKDAY}
        years = range(self.first_day.year, last.year + 1)
        return Schedule(
            occurrences=self._dated([day for day in followed.days if day not in skipped]),
            adjustments=followed.adjustments,
            missing_years=[year for year in years if year not in calendar.known_years],
            candidates=self._dated(sorted({*days, *added} - skipped)),
        )

    def dated(self) -> dict[date, Occurrence]:
        """The plan's occurrences by local day, in order; RecurrenceError past the limits."""
        return self.schedule().occurrences


@dataclass(frozen=True)
class Schedule:
    """What a plan gives by local day, and what the official calendar changed.

    `candidates` are the days it may have given whatever the calendar said when it was
    saved (the rule's days and the make-up workdays it added): a session on one of them
    that is still as generated belongs to the series, even after the holidays changed.
    """

    occurrences: dict[date, Occurrence]
    adjustments: list[Adjustment]
    missing_years: list[int]
    candidates: dict[date, Occurrence]


@dataclass(frozen=True)
class KeptSession:
    """A future session of the series left as it is, and why."""

    event_session: EventSession
    reason: KeptReason


@dataclass
class Changes:
    """What saving a plan would do to the event's sessions."""

    create: list[Occurrence] = field(default_factory=list)
    update: list[tuple[EventSession, Occurrence]] = field(default_factory=list)
    remove: list[EventSession] = field(default_factory=list)
    kept: list[KeptSession] = field(default_factory=list)
    unchanged: int = 0
    past: int = 0


@dataclass
class SeriesReport:
    """What saving or removing a series did."""

    created: list[EventSession] = field(default_factory=list)
    updated: list[EventSession] = field(default_factory=list)
    removed: list[Occurrence] = field(default_factory=list)
    kept: list[KeptSession] = field(default_factory=list)
    past: int = 0
    missing_years: list[int] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        """How many sessions each outcome concerns."""
        return {
            "created": len(self.created),
            "updated": len(self.updated),
            "removed": len(self.removed),
            "kept": len(self.kept),
        }


@dataclass(frozen=True)
class PreviewRow:
    """One date of a preview; past dates are shown but never created."""

    day: date
    occurrence: Occurrence
    past: bool
    added: Adjustment | None = None


@dataclass(frozen=True)
class Preview:
    """The dates a plan gives, and what saving it would change."""

    rows: list[PreviewRow]
    changes: Changes
    all_day: bool
    # What the official calendar changed: holidays skipped, make-up workdays added (other
    # days off skipped by the working calendar are only counted), and unknown years.
    adjustments: list[Adjustment] = field(default_factory=list)
    rest_days: int = 0
    missing_years: list[int] = field(default_factory=list)


def stored_exdates(series: EventSeries) -> tuple[date, ...]:
    """The series' exception dates as dates (they are kept as ISO text)."""
    return tuple(date.fromisoformat(value) for value in series.exdates or ())


def plan_of(series: EventSeries) -> SeriesPlan:
    """The saved series in the terms of the form (raises RecurrenceError for a foreign rule)."""
    return SeriesPlan(
        rule=recurrence.from_rrule(series.rule),
        first_day=series.first_day,
        start_time=series.start_time,
        end_time=series.end_time,
        all_day=series.all_day,
        venue_id=series.venue_id,
        capacity=series.capacity,
        exdates=stored_exdates(series),
        skip_holidays=series.skip_holidays,
        working_calendar=series.working_calendar,
    )


def saved_plan(event: Event) -> SeriesPlan | None:
    """The event's saved series for the form to start from; None when it has none, or a
    rule the form cannot show (then the form starts afresh)."""
    if event.series is None:
        return None
    try:
        return plan_of(event.series)
    except RecurrenceError:
        return None


_NOTHING = Schedule({}, [], [], {})


def _stored_schedule(series: EventSeries | None) -> Schedule:
    """What the saved series gives (empty when it cannot be expanded)."""
    if series is None:
        return _NOTHING
    try:
        return plan_of(series).schedule()
    except RecurrenceError:
        return _NOTHING  # then no session counts as generated: all are kept, none destroyed


def _as_generated(
    event_session: EventSession, occurrence: Occurrence | None, series: EventSeries
) -> bool:
    """Whether a session is still exactly what the series made of its date.

    Not `sequence == 0`: the series' own in-place updates bump the sequence too. A session
    cancelled, rescheduled, moved or resized on its own no longer matches and is kept.
    Sessions holding registrations are kept too (see `_split_future`).
    """
    return (
        occurrence is not None
        and event_session.status == SessionStatus.SCHEDULED
        and event_session.starts_at == occurrence.starts_at
        and event_session.ends_at == occurrence.ends_at
        and event_session.all_day == series.all_day
        and event_session.venue_id == series.venue_id
        and event_session.capacity == series.capacity
    )


def _booked(sessions: list[EventSession]) -> set[int]:
    """Ids of the sessions any resident has registered for (cancelled ones count too)."""
    ids = [s.id for s in sessions if s.id is not None]
    if not ids:
        return set()
    statement = select(EventSession.id).where(
        EventSession.id.in_(ids), EventSession.registrations.any()
    )
    return set(db.session.scalars(statement))


def _kept_reason(event_session: EventSession, booked: set[int]) -> KeptReason:
    if event_session.id in booked:
        return KeptReason.REGISTERED
    if event_session.status == SessionStatus.CANCELLED:
        return KeptReason.CANCELLED
    return KeptReason.CHANGED


def _series_sessions(event: Event, series: EventSeries | None) -> list[EventSession]:
    if series is None or series.id is None:
        return []
    return [item for item in event.sessions if item.series_id == series.id]


def _split_future(
    event: Event, series: EventSeries | None, old: dict[date, Occurrence], now: datetime
) -> tuple[dict[date, EventSession], list[KeptSession]]:
    """The series' future sessions: those still as generated (by day), and the others."""
    generated: dict[date, EventSession] = {}
    kept: list[KeptSession] = []
    future = [s for s in _series_sessions(event, series) if s.starts_at > now]
    booked = _booked(future)  # the past is never touched
    for event_session in future:
        day = local_date(event_session.starts_at)
        if (
            day not in generated
            and event_session.id not in booked
            and _as_generated(event_session, old.get(day), series)
        ):
            generated[day] = event_session
        else:
            kept.append(KeptSession(event_session, _kept_reason(event_session, booked)))
    return generated, kept


def _differs(event_session: EventSession, occurrence: Occurrence, plan: SeriesPlan) -> bool:
    return (
        event_session.starts_at,
        event_session.ends_at,
        event_session.all_day,
        event_session.venue_id,
        event_session.capacity,
    ) != (occurrence.starts_at, occurrence.ends_at, plan.all_day, plan.venue_id, plan.capacity)


def plan_changes(event: Event, plan: SeriesPlan, now: datetime | None = None) -> Changes:
    """What saving `plan` would do, by local day, without changing anything."""
    recurrence.check(plan.rule, plan.first_day)
    return _changes(event, plan, plan.schedule(), now or utcnow())


def _changes(event: Event, plan: SeriesPlan, schedule: Schedule, now: datetime) -> Changes:
    """What saving `plan` (giving `schedule`) would do.

    A date the old rule also had but whose session is gone or changed stays as staff left
    it: the session was deleted, moved or cancelled on purpose and is not made again.
    Sessions on dates the official calendar now takes out go like any other dropped date,
    unless edited or booked (then kept, as `_split_future` decides).
    """
    old = _stored_schedule(event.series)
    generated, kept = _split_future(event, event.series, old.candidates, now)
    changes = Changes(kept=kept)
    old_days = old.occurrences
    for day, occurrence in schedule.occurrences.items():
        if occurrence.starts_at <= now:
            changes.past += 1
        elif day in generated:
            event_session = generated.pop(day)
            if _differs(event_session, occurrence, plan):
                changes.update.append((event_session, occurrence))
            else:
                changes.unchanged += 1
        elif day not in old_days:
            changes.create.append(occurrence)
    changes.remove = list(generated.values())
    return changes


def preview(event: Event, plan: SeriesPlan, now: datetime | None = None) -> Preview:
    """The plan's local dates and times, and what saving it would change; saves nothing."""
    recurrence.check(plan.rule, plan.first_day)
    now = now or utcnow()
    schedule = plan.schedule()
    changes = _changes(event, plan, schedule, now)
    added = {
        item.day: item for item in schedule.adjustments if item.change == CalendarChange.WORKDAY
    }
    rows = [
        PreviewRow(day, item, item.starts_at <= now, added.get(day))
        for day, item in schedule.occurrences.items()
    ]
    rest = [item for item in schedule.adjustments if item.change == CalendarChange.REST_DAY]
    return Preview(
        rows=rows,
        changes=changes,
        all_day=plan.all_day,
        adjustments=[item for item in schedule.adjustments if item not in rest],
        rest_days=len(rest),
        missing_years=schedule.missing_years,
    )


@dataclass(frozen=True)
class Overview:
    """The saved series of an event, if any, and how many sessions it has made."""

    series: EventSeries | None
    total: int
    upcoming: int


def overview(event: Event, now: datetime | None = None) -> Overview:
    """What the series page says about the saved rule; reads the loaded sessions only."""
    now = now or utcnow()
    sessions = _series_sessions(event, event.series)
    upcoming = sum(1 for item in sessions if item.starts_at > now)
    return Overview(series=event.series, total=len(sessions), upcoming=upcoming)


def _venue(venue_id: int) -> Venue:
    venue = db.session.get(Venue, venue_id)
    if venue is None:
        raise SeriesError(_l("Please choose a venue from the list."), "venue_id")
    return venue


def _store(series: EventSeries, plan: SeriesPlan) -> None:
    series.rule = recurrence.to_rrule(plan.rule)
    series.first_day = plan.first_day
    series.start_time = time.min if plan.all_day else plan.start_time
    series.end_time = time.min if plan.all_day else plan.end_time
    series.all_day = plan.all_day
    series.venue_id = plan.venue_id
    series.capacity = plan.capacity
    series.exdates = sorted(day.isoformat() for day in set(plan.exdates))
    series.skip_holidays = plan.skip_holidays
    series.working_calendar = plan.working_calendar


# The series writes sessions through the one path (scheduling.py) with one audit entry for
# the whole regeneration (`_record`), and no signals: it only ever changes or removes sessions
# nobody registered for (see `_split_future`), so no receiver has anybody to tell.


def _removed(actor: Any, event_session: EventSession) -> Occurrence:
    """Delete a session; what it was is kept for the report."""
    gone = Occurrence(event_session.starts_at, event_session.ends_at)
    scheduling.remove_session(actor, event_session, audited=False, signalled=False)
    return gone


def _apply(
    actor: Any,
    event: Event,
    series: EventSeries,
    plan: SeriesPlan,
    venue: Venue,
    changes: Changes,
) -> SeriesReport:
    report = SeriesReport(kept=changes.kept, past=changes.past)
    new = [
        scheduling.NewSession(
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            venue=venue,
            all_day=plan.all_day,
            capacity=plan.capacity,
            series_id=series.id,
        )
        for occurrence in changes.create
    ]
    report.created = scheduling.add_sessions(actor, event, new, audited=False)
    for event_session, occurrence in changes.update:
        scheduling.change_session(
            actor,
            event_session,
            audited=False,
            signalled=False,
            starts_at=occurrence.starts_at,
            ends_at=occurrence.ends_at,
            all_day=plan.all_day,
            venue=venue,
            capacity=plan.capacity,
        )
        report.updated.append(event_session)
    report.removed = [_removed(actor, item) for item in changes.remove]
    return report


def _record(actor: Any, event: Event, before: dict, after: dict, report: SeriesReport) -> None:
    changed: dict[str, Any] = audit.changes(before, after)
    counts = report.counts()
    if not changed and not counts["created"] + counts["updated"] + counts["removed"]:
        return  # saved as it was: nothing happened worth a line in the trail
    for name, number in counts.items():
        changed[f"sessions_{name}"] = {"before": None, "after": number}
    audit.record(
        actor,
        "series",
        event,
        organisation_id=event.organisation_id,
        label=event.title,
        changed=changed,
    )


def save_series(
    event: Event, plan: SeriesPlan, actor: Any, now: datetime | None = None
) -> SeriesReport:
    """Create or replace the event's series and bring its future sessions in line.

    New dates get new sessions; dates that disappeared lose their unchanged sessions;
    unchanged sessions of remaining dates are updated in place (same UID, touched) when
    the time, place or capacity moved. Sessions changed on their own and past sessions stay.
    """
    venue = _venue(plan.venue_id)
    recurrence.check(plan.rule, plan.first_day)
    schedule = plan.schedule()
    changes = _changes(event, plan, schedule, now or utcnow())
    series = event.series
    before = audit.snapshot(series, SERIES_FIELDS) if series else {}
    if series is None:
        series = EventSeries(event=event)
        db.session.add(series)
    _store(series, plan)
    db.session.flush()  # the series' id, for the new sessions
    report = _apply(actor, event, series, plan, venue, changes)
    report.missing_years = schedule.missing_years
    _record(actor, event, before, audit.snapshot(series, SERIES_FIELDS), report)
    db.session.flush()
    return report


def remove_series(event: Event, actor: Any, now: datetime | None = None) -> SeriesReport:
    """Drop the event's rule: its unchanged future sessions go, the others stay as singles."""
    series = event.series
    if series is None:
        raise SeriesError(_l("This event has no repeat rule."), "series")
    now = now or utcnow()
    generated, kept = _split_future(event, series, _stored_schedule(series).candidates, now)
    report = SeriesReport(kept=kept)
    report.removed = [_removed(actor, item) for item in generated.values()]
    scheduling.leave_series(_series_sessions(event, series))
    before = audit.snapshot(series, SERIES_FIELDS)
    _record(actor, event, before, dict.fromkeys(SERIES_FIELDS), report)
    event.series = None  # delete-orphan deletes the row
    db.session.flush()
    return report
