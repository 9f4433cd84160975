"""The benchmark's floor for registrations: what no registration can skip, done bare.

`scripts/bench` (part `registration`) drives the real JSON API and this route side by side
on fresh sessions of the same event. The route uses psycopg directly on a connection of its
own (one per worker), no ORM, no rules, no message: lock the session row, look for the
phone, sum the confirmed seats, insert, commit. The ratio of the two rates is what the
registration code costs on top of Flask, gunicorn, the socket and PostgreSQL's own work.
Registered only when `BENCH_ROUTES` is on (`OUTREACH_BENCH_ROUTES=true`), never in production;
PostgreSQL only.
"""

from __future__ import annotations

import secrets
import threading
from datetime import UTC, datetime

import psycopg
from flask import Blueprint, Flask, current_app, jsonify, request
from sqlalchemy import make_url

from outreach.extensions import csrf

bp = Blueprint("bench_registration_floor", __name__)
_local = threading.local()
# Lower-case codes: never one of the app's (upper case), so the floor needs no look-up.
_CODE_ALPHABET = "abcdefghijklmnopqrstuvwxyz"


def _connection() -> psycopg.Connection:
    found = getattr(_local, "connection", None)
    if found is None or found.closed:
        url = make_url(current_app.config["SQLALCHEMY_DATABASE_URI"]).set(drivername="postgresql")
        found = psycopg.connect(url.render_as_string(hide_password=False))
        _local.connection = found
    return found


@bp.post("/_bench/floor/sessions/<int:session_id>/registrations")
def register(session_id: int):
    """Lock, duplicate check, seat sum, insert, commit; 201, or 409 for a second phone."""
    body = request.get_json()
    phone = "+86" + body["phone"]
    party = int(body.get("party_size", 1))
    now = datetime.now(UTC)
    connection = _connection()
    with connection.transaction():
        capacity = connection.execute(
            "SELECT capacity FROM event_session WHERE id = %s FOR UPDATE", (session_id,)
        ).fetchone()[0]
        taken_by_phone = connection.execute(
            "SELECT 1 FROM registration WHERE session_id = %s AND phone = %s"
            " AND status <> 'cancelled'",
            (session_id, phone),
        ).fetchone()
        if taken_by_phone:
            return jsonify(error="duplicate"), 409
        taken = connection.execute(
            "SELECT coalesce(sum(party_size), 0) FROM registration"
            " WHERE session_id = %s AND status = 'confirmed'",
            (session_id,),
        ).fetchone()[0]
        status = "confirmed" if capacity is None or taken + party <= capacity else "waitlisted"
        code = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(6))
        connection.execute(
            "INSERT INTO registration (session_id, status, party_size, name, phone, language,"
            " consent_at, code, manage_token, link_key, feed_token, created_at, updated_at,"
            " confirmed_at, cancelled_by_staff, arrived)"
            " VALUES (%s, %s, %s, %s, %s, 'zh', %s, %s, %s, %s, %s, %s, %s, %s, false, 0)",
            (
                session_id,
                status,
                party,
                body["name"],
                phone,
                now,
                code,
                secrets.token_urlsafe(24),
                secrets.token_urlsafe(7)[:10],
                secrets.token_urlsafe(24),
                now,
                now,
                now if status == "confirmed" else None,
            ),
        )
    return jsonify(code=code, status=status), 201


def init_app(app: Flask) -> None:
    """Register the floor route when benchmarks asked for it."""
    if app.config["BENCH_ROUTES"]:
        csrf.exempt(bp)
        app.register_blueprint(bp)
