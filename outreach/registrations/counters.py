"""Seats taken and waitlist length, kept on the session (and slot) rows by the database.

A registration decides its seat by reading these counters on the session row it has just
locked, instead of summing every confirmed registration of the session while the lock is
held. Triggers on `registration` keep them right for every path that changes seats (a new
registration, cancelling, a smaller party, promotion, staff walk-ins, imports, the desk's
offline sync, deleting rows), so no code path can forget them:

- `event_session.seats_taken`: people in confirmed registrations of the session;
- `event_session.waitlist_length`: waitlisted registrations of the session (a new one is
  last in line, so its place is this number);
- `slot.seats_taken`: people in confirmed registrations of the slot.

`RECOUNT` sets them from the rows (the migration's backfill, and bulk loads that switch the
triggers off).
"""

from __future__ import annotations

from sqlalchemy import DDL, event

# The change a registration row makes to the counters, as SQL over a row alias (NEW or OLD)
# and a sign (+ when the row appears, - when it goes).
_SESSION = (
    "UPDATE event_session SET"
    " seats_taken = seats_taken {sign} CASE WHEN {row}.status = 'confirmed'"
    " THEN {row}.party_size ELSE 0 END,"
    " waitlist_length = waitlist_length {sign} CASE WHEN {row}.status = 'waitlisted'"
    " THEN 1 ELSE 0 END"
    " WHERE id = {row}.session_id AND {row}.status <> 'cancelled';"
)
_SLOT = (
    "UPDATE slot SET seats_taken = seats_taken {sign} {row}.party_size"
    " WHERE id = {row}.slot_id AND {row}.status = 'confirmed';"
)
# Only these columns move seats; an update of anything else (a check-in, the purge of
# personal data) fires nothing.
_CHANGED = (
    "OLD.status IS NOT NEW.status OR OLD.party_size IS NOT NEW.party_size"
    " OR OLD.slot_id IS NOT NEW.slot_id OR OLD.session_id IS NOT NEW.session_id"
)


def _apply(row: str, sign: str) -> str:
    return _SESSION.format(row=row, sign=sign) + " " + _SLOT.format(row=row, sign=sign)


SQLITE_CREATE = (
    "CREATE TRIGGER registration_counters_insert AFTER INSERT ON registration"
    f" BEGIN {_apply('NEW', '+')} END",
    "CREATE TRIGGER registration_counters_update AFTER UPDATE ON registration"
    f" WHEN {_CHANGED} BEGIN {_apply('OLD', '-')} {_apply('NEW', '+')} END",
    "CREATE TRIGGER registration_counters_delete AFTER DELETE ON registration"
    f" BEGIN {_apply('OLD', '-')} END",
)
SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS registration_counters_insert",
    "DROP TRIGGER IF EXISTS registration_counters_update",
    "DROP TRIGGER IF EXISTS registration_counters_delete",
)

_PG_CHANGED = _CHANGED.replace("IS NOT", "IS DISTINCT FROM")
POSTGRESQL_CREATE = (
    "CREATE FUNCTION registration_counters() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
    " IF TG_OP IN ('UPDATE', 'DELETE') THEN " + _apply("OLD", "-") + " END IF;"
    " IF TG_OP IN ('INSERT', 'UPDATE') THEN " + _apply("NEW", "+") + " END IF;"
    " RETURN NULL; END $$",
    "CREATE TRIGGER registration_counters_rows AFTER INSERT OR DELETE ON registration"
    " FOR EACH ROW EXECUTE FUNCTION registration_counters()",
    "CREATE TRIGGER registration_counters_update AFTER UPDATE ON registration"
    f" FOR EACH ROW WHEN ({_PG_CHANGED}) EXECUTE FUNCTION registration_counters()",
)
POSTGRESQL_DROP = (
    "DROP TRIGGER IF EXISTS registration_counters_update ON registration",
    "DROP TRIGGER IF EXISTS registration_counters_rows ON registration",
    "DROP FUNCTION IF EXISTS registration_counters()",
)

RECOUNT = (
    "UPDATE event_session SET"
    " seats_taken = coalesce((SELECT sum(r.party_size) FROM registration r"
    " WHERE r.session_id = event_session.id AND r.status = 'confirmed'), 0),"
    " waitlist_length = (SELECT count(*) FROM registration r"
    " WHERE r.session_id = event_session.id AND r.status = 'waitlisted')",
    "UPDATE slot SET seats_taken = coalesce((SELECT sum(r.party_size) FROM registration r"
    " WHERE r.slot_id = slot.id AND r.status = 'confirmed'), 0)",
)


def create_statements(dialect: str) -> tuple[str, ...]:
    """The DDL that creates the triggers on this database engine."""
    return POSTGRESQL_CREATE if dialect == "postgresql" else SQLITE_CREATE


def drop_statements(dialect: str) -> tuple[str, ...]:
    """The DDL that removes them."""
    return POSTGRESQL_DROP if dialect == "postgresql" else SQLITE_DROP


def attach(table) -> None:
    """Create the triggers with the table when the schema is built from the models
    (`db.create_all`, as the tests do); the migrations create them for real databases."""
    for dialect in ("sqlite", "postgresql"):
        for statement in create_statements(dialect):
            event.listen(table, "after_create", DDL(statement).execute_if(dialect=dialect))
