"""The bench's data generator: the rows it promises, the same rows for the same seed, and
rows the app takes as its own (pages render, feeds hold what the report says, the burst
session accepts registrations through the API).

PostgreSQL only: the generator writes with COPY into a migrated PostgreSQL database.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, timedelta
from types import SimpleNamespace

import flask_migrate
import psycopg
import pytest

from bench import generate
from outreach import create_app
from outreach.database import db
from outreach.registrations.phones import normalise_mobile
from outreach.registrations.services import CODE_ALPHABET, LINK_KEY_ALPHABET, LINK_KEY_LENGTH
from tests.conftest import (
    POSTGRES_ONLY,
    POSTGRES_URL,
    FreshRequestClient,
    _scratch_postgres_database,
)
from tests.web import post_form, sign_in_through_form

# Without PostgreSQL this module collects nothing (as tests/test_concurrency.py).
__test__ = bool(POSTGRES_ONLY)
pytestmark = pytest.mark.commits

QUICK = generate.SCALES["quick"]
EXPECTED_COUNTS = {
    "township": QUICK.townships,
    "community": QUICK.communities,
    "venue": QUICK.venues,
    "organisation": QUICK.organisations,
    "category": QUICK.categories,
    "event_session": QUICK.sessions,
    "registration": QUICK.registrations,
}


def _migrated(url: str) -> None:
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "bench"})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def _checksums(url: str, tables) -> dict[str, str]:
    """An md5 of every row of each table, in id order: equal only if every value is."""
    with psycopg.connect(generate._libpq_url(url)) as connection:
        return {
            table: connection.execute(
                f"SELECT md5(string_agg(t::text, '|' ORDER BY t.id)) FROM {table} t"
            ).fetchone()[0]
            for table in tables
        }


def _rows(url: str, query: str, *params) -> list[tuple]:
    with psycopg.connect(generate._libpq_url(url)) as connection:
        return connection.execute(query, params).fetchall()


@pytest.fixture(scope="module")
def generated_url(migrated_postgres_url) -> str:
    """The module's scratch PostgreSQL database (the suite's own would be emptied)."""
    return migrated_postgres_url


@pytest.fixture(scope="module")
def loaded(generated_url):
    """The quick scale generated once, with the checksums of its rows as loaded."""
    report = generate.generate(generated_url, QUICK)
    return report, _checksums(generated_url, report.counts)


@pytest.fixture(scope="module")
def bench_app(generated_url, loaded):
    """The app on the generated database (the suite's `app` fixture would empty it)."""
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": generated_url,
            "SECRET_KEY": "bench",
            "RATELIMIT_ENABLED": False,
        }
    )
    app.test_client_class = FreshRequestClient
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(bench_app):
    return bench_app.test_client()


def test_quick_scale_loads_the_rows_it_reports(generated_url, loaded):
    report, _ = loaded
    for table, expected in EXPECTED_COUNTS.items():
        assert report.counts[table] == expected, table
    for table, reported in report.counts.items():
        assert _rows(generated_url, f"SELECT count(*) FROM {table}")[0][0] == reported, table
    assert report.seconds["registration"] >= 0 and report.total_seconds > 0
    assert report.database_bytes > 1_000_000
    assert report.today == generate.local_today().isoformat()


def test_the_same_seed_and_day_give_the_same_rows_and_another_seed_other_rows(loaded):
    report, checksums = loaded
    today = date.fromisoformat(report.today)
    with _scratch_postgres_database(POSTGRES_URL) as other:
        _migrated(other)
        again = generate.generate(other, QUICK, today=today)
        assert _checksums(other, report.counts) == checksums
        timings = {"seconds": 0, "index_seconds": 0, "total_seconds": 0, "database_bytes": 0}
        assert again.as_dict() | timings == report.as_dict() | timings
        generate.generate(other, QUICK, today=today, seed=generate.DEFAULT_SEED + 1, reset=True)
        different = _checksums(other, report.counts)
    assert different["registration"] != checksums["registration"]
    assert different["event_session"] != checksums["event_session"]


def test_a_database_with_rows_is_refused(generated_url, loaded, capsys):
    before = _rows(generated_url, "SELECT count(*) FROM registration")
    assert generate.main(["--database-url", generated_url, "--scale", "quick"]) == 1
    assert "not empty" in capsys.readouterr().err
    assert _rows(generated_url, "SELECT count(*) FROM registration") == before


def test_scales_hold_what_the_benchmarks_need():
    full, medium = generate.SCALES["full"], generate.SCALES["medium"]
    assert (full.townships, full.communities, full.venues) == (300, 7000, 20000)
    assert (full.sessions, full.registrations) == (500_000, 2_000_000)
    assert medium.sessions == 10_000
    assert replace(medium, name="full", sessions=0, registrations=0) == replace(
        full, sessions=0, registrations=0
    )


def test_feed_community_feed_holds_the_reported_sessions(client, loaded):
    report, _ = loaded
    response = client.get(report.feed_path)
    assert response.status_code == 200
    assert response.get_data().count(b"BEGIN:VEVENT") == report.feed_sessions == 60


def test_feed_community_has_sessions_outside_the_feed_too(generated_url, loaded):
    report, _ = loaded
    before_window = _rows(
        generated_url,
        """
        SELECT count(*) FROM event_session s JOIN venue v ON v.id = s.venue_id
        WHERE v.community_id = %s AND s.starts_at < now() - interval '32 days'
        """,
        report.feed_community_id,
    )[0][0]
    assert before_window > 0


def test_burst_session_is_empty_open_and_takes_registrations_of_distinct_phones(
    client, generated_url, loaded
):
    report, _ = loaded
    assert len(report.burst_session_ids) == QUICK.burst_sessions
    for session_id in report.burst_session_ids:
        data = client.get(f"/api/v1/sessions/{session_id}").json
        assert data["capacity"] == generate.BURST_CAPACITY
        assert data["seats_left"] == generate.BURST_CAPACITY
    (event,) = _rows(
        generated_url,
        "SELECT status, allow_waitlist, one_registration_per_event, registration_opens_at, "
        "registration_closes_at FROM event WHERE id = %s",
        report.burst_event_id,
    )
    assert event == ("published", True, False, None, None)
    spare = report.burst_session_ids[-1]
    codes = set()
    for number, party in enumerate((1, 4, 2)):
        response = client.post(
            f"/api/v1/sessions/{spare}/registrations",
            json={"name": "刘阿姨", "phone": f"1390000{number:04d}", "party_size": party,
                  "consent": True},
        )  # fmt: skip
        assert response.status_code == 201, response.get_data(as_text=True)
        assert response.json["status"] == "confirmed"
        codes.add(response.json["code"])
    assert len(codes) == 3
    # The app's own ids follow the generated ones: the sequences were moved on.
    (newest,) = _rows(
        generated_url, "SELECT min(id) FROM registration WHERE session_id = %s", spare
    )
    assert newest[0] == QUICK.registrations + 1
    assert client.get(f"/api/v1/sessions/{spare}").json["seats_left"] == 200 - 7


def test_every_table_sequence_continues_after_the_generated_ids(generated_url, loaded):
    report, _ = loaded
    with psycopg.connect(generate._libpq_url(generated_url)) as connection:
        for table in report.counts:
            highest = connection.execute(f"SELECT coalesce(max(id), 0) FROM {table}").fetchone()
            following = connection.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, 'id'))", (table,)
            ).fetchone()
            assert following[0] == highest[0] + 1, table
        connection.rollback()


def test_pages_of_generated_places_and_events_render(client, loaded, generated_url):
    report, _ = loaded
    for path in (
        "/",
        "/?lang=en",
        f"/communities/{report.typical_community_slug}",
        f"/townships/{report.typical_township_slug}",
        f"/organisations/{report.organisation_slug}",
        f"/categories/{report.category_slug}",
        f"/events/{report.typical_event_id}",
        f"/events/{report.burst_event_id}",
        f"/feeds/townships/{report.typical_township_slug}.ics",
        "/api/v1/events",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
    (title,) = _rows(
        generated_url, "SELECT title FROM event WHERE id = %s", report.typical_event_id
    )
    assert title[0] in client.get(f"/events/{report.typical_event_id}").get_data(as_text=True)
    community = client.get(f"/communities/{report.typical_community_slug}").get_data(as_text=True)
    assert title[0] in community


def test_typical_community_and_event_hold_what_the_report_says(generated_url, loaded):
    report, _ = loaded
    (upcoming,) = _rows(
        generated_url,
        """
        SELECT count(*), count(*) FILTER (WHERE s.event_id = %s)
        FROM event_session s JOIN venue v ON v.id = s.venue_id JOIN event e ON e.id = s.event_id
        JOIN community c ON c.id = v.community_id
        WHERE c.slug = %s AND e.status <> 'draft' AND s.starts_at > now()
        """,
        report.typical_event_id,
        report.typical_community_slug,
    )
    assert upcoming == (report.typical_community_upcoming, report.typical_event_sessions)
    assert report.typical_event_sessions == 8


def test_special_rows_are_the_same_whatever_the_number_of_sessions():
    today = date(2026, 6, 1)
    zone = generate.ZoneInfo("Asia/Shanghai")
    small = generate._Plan(QUICK, generate.DEFAULT_SEED, today, zone)
    large = generate._Plan(replace(QUICK, sessions=4000), generate.DEFAULT_SEED, today, zone)
    for plan in (small, large):
        assert plan.sessions == plan.scale.sessions
    assert small.feed_community == large.feed_community
    assert small.typical_community == large.typical_community
    assert small.typical_event.id == large.typical_event.id
    assert small.typical_event.sessions == large.typical_event.sessions
    assert small.burst.sessions == large.burst.sessions


def test_generated_registrations_open_their_manage_page_and_personal_feed(client, generated_url):
    rows = _rows(
        generated_url,
        """
        SELECT r.manage_token, r.feed_token, r.link_key FROM registration r
        JOIN event_session s ON s.id = r.session_id JOIN event e ON e.id = s.event_id
        WHERE r.status = 'confirmed' AND s.starts_at > now() AND e.status = 'published'
        ORDER BY r.id LIMIT 3
        """,
    )
    assert len(rows) == 3
    for manage_token, feed_token, link_key in rows:
        assert client.get(f"/r/{manage_token}").status_code == 200
        # The short link of its text messages leads to the same page.
        short = client.get(f"/s/{link_key}")
        assert short.status_code == 302 and f"/r/{manage_token}" in short.location
        feed = client.get(f"/feeds/me/{feed_token}.ics")
        assert feed.status_code == 200 and b"BEGIN:VEVENT" in feed.get_data()


def test_staff_sign_in_with_the_reported_password_and_see_a_roster(client, loaded, generated_url):
    report, _ = loaded
    ((busiest, organisation_id),) = _rows(
        generated_url,
        "SELECT s.id, e.organisation_id FROM registration r JOIN event_session s"
        " ON s.id = r.session_id JOIN event e ON e.id = s.event_id"
        " GROUP BY s.id, e.organisation_id ORDER BY count(*) DESC LIMIT 1",
    )
    manager = SimpleNamespace(username=f"org{organisation_id}-manager")
    sign_in_through_form(client, manager, report.staff_password)
    assert client.get(f"/staff/sessions/{busiest}/roster").status_code == 200
    assert client.get("/staff/").status_code == 200


def test_the_administrator_sets_up_two_factor_sign_in_first(client, loaded):
    report, _ = loaded
    response = post_form(
        client,
        "/staff/login",
        {"username": report.admin_username, "password": report.staff_password},
    )
    assert response.headers["Location"] == "/staff/login/enrol"


def test_confirmed_seats_never_exceed_capacity_of_session_or_slot(generated_url, loaded):
    oversold = _rows(
        generated_url,
        """
        SELECT s.id FROM event_session s JOIN registration r ON r.session_id = s.id
        WHERE r.status = 'confirmed' AND s.capacity IS NOT NULL
        GROUP BY s.id, s.capacity HAVING sum(r.party_size) > s.capacity
        UNION ALL
        SELECT t.id FROM slot t JOIN registration r ON r.slot_id = t.id
        WHERE r.status = 'confirmed' GROUP BY t.id, t.capacity HAVING sum(r.party_size) > t.capacity
        """,
    )
    assert oversold == []
    # Waitlists exist, but only where the session (or slot) had no room for the party.
    (waitlisted,) = _rows(
        generated_url, "SELECT count(*) FROM registration WHERE status = 'waitlisted'"
    )
    assert waitlisted[0] > 0
    wrongly = _rows(
        generated_url,
        """
        SELECT r.id FROM registration r
        JOIN event_session s ON s.id = r.session_id JOIN event e ON e.id = s.event_id
        WHERE r.status = 'waitlisted' AND (NOT e.allow_waitlist OR (s.capacity IS NULL
          AND r.slot_id IS NULL))
        """,
    )
    assert wrongly == []


def test_registrations_follow_the_rules_of_slots_status_and_windows(generated_url, loaded):
    report, _ = loaded
    assert (
        _rows(
            generated_url,
            """
            SELECT count(*) FROM registration r JOIN event_session s ON s.id = r.session_id
            JOIN event e ON e.id = s.event_id
            WHERE r.id <= %s AND (e.status = 'draft' OR s.capacity = 0 OR e.id = %s
               OR r.created_at > s.starts_at OR r.consent_at <> r.created_at
               OR r.updated_at < r.created_at OR r.created_at > now()
               OR (r.slot_id IS NULL) = EXISTS (SELECT FROM slot t WHERE t.session_id = s.id)
               OR (r.slot_id IS NOT NULL AND NOT EXISTS (
                   SELECT FROM slot t WHERE t.id = r.slot_id AND t.session_id = s.id))
               OR r.party_size NOT BETWEEN 1 AND e.max_party_size
               OR (r.checked_in_at IS NOT NULL AND (r.status <> 'confirmed'
                   OR s.ends_at > now() OR r.checked_in_by_id IS NULL))
               OR (r.status = 'cancelled') <> (r.cancelled_at IS NOT NULL)
               OR (r.status = 'confirmed') <> (r.confirmed_at IS NOT NULL)
               OR ((s.status = 'cancelled' OR e.status = 'cancelled') AND r.status <> 'cancelled'))
            """,
            QUICK.registrations,
            report.burst_event_id,
        )[0][0]
        == 0
    )
    statuses = dict(
        _rows(generated_url, "SELECT status, count(*) FROM registration GROUP BY status")
    )
    assert statuses["confirmed"] > statuses["cancelled"] > 0
    (checked_in,) = _rows(
        generated_url, "SELECT count(*) FROM registration WHERE checked_in_at IS NOT NULL"
    )
    assert checked_in[0] > 0
    parties = {
        size for (size,) in _rows(generated_url, "SELECT DISTINCT party_size FROM registration")
    }
    assert parties == {1, 2, 3, 4}


def test_one_active_registration_per_phone_per_session_and_per_event_when_asked(generated_url):
    duplicates = _rows(
        generated_url,
        """
        SELECT r.phone FROM registration r JOIN event_session s ON s.id = r.session_id
        JOIN event e ON e.id = s.event_id
        WHERE r.status <> 'cancelled'
        GROUP BY r.phone, CASE WHEN e.one_registration_per_event THEN -e.id ELSE s.id END
        HAVING count(*) > 1
        """,
    )
    assert duplicates == []


def test_personal_data_is_valid_and_erased_after_retention(generated_url):
    retention = timedelta(days=generate.DEFAULTS["RETENTION_DAYS"])
    rows = _rows(
        generated_url,
        """
        SELECT r.id, r.name, r.phone, r.email, r.language, r.purged_at, s.ends_at, now()
        FROM registration r JOIN event_session s ON s.id = r.session_id
        """,
    )
    purged = [row for row in rows if row[5] is not None]
    kept = [row for row in rows if row[5] is None]
    assert purged and kept
    for row_id, name, phone, email, _language, purged_at, ends_at, now in purged:
        assert ends_at + retention < purged_at < now
        assert name == "" and email is None and phone == f"purged:{row_id}"
    for _row_id, name, phone, email, language, _purged_at, ends_at, now in kept:
        # Generated "today": a later day of the test run may have moved the boundary by one.
        assert ends_at + retention > now - timedelta(days=1)
        assert name and len(name) <= 50
        assert normalise_mobile(phone) == phone, phone
        assert email is None or email.endswith("@example.com")
        assert language in {"zh", "en"}
    assert {row[4] for row in kept} == {"zh", "en"}


def test_every_kept_registration_has_its_own_short_link_key_as_registering_gives(generated_url):
    rows = _rows(generated_url, "SELECT link_key, purged_at FROM registration")
    keys = [key for key, purged_at in rows if purged_at is None]
    assert keys and all(key is None for key, purged_at in rows if purged_at is not None)
    shape = re.compile(f"[{re.escape(LINK_KEY_ALPHABET)}]{{{LINK_KEY_LENGTH}}}")
    assert all(key is not None and shape.fullmatch(key) for key in keys)
    assert len(set(keys)) == len(keys)


def test_codes_and_tokens_have_the_apps_shape_and_are_unique(generated_url):
    rows = _rows(generated_url, "SELECT code, manage_token, feed_token FROM registration")
    codes = [code for code, _, _ in rows]
    assert all(len(code) == 6 and set(code) <= set(CODE_ALPHABET) for code in codes)
    assert len(set(codes)) == len(codes)
    shape = re.compile(r"[A-Za-z0-9_-]{32}")
    assert all(shape.fullmatch(m) and shape.fullmatch(f) for _, m, f in rows)
    assert len({m for _, m, _ in rows}) == len(rows)
    # Some residents' registrations share one calendar feed, most do not.
    feeds = [f for _, _, f in rows]
    assert len(rows) / 2 < len(set(feeds)) < len(rows)


def test_events_are_mostly_published_with_some_drafts_and_cancellations(generated_url):
    statuses = dict(_rows(generated_url, "SELECT status, count(*) FROM event GROUP BY status"))
    assert statuses["published"] > 0.75 * sum(statuses.values())
    assert statuses["draft"] > 0 and statuses["cancelled"] > 0
    (future_drafts,) = _rows(
        generated_url,
        """
        SELECT bool_and(s.starts_at > now()) FROM event_session s JOIN event e ON e.id = s.event_id
        WHERE e.status = 'draft'
        """,
    )
    assert future_drafts[0] is True
    span = _rows(generated_url, "SELECT min(starts_at), max(starts_at) FROM event_session")[0]
    assert span[1] - span[0] > timedelta(days=600)
    (venues,) = _rows(
        generated_url, "SELECT count(*) FILTER (WHERE community_id IS NULL), count(*) FROM venue"
    )
    assert 0 < venues[0] < venues[1] / 2


def test_an_answer_cut_short_by_a_killed_worker_counts_as_no_answer():
    """A worker killed while it wrote a 201 leaves its sender without the code: the crash
    check must treat it like a lost answer (the resident tries again), not as a 201."""
    from bench import burst

    whole = b'HTTP/1.1 201 CREATED\r\nContent-Length: 14\r\n\r\n{"code":"AB1"}'
    assert burst._parse(whole) == (201, {"code": "AB1"})
    with pytest.raises(ValueError, match="cut short"):
        burst._parse(whole[:-3])
