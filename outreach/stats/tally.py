"""Registration counts of each session, kept by the database for the statistics pages.

The statistics used to sum every registration of the sessions in range: at city scale (two
million registrations) a year's overview read them all and ran past the worker's timeout.
They now read one `session_tally` row per session instead, which triggers on `registration`
keep exact in the same transaction as the change, the way the seat counters are kept
(outreach/registrations/counters.py): a new registration, cancelling, a check-in or its
undoing, a party size change, a walk-in, a promotion, moving to another session, deleting
rows. The purge of personal data changes none of the columns counted, so it fires nothing
and the figures stay.

Only registration facts are kept here. Where and when a session is held, its event's
category and status, its places and whether it has ended are read from the session's own
rows when a page is asked for, so moving a session to another day or venue, re-categorising
an event or cancelling one needs no upkeep and is always reflected at once.

The table has no foreign key: a registration deleted with its session (a cascade) still
fires its trigger, which must not fail on the session row being gone. The row of a deleted
session is left at zero (each registration's deletion takes its counts away) and is never
read, as pages start from the sessions.
"""

from __future__ import annotations

from sqlalchemy import DDL, Integer, event
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
    """What a session's registrations add up to (see the module's text)."""

    __tablename__ = "session_tally"

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

SQLITE_CREATE = (
    f"CREATE TRIGGER session_tally_insert AFTER INSERT ON registration BEGIN {_add('NEW', '')} END",
    "CREATE TRIGGER session_tally_update AFTER UPDATE ON registration"
    f" WHEN {_CHANGED} BEGIN {_add('OLD', '-')} {_add('NEW', '')} END",
    "CREATE TRIGGER session_tally_delete AFTER DELETE ON registration"
    f" BEGIN {_add('OLD', '-')} END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS session_tally_insert",
    "DROP TRIGGER IF EXISTS session_tally_update",
    "DROP TRIGGER IF EXISTS session_tally_delete",
)

POSTGRESQL_CREATE = (
    "CREATE OR REPLACE FUNCTION session_tally() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP IN ('UPDATE', 'DELETE') THEN " + _add("OLD", "-") + " END IF;"
    " IF TG_OP IN ('INSERT', 'UPDATE') THEN " + _add("NEW", "") + " END IF;"
    " RETURN NULL; END $$",
    "CREATE TRIGGER session_tally_rows AFTER INSERT OR DELETE ON registration"
    " FOR EACH ROW EXECUTE FUNCTION session_tally()",
    "CREATE TRIGGER session_tally_update AFTER UPDATE ON registration"
    f" FOR EACH ROW WHEN ({_CHANGED.replace('IS NOT', 'IS DISTINCT FROM')})"
    " EXECUTE FUNCTION session_tally()",
)
POSTGRESQL_DROP = (
    "DROP TRIGGER IF EXISTS session_tally_update ON registration",
    "DROP TRIGGER IF EXISTS session_tally_rows ON registration",
    "DROP FUNCTION IF EXISTS session_tally()",
)

# Every session's counts from its registrations: the migration's backfill, and bulk loads
# that switch the triggers off.
RECOUNT = (
    "DELETE FROM session_tally",
    f"INSERT INTO session_tally (session_id, {', '.join(COLUMNS)})"
    " SELECT r.session_id, "
    + ", ".join(
        f"sum(CASE WHEN {condition.format(r='r')} THEN {value.format(r='r')} ELSE 0 END)"
        for _name, condition, value in COUNTED
    )
    + " FROM registration AS r GROUP BY r.session_id",
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
