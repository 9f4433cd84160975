"""Fixtures: one application per database and worker; each test inside a transaction rolled back.

SQLite always, PostgreSQL too when OUTREACH_TEST_DATABASE_URL names a server. Under
pytest-xdist each worker has its own SQLite file and its own scratch PostgreSQL database.

Most tests never commit anything for real: the test's connection begins a transaction, the
application's session joins it with `join_transaction_mode="create_savepoint"` (so the app's
own `db.session.commit()` only releases a savepoint), and the transaction is rolled back at
the end. Tests whose rows other threads or processes must read (live servers, gunicorn,
threads with their own connections, subprocesses) are marked `commits`: they get the real
engine, factories that commit, and every table emptied afterwards.

Scenario data that a module's tests only read can be built once per module inside
`module_transaction`; each test then runs inside a savepoint of that transaction.
"""

from __future__ import annotations

import functools
import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import flask_migrate
import pytest
from flask import Flask, g
from flask.testing import FlaskClient
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import make_url

from outreach import create_app
from outreach.config import normalise_database_url
from outreach.database import db
from outreach.extensions import limiter
from tests import factories, web
from tests.messages_support import WebhookServer, assert_one_segment

POSTGRES_URL = os.environ.get("OUTREACH_TEST_DATABASE_URL")
DATABASES = ["sqlite"] + (["postgresql"] if POSTGRES_URL else [])
# "gw0", "gw1", … under pytest-xdist; names this process's own databases.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "main")

if os.environ.get("CI") == "true" and not POSTGRES_URL:
    raise pytest.UsageError("CI must run the suite on PostgreSQL: set OUTREACH_TEST_DATABASE_URL")

TEST_CONFIG = {
    "TESTING": True,
    "SECRET_KEY": "test-secret",
    "UID_DOMAIN": "outreach.test",
    # Feeds are fetched right after each change here; test_feed_http tests the memo.
    "FEED_VERSION_TTL": 0,
}

# Fixtures whose rows or servers live outside the test's transaction: tests using them must
# be marked `commits` (checked at collection).
COMMITTING_FIXTURES = {"live_server", "postgres_app", "migrated_postgres_url"}


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by database
def pytest_collection_modifyitems(items) -> None:
    """Refuse a test that needs real commits but is not marked so; run first the committing
    tests that bring their own database (servers, benchmarks, migrations), so that parallel
    workers do not wait at the end for one long test."""
    for item in items:
        needs = COMMITTING_FIXTURES.intersection(getattr(item, "fixturenames", ()))
        if needs and item.get_closest_marker("commits") is None:
            raise pytest.UsageError(
                f"{item.nodeid} uses {', '.join(sorted(needs))}: mark it @pytest.mark.commits"
            )
    items.sort(key=_runs_first, reverse=True)  # stable: the order is otherwise kept


def _runs_first(item) -> bool:
    own_database = "database_url" not in getattr(item, "fixturenames", ())
    return own_database and item.get_closest_marker("commits") is not None


@contextmanager
def _scratch_postgres_database(url: str) -> Iterator[str]:
    """A database of its own for this run and worker, so parallel runs never share tables."""
    admin_url = make_url(normalise_database_url(url))
    name = f"outreach_test_{WORKER}_{secrets.token_hex(4)}"
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
    """This process's own application on that database, to write and read rows (and commit)."""
    app = create_app({"SQLALCHEMY_DATABASE_URI": migrated_postgres_url, "SECRET_KEY": "scratch"})
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture(scope="session", params=DATABASES)
def database_url(request, tmp_path_factory) -> Iterator[str]:
    """A database URL with the schema built, one per engine for the whole run (and worker)."""
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


class FreshRequestClient(FlaskClient):
    """A client whose requests start with an empty `g` and the test's rows committed.

    The `app` fixture keeps one application context open so tests can use the database;
    requests then reuse it and its session. Extensions caching per-request state in `g` (the
    chosen language, the signed-in user) would leak from one request into the next, and a
    view that rolls back after a rule error would take the test's unsaved rows with it.
    Committing here only releases a savepoint, as the app's own commits do.
    """

    def open(self, *args, **kwargs):
        for name in list(g):
            g.pop(name)
        db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture(scope="session")
def shared_app(database_url) -> Iterator[Flask]:
    """The application on that database, built once: tests share it and restore what they
    change (`app` puts back its configuration, extensions and rate limits)."""
    application = create_app({**TEST_CONFIG, "SQLALCHEMY_DATABASE_URI": database_url})
    application.test_client_class = FreshRequestClient
    # Only matters when the session's bind is a connection already in a transaction.
    db.session.session_factory.configure(join_transaction_mode="create_savepoint")
    yield application
    with application.app_context():
        db.engine.dispose()


@contextmanager
def _state_restored(app: Flask) -> Iterator[None]:
    """Put back the configuration, extension state and rate-limit counters a test changed."""
    config = dict(app.config)
    extensions = dict(app.extensions)
    limiter_state = dict(vars(limiter))
    limiter.reset()
    try:
        yield
    finally:
        app.config.clear()
        app.config.update(config)
        app.extensions.clear()
        app.extensions.update(extensions)
        vars(limiter).clear()
        vars(limiter).update(limiter_state)
        limiter.reset()


def _begin(connection) -> None:
    connection.exec_driver_sql("BEGIN")


class JoinedTransaction:
    """A connection in a transaction that stands in for the app's engine while it lasts.

    The session gets this connection as its bind and, in `create_savepoint` mode, commits
    and rolls back only savepoints inside the transaction; `close()` rolls it all back.

    On SQLite the sqlite3 module's own transaction handling would skip BEGIN before a
    SAVEPOINT, so a released savepoint would outlive the rollback: on this connection only,
    SQLAlchemy emits BEGIN itself (the recipe of SQLAlchemy's SQLite documentation). Other
    connections keep the driver's usual behaviour, on which the app's concurrency relies.
    """

    current: JoinedTransaction | None = None

    def __init__(self) -> None:
        self.engines = db.engines
        self.engine = self.engines[None]
        self.connection = self.engine.connect()
        self._driver = self.connection.connection.driver_connection
        self._sqlite = self.connection.dialect.name == "sqlite"
        if self._sqlite:
            self._driver.isolation_level = None
            event.listen(self.connection, "begin", _begin)
        self.transaction = self.connection.begin()
        self.engines[None] = self.connection
        JoinedTransaction.current = self

    def join(self, other: Flask):
        """Put another application's session on this connection too; returns its engine."""
        with other.app_context():
            engine = db.engines[None]
            db.engines[None] = self.connection
        return engine

    def close(self) -> None:
        """Roll back everything done inside, and give the app its engine back."""
        JoinedTransaction.current = None
        try:
            db.session.remove()
        finally:
            self.engines[None] = self.engine
            try:
                self.connection.rollback()  # the transaction and every savepoint inside it
                if self._sqlite:
                    self._driver.isolation_level = ""  # the driver's default, for the pool
            finally:
                self.connection.close()


def _empty_tables() -> None:
    # DELETE is much faster than TRUNCATE on PostgreSQL for the few rows a test writes.
    for table in reversed(db.metadata.sorted_tables):
        db.session.execute(table.delete())
    db.session.commit()


class ModuleTransaction:
    """Rows built once for a module's tests, which each run inside a savepoint of it."""

    active: ModuleTransaction | None = None

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.joined = JoinedTransaction()
        self.kept: set = set()

    def keep(self) -> None:
        """Remember the rows built so far as the module's: tests may read them, not lose them."""
        db.session.commit()  # releases the session's savepoint: tests nest inside the transaction
        self.kept = set(db.session.identity_map.keys())

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """One test's turn: all it does is rolled back, and it forgets the objects it loaded."""
        savepoint = self.joined.connection.begin_nested()
        try:
            yield
        finally:
            db.session.rollback()
            if savepoint.is_active:
                savepoint.rollback()
            for key, obj in list(db.session.identity_map.items()):
                if key not in self.kept:
                    db.session.expunge(obj)
            db.session.expire_all()
            for name in list(g):
                g.pop(name)


@pytest.fixture(scope="module")
def module_transaction(shared_app) -> Iterator[ModuleTransaction]:
    """An application context and an outer transaction for the whole module.

    A module-scoped scenario fixture takes this, builds its rows with `tests.factories`, and
    calls `keep()`; every test of the module then runs in a savepoint of this transaction and
    shares its session, so the scenario's objects stay usable.
    """
    with _state_restored(shared_app), shared_app.app_context():
        module = ModuleTransaction(shared_app)
        ModuleTransaction.active = module
        try:
            yield module
        finally:
            ModuleTransaction.active = None
            module.joined.close()


@pytest.fixture
def app(request, shared_app) -> Iterator[Flask]:
    """The application inside an application context, on an empty database (as far as the
    test can tell): rolled back afterwards, or emptied for tests marked `commits`."""
    commits = request.node.get_closest_marker("commits") is not None
    module = ModuleTransaction.active
    if module is not None and module.app is shared_app:
        if commits:
            raise pytest.UsageError("a test marked `commits` cannot share a module transaction")
        with _state_restored(shared_app), module.savepoint():
            yield shared_app
        return
    with _state_restored(shared_app), shared_app.app_context():
        if commits:
            try:
                yield shared_app
            finally:
                db.session.rollback()
                _empty_tables()
                db.session.remove()
        else:
            joined = JoinedTransaction()
            try:
                yield shared_app
            finally:
                joined.close()


@pytest.fixture
def new_app(app) -> Iterator:
    """Build another application on the test's database, with settings of its own: for a
    test that adds routes, or needs a setting read when the app is built. Under the rolled-
    back transaction it shares the test's connection."""
    built: list = []

    def build(**overrides) -> Flask:
        other = create_app({**app.config, **overrides})
        other.test_client_class = FreshRequestClient
        if JoinedTransaction.current is not None:
            built.append(JoinedTransaction.current.join(other))
        return other

    yield build
    for engine in built:
        engine.dispose()


@pytest.fixture
def client(app):
    """A test client that sends no language preference (the site's default applies)."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for `flask` commands."""
    return app.test_cli_runner()


class CommittingFactories:
    """The factories, each call committed: for tests whose rows other connections read."""

    def __getattr__(self, name: str):
        value = getattr(factories, name)
        if name not in factories.BUILDERS:
            return value

        @functools.wraps(value)
        def build_and_commit(*args, **kwargs):
            row = value(*args, **kwargs)
            db.session.commit()
            return row

        return build_and_commit


@pytest.fixture
def make(request, app):
    """Factories that add rows to the test database (flushed; committed under `commits`)."""
    if request.node.get_closest_marker("commits") is not None:
        return CommittingFactories()
    return factories


@pytest.fixture
def count_queries(app):
    """Context manager counting the SQL statements run inside it (savepoints not counted)."""

    @contextmanager
    def counting() -> Iterator[list[str]]:
        statements: list[str] = []

        def record(conn, cursor, statement, *args):
            if not statement.startswith(("SAVEPOINT", "RELEASE SAVEPOINT", "ROLLBACK TO")):
                statements.append(statement)

        bind = db.engine
        event.listen(bind, "before_cursor_execute", record)
        try:
            yield statements
        finally:
            event.remove(bind, "before_cursor_execute", record)

    return counting


@pytest.fixture
def login_as(client):
    """Sign the test client in as the given account (its session written directly)."""
    return lambda user: web.login(client, user)


@pytest.fixture
def gateway(app):
    """A running stand-in SMS gateway the application posts text messages to (with one
    configured, phone codes are on by default: see test_phone_verification.py)."""
    server = WebhookServer().start()
    app.config["SMS_WEBHOOK_URL"] = server.url
    yield server
    server.stop()
    # Every text the application sent fits one 70-character segment.
    for sent in server.texts:
        assert_one_segment(sent)


REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_cache(app):
    """The Redis at 127.0.0.1:6379 as the cache of built feeds and pages, under a prefix of
    this test's own; yields the client and the prefix."""
    import redis

    from outreach.feeds import cache as feed_cache

    client = redis.Redis.from_url(REDIS_URL)
    try:
        client.ping()
    except redis.RedisError:
        # The machines this project runs on start Redis before tests; CI must test it.
        if os.environ.get("CI") == "true":
            pytest.fail("Redis is required under CI at 127.0.0.1:6379")
        pytest.skip("no Redis at 127.0.0.1:6379")
    prefix = f"outreach-test:{secrets.token_hex(6)}:"
    app.config.update(CACHE_URL=REDIS_URL, FEED_CACHE_PREFIX=prefix)
    app.extensions.pop(feed_cache.EXTENSION, None)
    yield client, prefix
    keys = list(client.scan_iter(match=prefix + "*"))
    if keys:
        client.delete(*keys)
    client.close()
    app.extensions.pop(feed_cache.EXTENSION, None)
