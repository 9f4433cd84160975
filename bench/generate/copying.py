"""Loading: binary COPY into one table after another, with indexes and keys rebuilt after."""

from __future__ import annotations

import time as clock
from collections.abc import Iterable, Sequence
from typing import NamedTuple

import psycopg
from psycopg import sql

from .scales import GenerateError


class _Column(NamedTuple):
    type_oid: int
    nullable: bool
    has_default: bool


class _Loader:
    """COPY into one table after another on one connection, timing each."""

    def __init__(self, connection: psycopg.Connection) -> None:
        self.connection = connection
        self.counts: dict[str, int] = {}
        self.seconds: dict[str, float] = {}
        self.index_seconds: dict[str, float] = {}

    def columns(self, table: str) -> dict[str, _Column]:
        rows = self.connection.execute(
            """
            SELECT a.attname, a.atttypid, NOT a.attnotnull, a.atthasdef
            FROM pg_attribute a
            WHERE a.attrelid = to_regclass(%s) AND a.attnum > 0 AND NOT a.attisdropped
            """,
            (table,),
        ).fetchall()
        if not rows:
            raise GenerateError(f"no table {table}: run `flask db upgrade` on the database first")
        return {name: _Column(oid, nullable, default) for name, oid, nullable, default in rows}

    def copy(self, table: str, columns: Sequence[str], rows: Iterable[tuple]) -> None:
        """Stream `rows` into `table` with binary COPY (FREEZE: the table was just truncated)."""
        known = self.columns(table)
        unknown = [c for c in columns if c not in known]
        missing = [
            name
            for name, column in known.items()
            if not column.nullable and not column.has_default and name not in columns
        ]
        if unknown or missing:
            raise GenerateError(
                f"bench.generate does not match table {table}: unknown columns {unknown}, "
                f"required columns not generated {missing}; update bench/generate/"
            )
        statement = sql.SQL("COPY {} ({}) FROM STDIN (FORMAT BINARY, FREEZE)").format(
            sql.Identifier(table), sql.SQL(", ").join(map(sql.Identifier, columns))
        )
        started = clock.perf_counter()
        restore = self._drop_indexes_and_checks(table)
        count = 0
        with self.connection.cursor() as cursor, cursor.copy(statement) as copy:
            copy.set_types([known[c].type_oid for c in columns])
            for row in rows:
                copy.write_row(row)
                count += 1
        copied = clock.perf_counter()
        for statement in restore:
            self.connection.execute(statement)
        self.index_seconds[table] = round(clock.perf_counter() - copied, 2)
        self.counts[table] = count
        self.seconds[table] = round(clock.perf_counter() - started, 2)

    def move_sequences_on(self) -> None:
        """Set each loaded table's id sequence past the generated ids (in the transaction)."""
        step = clock.perf_counter()
        for table in self.counts:
            # New rows made by the app take the next ids after the generated ones.
            statement = sql.SQL(
                "SELECT setval(pg_get_serial_sequence(%s, 'id'), "
                "(SELECT coalesce(max(id), 0) + 1 FROM {}), false)"
            ).format(sql.Identifier(table))
            self.connection.execute(statement, (table,))
        self.seconds["sequences"] = round(clock.perf_counter() - step, 2)

    def analyze(self) -> None:
        """Planner statistics for each loaded table, after the commit, a transaction each."""
        step = clock.perf_counter()
        self.connection.autocommit = True
        for table in self.counts:
            self.connection.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))
        self.seconds["analyze"] = round(clock.perf_counter() - step, 2)

    def _drop_indexes_and_checks(self, table: str) -> list[sql.Composable]:
        """Drop the table's secondary indexes, unique and foreign key constraints for the COPY.

        Rows then go in without a random insertion into each index and a lookup (and row
        lock) in the parent table per foreign key: the statements returned build each index
        once, sorted, and check each foreign key with one join, which is many times faster
        and enforces the same rules. The primary key stays (children's keys point at it), and
        so does any unique constraint a foreign key points at.
        """
        constraints = self.connection.execute(
            """
            SELECT c.conname, pg_get_constraintdef(c.oid)
            FROM pg_constraint c
            WHERE c.conrelid = to_regclass(%s) AND c.contype IN ('u', 'f')
              AND NOT (c.contype = 'u' AND EXISTS (
                SELECT FROM pg_constraint f WHERE f.contype = 'f' AND f.conindid = c.conindid))
            ORDER BY c.contype DESC, c.conname
            """,
            (table,),
        ).fetchall()
        indexes = self.connection.execute(
            """
            SELECT c.relname, pg_get_indexdef(i.indexrelid)
            FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
            WHERE i.indrelid = to_regclass(%s) AND NOT i.indisprimary
              AND NOT EXISTS (SELECT FROM pg_constraint k WHERE k.conindid = i.indexrelid)
            ORDER BY c.relname
            """,
            (table,),
        ).fetchall()
        name = sql.Identifier(table)
        restore: list[sql.Composable] = []
        for constraint, _definition in constraints:
            self.connection.execute(
                sql.SQL("ALTER TABLE {} DROP CONSTRAINT {}").format(
                    name, sql.Identifier(constraint)
                )
            )
        for index, _definition in indexes:
            self.connection.execute(sql.SQL("DROP INDEX {}").format(sql.Identifier(index)))
        restore += [sql.SQL(definition) for _index, definition in indexes]
        # Unique constraints ('u') before foreign keys ('f'), as ordered above.
        restore += [
            sql.SQL("ALTER TABLE {} ADD CONSTRAINT {} {}").format(
                name, sql.Identifier(constraint), sql.SQL(definition)
            )
            for constraint, definition in constraints
        ]
        return restore


def _libpq_url(database_url: str) -> str:
    """A SQLAlchemy URL (postgresql+psycopg://) as libpq wants it."""
    for prefix in ("postgresql+psycopg://", "postgresql+psycopg2://", "postgres://"):
        if database_url.startswith(prefix):
            return "postgresql://" + database_url[len(prefix) :]
    return database_url


def _app_tables(connection: psycopg.Connection) -> list[str]:
    rows = connection.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() "
        "AND tablename <> 'alembic_version' ORDER BY tablename"
    ).fetchall()
    return [name for (name,) in rows]
