"""Retention: erasing residents' personal data some days after their session ends.

Functions here flush, never commit; the command commits after each batch, then vacuums.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import String, Table, case, cast, delete, func, literal, select, text, update

from outreach.database import db, utcnow
from outreach.events.models import EventSession
from outreach.registrations.models import PhoneCheck, Registration
from outreach.registrations.signals import personal_data_purged

PURGED_PHONE_PREFIX = "purged:"
# A number's verification record untouched this long holds nothing of use: its code has
# expired and its day's count of texts is over.
PHONE_CHECK_DAYS = 1


def _due(retention_days: int, now: datetime | None):
    cutoff = (now or utcnow()) - timedelta(days=retention_days)
    return (
        select(Registration.id)
        .join(Registration.event_session)
        .where(EventSession.ends_at < cutoff, Registration.purged_at.is_(None))
    )


def count_due(retention_days: int, now: datetime | None = None) -> int:
    """How many registrations are past retention and still hold personal data."""
    return db.session.scalar(select(func.count()).select_from(_due(retention_days, now).subquery()))


def purge_batch(retention_days: int, *, now: datetime | None = None, size: int = 500) -> int:
    """Erase name, phone, e-mail and contact note of up to `size` registrations past retention.

    Status, party size, slot, community and the times stay, so statistics still count.
    Returns how many were erased; call again (after a commit) until it returns 0.
    """
    now = now or utcnow()
    ids = db.session.scalars(_due(retention_days, now).order_by(Registration.id).limit(size)).all()
    if not ids:
        return 0
    db.session.execute(
        update(Registration)
        .where(Registration.id.in_(ids))
        .values(
            name="",
            # Unique per row, so the one-active-phone-per-session index never trips; none
            # stays none (the resident had no mobile phone).
            phone=case(
                (Registration.phone.is_(None), None),
                else_=literal(PURGED_PHONE_PREFIX, String) + cast(Registration.id, String),
            ),
            email=None,
            contact_note=None,
            purged_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    personal_data_purged.send(None, ids=list(ids))
    return len(ids)


def purge_phone_checks(now: datetime | None = None) -> int:
    """Erase the phone verification records untouched for a day (registrations/verification.py):
    keyed hashes of numbers and codes, and the day's count of texts. Returns how many."""
    cutoff = (now or utcnow()) - timedelta(days=PHONE_CHECK_DAYS)
    result = db.session.execute(
        delete(PhoneCheck)
        .where(PhoneCheck.updated_at < cutoff)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def erased_tables() -> list[Table]:
    """The tables the purge rewrites: registrations, and those holding copies of their data
    (every table referring to a registration, such as the outbox's messages)."""
    registrations = Registration.__table__
    referring = [
        table
        for table in db.metadata.sorted_tables
        if any(key.column.table is registrations for key in table.foreign_keys)
    ]
    return [registrations, *referring]


def vacuum() -> list[str]:
    """Clear the erased values' old row versions out of the database once the purge has
    committed; returns what was vacuumed.

    An UPDATE leaves the old row on PostgreSQL as a dead tuple (and its index entries) until
    a vacuum, which autovacuum may run hours later, or never on a table that changes little:
    VACUUM of the purged tables removes them at once. It takes no lock that stops the site;
    the bytes of removed rows may stay in the pages' free space until new rows overwrite them
    (VACUUM FULL would rewrite the tables, but locks them meanwhile). SQLite's VACUUM rebuilds
    the whole file (it cannot take a table), leaving no freed space behind; `secure_delete`
    would zero space as it is freed, but only on the connections that set it, and not space
    freed before. Neither may run inside a transaction: a connection of its own, autocommit.
    """
    tables = [table.name for table in erased_tables()]
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
        if connection.dialect.name == "postgresql":
            quote = connection.dialect.identifier_preparer.quote
            connection.execute(text(f"VACUUM (ANALYZE) {', '.join(map(quote, tables))}"))
            return tables
        connection.execute(text("VACUUM"))
    return ["the whole database"]
