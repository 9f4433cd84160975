"""Local calendar days and months of stored UTC instants, computed inside the database.

Figures per month must follow the district's calendar: a session at 07:00 on 1 September in
Beijing starts at 23:00 on 31 August in UTC. PostgreSQL converts with its own time-zone
database (`timezone(zone, instant)`); SQLite has none, so each SQLite connection gets a small
SQL function, written in Python, doing the same conversion with `zoneinfo`. Either way the
database groups by the resulting 'YYYY-MM-DD' or 'YYYY-MM' text, whatever the zone's rules.
"""

from __future__ import annotations

import re
import sqlite3
from datetime import UTC, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, String, event, func, literal_column
from sqlalchemy.sql.elements import ColumnElement

from outreach.database import db
from outreach.localtime import local_zone

DAY, MONTH = "day", "month"
SQLITE_FUNCTION = "outreach_local_period"
_POSTGRES_FORMATS = {DAY: "YYYY-MM-DD", MONTH: "YYYY-MM"}
_PYTHON_FORMATS = {DAY: "%Y-%m-%d", MONTH: "%Y-%m"}
# Time-zone names are written into the SQL text (see local_period), so only their own
# characters may appear: letters, digits and _ + - /.
_ZONE_NAME = re.compile(r"[A-Za-z0-9_+\-/]+")


@lru_cache(maxsize=16)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _sqlite_local_period(value: str | None, zone: str, unit: str) -> str | None:
    """The SQLite side: a stored UTC wall time ('2025-08-31 23:00:00.000000') → local text."""
    if value is None:
        return None
    instant = datetime.fromisoformat(value).replace(tzinfo=UTC)
    return instant.astimezone(_zone(zone)).strftime(_PYTHON_FORMATS[unit])


@event.listens_for(Engine, "connect")
def _register_sqlite_function(dbapi_connection, _record) -> None:
    """Give every SQLite connection the local-period function (PostgreSQL needs none)."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        dbapi_connection.create_function(
            SQLITE_FUNCTION, 3, _sqlite_local_period, deterministic=True
        )


def _sql_text(value: str) -> ColumnElement[str]:
    # A literal in the SQL text rather than a bound parameter: PostgreSQL matches GROUP BY
    # expressions to SELECT expressions by their text, and two parameters ($1, $2) holding
    # the same zone would make them differ.
    return literal_column(f"'{value}'", String)


def local_period(instant: ColumnElement, unit: str) -> ColumnElement[str]:
    """The local day ('2025-09-01') or month ('2025-09') of a UTC datetime column."""
    zone = local_zone().key
    if not _ZONE_NAME.fullmatch(zone) or unit not in _POSTGRES_FORMATS:
        raise ValueError(f"unusable time zone {zone!r} or unit {unit!r}")
    if db.session.get_bind().dialect.name == "sqlite":
        return func.outreach_local_period(instant, _sql_text(zone), _sql_text(unit), type_=String)
    local = func.timezone(_sql_text(zone), instant)
    return func.to_char(local, _sql_text(_POSTGRES_FORMATS[unit]), type_=String)
