"""Serving under gunicorn: access logs without residents' tokens, and one place to count rate
limits for all workers. `outreach/gunicorn_conf.py` wires these into gunicorn."""

from __future__ import annotations

import logging
import re
from typing import Any

import redis
from flask import Flask
from gunicorn.glogging import Logger

from outreach import config

MEMORY_STORAGE = "memory://"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
STORAGE_VARIABLE = "OUTREACH_RATELIMIT_STORAGE_URL"
REDACTED = "<token>"
APP_LOGGER = "outreach"  # Flask's app.logger: the package's name

# The path segment after these prefixes is a secret (the routes of registrations, feeds,
# follows and the API that take a token; a follow's e-mail link carries the address). Not
# anchored at the start: the site may live under a path, and a referrer is a whole URL.
_TOKEN_IN_PATH = re.compile(
    r"(/(?:r|s|u|follow/confirm|feeds/me|subscribe/me|api/v1/registrations)/)[^/?#\s\"'.]+"
)


def redact(text: str) -> str:
    """`text` with the token of every resident's address in it replaced by <token>."""
    return _TOKEN_IN_PATH.sub(lambda found: found[1] + REDACTED, text)


def _redacted(value: Any) -> Any:
    return redact(value) if isinstance(value, str) else value


class RedactingFilter(logging.Filter):
    """Redacts a log record's message and arguments ("Error handling request /r/…", Flask's
    "Exception on /r/… [POST]")."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record; never drop it."""
        record.msg = _redacted(record.msg)
        if isinstance(record.args, tuple):
            record.args = tuple(map(_redacted, record.args))
        return True


class RedactingLogger(Logger):
    """gunicorn's logger: access lines without tokens whatever the format asks for, and the
    error log (gunicorn's messages and the application's) redacted as well."""

    def setup(self, cfg) -> None:
        """gunicorn's set-up, then the filter on its error log and on the app's logger (the
        workers, forked later, inherit both)."""
        super().setup(cfg)
        for logger in (self.error_log, logging.getLogger(APP_LOGGER)):
            if not any(isinstance(f, RedactingFilter) for f in logger.filters):
                logger.addFilter(RedactingFilter())

    def atoms(self, resp, req, environ, request_time) -> dict[str, Any]:
        """The values an access line may use, each address redacted."""
        atoms = super().atoms(resp, req, environ, request_time)
        return {k: _redacted(v) for k, v in atoms.items()}


def read_settings() -> Any:
    """The application's configuration, read as the workers will read it (no app is built)."""
    app = Flask("outreach", instance_path=config.instance_path())
    config.load(app)
    return app.config


def shared_storage(settings: Any, redis_url: str | None) -> str | None:
    """Where all workers can count rate limits: the configured store, else Redis at
    `redis_url` (default: this machine's) when it answers; None when there is none."""
    configured = settings["RATELIMIT_STORAGE_URI"]
    if configured != MEMORY_STORAGE:
        return configured
    url = redis_url or DEFAULT_REDIS_URL
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1, socket_timeout=1).ping()
    except (redis.RedisError, OSError, ValueError):
        return None
    return url


def storage_problem(workers: int, settings: Any, storage: str | None) -> str | None:
    """Why these workers must not start (each counting rate limits alone), or None."""
    if storage or workers <= 1 or not settings["RATELIMIT_ENABLED"]:
        return None
    if config.is_development(settings):
        return None
    return (
        f"{workers} workers would each count failed sign-ins and registrations on their own "
        "(rate limits in memory://), allowing each client that many times the limit. Set "
        f"{STORAGE_VARIABLE}=redis://HOST:6379/0 (or start Redis on 127.0.0.1:6379, or name "
        "it in OUTREACH_REDIS_URL), or run one worker (WORKERS=1). On a development machine, "
        "OUTREACH_DEVELOPMENT=true allows it."
    )
