"""The metrics and `/metrics` (see the package for what is counted and who may read it).

Imported only when an app is built, never by importing `outreach`: prometheus_client
decides when imported whether counts stay in memory or go to PROMETHEUS_MULTIPROC_DIR for
all gunicorn workers, and `outreach/gunicorn_conf.py` sets that variable after importing
`outreach` (the master imports the package; the workers build the app).
"""

from __future__ import annotations

import functools
import ipaddress
import logging
import os
import time
from collections.abc import Iterable, Iterator
from typing import Any

from flask import Blueprint, Flask, Response, abort, current_app, request
from flask.signals import request_finished, request_started
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    disable_created_metrics,
    generate_latest,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector
from sqlalchemy import event, func, inspect, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from outreach.database import db
from outreach.extensions import limiter
from outreach.feeds.signals import cache_lookup
from outreach.messages.models import Message, MessageStatus
from outreach.registrations.signals import registration_changed

log = logging.getLogger(__name__)
bp = Blueprint("metrics", __name__)

MULTIPROCESS_VARIABLE = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "<unmatched>"  # the route of a request no rule matched (404, 405)
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Headers a proxy adds: present while no proxy is trusted, the address seen is the proxy's.
FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")
# Pages answer in milliseconds; imports and exports may take seconds.
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)
_START = "outreach.metrics.start"
_NEW_REGISTRATIONS = "outreach.metrics.new_registrations"

# `*_created` series say when a series began: noise here (and not kept under gunicorn).
disable_created_metrics()
# This process's metrics (under gunicorn also written to PROMETHEUS_MULTIPROC_DIR).
REGISTRY = CollectorRegistry()
REQUESTS = Counter(
    "outreach_http_requests",
    "Requests answered, by route (URL rule), method and status class.",
    ["route", "method", "status"],
    registry=REGISTRY,
)
LATENCY = Histogram(
    "outreach_http_request_duration_seconds",
    "Seconds from the request's dispatch to its response, by route, method and status class.",
    ["route", "method", "status"],
    buckets=LATENCY_BUCKETS,
    registry=REGISTRY,
)
REGISTRATIONS = Counter(
    "outreach_registrations_created",
    "Registrations made and committed, by who made them (resident, staff) and status.",
    ["by", "status"],
    registry=REGISTRY,
)
CACHE_LOOKUPS = Counter(
    "outreach_cache_lookups",
    "Lookups of the cache of built feeds, public pages and share images, by kind (feed, page,"
    " image) and result (hit, miss).",
    ["kind", "result"],
    registry=REGISTRY,
)
# The series of each kind, found once: labels() costs a lookup under a lock on every call.
_LOOKUP_SERIES = {
    (kind, hit): CACHE_LOOKUPS.labels(kind, "hit" if hit else "miss")
    for kind in ("feed", "page", "image")
    for hit in (True, False)
}


def init_app(app: Flask) -> None:
    """Register /metrics, time every request and listen for what is counted."""
    allowed_networks(tuple(app.config["METRICS_ALLOW"]))  # a wrong setting fails at start
    app.register_blueprint(bp)
    request_started.connect(_request_started, app)
    request_finished.connect(_request_finished, app)
    registration_changed.connect(_registration_made)
    cache_lookup.connect(_cache_looked_up)
    if not event.contains(Session, "after_commit", _count_committed):
        event.listen(Session, "after_commit", _count_committed)
        event.listen(Session, "after_rollback", _forget_uncommitted)


# Requests ----------------------------------------------------------------------------------


def _request_started(_app: Flask, **_extra: Any) -> None:
    # In the environ rather than `g`: one lookup of the request instead of two of `g`.
    request.environ[_START] = time.perf_counter()


def _request_finished(_app: Flask, response: Response, **_extra: Any) -> None:
    current = request._get_current_object()  # type: ignore[attr-defined]
    started = current.environ.get(_START)
    if started is None:
        return
    rule = current.url_rule
    method = current.method
    key = (
        rule.rule if rule is not None else UNMATCHED,
        method if method in METHODS else "other",
        response.status_code // 100,
    )
    counter, timer = _REQUEST_SERIES.get(key) or _request_series(key)
    counter.inc()
    timer.observe(time.perf_counter() - started)


# The series of each (route, method, status class), found once: `labels()` costs more than
# the counting. Bounded by the app's rules × 8 methods × 5 classes.
_REQUEST_SERIES: dict[tuple[str, str, int], tuple[Any, Any]] = {}


def _request_series(key: tuple[str, str, int]) -> tuple[Any, Any]:
    route, method, status = key
    labels = (route, method, f"{status}xx")
    series = (REQUESTS.labels(*labels), LATENCY.labels(*labels))
    return _REQUEST_SERIES.setdefault(key, series)


# Registrations -----------------------------------------------------------------------------


def _registration_made(registration: Any, *, action: str, actor: Any = None, **_: Any) -> None:
    """Remember a new registration until its transaction ends (it may yet be rolled back)."""
    if action in ("confirmed", "waitlisted"):
        by = "resident" if actor is None else "staff"
        db.session().info.setdefault(_NEW_REGISTRATIONS, []).append((registration, by, action))


def _count_committed(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a savepoint released: the transaction around it may still be rolled back
    made = session.info.pop(_NEW_REGISTRATIONS, None)
    for registration, by, status in made or ():
        # A registration added inside a savepoint that was rolled back is no longer persistent.
        if inspect(registration).persistent:
            REGISTRATIONS.labels(by, status).inc()


def _forget_uncommitted(session: Session) -> None:
    if not session.in_nested_transaction():  # (a savepoint's rollback expunges its rows)
        session.info.pop(_NEW_REGISTRATIONS, None)


# The feed cache ----------------------------------------------------------------------------


def _cache_looked_up(_sender: Any, *, kind: str, hit: bool, **_: Any) -> None:
    _LOOKUP_SERIES[kind, hit].inc()


# The outbox, read when scraped ---------------------------------------------------------------


# The outbox's depth: what is still to send, and what gave up. Sent and skipped messages
# are history, growing for ever: counting them would read all of it at every scrape.
OUTBOX_STATUSES = (MessageStatus.PENDING, MessageStatus.SENDING, MessageStatus.FAILED)


def count_messages() -> list[Any]:
    """(status, number of messages) for each of OUTBOX_STATUSES present: one query, on the
    index that starts with the status."""
    query = (
        select(Message.status, func.count())
        .where(Message.status.in_(OUTBOX_STATUSES))
        .group_by(Message.status)
    )
    return list(db.session.execute(query).all())


class OutboxCollector:
    """Messages by status, with one grouped query; `outreach_database_up` says if it ran."""

    def collect(self) -> Iterator[Metric]:
        """The metric families of one scrape."""
        up = GaugeMetricFamily(
            "outreach_database_up", "1 when the scrape could read the database, else 0."
        )
        try:
            rows = count_messages()
        except SQLAlchemyError as error:
            log.error("metrics: the database does not answer: %s", error)
            db.session.rollback()
            up.add_metric([], 0)
            yield up
            return
        depth = GaugeMetricFamily(
            "outreach_outbox_messages",
            "Messages waiting to be sent, being sent or given up (failed), by status.",
            labels=["status"],
        )
        counts = dict.fromkeys(OUTBOX_STATUSES, 0) | dict(rows)
        for status, count in counts.items():
            depth.add_metric([status.value], count)
        yield depth
        up.add_metric([], 1)
        yield up


class _Chain:
    """Several collectors read as one."""

    def __init__(self, collectors: Iterable[Any]) -> None:
        self.collectors = tuple(collectors)

    def collect(self) -> Iterator[Metric]:
        for collector in self.collectors:
            yield from collector.collect()


def _counted() -> Any:
    """This process's metrics, or every worker's under gunicorn."""
    path = os.environ.get(MULTIPROCESS_VARIABLE)
    if not path:
        return REGISTRY
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=path)
    return registry


# Who may scrape ------------------------------------------------------------------------------


@functools.lru_cache(maxsize=16)
def allowed_networks(
    setting: tuple[str, ...],
) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
    """METRICS_ALLOW as networks (a bare address is a network of one)."""
    return tuple(ipaddress.ip_network(entry, strict=False) for entry in setting)


def _client_address() -> str | None:
    """The scraper's address as the app trusts it, or None when it cannot be told."""
    environ = request.environ
    hops = current_app.config["PROXY_FIX"]
    if not hops:
        if any(environ.get(header) for header in FORWARDING_HEADERS):
            return None  # forwarded by a proxy we do not trust: the address is the proxy's
    else:
        forwarded = environ.get("HTTP_X_FORWARDED_FOR", "")
        # None: a scraper asking gunicorn directly, whose own address ProxyFix left alone.
        # Fewer than the proxies configured: ProxyFix left a proxy's address, not the client's.
        if 0 < len([part for part in forwarded.split(",") if part.strip()]) < hops:
            return None
    return request.remote_addr


def _allowed() -> bool:
    address = _client_address()
    if not address:
        return False
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    networks = allowed_networks(tuple(current_app.config["METRICS_ALLOW"]))
    return any(ip in network for network in networks)


@bp.get("/metrics")
@limiter.exempt
def metrics():
    """The Prometheus text format; 404 for an address not in METRICS_ALLOW."""
    if not _allowed():
        abort(404)
    body = generate_latest(_Chain([_counted(), OutboxCollector()]))
    response = Response(body, mimetype=None, content_type=CONTENT_TYPE_LATEST)
    response.headers["Cache-Control"] = "no-store"
    return response
