"""The plans of the queries behind public pages and feeds, read with EXPLAIN ANALYZE.

Each URL is requested through the app in this process while every statement it sends is
recorded; each SELECT is then explained with its own parameters. A sequential scan of one
of the large tables means a listing or feed that slows down as the city's data grows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from flask import Flask
from sqlalchemy import event

from outreach.database import db

# Tables that grow with every campaign. Places are bounded by the city (300 townships, 7,000
# communities): the planner may rightly read those whole as the small side of a hash join.
LARGE_TABLES = (
    "event_session",
    "registration",
    "event",
    "slot",
    "venue",
    "message",
    "audit_entry",
)
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


@dataclass(frozen=True)
class Plan:
    """One statement of one URL, its plan, and the large tables it scans in full."""

    url: str
    statement: str
    plan: str
    full_scans: tuple[str, ...]


# A page to explain: its URL, or its URL and the cookies a browser sends with it.
Request = str | tuple[str, dict[str, str]]


def _label(request: Request) -> str:
    if isinstance(request, str):
        return request
    url, cookies = request
    return f"{url} (cookie {', '.join(f'{k}={v}' for k, v in cookies.items())})"


def _record(app: Flask, request: Request, client=None) -> list[tuple[str, object]]:
    url, cookies = (request, {}) if isinstance(request, str) else request
    statements: list[tuple[str, object]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
        client = client or app.test_client()
        host = (app.config.get("SERVER_NAME") or "localhost").split(":")[0]
        for name, value in cookies.items():
            client.set_cookie(name, value, domain=host)
        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = client.get(url)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    if response.status_code >= 400:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return statements


def plans(app: Flask, urls: Iterable[Request], client=None) -> list[Plan]:
    """Request each URL (with its cookies; through `client`, e.g. one signed in, when
    given), then EXPLAIN ANALYZE every SELECT it ran."""
    found = []
    for request in urls:
        url = _label(request)
        for statement, parameters in _record(app, request, client):
            with app.app_context():
                connection = db.session.connection()
                rows = connection.exec_driver_sql("EXPLAIN ANALYZE " + statement, parameters)
                text = "\n".join(row[0] for row in rows)
                db.session.rollback()
            scans = tuple(sorted({t for t in _SEQ_SCAN.findall(text) if t in LARGE_TABLES}))
            found.append(Plan(url, statement, text, scans))
    return found


def markdown(found: list[Plan]) -> str:
    """All the plans, for bench/results/explain.md."""
    parts = ["# Query plans of public pages and feeds (EXPLAIN ANALYZE, city scale)\n"]
    for number, plan in enumerate(found, start=1):
        verdict = "full scan of " + ", ".join(plan.full_scans) if plan.full_scans else "indexed"
        parts.append(f"## {number}. `{plan.url}`: {verdict}\n")
        parts.append("```sql\n" + plan.statement.strip() + "\n```\n")
        parts.append("```\n" + plan.plan + "\n```\n")
    return "\n".join(parts)
