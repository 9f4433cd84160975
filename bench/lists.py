"""Staff lists and API collections at city scale: each list's first page and a deep page (a
cursor from the middle of the list), timed under gunicorn as a signed-in administrator, and
their queries for the EXPLAIN check.

The administrator is made in the bench database with a two-factor secret and signs in through
the login form and the code form, as a person does; the pages are then loaded by wrk with the
session cookie. A deep page's cursor is signed here with the server's secret key, so that it
lands in the middle of a list of 20,000 venues without walking 200 pages to get there.
"""

from __future__ import annotations

import html
import os
import re
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import HTTPRedirectHandler, Request, build_opener

import pyotp
from flask import Flask
from sqlalchemy import select, text

from bench import wrk
from bench.server import ServerProcess
from outreach.accounts.models import StaffUser
from outreach.database import db

USERNAME = "bench.lists.admin"
PASSWORD = "bench-lists-password-2026"
# 160 bits of base32; the bench signs in with it like an authenticator app.
TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
SECRET_KEY = "bench-lists-secret"
TARGET_MS = 100.0
FLOOR = "/staff/account"


@dataclass(frozen=True)
class Deep:
    """Where a deep page starts: the list's cursor name, and a query for the sort key of a
    row in the middle of the list (its values, in the list's order)."""

    name: str
    middle: str


@dataclass(frozen=True)
class Listing:
    """One list: its label, its first page's path, and how to reach a deep page."""

    label: str
    path: str
    deep: Deep | None = None
    # The answer expected: 400 for a choice refused with a message (too wide a period).
    status: int = 200


def _last_week(today: str) -> str:
    last = date.fromisoformat(today)
    return urlencode({"from": (last - timedelta(days=6)).isoformat(), "to": last.isoformat()})


# The roster's order (outreach/registrations/roster.py): confirmed, waitlisted, cancelled.
_ROSTER_RANK = "CASE status WHEN 'confirmed' THEN 0 WHEN 'waitlisted' THEN 1 ELSE 2 END"
_BUSIEST_SESSION = (
    "SELECT session_id FROM registration GROUP BY session_id ORDER BY count(*) DESC, session_id "
    "LIMIT 1"
)


def busiest_session(app: Flask) -> int | None:
    """The session with the longest roster."""
    with app.app_context():
        found = db.session.scalar(text(_BUSIEST_SESSION))
        db.session.remove()
    return found


def listings(report: Any, roster_session: int | None = None) -> list[Listing]:
    """The lists a staff member or the API can open, on the bench data (the roster of
    `roster_session`, when given)."""
    places = [
        Listing(
            f"Places: {kind}",
            f"/staff/places?kind={kind}",
            Deep(
                f"places.{kind}",
                f"SELECT name, id FROM {table} ORDER BY name, id "
                f"OFFSET (SELECT count(*) / 2 FROM {table}) LIMIT 1",
            ),
        )
        for kind, table in (
            ("townships", "township"),
            ("communities", "community"),
            ("venues", "venue"),
        )
    ]
    return [
        *places,
        Listing("Places: venues searched", "/staff/places?kind=venues&q=" + quote("服务")),
        Listing(
            "Organisations",
            "/staff/organisations",
            Deep(
                "organisations",
                "SELECT name, id FROM organisation ORDER BY name, id "
                "OFFSET (SELECT count(*) / 2 FROM organisation) LIMIT 1",
            ),
        ),
        Listing(
            "Staff accounts",
            "/staff/users",
            Deep(
                "users",
                "SELECT username, id FROM staff_user ORDER BY username, id "
                "OFFSET (SELECT count(*) / 2 FROM staff_user) LIMIT 1",
            ),
        ),
        Listing(
            "Events (staff)",
            "/staff/events",
            Deep(
                "staff.events",
                "SELECT created_at, id FROM event ORDER BY created_at DESC, id DESC "
                "OFFSET (SELECT count(*) / 2 FROM event) LIMIT 1",
            ),
        ),
        Listing("Sessions of an event", f"/staff/events/{report.typical_event_id}/sessions"),
        *(
            []
            if roster_session is None
            else [
                Listing(
                    "Roster of the busiest session",
                    f"/staff/sessions/{roster_session}/roster",
                    Deep(
                        "roster",
                        f"SELECT {_ROSTER_RANK}, created_at, id FROM registration "
                        f"WHERE session_id = {roster_session} "
                        f"ORDER BY 1, 2, 3 OFFSET (SELECT count(*) / 2 FROM registration "
                        f"WHERE session_id = {roster_session}) LIMIT 1",
                    ),
                ),
                Listing(
                    "Roster of the busiest session, searched",
                    f"/staff/sessions/{roster_session}/roster?q=" + quote("王"),
                ),
            ]
        ),
        Listing(
            "Audit trail",
            "/staff/audit",
            Deep(
                "audit",
                "SELECT id FROM audit_entry ORDER BY id DESC "
                "OFFSET (SELECT count(*) / 2 FROM audit_entry) LIMIT 1",
            ),
        ),
        Listing(
            "Outbox",
            "/staff/outbox",
            Deep(
                "outbox",
                "SELECT id FROM message ORDER BY id DESC "
                "OFFSET (SELECT count(*) / 2 FROM message) LIMIT 1",
            ),
        ),
        # At city scale the default year holds too many sessions to add up within budget: it
        # is refused at once with a message (OUTREACH_STATS_MAX_SESSIONS); a week is counted.
        Listing("Statistics, default year (refused)", "/staff/stats", status=400),
        Listing("Statistics, one week", f"/staff/stats?{_last_week(report.today)}"),
        Listing(
            "API: events",
            "/api/v1/events",
            Deep(
                "api.events",
                "SELECT starts_at, id FROM event_session WHERE starts_at >= now() "
                "ORDER BY starts_at, id OFFSET (SELECT count(*) / 2 FROM event_session "
                "WHERE starts_at >= now()) LIMIT 1",
            ),
        ),
        Listing("API: places", "/api/v1/places"),
    ]


def chosen(found: list[Listing]) -> list[Listing]:
    """The lists whose label contains OUTREACH_BENCH_LISTS (case-insensitive), when set: to
    time one list again (`OUTREACH_BENCH_LISTS=statistics scripts/bench --only lists`)."""
    wanted = os.environ.get("OUTREACH_BENCH_LISTS", "").strip().lower()
    return [listing for listing in found if wanted in listing.label.lower()]


def lists_app(url: str) -> Flask:
    """This process's app on the bench database, with the bench server's secret key."""
    from outreach import create_app

    return create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "SECRET_KEY": SECRET_KEY,
            "RATELIMIT_ENABLED": False,
            "SERVER_NAME": "127.0.0.1",
        }
    )


def ensure_administrator(app: Flask) -> None:
    """The bench's administrator, with two-factor sign-in (made once per database)."""
    with app.app_context():
        found = db.session.scalar(select(StaffUser.id).where(StaffUser.username == USERNAME))
        db.session.remove()
    if found is not None:
        return
    arguments = ["create-staff", USERNAME, "--password", PASSWORD, "--admin"]
    with app.app_context():
        result = app.test_cli_runner().invoke(args=[*arguments, "--totp-secret", TOTP_SECRET])
        db.session.remove()
    if result.exit_code != 0:
        raise RuntimeError(f"create-staff failed: {result.output}")


# The generator loads no audit trail and no outbox; a city's would hold hundreds of thousands
# of rows after a year, so the bench adds them (once per kept database) before timing.
FILLER_ROWS = 200_000
_FILL_AUDIT = """
INSERT INTO audit_entry (at, actor_label, action, target_type, target_id, target_label,
                         organisation_id, changes)
SELECT now() - make_interval(secs => n * 60), 'bench',
       (ARRAY['create', 'update', 'cancel'])[1 + n % 3], 'event', n, 'event ' || n,
       organisations.ids[1 + n % cardinality(organisations.ids)], '{}'
FROM generate_series(1, :rows) AS n,
     (SELECT array_agg(id ORDER BY id) AS ids FROM organisation) AS organisations
"""
_FILL_OUTBOX = """
INSERT INTO message (dedupe_key, registration_id, kind, channel, recipient, language, subject,
                     body, body_html, status, attempts, next_attempt_at, last_error, created_at,
                     updated_at)
SELECT 'bench-' || r.id, r.id, 'confirmed', 'sms', r.phone, 'zh', '', '报名成功', '',
       (ARRAY['sent', 'sent', 'sent', 'failed', 'pending'])[1 + r.id % 5], 1, now(), '',
       now(), now()
FROM registration AS r WHERE r.phone IS NOT NULL ORDER BY r.id LIMIT :rows
"""


def fill(app: Flask) -> None:
    """An audit trail and an outbox of FILLER_ROWS each (a hundredth of that on small
    data), when the database has none."""
    with app.app_context():
        city = db.session.scalar(text("SELECT count(*) FROM registration")) > 1_000_000
        rows = FILLER_ROWS if city else FILLER_ROWS // 100
        filled = []
        for table, statement in (("audit_entry", _FILL_AUDIT), ("message", _FILL_OUTBOX)):
            if db.session.scalar(text(f"SELECT count(*) FROM {table}")):  # noqa: S608
                continue
            db.session.execute(text(statement), {"rows": rows})
            filled.append(table)
        db.session.commit()
        db.session.remove()
        # A year's trail and outbox have been vacuumed by autovacuum long since: their
        # visibility maps let the counts and pages read indexes only, as they would live.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            for table in filled:
                connection.execute(text(f"VACUUM ANALYZE {table}"))


def deep_paths(app: Flask, found: list[Listing]) -> dict[str, str]:
    """Each list's deep page: its path with a cursor signed for the middle row."""
    from outreach.pagination import encode_cursor

    paths = {}
    with app.test_request_context():
        connection = db.session.connection()
        for listing in found:
            if listing.deep is None:
                continue
            row = connection.execute(text(listing.deep.middle)).first()
            if row is None:
                continue
            cursor = encode_cursor(listing.deep.name, "a", list(row))
            joiner = "&" if "?" in listing.path else "?"
            paths[listing.label] = listing.path + joiner + urlencode({"cursor": cursor})
        db.session.remove()
    return paths


class _NoRedirect(HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


_CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|value="([^"]+)"[^>]*name="csrf_token"')


def _csrf(body: str) -> str:
    match = _CSRF.search(body)
    if match is None:
        raise RuntimeError("no CSRF token on the sign-in form")
    return html.unescape(match.group(1) or match.group(2))


class Browser:
    """A client of the bench server that keeps its cookies and follows no redirects."""

    def __init__(self, base: str, app: Flask) -> None:
        self.base = base
        self.app = app
        self.cookies: dict[str, str] = {}
        self.opener = build_opener(_NoRedirect)

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        """(status, body, Location) of one GET, or POST of `form`."""
        data = urlencode(form).encode() if form is not None else None
        headers = {"Cookie": self.cookie_header(), "Accept-Language": "zh"}
        request = Request(self.base + path, data=data, headers=headers)
        try:
            response = self.opener.open(request, timeout=120)
        except HTTPError as error:  # a 3xx or 4xx arrives as an error
            response = error
        except OSError:  # no answer: the worker was killed for taking too long
            return 0, "", ""
        for header in response.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        body = response.read().decode("utf-8", "replace")
        return (
            response.status if hasattr(response, "status") else response.code,
            body,
            (response.headers.get("Location") or ""),
        )

    def cookie_header(self) -> str:
        """The cookies as a request header."""
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def sign_in(self) -> None:
        """The password, then the authenticator's code, through the forms."""
        _status, body, _ = self.request("/staff/login")
        fields = {"username": USERNAME, "password": PASSWORD, "csrf_token": _csrf(body)}
        status, _body, location = self.request("/staff/login", fields)
        if status != 302 or "/login/code" not in location:
            raise RuntimeError(f"sign-in answered {status} → {location}")
        _status, body, _ = self.request("/staff/login/code")
        status, _body, location = self.request(
            "/staff/login/code", {"code": _code(self.app), "csrf_token": _csrf(body)}
        )
        if status != 302 or "/login" in location:
            raise RuntimeError(f"the two-factor step answered {status} → {location}")


@dataclass(frozen=True)
class Timing:
    """A page's p95 (median over rounds), its size and its errors."""

    p95_ms: float
    bytes: int
    errors: int


# A page slower than this is timed by a few requests one after another, not by wrk (which
# would finish only one or two in its time and report no percentile).
SLOW_SECONDS = 0.5


def _one_by_one(browser: Browser, path: str, times: int = 5, expect: int = 200) -> Timing:
    took, size, errors = [], 0, 0
    for _ in range(times):
        started = time.perf_counter()
        status, body, _location = browser.request(path)
        took.append(time.perf_counter() - started)
        size, errors = len(body.encode()), errors + (status != expect)
    return Timing(max(took) * 1000, size, errors)  # of 5, the slowest stands for the p95


def time_page(
    server_url: str, path: str, cookie: str, seconds: float, rounds: int, expect: int = 200
) -> Timing:
    """p95 latency of one page under wrk, two connections, the median of `rounds` runs; an
    answer other than `expect` (a 2xx or 3xx, or the refusal expected) is an error."""
    runs = [
        wrk.run(server_url + path, seconds=seconds, connections=2, headers={"Cookie": cookie})
        for _ in range(rounds)
    ]
    size = runs[0].bytes // max(1, runs[0].requests)
    if expect < 400:
        errors = sum(r.errors + r.non_2xx_3xx for r in runs)
    else:  # refusals expected: every 2xx or 3xx is an error (other 4xx/5xx are not told apart)
        errors = sum(r.errors + r.requests - r.non_2xx_3xx for r in runs)
    return Timing(statistics.median(r.p95_ms for r in runs), size, errors)


def measure(
    url: str,
    report: Any,
    instance: Path,
    seconds: float,
    rounds: int,
    add: Callable[[str, str, str, bool | None], None],
) -> None:
    """Time every list's first and deep page; `add(measure, figure, target, passed)`."""
    app = lists_app(url)
    fill(app)
    ensure_administrator(app)
    found = chosen(listings(report, busiest_session(app)))
    deep = deep_paths(app, found)
    server = ServerProcess(
        url,
        instance / "lists",
        workers=2,
        threads=1,
        env={"OUTREACH_SECRET_KEY": SECRET_KEY, "OUTREACH_BASE_URL": "http://127.0.0.1"},
        start_timeout=60,
    )
    with server:
        browser = Browser(server.url, app)
        browser.sign_in()
        cookie = browser.cookie_header()
        # The floor: a signed-in staff page that lists nothing (one's own account), timed
        # in the same run, so that a busy machine shows as such beside the lists.
        browser.request(FLOOR)
        floor = time_page(server.url, FLOOR, cookie, seconds, rounds)
        add(
            f"Staff page floor: {FLOOR}, signed in, lists nothing (2 workers)",
            f"p95 {floor.p95_ms:.1f} ms; {floor.errors} errors",
            "",
            None,
        )
        for listing in found:
            pages = [("first page", listing.path)]
            if listing.label in deep:
                pages.append(("deep page", deep[listing.label]))
            for which, path in pages:
                started = time.perf_counter()
                status, _body, _ = browser.request(path)  # warm, and check it answers
                expect = listing.status
                if time.perf_counter() - started > SLOW_SECONDS:
                    timing = _one_by_one(browser, path, expect=expect)
                else:
                    timing = time_page(server.url, path, cookie, seconds, rounds, expect)
                errors = timing.errors + (status != expect)
                add(
                    f"List {listing.label}, {which} (2 workers)",
                    f"p95 {timing.p95_ms:.1f} ms "
                    f"({timing.p95_ms / floor.p95_ms if floor.p95_ms else 0:.1f}× the floor); "
                    f"{timing.bytes / 1000:,.0f} KB; "
                    f"{errors} errors" + (f" (answered {status})" if status != 200 else ""),
                    f"≤ {TARGET_MS:.0f} ms, 0 errors",
                    timing.p95_ms <= TARGET_MS and errors == 0,
                )


def explain_requests(report: Any, app: Flask | None = None) -> list[str]:
    """The lists' first pages, for the EXPLAIN check (requested signed in; the roster's with
    `app`); a refused choice runs its bounded count only, and answers 400, which the check
    does not take."""
    roster_session = busiest_session(app) if app is not None else None
    return [listing.path for listing in listings(report, roster_session) if listing.status == 200]


def _code(app: Flask) -> str:
    """The authenticator's code now, or the next one when this one was used (a code works
    once; the next step's is accepted too)."""
    totp = pyotp.TOTP(TOTP_SECRET)
    step = totp.timecode(datetime.now(UTC))
    with app.app_context():
        used = db.session.scalar(
            select(StaffUser.totp_last_step).where(StaffUser.username == USERNAME)
        )
        db.session.remove()
    return totp.generate_otp(step if used is None or used < step else used + 1)


def signed_in_client(app: Flask):
    """A test client of `app` signed in as the bench administrator through the forms."""
    fill(app)
    ensure_administrator(app)
    client = app.test_client()
    body = client.get("/staff/login").get_data(as_text=True)
    fields = {"username": USERNAME, "password": PASSWORD, "csrf_token": _csrf(body)}
    answer = client.post("/staff/login", data=fields)
    if answer.status_code != 302:
        raise RuntimeError(f"sign-in answered {answer.status_code}")
    body = client.get("/staff/login/code").get_data(as_text=True)
    answer = client.post("/staff/login/code", data={"code": _code(app), "csrf_token": _csrf(body)})
    if answer.status_code != 302 or "/login" in answer.headers.get("Location", ""):
        raise RuntimeError("the two-factor step failed")
    return client
