"""The database handle, the typed declarative base and the one datetime column type."""

from __future__ import annotations

import enum
import select
import sqlite3
import time
from datetime import UTC, datetime
from typing import TypeVar

from flask import Flask
from flask_babel import gettext as _
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import DateTime, Engine, Enum, MetaData, String, event, func
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, registry
from sqlalchemy.types import TypeDecorator
from werkzeug.routing import IntegerConverter

from outreach.errors import NotFoundError, RuleError
from outreach.text import in_language, localised, slugify

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored as UTC; naive values are refused rather than guessed."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        # SQLite keeps no offset: store the UTC wall time and restore the zone on the way out.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def enum_column(cls: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: the members' values as VARCHAR with a CHECK constraint."""
    return Enum(
        cls,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=20,
        values_callable=lambda members: [m.value for m in members],
    )


@event.listens_for(Engine, "connect")
def _sqlite_foreign_keys(dbapi_connection, _record) -> None:
    """SQLite enforces foreign keys (and ON DELETE rules) only when asked, per connection."""
    if isinstance(dbapi_connection, sqlite3.Connection):
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()


def _server_wrote(dbapi_connection) -> bool:
    """Whether an idle connection's socket has something to read: an idle PostgreSQL
    connection is written to only when it is being ended (a restart, a killed backend), so
    this tells a dead connection from a live one without a round trip. Unknown: True."""
    try:
        poller = select.poll()
        poller.register(dbapi_connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except Exception:  # closed already, or no socket to ask
        return True


def watch_pool(app: Flask) -> None:
    """Check a pooled connection before use only when it may have died: after
    DATABASE_PING_AFTER_IDLE seconds unused (a firewall, a proxy's idle timeout), or when the
    server wrote to it while it sat in the pool. A dead one is replaced before the request
    uses it (the pool retries with a new connection), as `pool_pre_ping` would, but without
    a round trip on every request. SQLite files need no check."""
    after_idle = float(app.config["DATABASE_PING_AFTER_IDLE"])
    app.extensions["outreach_pool_pings"] = 0
    with app.app_context():
        engine = db.engine
    if engine.dialect.name == "sqlite" or engine.pool._pre_ping:
        return

    @event.listens_for(engine, "checkin")
    def _returned(_dbapi_connection, record) -> None:
        if record is not None:
            record.info["returned_at"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _check(dbapi_connection, record, _proxy) -> None:
        returned = record.info.pop("returned_at", None)
        if returned is None:  # just connected
            return
        if time.monotonic() - returned < after_idle and not _server_wrote(dbapi_connection):
            return
        app.extensions["outreach_pool_pings"] += 1
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as error:
            raise DisconnectionError("the pooled connection is gone") from error
        if not alive:
            raise DisconnectionError("the pooled connection is gone")


def utcnow() -> datetime:
    """The current instant, aware, in UTC."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base whose constraints get predictable names (Alembic needs them)."""

    registry = registry(
        metadata=MetaData(naming_convention=NAMING_CONVENTION),
        type_annotation_map={datetime: UTCDateTime()},
    )


db = SQLAlchemy(model_class=Base)


N = TypeVar("N", bound="Named")
R = TypeVar("R")


class Bilingual:
    """A row whose texts have an optional English form beside them: `title` and `title_en`.

    Read them through `text` (or the `text` template filter), never by picking a column.
    """

    __slots__ = ()  # nothing of its own: a tuple's subclass (registrations.slot_rows) stays one

    def text(self, field: str, language: str) -> str:
        """The field in `language`, falling back to the other language (see `in_language`)."""
        return self.text_in(field, language)[0]

    def text_in(self, field: str, language: str) -> tuple[str, str]:
        """The field in `language` with the language it is really in ("zh" or "en")."""
        return in_language(getattr(self, field), getattr(self, field + "_en", None), language)


class Named(Bilingual):
    """Columns and display of a bilingual name: Chinese always, English when known."""

    slug: Mapped[str] = mapped_column(String(80), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    name_en: Mapped[str | None] = mapped_column(String(160))
    # Moves with every change of the row (a rename, a translation): cached public pages show
    # these names, and their data version reads the latest change of each kind of place.
    updated_at: Mapped[datetime] = mapped_column(
        default=utcnow, onupdate=utcnow, server_default=func.current_timestamp(), index=True
    )

    def display_name(self, locale: str) -> str:
        """Name in the reader's language, Chinese when no English name is known."""
        return localised(self.name, self.name_en, locale)


def unique_slug(model: type, text: str, slug_column: str = "slug") -> str:
    """A slug for `text` not yet used in `model`'s table: `name`, `name-2`, `name-3`, …"""
    base = slugify(text)
    column = getattr(model, slug_column)
    taken = set(
        db.session.scalars(
            db.select(column).where((column == base) | column.startswith(base + "-"))
        )
    )
    if base not in taken:
        return base
    number = 2
    while f"{base}-{number}" in taken:
        number += 1
    return f"{base}-{number}"


def by_id(model: type[R], item_id: int, kind: str) -> R:
    """A row by primary key, or NotFoundError naming `kind`."""
    found = db.session.get(model, item_id)
    if found is None:
        raise NotFoundError(kind, item_id)
    return found


def with_names(model: type[N], item: N | None, name: str, name_en: str | None, slug: str = "") -> N:
    """`item`, or a new row of `model`, with both names set.

    A new row's slug is `slug` when given, else made from the Chinese name; it is made once
    and kept on renames, so addresses people saved keep working.
    """
    name = (name or "").strip()
    if not name:
        raise RuleError(_("Please enter the Chinese name."), "name")
    if item is None:
        # The slug is found before the row joins the session: a pending row with its other
        # columns still empty must not be flushed by the slug query.
        item = model(slug=slug or unique_slug(model, name))
        db.session.add(item)
    item.name = name
    item.name_en = (name_en or "").strip() or None
    return item


def render_migration_item(type_: str, obj: object, autogen_context: object) -> str | bool:
    """Let Alembic write our column type as the plain SQL type it stands for."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


# The largest id the integer id columns hold (PostgreSQL's integer is 32 bits).
MAX_ID = 2**31 - 1


class IdConverter(IntegerConverter):
    """`<id:…>` in routes: a row id, 1 to MAX_ID; anything else is a 404 before any query.

    A bigger number names no row, and asking the database about it would fail: PostgreSQL
    refuses to compare an integer column with it, and SQLite cannot bind it. Only ASCII
    digits: Werkzeug's \\d would take full-width "１" (and other scripts' digits) as 1, a second
    address for the same row.
    """

    regex = r"[0-9]+"

    def __init__(self, url_map, *args, **kwargs) -> None:
        super().__init__(url_map, min=1, max=MAX_ID)
