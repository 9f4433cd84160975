"""Each session's statistics row, kept by the database: where and when it is held, what its
event is, and what its registrations add up to.

The statistics used to sum every registration of the sessions in range: at city scale (two
million registrations) a year's overview read them all and ran past the worker's timeout.
They then read one `session_tally` row per session, joined with the session, its event, its
venue and its slots: a week of a city (6,000 sessions) still cost a hash of every event and
venue and two lookups per session. Now the row carries all a page reads, and a page reads
the rows of its period along one index and nothing else.

Triggers keep the rows exact in the same transaction as the change, the way the seat
counters are kept (outreach/registrations/counters.py):

- on `registration`, the counts: a new registration, cancelling, a check-in or its undoing,
  a party size change, a walk-in, a promotion, moving to another session, deleting rows.
  The purge of personal data changes none of the columns counted, so it fires nothing and
  the figures stay;
- on `event_session`, its row: made with the session, and set again when it moves to another
  day, venue or event, changes its capacity or is cancelled; removed with the session;
- on `event`, its sessions' status, organisation and category; on `venue`, its sessions'
  township and community; on `slot`, the places of its session's slots.

The table has no foreign key: a registration deleted with its session (a cascade) still
fires its trigger, which must not fail on the session row being gone. Whichever runs first,
the row of a deleted session is gone or left with counts only (no start, no event), which
no page reads, as pages choose rows by their start or their event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column

from outreach.database import db

# Each counted column and, over a registration row alias R, the condition for the row to
# count and what it adds (1 for a registration, a number of people otherwise).
_CONFIRMED = "{r}.status = 'confirmed'"
_CHECKED_IN = "{r}.status = 'confirmed' AND {r}.arrived > 0"
_WAITING = "{r}.status = 'waitlisted'"
# A registration is confirmed at once (confirmed_at set) or waitlisted: one cancelled without
# ever being confirmed was cancelled while waiting.
_EVER_WAITLISTED = (
    "{r}.status = 'waitlisted' OR {r}.promoted_at IS NOT NULL"
    " OR ({r}.status = 'cancelled' AND {r}.confirmed_at IS NULL)"
)
_PROMOTED = "{r}.promoted_at IS NOT NULL"
COUNTED = (
    ("registrations", _CONFIRMED, "1"),
    ("people", _CONFIRMED, "{r}.party_size"),
    ("checked_in", _CHECKED_IN, "1"),
    # The people who came, not the party booked: a family of three may come two.
    ("checked_in_people", _CHECKED_IN, "{r}.arrived"),
    ("waitlisted_ever", _EVER_WAITLISTED, "1"),
    ("waitlisted_ever_people", _EVER_WAITLISTED, "{r}.party_size"),
    ("promoted", _PROMOTED, "1"),
    ("waiting", _WAITING, "1"),
    ("waiting_people", _WAITING, "{r}.party_size"),
)
COLUMNS = tuple(name for name, _condition, _value in COUNTED)


class SessionTally(db.Model):
    """A session's statistics row: where, when and what it is, and what its registrations add
    up to (see the module's text)."""

    __tablename__ = "session_tally"
    __table_args__ = (
        Index("ix_session_tally_starts_at", "starts_at"),
        Index("ix_session_tally_event_id", "event_id"),
        # Room on each page for a row's new version: a registration changing its counts
        # then rewrites it in place (a heap-only update, no index touched), and the rows
        # stay where the backfill put them, in the order of their start.
        {"postgresql_with": {"fillfactor": 75}},
    )

    session_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    registrations: Mapped[int] = mapped_column(default=0, server_default="0")
    people: Mapped[int] = mapped_column(default=0, server_default="0")
    checked_in: Mapped[int] = mapped_column(default=0, server_default="0")
    checked_in_people: Mapped[int] = mapped_column(default=0, server_default="0")
    waitlisted_ever: Mapped[int] = mapped_column(default=0, server_default="0")
    waitlisted_ever_people: Mapped[int] = mapped_column(default=0, server_default="0")
    promoted: Mapped[int] = mapped_column(default=0, server_default="0")
    waiting: Mapped[int] = mapped_column(default=0, server_default="0")
    waiting_people: Mapped[int] = mapped_column(default=0, server_default="0")
    # Copied from the session, its event, its venue and its slots (None on the row of a
    # deleted session, which registrations deleted after it may leave behind).
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    event_id: Mapped[int | None] = mapped_column(Integer)
    organisation_id: Mapped[int | None] = mapped_column(Integer)
    category_id: Mapped[int | None] = mapped_column(Integer)
    event_status: Mapped[str | None] = mapped_column(String(20))
    township_id: Mapped[int | None] = mapped_column(Integer)
    community_id: Mapped[int | None] = mapped_column(Integer)
    session_status: Mapped[str | None] = mapped_column(String(20))
    capacity: Mapped[int | None] = mapped_column(Integer)  # the session's own; None: no limit
    slot_places: Mapped[int | None] = mapped_column(Integer)  # its slots' together; None: none


def _values(row: str, sign: str) -> str:
    return ", ".join(
        f"{sign}(CASE WHEN {condition.format(r=row)} THEN {value.format(r=row)} ELSE 0 END)"
        for _name, condition, value in COUNTED
    )


def _add(row: str, sign: str) -> str:
    """Add (sign '') or take away (sign '-') one registration row's counts: an upsert."""
    names = ", ".join(COLUMNS)
    added = ", ".join(f"{name} = session_tally.{name} + excluded.{name}" for name in COLUMNS)
    return (
        f"INSERT INTO session_tally (session_id, {names})"
        f" VALUES ({row}.session_id, {_values(row, sign)})"
        f" ON CONFLICT (session_id) DO UPDATE SET {added};"
    )


# Only these columns change a count; an update of anything else (the purge of personal data,
# a message sent, a link key) fires nothing.
_CHANGED = (
    "OLD.status IS NOT NEW.status OR OLD.party_size IS NOT NEW.party_size"
    " OR OLD.arrived IS NOT NEW.arrived OR OLD.session_id IS NOT NEW.session_id"
    " OR (OLD.promoted_at IS NULL) IS NOT (NEW.promoted_at IS NULL)"
    " OR (OLD.confirmed_at IS NULL) IS NOT (NEW.confirmed_at IS NULL)"
)

# Where, when and what a session is: its row's other columns, and how to read them for a
# session row S (aliases E and V are its event and venue).
PLACED = (
    ("starts_at", "{s}.starts_at"),
    ("ends_at", "{s}.ends_at"),
    ("event_id", "{s}.event_id"),
    ("organisation_id", "e.organisation_id"),
    ("category_id", "e.category_id"),
    ("event_status", "e.status"),
    ("township_id", "v.township_id"),
    ("community_id", "v.community_id"),
    ("session_status", "{s}.status"),
    ("capacity", "{s}.capacity"),
    ("slot_places", "(SELECT sum(sl.capacity) FROM slot AS sl WHERE sl.session_id = {s}.id)"),
)
PLACED_COLUMNS = tuple(name for name, _value in PLACED)
_EVENT_COLUMNS = (("event_status", "status"), ("organisation_id", ""), ("category_id", ""))
_VENUE_COLUMNS = ("township_id", "community_id")


def _place(session: str) -> str:
    """Set the session row's columns from the session, its event, venue and slots: an upsert
    (the registrations' counts of an existing row are kept)."""
    names = ", ".join(PLACED_COLUMNS)
    values = ", ".join(value.format(s=session) for _name, value in PLACED)
    updated = ", ".join(f"{name} = excluded.{name}" for name in PLACED_COLUMNS)
    return (
        f"INSERT INTO session_tally (session_id, {names}) SELECT {session}.id, {values}"
        f" FROM event AS e, venue AS v WHERE e.id = {session}.event_id"
        f" AND v.id = {session}.venue_id ON CONFLICT (session_id) DO UPDATE SET {updated};"
    )


def _unplace(session: str) -> str:
    return f"DELETE FROM session_tally WHERE session_id = {session}.id;"


def _event_changed(event_row: str) -> str:
    """An event's status, organisation or category, on its sessions' rows."""
    assigned = ", ".join(
        f"{name} = {event_row}.{column or name}" for name, column in _EVENT_COLUMNS
    )
    return f"UPDATE session_tally SET {assigned} WHERE event_id = {event_row}.id;"


def _venue_changed(venue_row: str) -> str:
    """A venue's township and community, on the rows of its sessions."""
    assigned = ", ".join(f"{name} = {venue_row}.{name}" for name in _VENUE_COLUMNS)
    return (
        f"UPDATE session_tally SET {assigned} WHERE session_id IN"
        f" (SELECT id FROM event_session WHERE venue_id = {venue_row}.id);"
    )


def _slots_changed(session_id: str) -> str:
    """The places of a session's slots, after one of them changed."""
    return (
        "UPDATE session_tally SET slot_places = (SELECT sum(sl.capacity) FROM slot AS sl"
        f" WHERE sl.session_id = {session_id}) WHERE session_id = {session_id};"
    )


def _any_changed(columns: tuple[str, ...], differ: str = "IS NOT") -> str:
    return " OR ".join(f"OLD.{name} {differ} NEW.{name}" for name in columns)


_SESSION_CHANGES = ("starts_at", "ends_at", "event_id", "venue_id", "capacity", "status")
_EVENT_CHANGES = ("status", "organisation_id", "category_id")
_SLOT_CHANGES = ("capacity", "session_id")

SQLITE_CREATE = (
    f"CREATE TRIGGER session_tally_insert AFTER INSERT ON registration BEGIN {_add('NEW', '')} END",
    "CREATE TRIGGER session_tally_update AFTER UPDATE ON registration"
    f" WHEN {_CHANGED} BEGIN {_add('OLD', '-')} {_add('NEW', '')} END",
    "CREATE TRIGGER session_tally_delete AFTER DELETE ON registration"
    f" BEGIN {_add('OLD', '-')} END",
    "CREATE TRIGGER session_tally_session_insert AFTER INSERT ON event_session"
    f" BEGIN {_place('NEW')} END",
    "CREATE TRIGGER session_tally_session_update AFTER UPDATE ON event_session"
    f" WHEN {_any_changed(_SESSION_CHANGES)} BEGIN {_place('NEW')} END",
    "CREATE TRIGGER session_tally_session_delete AFTER DELETE ON event_session"
    f" BEGIN {_unplace('OLD')} END",
    "CREATE TRIGGER session_tally_event_update AFTER UPDATE ON event"
    f" WHEN {_any_changed(_EVENT_CHANGES)} BEGIN {_event_changed('NEW')} END",
    "CREATE TRIGGER session_tally_venue_update AFTER UPDATE ON venue"
    f" WHEN {_any_changed(_VENUE_COLUMNS)} BEGIN {_venue_changed('NEW')} END",
    "CREATE TRIGGER session_tally_slot_insert AFTER INSERT ON slot"
    f" BEGIN {_slots_changed('NEW.session_id')} END",
    "CREATE TRIGGER session_tally_slot_update AFTER UPDATE ON slot"
    f" WHEN {_any_changed(_SLOT_CHANGES)}"
    f" BEGIN {_slots_changed('OLD.session_id')} {_slots_changed('NEW.session_id')} END",
    "CREATE TRIGGER session_tally_slot_delete AFTER DELETE ON slot"
    f" BEGIN {_slots_changed('OLD.session_id')} END",
)
SQLITE_DROP = tuple(
    f"DROP TRIGGER IF EXISTS session_tally_{name}"
    for name in (
        "insert",
        "update",
        "delete",
        "session_insert",
        "session_update",
        "session_delete",
        "event_update",
        "venue_update",
        "slot_insert",
        "slot_update",
        "slot_delete",
    )
)

_DISTINCT = "IS DISTINCT FROM"
POSTGRESQL_CREATE = (
    "CREATE OR REPLACE FUNCTION session_tally() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP IN ('UPDATE', 'DELETE') THEN " + _add("OLD", "-") + " END IF;"
    " IF TG_OP IN ('INSERT', 'UPDATE') THEN " + _add("NEW", "") + " END IF;"
    " RETURN NULL; END $$",
    "CREATE TRIGGER session_tally_rows AFTER INSERT OR DELETE ON registration"
    " FOR EACH ROW EXECUTE FUNCTION session_tally()",
    "CREATE TRIGGER session_tally_update AFTER UPDATE ON registration"
    f" FOR EACH ROW WHEN ({_CHANGED.replace('IS NOT', _DISTINCT)})"
    " EXECUTE FUNCTION session_tally()",
    "CREATE OR REPLACE FUNCTION session_tally_session() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN IF TG_OP = 'DELETE' THEN " + _unplace("OLD") + " ELSE " + _place("NEW") + " END IF;"
    " RETURN NULL; END $$",
    "CREATE TRIGGER session_tally_session_rows AFTER INSERT OR DELETE ON event_session"
    " FOR EACH ROW EXECUTE FUNCTION session_tally_session()",
    "CREATE TRIGGER session_tally_session_update AFTER UPDATE ON event_session"
    f" FOR EACH ROW WHEN ({_any_changed(_SESSION_CHANGES, _DISTINCT)})"
    " EXECUTE FUNCTION session_tally_session()",
    "CREATE OR REPLACE FUNCTION session_tally_event() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN " + _event_changed("NEW") + " RETURN NULL; END $$",
    "CREATE TRIGGER session_tally_event_update AFTER UPDATE ON event"
    f" FOR EACH ROW WHEN ({_any_changed(_EVENT_CHANGES, _DISTINCT)})"
    " EXECUTE FUNCTION session_tally_event()",
    "CREATE OR REPLACE FUNCTION session_tally_venue() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN " + _venue_changed("NEW") + " RETURN NULL; END $$",
    "CREATE TRIGGER session_tally_venue_update AFTER UPDATE ON venue"
    f" FOR EACH ROW WHEN ({_any_changed(_VENUE_COLUMNS, _DISTINCT)})"
    " EXECUTE FUNCTION session_tally_venue()",
    "CREATE OR REPLACE FUNCTION session_tally_slot() RETURNS trigger LANGUAGE plpgsql AS $$"
    " BEGIN IF TG_OP IN ('UPDATE', 'DELETE') THEN " + _slots_changed("OLD.session_id") + ""
    " END IF; IF TG_OP IN ('INSERT', 'UPDATE') THEN " + _slots_changed("NEW.session_id") + ""
    " END IF; RETURN NULL; END $$",
    "CREATE TRIGGER session_tally_slot_rows AFTER INSERT OR DELETE ON slot"
    " FOR EACH ROW EXECUTE FUNCTION session_tally_slot()",
    "CREATE TRIGGER session_tally_slot_update AFTER UPDATE ON slot"
    f" FOR EACH ROW WHEN ({_any_changed(_SLOT_CHANGES, _DISTINCT)})"
    " EXECUTE FUNCTION session_tally_slot()",
)
POSTGRESQL_DROP = (
    "DROP TRIGGER IF EXISTS session_tally_update ON registration",
    "DROP TRIGGER IF EXISTS session_tally_rows ON registration",
    "DROP TRIGGER IF EXISTS session_tally_session_update ON event_session",
    "DROP TRIGGER IF EXISTS session_tally_session_rows ON event_session",
    "DROP TRIGGER IF EXISTS session_tally_event_update ON event",
    "DROP TRIGGER IF EXISTS session_tally_venue_update ON venue",
    "DROP TRIGGER IF EXISTS session_tally_slot_update ON slot",
    "DROP TRIGGER IF EXISTS session_tally_slot_rows ON slot",
    "DROP FUNCTION IF EXISTS session_tally()",
    "DROP FUNCTION IF EXISTS session_tally_session()",
    "DROP FUNCTION IF EXISTS session_tally_event()",
    "DROP FUNCTION IF EXISTS session_tally_venue()",
    "DROP FUNCTION IF EXISTS session_tally_slot()",
)

# Every session's row from the sessions, events, venues, slots and registrations: the
# migration's backfill, and bulk loads that switch the triggers off.
_COUNTS = ", ".join(
    f"sum(CASE WHEN {condition.format(r='r')} THEN {value.format(r='r')} ELSE 0 END) AS {name}"
    for name, condition, value in COUNTED
)
RECOUNT = (
    "DELETE FROM session_tally",
    f"INSERT INTO session_tally (session_id, {', '.join(COLUMNS)}, {', '.join(PLACED_COLUMNS)})"
    " SELECT s.id, "
    + ", ".join(f"coalesce(r.{name}, 0)" for name in COLUMNS)
    + ", "
    + ", ".join(
        "sl.places" if name == "slot_places" else value.format(s="s") for name, value in PLACED
    )
    + " FROM event_session AS s JOIN event AS e ON e.id = s.event_id"
    " JOIN venue AS v ON v.id = s.venue_id"
    f" LEFT JOIN (SELECT r.session_id, {_COUNTS} FROM registration AS r GROUP BY r.session_id)"
    " AS r ON r.session_id = s.id"
    " LEFT JOIN (SELECT session_id, sum(capacity) AS places FROM slot GROUP BY session_id)"
    " AS sl ON sl.session_id = s.id"
    # Written in the order pages read them: a week's rows share a few hundred pages of the
    # table rather than lying one per page across all of it.
    " ORDER BY s.starts_at, s.id",
)


def create_statements(dialect: str) -> tuple[str, ...]:
    """The DDL that creates the triggers on this database engine."""
    return POSTGRESQL_CREATE if dialect == "postgresql" else SQLITE_CREATE


def drop_statements(dialect: str) -> tuple[str, ...]:
    """The DDL that removes them."""
    return POSTGRESQL_DROP if dialect == "postgresql" else SQLITE_DROP


# With the schema built from the models (`db.create_all`, as the tests do), the triggers come
# once every table exists; the migration creates them on real databases.
for _dialect in ("sqlite", "postgresql"):
    for _statement in create_statements(_dialect):
        event.listen(db.metadata, "after_create", DDL(_statement).execute_if(dialect=_dialect))
