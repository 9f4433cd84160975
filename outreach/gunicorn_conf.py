"""gunicorn's settings for outreach: `gunicorn -c python:outreach.gunicorn_conf app:app`, as
`scripts/serve` runs it.

- Access logs never hold a resident's secret: the token in `/r/…`, `/feeds/me/…`,
  `/subscribe/me/…` and `/api/v1/registrations/…` is written as `<token>`, wherever the
  address appears (request line, path, referrer, a redirect's Location).
- Failed sign-ins and registrations are counted in one place for all workers. Without a
  configured store (`OUTREACH_RATELIMIT_STORAGE_URL`), Redis at `OUTREACH_REDIS_URL` (default
  redis://127.0.0.1:6379/0) is used when it answers; without either, one worker serves, and in
  production more than one is refused, since each would count on its own.

gunicorn reads the module-level names that match its settings (`workers`, `logger_class`,
`on_starting`); the others start with an underscore. Importing this module reads the
configuration and may ask Redis: only gunicorn imports it.
"""

from __future__ import annotations

import os
from urllib.parse import urlsplit

from outreach import serving

__all__ = ["logger_class", "on_starting", "workers"]

_SETTINGS = serving.read_settings()
_STORAGE = serving.shared_storage(_SETTINGS, os.environ.get("OUTREACH_REDIS_URL"))
if _STORAGE and _SETTINGS["RATELIMIT_STORAGE_URI"] == serving.MEMORY_STORAGE:
    # Workers are forked from this process and build the app afterwards: they read it.
    os.environ[serving.STORAGE_VARIABLE] = _STORAGE

logger_class = serving.RedactingLogger
# Two workers when they share their counts, else one; --workers (WORKERS=) chooses more.
workers = 2 if _STORAGE else 1


def on_starting(server) -> None:
    """gunicorn hook, before any worker: refuse workers that would count limits alone."""
    problem = serving.storage_problem(server.cfg.workers, _SETTINGS, _STORAGE)
    if problem:
        raise RuntimeError(problem)  # gunicorn prints "Error: …" and exits with 1
    where = urlsplit(_STORAGE or serving.MEMORY_STORAGE)
    # Scheme, host and port only: the URL may carry a password.
    server.log.info("Rate limits are counted in %s://%s", where.scheme, where.hostname or "")
