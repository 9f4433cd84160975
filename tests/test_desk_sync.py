"""The desk without network: the roster it keeps for the day (codes and masked names only) and
the batch of check-ins it made offline, sent later: counted once, at their own time, with the
conflicts told item by item."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from outreach.accounts.models import AuditEntry
from outreach.database import db, utcnow
from outreach.localtime import local_date, local_midnight
from outreach.registrations import services
from outreach.registrations.models import OfflineCheckIn, Registration
from tests.test_desk import fresh, start_now
from tests.web import csrf_token, login, post_form


def data_url(desk) -> str:
    return f"/staff/sessions/{desk.session.id}/desk.json"


def send(client, desk, items, **kwargs):
    """POST a batch as the desk's script does: JSON, the CSRF token in a header."""
    headers = {"X-CSRFToken": csrf_token(client), "Accept": "application/json"}
    body = {"items": items} if isinstance(items, list) else items
    return client.post(
        f"/staff/sessions/{desk.session.id}/desk-sync", json=body, headers=headers, **kwargs
    )


def item(registration, minutes_ago=10, **fields):
    at = utcnow().astimezone() - timedelta(minutes=minutes_ago)
    return {"key": str(uuid.uuid4()), "code": registration.code, "at": at.isoformat(), **fields}


@pytest.fixture
def desk(make, client):
    """Organisation A's session, going on today, with a family of three and two others
    booked; its checker, and an organiser of organisation B. The interface is English."""
    client.set_cookie("lang", "en")
    centre = make.organisation(slug="centre")
    other = make.organisation(slug="other")
    event = make.event(organisation=centre)
    event_session = make.event_session(event, capacity=10)
    family = make.registration(event_session, 3, name="王秀英", phone="13800138000")
    others = [make.registration(event_session, 1, name=n) for n in ("李建国", "张桂兰")]
    start_now(event_session)
    return SimpleNamespace(
        session=event_session,
        family=family,
        three=[family, *others],
        checker=make.staff("checker", organisation=centre, role="checker"),
        outsider=make.staff("outsider", organisation=other, role="organiser"),
        url=f"/staff/sessions/{event_session.id}/roster",
    )


def test_the_desk_roster_has_codes_and_masked_names_and_no_phone(client, desk):
    login(client, desk.checker)
    answer = client.get(data_url(desk))
    assert answer.status_code == 200
    assert answer.headers["Cache-Control"] == "private, no-store"
    rows = {row["code"]: row for row in answer.json["registrations"]}
    family = rows[desk.family.code]
    assert family == family | {"name": "王***", "party": 3, "arrived": 0, "status": "confirmed"}
    text = answer.get_data(as_text=True)
    assert "王秀英" not in text and "13800138000" not in text and "8000" not in text
    assert "李建国" not in text and rows[desk.three[1].code]["name"] == "李***"
    assert answer.json["day"] == local_date(desk.session.starts_at).isoformat()
    assert answer.json["csrf_token"] and answer.json["expires"] > answer.json["day"]


def test_the_desk_roster_is_for_the_organisations_staff_only(client, desk):
    assert client.get(data_url(desk)).status_code == 302  # to the sign-in page
    login(client, desk.outsider)
    assert client.get(data_url(desk)).status_code in (403, 404)


def test_three_check_ins_made_offline_count_once_at_their_own_times(client, desk):
    login(client, desk.checker)
    items = [item(r, minutes_ago=30 - i) for i, r in enumerate(desk.three)]
    answer = send(client, desk, items)
    assert answer.status_code == 200, answer.json
    assert [r["outcome"] for r in answer.json["results"]] == ["checked_in"] * 3
    assert answer.json["synced"] == 3
    for registration, sent in zip(desk.three, items, strict=True):
        now = fresh(registration)
        assert now.arrived == now.party_size and now.checked_in_by_id == desk.checker.id
        assert now.checked_in_at == datetime.fromisoformat(sent["at"])

    again = send(client, desk, items)  # the answer was lost: the desk sends it all again
    assert again.status_code == 200
    assert [r["repeat"] for r in again.json["results"]] == [True] * 3
    assert [r["outcome"] for r in again.json["results"]] == ["checked_in"] * 3
    assert fresh(desk.family).arrived == 3
    assert db.session.scalar(select(func.count()).select_from(OfflineCheckIn)) == 3
    audited = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "check_in_synced")
    ).all()
    assert len(audited) == 3 and {e.actor_id for e in audited} == {desk.checker.id}


def test_the_same_key_twice_in_one_batch_counts_once(client, desk):
    login(client, desk.checker)
    one = item(desk.family, people=1)
    answer = send(client, desk, [one, one])
    assert [r["repeat"] for r in answer.json["results"]] == [False, True]
    assert fresh(desk.family).arrived == 1


def test_conflicts_are_told_item_by_item(client, desk):
    login(client, desk.checker)
    elsewhere, cancelled = desk.three[1], desk.three[2]
    services.check_in(elsewhere, actor=desk.checker)
    services.cancel(cancelled, actor=desk.checker)
    db.session.commit()
    unknown = {**item(desk.family), "code": "ZZZ999"}
    items = [item(elsewhere), item(cancelled), unknown, item(desk.family)]
    answer = send(client, desk, items)
    results = answer.json["results"]
    assert [r["outcome"] for r in results] == ["already", "cancelled", "unknown", "checked_in"]
    assert [r["conflict"] for r in results] == [True, True, True, False]
    assert results[0]["checked_in_at"] == fresh(elsewhere).checked_in_at.isoformat()
    assert "another device" in results[0]["message"] and results[0]["name"] == "李***"
    assert results[1]["message"] == "This registration has been cancelled."
    assert results[2]["message"] == "No registration with this code for this session."
    assert fresh(cancelled).arrived == 0

    again = send(client, desk, items)  # sent again: the same answers, nobody checked in twice
    assert [r["outcome"] for r in again.json["results"]] == [r["outcome"] for r in results]
    assert [r["message"] for r in again.json["results"][:3]] == [r["message"] for r in results[:3]]
    assert all(r["repeat"] for r in again.json["results"]) and fresh(desk.family).arrived == 3


def test_a_time_in_the_future_or_before_the_day_is_not_checked_in(client, desk):
    login(client, desk.checker)
    ahead = item(desk.family, minutes_ago=-60)
    before = item(desk.family, minutes_ago=60 * 24 * 3)
    answer = send(client, desk, [ahead, before])
    assert [r["outcome"] for r in answer.json["results"]] == ["refused", "refused"]
    assert fresh(desk.family).arrived == 0


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"items": []}, "Send a JSON object with a list of check-ins"),
        ({"items": [{"key": "nope", "code": "A", "at": "2026-01-01T00:00:00+08:00"}]}, "UUID"),
        ({"items": [{"key": str(uuid.uuid4()), "code": "A", "at": "2026-01-01T00:00"}]}, "offset"),
        ({"items": [{"key": str(uuid.uuid4()), "at": "2026-01-01T00:00:00Z"}]}, "code"),
        (
            {"items": [{"key": str(uuid.uuid4()), "code": "A", "people": 0, "at": "x"}]},
            "number of people",
        ),
        ({"items": ["x"] * 501}, "at most 500"),
    ],
)
def test_a_malformed_batch_is_refused_with_a_clear_message(client, desk, body, message):
    login(client, desk.checker)
    answer = send(client, desk, body)
    assert answer.status_code == 422 and message in answer.json["message"], answer.json
    assert db.session.scalar(select(func.count()).select_from(OfflineCheckIn)) == 0


def test_a_batch_that_is_not_json_is_refused(client, desk):
    login(client, desk.checker)
    headers = {"X-CSRFToken": csrf_token(client)}
    url = f"/staff/sessions/{desk.session.id}/desk-sync"
    answer = client.post(url, data="codes", headers=headers)
    assert answer.status_code == 422 and "JSON" in answer.json["message"]


def test_sending_a_batch_needs_the_csrf_token_and_the_organisation(client, desk):
    login(client, desk.checker)
    url = f"/staff/sessions/{desk.session.id}/desk-sync"
    assert client.post(url, json={"items": [item(desk.family)]}).status_code == 400
    login(client, desk.outsider)
    assert send(client, desk, [item(desk.family)]).status_code in (403, 404)
    assert fresh(desk.family).arrived == 0
    assert db.session.scalar(select(func.count()).select_from(Registration)) >= 1


def test_the_desk_manifest_opens_the_sessions_desk(client, desk):
    login(client, desk.checker)
    answer = client.get(f"/staff/sessions/{desk.session.id}/desk.webmanifest")
    assert answer.status_code == 200 and answer.mimetype == "application/manifest+json"
    assert answer.json["start_url"] == desk.url and answer.json["scope"] == "/staff/sessions/"
    worker = client.get("/staff/sessions/desk-sw.js")
    assert worker.status_code == 200 and worker.headers["Service-Worker-Allowed"] == (
        "/staff/sessions/"
    )


def test_signing_out_clears_what_the_browser_keeps_for_the_desk(client, desk):
    login(client, desk.checker)
    answer = post_form(client, "/staff/logout")
    assert answer.status_code == 302
    assert answer.headers["Clear-Site-Data"] == '"cache", "storage"'


def test_the_desk_roster_query_count_does_not_grow_with_its_rows(client, desk, make, count_queries):
    slot = make.slot(desk.session, label="内科")
    login(client, desk.checker)
    db.session.commit()  # both requests start from rows not yet loaded
    with count_queries() as few:
        assert client.get(data_url(desk)).status_code == 200
    desk.session.starts_at += timedelta(days=2)  # open for registration a moment
    desk.session.ends_at += timedelta(days=2)
    for name in ("周一", "吴二", "郑三", "冯四"):
        make.registration(desk.session, 1, name=name, slot_id=slot.id)
    start_now(desk.session)
    with count_queries() as many:
        answer = client.get(data_url(desk))
    assert len(answer.json["registrations"]) == 7
    assert len(many) == len(few)


def test_the_desk_roster_says_when_the_sessions_day_begins_and_ends(client, desk):
    login(client, desk.checker)
    answer = client.get(data_url(desk)).json
    day = local_date(desk.session.starts_at)
    assert datetime.fromisoformat(answer["starts"]) == local_midnight(day)
    assert datetime.fromisoformat(answer["expires"]) == local_midnight(day + timedelta(days=1))
