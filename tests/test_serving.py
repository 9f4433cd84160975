"""Serving under gunicorn as `scripts/serve` does (outreach/gunicorn_conf.py): rate limits shared
by the workers through Redis, several workers refused without it, access logs without tokens.

Each server test runs a real gunicorn on 127.0.0.1 with its own SQLite file, stopped by its
process id; the rate-limit counts go to the local Redis under a key prefix of the test's own.
"""

from __future__ import annotations

import http.cookiejar
import io
import logging
import re
import secrets
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
import redis
from gunicorn.config import Config

from outreach import create_app, serving
from outreach.database import db
from tests.serverproc import ServerError, ServerProcess

REDIS_URL = "redis://127.0.0.1:6379/0"
NOBODY_LISTENS = "redis://127.0.0.1:1/0"
# gunicorn's settings for production, with the hook that tells ServerProcess a worker is ready.
CONFIG = """\
from outreach.gunicorn_conf import *  # noqa: F403
from tests.serverproc import post_worker_init  # noqa: F401
"""
TOKEN = "Zx9" + "a" * 29  # shaped like a manage token


@pytest.fixture
def site(tmp_path) -> Iterator[tuple[str, Path, str]]:
    """A migrated SQLite database, an instance folder whose rate-limit keys carry a prefix of
    this test's own, and the production gunicorn configuration; the keys are removed after."""
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "serving"})
    with app.app_context():
        db.create_all()
        db.engine.dispose()
    instance = tmp_path / "instance"
    instance.mkdir()
    prefix = f"outreach-test-{secrets.token_hex(6)}"
    (instance / "config.py").write_text(f"RATELIMIT_KEY_PREFIX = {prefix!r}\n")
    config = tmp_path / "gunicorn_test_conf.py"
    config.write_text(CONFIG)
    yield url, instance, config
    store = redis.Redis.from_url(REDIS_URL)
    for key in store.scan_iter(match=f"*{prefix}*"):
        store.delete(key)


def serve(site, *, workers: int, **env: str) -> ServerProcess:
    url, instance, config = site
    return ServerProcess(
        url,
        instance,
        workers=workers,
        config=config,
        env={"OUTREACH_RATELIMIT_ENABLED": "true", **env},
    )


def failed_sign_in(server: ServerProcess) -> int:
    """One wrong password from a new browser (a login page for its CSRF token, then the
    post), on connections of their own; the post's status."""
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    page = opener.open(server.url + "/staff/login").read().decode()
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)[1]
    data = urllib.parse.urlencode(
        {"csrf_token": token, "username": "nobody", "password": "wrong-password"}
    ).encode()
    try:
        return opener.open(server.url + "/staff/login", data=data).status
    except urllib.error.HTTPError as error:
        return error.code


@pytest.mark.commits
def test_with_redis_answering_two_workers_share_the_sign_in_limit(site):
    """Found: under memory:// each of 2 workers allowed 10 failures, 19 before a 429."""
    server = serve(site, workers=2, OUTREACH_REDIS_URL=REDIS_URL)
    with server:
        statuses = [failed_sign_in(server) for _ in range(16)]
    served = server.requests_served()
    assert statuses[:10] == [200] * 10  # the form again, with its error
    assert statuses[10:] == [429] * 6
    posts = [pid for pid, line, _status in served if line.startswith("POST /staff/login")]
    # Both workers answered sign-ins, and neither let more than the one limit through.
    assert len(set(posts)) == 2, served
    assert "Rate limits are counted in redis://127.0.0.1" in server.log(20000)


@pytest.mark.commits
def test_two_workers_counting_alone_are_refused_in_production(site):
    server = serve(site, workers=2, OUTREACH_REDIS_URL=NOBODY_LISTENS)
    try:
        with pytest.raises(ServerError) as refused:
            server.start()
    finally:
        server.stop()  # had it started, by its process group
    message = str(refused.value)
    assert "gunicorn exited with 1" in message
    assert "OUTREACH_RATELIMIT_STORAGE_URL=redis://" in message and "WORKERS=1" in message


@pytest.mark.commits
def test_one_worker_counting_alone_starts(site):
    with serve(site, workers=1, OUTREACH_REDIS_URL=NOBODY_LISTENS) as server:
        assert failed_sign_in(server) == 200
    assert "Rate limits are counted in memory://" in server.log(20000)


def test_several_workers_in_memory_are_allowed_only_in_development_or_without_limits():
    settings = {"RATELIMIT_ENABLED": True}
    assert serving.storage_problem(4, settings, None) is not None
    assert serving.storage_problem(1, settings, None) is None
    assert serving.storage_problem(4, settings, REDIS_URL) is None
    assert serving.storage_problem(4, {**settings, "DEVELOPMENT": True}, None) is None
    assert serving.storage_problem(4, {"RATELIMIT_ENABLED": False}, None) is None


def test_a_configured_store_is_kept_and_an_unanswering_redis_is_not_used():
    configured = {"RATELIMIT_STORAGE_URI": "redis://cache.internal:6379/2"}
    assert serving.shared_storage(configured, REDIS_URL) == "redis://cache.internal:6379/2"
    memory = {"RATELIMIT_STORAGE_URI": "memory://"}
    assert serving.shared_storage(memory, NOBODY_LISTENS) is None
    assert serving.shared_storage(memory, REDIS_URL) == REDIS_URL


# ---------------------------------------------------------------------------------------------
# Access logs


@pytest.mark.parametrize(
    ("line", "logged"),
    [
        (f"GET /r/{TOKEN} HTTP/1.1", "GET /r/<token> HTTP/1.1"),
        (f"GET /r/{TOKEN}?new=1", "GET /r/<token>?new=1"),
        (f"POST /r/{TOKEN}/cancel", "POST /r/<token>/cancel"),
        (f"/r/{TOKEN}.ics", "/r/<token>.ics"),
        (f"/feeds/me/{TOKEN}.ics?lang=en", "/feeds/me/<token>.ics?lang=en"),
        (f"/subscribe/me/{TOKEN}", "/subscribe/me/<token>"),
        # A text message's short link, and where it leads.
        ("GET /s/AbCdEf1234 HTTP/1.1", "GET /s/<token> HTTP/1.1"),
        # A follower's page, and a follow's e-mail link (its first part holds the address).
        ("POST /u/AbCdEf1234 HTTP/1.1", "POST /u/<token> HTTP/1.1"),
        ("GET /follow/confirm/eyJhIjoi.aB.cD?lang=zh", "GET /follow/confirm/<token>.aB.cD?lang=zh"),
        (f"/r/{TOKEN}?lang=zh", "/r/<token>?lang=zh"),
        (f"DELETE /api/v1/registrations/{TOKEN}", "DELETE /api/v1/registrations/<token>"),
        (
            f"https://events.example.cn/r/{TOKEN}#outcome",
            "https://events.example.cn/r/<token>#outcome",
        ),
        ("POST /api/v1/registrations HTTP/1.1", "POST /api/v1/registrations HTTP/1.1"),
        ("GET /events/12 HTTP/1.1", "GET /events/12 HTTP/1.1"),
    ],
)
def test_tokens_are_redacted_from_addresses(line, logged):
    assert serving.redact(line) == logged


ACCESS_FORMAT = 'access pid=%(p)s "%(r)s" %(s)s path=%(U)s ref="%(f)s"'


@pytest.mark.commits
def test_the_access_log_of_a_real_server_holds_no_token(site, tmp_path):
    url, instance, config = site
    addresses = [
        f"/r/{TOKEN}",
        f"/r/{TOKEN}.ics",
        f"/r/{TOKEN}/cancel",
        f"/feeds/me/{TOKEN}.ics",
        f"/subscribe/me/{TOKEN}",
        f"/api/v1/registrations/{TOKEN}",
    ]
    server = ServerProcess(url, instance, workers=1, config=config, access_log_format=ACCESS_FORMAT)
    with server:
        for address in addresses:
            request = urllib.request.Request(
                server.url + address, headers={"Referer": f"http://127.0.0.1/r/{TOKEN}"}
            )
            with pytest.raises(urllib.error.HTTPError):  # unknown token: 404
                urllib.request.urlopen(request)
        # A worker writes a request's line after its answer: wait (a minute at most) for the
        # line of one more request, answered after all the others by the one worker.
        urllib.request.urlopen(server.url + "/").read()
        deadline = time.monotonic() + 60
        while '"GET / HTTP/1.1"' not in server.log(100000) and time.monotonic() < deadline:
            time.sleep(0.05)
    log = server.log(100000)
    lines = [line for line in log.splitlines() if line.startswith("access ")]
    assert len(lines) >= len(addresses), log
    assert TOKEN not in log
    assert '"GET /r/<token> HTTP/1.1" 404 path=/r/<token> ref="http://127.0.0.1/r/<token>"' in log
    assert '"GET /feeds/me/<token>.ics HTTP/1.1" 404' in log


def test_a_redirect_to_a_manage_page_is_logged_without_its_token():
    """The Location of the redirect after registering (/r/<token>?new=1) is redacted too."""
    logger = serving.RedactingLogger.__new__(serving.RedactingLogger)
    response = SimpleNamespace(
        status="302 FOUND", headers=[("Location", f"/r/{TOKEN}?new=1#outcome")], sent=0
    )
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": "/sessions/3/register",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "PATH_INFO": "/sessions/3/register",
        "HTTP_REFERER": f"https://events.example.cn/r/{TOKEN}",
    }
    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=0))
    assert atoms["{location}o"] == "/r/<token>?new=1#outcome"
    assert atoms["f"] == "https://events.example.cn/r/<token>"
    assert TOKEN not in repr(atoms)


def test_error_messages_of_gunicorn_and_the_app_are_redacted_too(caplog):
    """gunicorn logs "Error handling request <uri>"; Flask logs "Exception on <path> [POST]"."""
    logger = serving.RedactingLogger(Config())
    written = io.StringIO()
    logger.error_log.addHandler(logging.StreamHandler(written))
    app_logger = logging.getLogger(serving.APP_LOGGER)
    try:
        logger.error("Error handling request %s", f"/r/{TOKEN}/cancel")
        app_logger.error(f"Exception on /feeds/me/{TOKEN}.ics [GET]")
    finally:
        for kept in [f for f in app_logger.filters if isinstance(f, serving.RedactingFilter)]:
            app_logger.removeFilter(kept)
    assert "Error handling request /r/<token>/cancel" in written.getvalue()
    assert "Exception on /feeds/me/<token>.ics [GET]" in caplog.text
    assert TOKEN not in written.getvalue() + caplog.text
