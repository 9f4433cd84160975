"""Privacy by default: the retention purge of personal data, and what the public never sees."""

from __future__ import annotations

import secrets
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, text

from outreach.database import db, utcnow
from outreach.registrations import retention, services
from outreach.registrations.models import Registration, RegistrationStatus
from tests.web import login


def fresh(obj):
    """The row as the database has it now (the command ran in its own unit of work)."""
    db.session.expire_all()
    return db.session.get(type(obj), obj.id)


def move_back(event_session, days_ago: float) -> None:
    """Move a session (after its registrations were made) to have ended days ago."""
    event_session = db.session.get(type(event_session), event_session.id)
    event_session.ends_at = utcnow() - timedelta(days=days_ago)
    event_session.starts_at = event_session.ends_at - timedelta(hours=2)
    db.session.commit()


@pytest.fixture
def sessions(make):
    """Registrations of three sessions: ended 100 days ago, ended 80 days ago, tomorrow.

    The old one is full (two confirmed, one checked in, one in a slot) with one waitlisted
    and one cancelled, so its statistics can be checked after the purge.
    """
    checker = make.staff(organisation=make.organisation(), role="checker")
    old = make.event_session(capacity=3)
    tcm = make.slot(old, "中医科", capacity=3)
    community = make.community()
    first = make.registration(
        old,
        2,
        name="王秀英",
        phone="13800138000",
        email="wang@example.com",
        slot_id=tcm.id,
        community_slug=community.slug,
    )
    second = make.registration(old, 1, name="李大爷", slot_id=tcm.id)
    waiting = make.registration(old, 2, name="赵大妈", slot_id=tcm.id)
    gone = make.registration(old, 1, name="钱先生", slot_id=tcm.id)
    services.check_in(first, actor=checker)
    db.session.commit()
    services.cancel(gone)
    db.session.commit()
    recent = make.event_session(capacity=3)
    kept = make.registration(recent, 1, name="孙女士", phone="13911112222")
    future = make.event_session(capacity=3)
    upcoming = make.registration(future, 1, name="周先生")
    move_back(old, 100)
    move_back(recent, 80)
    return {
        "old": old,
        "slot": tcm,
        "community": community,
        "first": first,
        "second": second,
        "waiting": waiting,
        "gone": gone,
        "kept": kept,
        "upcoming": upcoming,
    }


def purge(runner, *args):
    # VACUUM cannot run inside the transaction these tests roll back: only the test marked
    # `commits` below asks for it.
    vacuum = () if "--vacuum" in args else ("--no-vacuum",)
    result = runner.invoke(args=["purge-personal-data", *vacuum, *args])
    assert result.exit_code == 0, result.output
    return result.output


def test_purge_erases_personal_data_past_retention_and_keeps_statistics(runner, sessions):
    before = {key: fresh(sessions[key]) for key in ("first", "second", "waiting", "gone")}
    snapshots = {
        key: (
            r.status,
            r.party_size,
            r.slot_id,
            r.community_id,
            r.checked_in_at,
            r.created_at,
            r.confirmed_at,
            r.consent_at,
            r.code,
        )
        for key, r in before.items()
    }
    assert "Purged 4 registrations" in purge(runner)
    for key, snapshot in snapshots.items():
        registration = fresh(sessions[key])
        assert registration.name == "" and registration.email is None
        assert registration.phone == f"purged:{registration.id}"
        assert registration.purged_at is not None
        assert (
            registration.status,
            registration.party_size,
            registration.slot_id,
            registration.community_id,
            registration.checked_in_at,
            registration.created_at,
            registration.confirmed_at,
            registration.consent_at,
            registration.code,
        ) == snapshot
    first = fresh(sessions["first"])
    assert first.community_id == sessions["community"].id and first.checked_in_at is not None
    assert services.seats_taken([sessions["old"].id]) == {sessions["old"].id: 3}
    assert services.slot_seats_taken([sessions["slot"].id]) == {sessions["slot"].id: 3}
    for key, name in (("kept", "孙女士"), ("upcoming", "周先生")):
        registration = fresh(sessions[key])
        assert registration.name == name and registration.purged_at is None


def test_a_rerun_purges_nothing_more(runner, sessions):
    purge(runner)
    first_purge = fresh(sessions["first"]).purged_at
    assert "Purged 0 registrations" in purge(runner)
    assert fresh(sessions["first"]).purged_at == first_purge


def test_dry_run_counts_and_changes_nothing(runner, sessions):
    assert "4 registrations would be purged" in purge(runner, "--dry-run")
    assert fresh(sessions["first"]).name == "王秀英"
    assert (
        db.session.scalar(
            select(func.count(Registration.id)).where(Registration.purged_at.is_not(None))
        )
        == 0
    )


def test_retention_days_come_from_the_configuration(app, runner, sessions):
    app.config["RETENTION_DAYS"] = 30
    assert "Purged 5 registrations" in purge(runner)
    assert fresh(sessions["kept"]).name == ""
    assert fresh(sessions["upcoming"]).name == "周先生"


def test_purge_works_in_batches_that_each_stand_alone(sessions):
    assert retention.purge_batch(90, size=3) == 3
    db.session.commit()
    assert retention.count_due(90) == 1
    assert retention.purge_batch(90, size=3) == 1
    db.session.commit()
    assert retention.purge_batch(90, size=3) == 0


def test_purged_registration_manage_link_shows_a_page_without_personal_data(
    client, runner, sessions
):
    purge(runner)
    response = client.get(f"/r/{sessions['first'].manage_token}")
    assert response.status_code == 200
    text = response.get_data(as_text=True)
    assert "王秀英" not in text and "13800138000" not in text and "purged:" not in text


def test_roster_and_exports_of_a_purged_session_show_no_personal_data(
    client, runner, sessions, make
):
    purge(runner)
    old = sessions["old"]
    manager = make.staff(organisation=old.event.organisation, role="manager")
    login(client, manager)
    client.set_cookie("lang", "en")
    page = client.get(f"/staff/sessions/{old.id}/roster").get_data(as_text=True)
    assert "(erased)" in page and "王秀英" not in page and "purged:" not in page
    assert sessions["first"].code in page
    csv_text = client.get(f"/staff/sessions/{old.id}/roster.csv").get_data(as_text=True)
    assert "王秀英" not in csv_text and "purged:" not in csv_text and "wang@" not in csv_text
    assert client.get(f"/staff/sessions/{old.id}/roster.xlsx").status_code == 200
    found = client.get(f"/staff/sessions/{old.id}/roster", query_string={"q": "13800138000"})
    assert "No registration matches" in found.get_data(as_text=True)


def stored_rows(relations: tuple[str, ...]) -> bytes:
    """The bytes of every row version the database keeps of these tables and their indexes:
    on PostgreSQL each tuple on each page (pageinspect), live or dead, and each B-tree
    entry; on SQLite the whole database file."""
    if db.engine.dialect.name != "postgresql":
        return Path(db.engine.url.database).read_bytes()
    found = []
    with db.engine.connect() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pageinspect"))
        listed = connection.execute(
            text(
                "SELECT c.relname, c.relkind FROM pg_class c WHERE c.relname = ANY(:tables) "
                "OR c.oid IN (SELECT i.indexrelid FROM pg_index i JOIN pg_class t "
                "ON t.oid = i.indrelid WHERE t.relname = ANY(:tables))"
            ),
            {"tables": list(relations)},
        ).all()
        for name, kind in listed:
            blocks = connection.scalar(text("SELECT pg_relation_size(:n) / 8192"), {"n": name})
            if kind == "r":
                query = "SELECT t_data FROM heap_page_items(get_raw_page(:n, :b))"
                found += [
                    bytes(data)
                    for block in range(blocks)
                    for data in connection.scalars(text(query), {"n": name, "b": block})
                    if data is not None
                ]
            else:  # a B-tree: block 0 is its metapage
                query = "SELECT data FROM bt_page_items(:n, :b)"
                found += [
                    bytes.fromhex(data.replace(" ", ""))
                    for block in range(1, blocks)
                    for data in connection.scalars(text(query), {"n": name, "b": block})
                    if data
                ]
        connection.commit()
    return b"\0".join(found)


def dead_rows(table: str) -> int:
    with db.engine.connect() as connection:
        connection.execute(text("CREATE EXTENSION IF NOT EXISTS pgstattuple"))
        dead = connection.scalar(text(f"SELECT dead_tuple_count FROM pgstattuple('{table}')"))
        connection.commit()
    return dead


@pytest.mark.commits
def test_erased_values_do_not_linger_in_dead_rows_or_index_entries(make, runner):
    """Found: after the purge, PostgreSQL kept the old row versions (name, number, e-mail)
    as dead tuples and index entries until autovacuum came by. (SQLite: it still works.)"""
    marker = secrets.token_hex(4)
    name, email = f"擦除测试{marker}", f"erase-{marker}@example.org"
    phone = "+86139" + str(secrets.randbelow(10**8)).zfill(8)
    old = make.event_session(capacity=5)
    make.registration(old, 1, name=name, phone=phone.removeprefix("+86"), email=email)
    move_back(old, 100)
    kept = (name.encode(), phone.encode(), email.encode())
    relations = ("registration", "message")
    assert all(value in stored_rows(relations) for value in kept)
    output = purge(runner, "--vacuum")
    assert "Purged 1 registrations" in output and "Vacuumed " in output
    stored = stored_rows(relations)
    assert not any(value in stored for value in kept)
    if db.engine.dialect.name == "postgresql":
        assert dead_rows("registration") == 0 and dead_rows("message") == 0


def test_a_purged_phone_does_not_block_registering_again(make, sessions):
    retention.purge_batch(90)
    db.session.commit()
    again = make.event_session(capacity=5)
    assert make.registration(again, phone="13800138000").status == RegistrationStatus.CONFIRMED


def test_public_pages_never_show_registrants(client, make):
    event_session = make.event_session(capacity=5)
    made = make.registration(event_session, 2, name="王秀英", phone="13800138000")
    for url in ("/", f"/events/{event_session.event_id}", f"/api/v1/sessions/{event_session.id}"):
        response = client.get(url)
        assert response.status_code == 200, url
        text = response.get_data(as_text=True)
        assert "王秀英" not in text and "13800138000" not in text and made.code not in text
