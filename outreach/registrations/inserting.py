"""A new registration's row inserted with one Core statement, its object then the session's.

The ORM's unit of work (a flush) costs more Python than the rest of what a registration does
with its session's row locked. `insert` writes the row with one prepared statement and
makes the object persistent, as if it had been loaded. What the ORM does for rows it
flushed itself is kept: when the transaction or savepoint the row was inserted in is rolled
back, the object leaves the session again (`connect` listens for that), so nothing, the
metrics' count of committed registrations included, takes it for saved.
"""

from __future__ import annotations

import functools
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from outreach.database import db
from outreach.registrations.models import Registration

# The rows this session inserted, each with the (sub)transaction it was inserted in.
_INSERTED = "outreach.registrations.inserted"


@functools.cache
def _statement():
    table = Registration.__table__
    return insert(table).returning(table.c.id)


@functools.cache
def _relationships() -> tuple[str, ...]:
    return tuple(inspect(Registration).relationships.keys())


@functools.cache
def _columns() -> tuple[tuple[str, Any], ...]:
    """Every column but the key, with the model's default when it is a plain value."""
    return tuple(
        (
            column.key,
            column.default.arg if column.default is not None and column.default.is_scalar else None,
        )
        for column in Registration.__table__.columns
        if not column.primary_key
    )


def insert_registration(registration: Registration) -> None:
    """Insert a new (transient) registration and add it to the session as persistent.

    Every column is given, unset ones their default, so that the object holds what the row
    holds and reading it costs no query; `updated_at` is `created_at`. Raises what the
    INSERT raises (IntegrityError for a phone already registered)."""
    state = registration.__dict__
    if state.get("updated_at") is None:
        registration.updated_at = registration.created_at
    values = {}
    for key, default in _columns():
        value = state.get(key)
        if value is None and default is not None:
            value = default
            setattr(registration, key, value)
        elif key not in state:
            setattr(registration, key, None)
        values[key] = value
    registration.id = db.session.execute(_statement(), values).scalar_one()
    # The related rows it holds are set back once it is added: adding would cascade to them,
    # and they may be a worker's kept copies (registrations.snapshot), never to be saved.
    related = {key: state.pop(key) for key in _relationships() if key in state}
    make_transient_to_detached(registration)
    session = db.session()
    session.add(registration)
    for key, value in related.items():
        set_committed_value(registration, key, value)
    within = session.get_nested_transaction() or session.get_transaction()
    session.info.setdefault(_INSERTED, []).append((registration, within))


def _inside(transaction: SessionTransaction | None, ended: SessionTransaction) -> bool:
    while transaction is not None:
        if transaction is ended:
            return True
        transaction = transaction.parent
    return False


def _forget_rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    """The rows inserted in a transaction (or savepoint) just rolled back are gone: their
    objects leave the session, as pending objects the ORM flushed would."""
    inserted = session.info.get(_INSERTED)
    if not inserted:
        return
    kept = []
    for registration, within in inserted:
        if _inside(within, previous_transaction):
            if registration in session:
                session.expunge(registration)
        else:
            kept.append((registration, within))
    session.info[_INSERTED] = kept


def _forget_committed(session: Session) -> None:
    if not session.in_nested_transaction():
        session.info.pop(_INSERTED, None)


def connect() -> None:
    """Listen for the ends of transactions (once, whatever the number of apps)."""
    if not event.contains(Session, "after_soft_rollback", _forget_rolled_back):
        event.listen(Session, "after_soft_rollback", _forget_rolled_back)
        event.listen(Session, "after_commit", _forget_committed)
