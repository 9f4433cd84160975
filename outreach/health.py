"""`GET /healthz`: whether this worker can serve, for load balancers and operators.

200 while the database answers, 503 when it does not. Redis (the feed cache and the rate
limits, when configured) is reported but does not take the worker out: without it the feed
cache falls back to building, and limits fail open. No error text is shown: the log has it.
"""

from __future__ import annotations

import logging

import redis
from flask import Blueprint, Flask, current_app, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from outreach.database import db

log = logging.getLogger(__name__)
bp = Blueprint("health", __name__)

REDIS_TIMEOUT = 0.5  # seconds: a health check must answer quickly


def init_app(app: Flask) -> None:
    """Register /healthz."""
    app.register_blueprint(bp)


def _ask_database() -> None:
    db.session.execute(text("SELECT 1"))


def _redis_urls() -> list[str]:
    """The Redis servers this worker is configured to use: the feed cache and the limits."""
    config = current_app.config
    urls = [config.get("CACHE_URL"), config.get("RATELIMIT_STORAGE_URI")]
    return [url for url in dict.fromkeys(urls) if url and url.startswith(("redis://", "rediss://"))]


def _redis_state() -> str:
    urls = _redis_urls()
    if not urls:
        return "not configured"
    for url in urls:
        client = redis.Redis.from_url(
            url, socket_timeout=REDIS_TIMEOUT, socket_connect_timeout=REDIS_TIMEOUT
        )
        try:
            client.ping()
        except (redis.RedisError, OSError) as error:
            log.warning("health check: Redis does not answer: %s", error)
            return "unreachable"
        finally:
            client.close()
    return "ok"


@bp.get("/healthz")
def healthz():
    """{"status", "database", "redis"}: 200 when the database answers, else 503."""
    try:
        _ask_database()
        database = "ok"
    except SQLAlchemyError as error:
        log.error("health check: the database does not answer: %s", error)
        db.session.rollback()
        database = "unreachable"
    healthy = database == "ok"
    body = {
        "status": "ok" if healthy else "unavailable",
        "database": database,
        "redis": _redis_state(),
    }
    response = jsonify(body)
    response.status_code = 200 if healthy else 503
    response.headers["Cache-Control"] = "no-store"
    return response
