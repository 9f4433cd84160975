"""Fixtures: an application per test on SQLite and (when configured) PostgreSQL."""

from __future__ import annotations

import os
import re
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import flask_migrate
import pytest
from flask import g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from outreach import create_app
from outreach.config import normalise_database_url
from outreach.database import db
from tests import factories

POSTGRES_URL = os.environ.get("OUTREACH_TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])

if os.environ.get("CI") == "true" and not POSTGRES_URL:
    raise pytest.UsageError("CI must run the suite on PostgreSQL: set OUTREACH_TEST_DATABASE_URL")


@contextmanager
def _scratch_postgres_database(url: str) -> Iterator[str]:
    """A database of its own for this run, so parallel runs never share tables."""
    admin_url = make_url(normalise_database_url(url))
    name = f"outreach_test_{secrets.token_hex(4)}"
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield admin_url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# Modules that only make sense on PostgreSQL (real servers, row locks, bulk loads) take
# `migrated_postgres_url`; without PostgreSQL they collect nothing (`__test__ = False`).
POSTGRES_ONLY = [name for name in DATABASES if name == "postgresql"]


@pytest.fixture(scope="module", params=POSTGRES_ONLY)
def migrated_postgres_url(request) -> Iterator[str]:
    """A scratch PostgreSQL database of the module's own, its schema built by the migrations."""
    with _scratch_postgres_database(POSTGRES_URL) as url:
        app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "scratch"})
        with app.app_context():
            flask_migrate.upgrade()
            db.engine.dispose()
        yield url


@pytest.fixture
def postgres_app(migrated_postgres_url):
    """This process's own application on that database, to write and read rows."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": migrated_postgres_url, "SECRET_KEY": "scratch"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A database URL with the schema built, one per engine for the whole run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        context = None
    else:
        context = _scratch_postgres_database(POSTGRES_URL)
        url = context.__enter__()
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "schema"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    yield url
    if context is not None:
        context.__exit__(None, None, None)


def _empty_tables() -> None:
    # DELETE is much faster than TRUNCATE on PostgreSQL for the few rows a test writes.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


class FreshRequestClient(FlaskClient):
    """A client whose requests start with an empty `g`, as each does on a real server.

    The `app` fixture keeps one application context open so tests can use the database;
    requests then reuse it, and extensions caching per-request state in `g` (the chosen
    language, later the logged-in user) would leak from one request into the next.
    """

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        return super().open(*args, **kwargs)


@pytest.fixture
def app(database_url):
    """The application on a clean database, inside an application context."""
    application = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SECRET_KEY": "test-secret",
            "UID_DOMAIN": "outreach.test",
            # Feeds are fetched right after each change here; test_feed_http tests the memo.
            "FEED_VERSION_TTL": 0,
        }
    )
    application.test_client_class = FreshRequestClient
    with application.app_context():
        yield application
        db.session.rollback()
        _empty_tables()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app):
    """A test client that sends no language preference (the site's default applies)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask` commands."""
    return app.test_cli_runner()


@pytest.fixture
def make(app):
    """Factories that add rows to the test database."""
    return factories


@pytest.fixture
def count_queries(app):
    """Context manager counting the SQL statements run inside it."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            statements.append(statement)

        event.listen(db.engine, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(db.engine, "before_cursor_execute", record)

    return counting


CSRF_FIELD = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client) -> str:
    """The CSRF token of the client's session, read from a page with a form."""
    response = client.get("/staff/login")
    if response.status_code == 302:  # signed in: every staff page has the sign-out form
        response = client.get("/staff/")
    match = CSRF_FIELD.search(response.get_data(as_text=True))
    assert match, "no CSRF token found"
    return match.group(1)


def post_form(client, url: str, data: dict | None = None, **kwargs):
    """POST a form as a browser would, with the session's CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def login(client, user, password: str = factories.PASSWORD):
    """Sign the client in as `user` through the login form."""
    response = post_form(client, "/staff/login", {"username": user.username, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


@pytest.fixture
def login_as(client):
    """Sign the test client in as the given account."""
    return lambda user, password=factories.PASSWORD: login(client, user, password)
