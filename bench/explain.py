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
LARGE_TABLES = ("event_session", "registration", "event", "slot", "venue", "message")
_SEQ_SCAN = re.compile(r"Seq Scan on (\w+)")


@dataclass(frozen=True)
class Plan:
    """One statement of one URL, its plan, and the large tables it scans in full."""

    url: str
    statement: str
    plan: str
    full_scans: tuple[str, ...]


def _record(app: Flask, url: str) -> list[tuple[str, object]]:
    statements: list[tuple[str, object]] = []

    def listener(_conn, _cursor, statement, parameters, _context, _executemany):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            statements.append((statement, parameters))

    with app.app_context():
        engine = db.engine
        event.listen(engine, "before_cursor_execute", listener)
        try:
            response = app.test_client().get(url)
        finally:
            event.remove(engine, "before_cursor_execute", listener)
    if response.status_code >= 400:
        raise RuntimeError(f"{url} answered {response.status_code}")
    return statements


def plans(app: Flask, urls: Iterable[str]) -> list[Plan]:
    """Request each URL, then EXPLAIN ANALYZE every SELECT it ran."""
    found = []
    for url in urls:
        for statement, parameters in _record(app, url):
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
