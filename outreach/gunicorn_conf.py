"""gunicorn's settings for outreach: `gunicorn -c python:outreach.gunicorn_conf app:app`, as
`scripts/serve` runs it.

- Access logs never hold a resident's secret: the token in `/r/…`, `/feeds/me/…`,
  `/subscribe/me/…` and `/api/v1/registrations/…` is written as `<token>`, wherever the
  address appears (request line, path, referrer, a redirect's Location).
- Failed sign-ins and registrations are counted in one place for all workers. Without a
  configured store (`OUTREACH_RATELIMIT_STORAGE_URL`), Redis at `OUTREACH_REDIS_URL` (default
  redis://127.0.0.1:6379/0) is used when it answers; without either, one worker serves, and in
  production more than one is refused, since each would count on its own.
- Metrics (`/metrics`) add up all workers' counts: each worker writes them to a folder, made
  here and emptied before the first worker starts (PROMETHEUS_MULTIPROC_DIR, when set, names
  it instead), that a scrape reads; the master removes a folder it made when it stops.

gunicorn reads the module-level names that match its settings (`workers`, `logger_class`,
`on_starting`, `child_exit`, `on_exit`); the others start with an underscore. Importing this
module reads the configuration and may ask Redis: only gunicorn imports it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from urllib.parse import urlsplit

from outreach import serving

__all__ = ["child_exit", "logger_class", "on_exit", "on_starting", "workers"]

# Before any worker builds the app, which imports prometheus_client: it decides on import
# whether counts are kept in memory or in this folder. (Importing `outreach` does not.)
_METRICS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
# Marks a folder made here, so that a master started anew by USR2 (which inherits this
# environment) makes its own rather than emptying the one the old master's workers still use.
_MADE_HERE = "OUTREACH_METRICS_DIR_MADE"
_OWN_METRICS_DIR = os.environ.get(_METRICS_VARIABLE, "") in ("", os.environ.get(_MADE_HERE))
if _OWN_METRICS_DIR:
    os.environ[_METRICS_VARIABLE] = tempfile.mkdtemp(prefix="outreach-metrics-")
    os.environ[_MADE_HERE] = os.environ[_METRICS_VARIABLE]
_METRICS_DIR = Path(os.environ[_METRICS_VARIABLE])

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
        on_exit(server)  # gunicorn does not call it when this hook fails
        raise RuntimeError(problem)  # gunicorn prints "Error: …" and exits with 1
    where = urlsplit(_STORAGE or serving.MEMORY_STORAGE)
    # Scheme, host and port only: the URL may carry a password.
    server.log.info("Rate limits are counted in %s://%s", where.scheme, where.hostname or "")
    # Counts left by an earlier run would be added to this one's.
    _METRICS_DIR.mkdir(parents=True, exist_ok=True)
    for stale in _METRICS_DIR.glob("*.db"):
        stale.unlink()


def child_exit(server, worker) -> None:
    """gunicorn hook, in the master after a worker has gone: its live gauges go with it
    (its counters stay, so that totals never go down)."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid, str(_METRICS_DIR))


def on_exit(server) -> None:
    """gunicorn hook, as the master stops: remove the metrics folder it made."""
    if _OWN_METRICS_DIR:
        shutil.rmtree(_METRICS_DIR, ignore_errors=True)
