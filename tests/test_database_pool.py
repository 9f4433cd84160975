"""Pooled connections are checked before use only when they may have died: after sitting idle,
or when the server has written to them while idle (a restart or a killed backend says so)."""

from __future__ import annotations

import time

import psycopg
import pytest
from sqlalchemy import text

from outreach import create_app
from outreach.database import db
from tests.conftest import POSTGRES_URL

pytestmark = pytest.mark.commits


def _app(url: str, **config):
    return create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x", **config})


def _backend_of(app) -> int:
    with app.app_context():
        pid = db.session.execute(text("SELECT pg_backend_pid()")).scalar_one()
        db.session.remove()  # the connection goes back to the pool
    return pid


def _terminate(url: str, pid: int) -> None:
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(%s)", (pid,))
        for _ in range(100):  # until the backend has gone (and said so to its client)
            gone = admin.execute(
                "SELECT NOT EXISTS (SELECT 1 FROM pg_stat_activity WHERE pid = %s)", (pid,)
            )
            if gone.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError("the backend did not end")


@pytest.mark.parametrize("migrated_postgres_url", ["postgresql"], indirect=True)
def test_a_connection_killed_while_pooled_is_replaced_without_an_error(migrated_postgres_url):
    app = _app(migrated_postgres_url, DATABASE_PING_AFTER_IDLE=3600)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    _terminate(migrated_postgres_url, _backend_of(app))
    # The very next request, long before the idle limit: answered, on a new connection.
    answer = client.get("/healthz")
    assert answer.status_code == 200 and answer.json["database"] == "ok"
    assert client.get("/api/v1/places").status_code == 200
    with app.app_context():
        db.engine.dispose()


@pytest.mark.parametrize("migrated_postgres_url", ["postgresql"], indirect=True)
def test_a_busy_connection_is_not_pinged_an_idle_one_is(migrated_postgres_url):
    busy = _app(migrated_postgres_url, DATABASE_PING_AFTER_IDLE=3600)
    idle = _app(migrated_postgres_url, DATABASE_PING_AFTER_IDLE=0)
    for app in (busy, idle):
        client = app.test_client()
        for _ in range(3):
            assert client.get("/api/v1/places").status_code == 200
        with app.app_context():
            db.engine.dispose()
    assert busy.extensions["outreach_pool_pings"] == 0
    assert idle.extensions["outreach_pool_pings"] == 2  # every reuse of the pooled connection


if not POSTGRES_URL:
    __test__ = False
