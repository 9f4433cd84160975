"""The migrations build exactly the schema the models describe, and undo it cleanly."""

from __future__ import annotations

from collections.abc import Iterator

import flask_migrate
import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect, text

from outreach import create_app
from outreach.colours import contrast_ratio
from outreach.database import db
from outreach.extensions import migrate
from tests.conftest import DATABASES, POSTGRES_URL, _scratch_postgres_database

# Migrations run DDL on databases of their own, outside any test transaction.
pytestmark = pytest.mark.commits


@pytest.fixture(params=DATABASES)
def blank_database_url(request, tmp_path) -> Iterator[str]:
    """An empty database with no tables at all, on each engine under test."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'blank.sqlite3'}"
    else:
        with _scratch_postgres_database(POSTGRES_URL) as url:
            yield url


@pytest.fixture
def migrated_app(blank_database_url) -> Iterator[Flask]:
    """An application whose database was built by `flask db upgrade`, in an app context."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": blank_database_url, "SECRET_KEY": "x"})
    with app.app_context():
        flask_migrate.upgrade()
        yield app
        db.session.remove()
        db.engine.dispose()


def _schema_differences() -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_upgrade_builds_the_schema_the_models_describe(migrated_app):
    assert _schema_differences() == []


def test_downgrade_to_base_leaves_only_the_version_table(migrated_app):
    flask_migrate.downgrade(revision="base")
    assert inspect(db.engine).get_table_names() == ["alembic_version"]


def test_upgrade_after_downgrade_rebuilds_the_same_schema(migrated_app):
    flask_migrate.downgrade(revision="base")
    flask_migrate.upgrade()
    assert _schema_differences() == []


def test_migration_history_has_a_single_head(tmp_path):
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.sqlite3'}"})
    with app.app_context():
        scripts = ScriptDirectory.from_config(migrate.get_config())
    assert len(scripts.get_heads()) == 1


def test_running_migrations_leaves_the_application_logger_enabled(migrated_app):
    assert not migrated_app.logger.disabled


def test_category_colours_too_light_for_white_text_are_darkened(blank_database_url):
    app = create_app({"SQLALCHEMY_DATABASE_URI": blank_database_url, "SECRET_KEY": "x"})
    with app.app_context():
        flask_migrate.upgrade(revision="0008_english_content")
        colours = {"sport": "#ef6c00", "ecology": "#2e7d32", "waste": "#00838f", "sun": "#FFEB3B"}
        with db.engine.begin() as connection:
            for slug, colour in colours.items():
                connection.execute(
                    text("INSERT INTO category (name, slug, colour) VALUES (:n, :s, :c)"),
                    {"n": slug, "s": slug, "c": colour},
                )
        flask_migrate.upgrade()
        with db.engine.connect() as connection:
            after = dict(connection.execute(text("SELECT slug, colour FROM category")).all())
        db.engine.dispose()
    # The same oranges and yellows, darker; colours that already passed are untouched.
    assert after == {"sport": "#c25700", "ecology": "#2e7d32", "waste": "#00838f", "sun": "#82781e"}
    assert all(contrast_ratio(colour, "#ffffff") >= 4.5 for colour in after.values())


def test_upgraded_database_keeps_the_seat_counters_by_triggers(migrated_app):
    """After `flask db upgrade` the counters follow registrations written by plain SQL too: a
    later migration that rebuilt `registration` (SQLite's batch mode does) and lost the
    triggers would fail here."""
    from tests import factories
    from tests.test_registration_counters import counters_and_rows

    event_session = factories.event_session(capacity=2)
    slot = factories.slot(event_session, capacity=1)
    other = factories.slot(event_session, capacity=5)
    first = factories.registration(event_session, slot_id=slot.id)
    factories.registration(event_session, slot_id=other.id)
    factories.registration(event_session, slot_id=other.id)
    db.session.commit()
    counted, summed = counters_and_rows(event_session.id)
    assert counted == summed == (2, 1, {slot.id: 1, other.id: 1})

    # Behind the models' back: only the database can keep the counters right.
    db.session.execute(
        text("UPDATE registration SET status = 'cancelled' WHERE id = :id"), {"id": first.id}
    )
    db.session.execute(
        text("DELETE FROM registration WHERE session_id = :id AND status = 'waitlisted'"),
        {"id": event_session.id},
    )
    db.session.commit()
    counted, summed = counters_and_rows(event_session.id)
    assert counted == summed == (1, 0, {slot.id: 0, other.id: 1})
