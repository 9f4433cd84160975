"""`generate()`: plan in memory, then every table in one transaction, then the Report."""

from __future__ import annotations

import time as clock
from datetime import date, datetime
from zoneinfo import ZoneInfo

import psycopg
from psycopg import sql

from outreach.config import DEFAULTS
from outreach.registrations import counters
from outreach.stats import tally

from .categories import _CATEGORIES
from .copying import _app_tables, _libpq_url, _Loader
from .plan import _Plan
from .registrations import REGISTRATION_COLUMNS, _registrations
from .rows import (
    EVENT_COLUMNS,
    SESSION_COLUMNS,
    _at,
    _event_rows,
    _password_hash,
    _session_rows,
    _slot_rows,
)
from .scales import DAY, DEFAULT_SEED, TYPICAL_UPCOMING, UID_DOMAIN, GenerateError, Report, Scale


def local_today(zone: str = DEFAULTS["TIMEZONE"]) -> date:
    """Today's date in the district's time zone."""
    return datetime.now(ZoneInfo(zone)).date()


def generate(
    database_url: str,
    scale: Scale,
    *,
    seed: int = DEFAULT_SEED,
    today: date | None = None,
    reset: bool = False,
    timezone: str = DEFAULTS["TIMEZONE"],
    uid_domain: str = UID_DOMAIN,
) -> Report:
    """Fill the (migrated) database with `scale`'s rows, the same for the same seed and day.

    The database must be empty unless `reset`, which empties every table of the app first.
    Everything is loaded in one transaction: on any error nothing is left behind.
    """
    started = clock.perf_counter()
    today = today or local_today(timezone)
    plan = _Plan(scale, seed, today, ZoneInfo(timezone))
    planned = clock.perf_counter() - started
    with psycopg.connect(_libpq_url(database_url)) as connection:
        connection.execute("SET synchronous_commit TO off")
        # Indexes are built after each COPY: sorting in memory is much faster than on disk.
        connection.execute("SET maintenance_work_mem TO '256MB'")
        tables = _app_tables(connection)
        if "event_session" not in tables:
            raise GenerateError("no schema: run `flask db upgrade` on the database first")
        if not reset:
            for table in tables:
                query = sql.SQL("SELECT EXISTS (SELECT FROM {})").format(sql.Identifier(table))
                if connection.execute(query).fetchone()[0]:
                    raise GenerateError(f"the database is not empty ({table} has rows)")
        # Truncating in this transaction lets COPY write frozen rows with their visibility
        # map set, so index-only scans work at once, as they would after autovacuum.
        connection.execute(
            sql.SQL("TRUNCATE {} RESTART IDENTITY").format(
                sql.SQL(", ").join(map(sql.Identifier, tables))
            )
        )
        loader = _Loader(connection)
        _load(loader, plan, seed, uid_domain)
        loader.move_sequences_on()
        connection.commit()
        loader.analyze()
        loader.seconds["plan"] = round(planned, 2)
        size = connection.execute("SELECT pg_database_size(current_database())").fetchone()[0]
    feed = plan.feed_community
    typical = plan.typical_community
    return Report(
        scale=scale.name,
        seed=seed,
        today=today.isoformat(),
        counts=loader.counts,
        seconds=loader.seconds,
        index_seconds=loader.index_seconds,
        total_seconds=round(clock.perf_counter() - started, 2),
        database_bytes=size,
        feed_community_slug=feed.slug,
        feed_community_id=feed.id,
        feed_sessions=scale.feed_sessions,
        burst_session_id=plan.burst.sessions[0].id,
        burst_session_ids=[s.id for s in plan.burst.sessions],
        burst_event_id=plan.burst.id,
        typical_community_slug=typical.slug,
        typical_community_upcoming=TYPICAL_UPCOMING,
        typical_township_slug=plan.townships[typical.township - 1].slug,
        typical_event_id=plan.typical_event.id,
        typical_event_sessions=len(plan.typical_event.sessions),
        organisation_slug=plan.typical_event.organisation.slug,
        category_slug=_CATEGORIES[plan.typical_event.category].slug,
    )


def _load(loader: _Loader, plan: _Plan, seed: int, uid_domain: str) -> None:
    """Every table, parents before children."""
    # Named rows were last changed long ago: a fixed time, so one seed and day give one dump.
    named = _at(plan.now - 400 * DAY)
    loader.copy(
        "township",
        ("id", "kind", "slug", "name", "name_en", "updated_at"),
        ((t.id, t.kind, t.slug, t.name, t.name_en, named) for t in plan.townships),
    )
    loader.copy(
        "community",
        ("id", "township_id", "slug", "name", "name_en", "updated_at"),
        ((c.id, c.township, c.slug, c.name, c.name_en, named) for c in plan.communities),
    )
    loader.copy(
        "venue",
        ("id", "address", "latitude", "longitude", "township_id", "community_id", "slug",
         "name", "name_en", "updated_at"),
        (
            (v.id, v.address, v.latitude, v.longitude, v.township, v.community, v.slug, v.name,
             v.name_en, named)
            for v in plan.venues
        ),
    )  # fmt: skip
    loader.copy(
        "organisation",
        ("id", "kind", "slug", "name", "name_en", "updated_at"),
        ((o.id, o.kind, o.slug, o.name, o.name_en, named) for o in plan.organisations),
    )
    categories = _CATEGORIES[: plan.scale.categories]
    loader.copy(
        "category",
        ("id", "colour", "slug", "name", "name_en", "updated_at"),
        (
            (n, c.colour, c.slug, c.name, c.name_en, named)
            for n, c in enumerate(categories, start=1)
        ),
    )
    password = _password_hash(seed)
    joined = named
    loader.copy(
        "staff_user",
        ("id", "username", "display_name", "password_hash", "is_admin", "active", "created_at"),
        ((i, u, name, password, admin, True, joined) for i, u, name, admin in plan.staff),
    )
    loader.copy("membership", ("id", "user_id", "organisation_id", "role"), plan.memberships)
    loader.copy("event", EVENT_COLUMNS, _event_rows(plan))
    # The statistics rows' triggers (outreach/stats/tally.py) would write a row per session
    # and slot copied: off for the COPY, then every row written in one pass below.
    for table in ("event_session", "slot"):
        loader.connection.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
    loader.copy("event_session", SESSION_COLUMNS, _session_rows(plan, seed, uid_domain))
    loader.copy(
        "slot",
        ("id", "session_id", "label", "starts_at", "ends_at", "capacity", "position"),
        _slot_rows(plan),
    )
    for table in ("event_session", "slot"):
        loader.connection.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
    # The seat counters' triggers (outreach/registrations/counters.py) would update a session
    # row per registration copied: off for the COPY, then every counter set in one pass.
    loader.connection.execute("ALTER TABLE registration DISABLE TRIGGER USER")
    loader.copy(
        "registration",
        REGISTRATION_COLUMNS,
        _registrations(plan, seed, plan.scale.registrations),
    )
    loader.connection.execute("ALTER TABLE registration ENABLE TRIGGER USER")
    # So are the statistics' session rows (outreach/stats/tally.py).
    for statement in (*counters.RECOUNT, *tally.RECOUNT):
        loader.connection.execute(statement)
