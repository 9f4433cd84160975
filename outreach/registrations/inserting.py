"""A new registration's row inserted with one Core statement, its object then the session's.

The ORM's unit of work (a flush) costs more Python than the rest of what a registration does
with its session's row locked. `insert` writes the row with one prepared statement and
makes the object persistent, as if it had been loaded. What the ORM does for rows it
flushed itself is kept: when the transaction or savepoint the row was inserted in is rolled
back, the object leaves the session again (`connect` listens for that), so nothing, the
metrics' count of committed registrations included, takes it for saved.

Rows that go with the new registration and need only its id (its confirmation message in the
outbox: a `Companion`) are written by the same statement on PostgreSQL (data-modifying
`WITH`), so the session's lock is held for one round trip fewer; on SQLite by a second
statement right after it.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import String, Table, bindparam, cast, event, insert, inspect, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, SessionTransaction, make_transient_to_detached
from sqlalchemy.orm.attributes import set_committed_value

from outreach.database import db
from outreach.registrations.models import Registration

# The rows this session inserted, each with the (sub)transaction it was inserted in.
_INSERTED = "outreach.registrations.inserted"


@dataclass(frozen=True)
class Companion:
    """A row of another table written with a new registration: `values` as they are, but for
    `id_column`, the registration's id, and `key_column`, `key_prefix` followed by that id.
    Left out, with no error, when its `key_column` (unique) is taken already."""

    table: Table
    values: dict[str, Any]
    id_column: str
    key_column: str
    key_prefix: str

    def shape(self) -> tuple[Table, tuple[str, ...], str, str]:
        return self.table, tuple(self.values), self.id_column, self.key_column


@functools.cache
def _statement():
    table = Registration.__table__
    return insert(table).returning(table.c.id)


@functools.cache
def _statement_with(shapes: tuple[tuple[Table, tuple[str, ...], str, str], ...]):
    """PostgreSQL: the registration's INSERT as a data-modifying WITH, each companion's
    INSERT … SELECT from it, the new id as the answer; built once per shape. The
    registration's values are bound by column name, the companions' as c<n>_<column>."""
    table = Registration.__table__
    new = (
        insert(table)
        .values({key: bindparam(key, type_=table.c[key].type) for key, _ in _columns()})
        .returning(table.c.id)
        .cte("new_registration")
    )
    companions = []
    for number, (other, columns, id_column, key_column) in enumerate(shapes):
        rows = select(
            *(bindparam(f"c{number}_{name}", type_=other.c[name].type) for name in columns),
            new.c.id,
            bindparam(f"c{number}_key_prefix", type_=String()) + cast(new.c.id, String()),
        )
        companions.append(
            postgresql.insert(other)
            .from_select([*columns, id_column, key_column], rows)
            .on_conflict_do_nothing(index_elements=[key_column])
            .cte(f"companion_{number}")
        )
    return select(new.c.id).add_cte(*companions)


@functools.cache
def _companion_statement(table: Table, key_column: str):
    """Elsewhere (SQLite): a companion's own INSERT, after the registration's."""
    return sqlite.insert(table).on_conflict_do_nothing(index_elements=[key_column])


def _insert(values: dict[str, Any], companions: Sequence[Companion]) -> int:
    """The new registration's id, its row and the companions' written."""
    session = db.session
    if not companions:
        return session.execute(_statement(), values).scalar_one()
    if session.get_bind().dialect.name == "postgresql":
        parameters = dict(values)
        for number, companion in enumerate(companions):
            parameters[f"c{number}_key_prefix"] = companion.key_prefix
            for name, value in companion.values.items():
                parameters[f"c{number}_{name}"] = value
        statement = _statement_with(tuple(c.shape() for c in companions))
        return session.execute(statement, parameters).scalar_one()
    new_id = session.execute(_statement(), values).scalar_one()
    for companion in companions:
        row = {
            **companion.values,
            companion.id_column: new_id,
            companion.key_column: f"{companion.key_prefix}{new_id}",
        }
        session.execute(_companion_statement(companion.table, companion.key_column), row)
    return new_id


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


def insert_registration(registration: Registration, companions: Sequence[Companion] = ()) -> None:
    """Insert a new (transient) registration, and its `companions`, and add it to the
    session as persistent.

    Every column is given, unset ones their default, so that the object holds what the row
    holds and reading it costs no query; `updated_at` is `created_at`. Raises what the
    INSERT raises (IntegrityError for a phone already registered); nothing is written then."""
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
    registration.id = _insert(values, companions)
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
