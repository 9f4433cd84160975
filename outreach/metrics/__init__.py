"""`GET /metrics`: what Prometheus scrapes, in its text format, for operators.

- Requests and their latency by route (the URL rule, e.g. `/r/<token>`, never the address
  asked for: addresses hold residents' tokens), method and status class.
- The outbox's depth: messages pending, sending and failed, counted with one grouped query
  when scraped (sent and skipped ones are history, left out); when the database does not
  answer they are left out too and `outreach_database_up` is 0 (the scrape still answers
  200: a 500 would hide every other figure).
- Registrations made (by residents or staff, confirmed or waitlisted), counted when their
  transaction commits; `rate(outreach_registrations_created_total[5m]) * 60` is per minute.
- Lookups of the feed cache, hits and misses.

Only the addresses in METRICS_ALLOW (CIDR, default this machine) may scrape; anyone else is
answered 404 as for an unknown address. The client's address is the one the app trusts for
rate limits: behind a proxy, PROXY_FIX must count the proxies, and a request forwarded by a
proxy the app does not trust (X-Forwarded-For, X-Real-IP or Forwarded present while
PROXY_FIX is 0, or fewer X-Forwarded-For entries than proxies) is refused, since its address
is a proxy's. A request without X-Forwarded-For came straight to gunicorn: its own address
counts (Prometheus scrapes each app server directly, not through the balancer).

Under gunicorn every worker counts on its own: `outreach/gunicorn_conf.py` points
PROMETHEUS_MULTIPROC_DIR at a folder of the master's before any worker starts, the workers
write their counts there and a scrape adds them up. Without that variable (the development
server, tests) the counts are this process's.
"""

from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    """Register /metrics, time every request and listen for what is counted."""
    from outreach.metrics import exporter  # noqa: PLC0415 (see exporter's docstring)

    exporter.init_app(app)
