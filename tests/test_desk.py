"""The check-in desk: the result card, parties arriving in parts, undoing a check-in, the second
tap for another day, and statistics that count the people who came."""

from __future__ import annotations

from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from outreach.accounts.models import AuditEntry
from outreach.database import db, utcnow
from outreach.registrations.models import Registration
from outreach.stats import services as stats
from tests.web import login, post_form

JSON = {"Accept": "application/json"}


def fresh(registration: Registration) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration.id)


def start_now(event_session) -> None:
    """Move a session (booked while it was ahead) to begin now: today is its day."""
    length = event_session.ends_at - event_session.starts_at
    event_session.starts_at = utcnow().replace(microsecond=0)
    event_session.ends_at = event_session.starts_at + length
    db.session.commit()


@pytest.fixture
def desk(make, client):
    """Organisation A's session, going on today, with a family of three booked; its checker,
    and an organiser of organisation B. The client's interface is English."""
    client.set_cookie("lang", "en")
    centre = make.organisation(slug="centre")
    other = make.organisation(slug="other")
    event = make.event(organisation=centre)
    event_session = make.event_session(event, capacity=10)
    family = make.registration(event_session, 3, name="王秀英", phone="13800138000")
    start_now(event_session)
    return SimpleNamespace(
        event=event,
        session=event_session,
        family=family,
        checker=make.staff("checker", organisation=centre, role="checker"),
        outsider=make.staff("outsider", organisation=other, role="organiser"),
        url=f"/staff/sessions/{event_session.id}/roster",
    )


def check_in(client, desk, code, headers=JSON, **fields):
    url = f"/staff/sessions/{desk.session.id}/check-in"
    return post_form(client, url, {"code": code, **fields}, headers=headers)


def undo(client, desk, registration, headers=JSON, **fields):
    url = f"/staff/sessions/{desk.session.id}/registrations/{registration.id}/undo-check-in"
    return post_form(client, url, fields, headers=headers)


def facts(answer) -> dict[str, str]:
    return {fact["label"]: fact["value"] for fact in answer.json["card"]["facts"]}


def test_two_of_a_family_of_three_check_in_and_the_third_adds_up_later(client, desk):
    login(client, desk.checker)
    first = check_in(client, desk, desk.family.code, people="2")
    assert first.status_code == 200 and first.json["outcome"] == "checked_in"
    assert first.json["message"].startswith("Checked in 2 of 3: 王***")
    assert facts(first)["Arrived"] == "2 of 3" and facts(first)["Full name"] == "王***"
    assert "王秀英" not in first.get_data(as_text=True)  # the screen faces the queue
    assert fresh(desk.family).arrived == 2
    at = fresh(desk.family).checked_in_at

    later = check_in(client, desk, desk.family.code)  # no number: everyone still to come
    assert later.json["outcome"] == "checked_in" and facts(later)["Arrived"] == "3 of 3"
    assert fresh(desk.family).arrived == 3 and fresh(desk.family).checked_in_at == at

    again = check_in(client, desk, desk.family.code)
    assert again.json["outcome"] == "already" and again.json["already"] is True
    assert fresh(desk.family).arrived == 3


def test_more_people_than_are_still_to_come_are_refused(client, desk):
    login(client, desk.checker)
    check_in(client, desk, desk.family.code, people="2")
    answer = check_in(client, desk, desk.family.code, people="2")
    assert answer.status_code == 422 and answer.json["outcome"] == "invalid"
    assert answer.json["message"] == "Only 1 more person of this party can check in."
    assert fresh(desk.family).arrived == 2


def test_the_card_names_the_slot_and_its_local_time(client, desk, make):
    event_session = make.event_session(desk.event, capacity=10)
    slot = make.half_hours(event_session, labels=("测血压",), windows=1)["测血压", 0]
    booked = make.registration(event_session, 1, slot_id=slot.id, name="李建国")
    start_now(event_session)
    login(client, desk.checker)
    url = f"/staff/sessions/{event_session.id}/check-in"
    answer = post_form(client, url, {"code": booked.code}, headers=JSON)
    assert answer.json["outcome"] == "checked_in", answer.json
    assert facts(answer)["Time slot"] == "测血压 09:00–09:30"
    assert answer.json["message"] == "Checked in: 李*** · 1 person · 测血压 09:00–09:30"
    assert "Checked in at" not in facts(answer)  # it is now
    again = post_form(client, url, {"code": booked.code}, headers=JSON)
    assert facts(again)["Checked in at"] and facts(again)["Time slot"] == "测血压 09:00–09:30"


def test_undo_takes_back_one_person_and_is_audited_with_who(client, desk):
    login(client, desk.checker)
    check_in(client, desk, desk.family.code, people="2")
    answer = undo(client, desk, desk.family, people="1")
    assert answer.status_code == 200 and answer.json["outcome"] == "undone"
    assert facts(answer)["Arrived"] == "1 of 3"
    assert fresh(desk.family).arrived == 1 and fresh(desk.family).checked_in_at is not None
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "check_in_undone")
    ).one()
    assert entry.actor_id == desk.checker.id and entry.target_id == desk.family.id
    assert entry.changes["arrived"] == {"before": 2, "after": 1}
    assert entry.at is not None and entry.actor_label == desk.checker.label

    everyone = undo(client, desk, desk.family)  # no number: all who arrived
    assert everyone.json["outcome"] == "undone" and everyone.json["card"]["undo"] is None
    registration = fresh(desk.family)
    assert registration.arrived == 0 and registration.checked_in_at is None
    assert registration.checked_in_by_id is None


def test_undo_of_a_registration_not_checked_in_is_refused(client, desk):
    login(client, desk.checker)
    answer = undo(client, desk, desk.family)
    assert answer.status_code == 409 and answer.json["message"] == (
        "This registration is not checked in."
    )
    assert not db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "check_in_undone")
    ).all()


def test_undo_of_another_sessions_registration_is_not_found(client, desk, make):
    elsewhere = make.registration(make.event_session(desk.event, capacity=5))
    login(client, desk.checker)
    answer = undo(client, desk, elsewhere)
    assert answer.status_code == 404


def test_checkers_of_another_organisation_cannot_undo(client, desk):
    login(client, desk.checker)
    check_in(client, desk, desk.family.code)
    client.get("/staff/logout")
    login(client, desk.outsider)
    assert undo(client, desk, desk.family, headers={}).status_code == 403
    assert check_in(client, desk, desk.family.code, headers={}).status_code == 403
    assert fresh(desk.family).arrived == 3


def test_a_check_in_on_another_day_needs_a_second_tap(client, desk, make):
    tomorrow = make.event_session(desk.event, capacity=5)  # the factory's default: tomorrow
    early = make.registration(tomorrow, 2, name="赵大爷")
    login(client, desk.checker)
    url = f"/staff/sessions/{tomorrow.id}/check-in"
    answer = post_form(client, url, {"code": early.code, "people": "1"}, headers=JSON)
    assert answer.status_code == 409 and answer.json["outcome"] == "confirm"
    assert "not today" in answer.json["message"]
    assert answer.json["card"]["confirm"] == {"code": early.code, "people": 1}
    assert fresh(early).arrived == 0 and fresh(early).checked_in_at is None
    # Only the confirm field does it, the same one the card's second button sends.
    sent = {"code": early.code, "people": "1", "confirm": "any-day"}
    confirmed = post_form(client, url, sent, headers=JSON)
    assert confirmed.status_code == 200 and confirmed.json["outcome"] == "checked_in"
    assert fresh(early).arrived == 1


def test_without_javascript_the_desk_shows_its_card_and_the_second_tap(client, desk, make):
    tomorrow = make.event_session(desk.event, capacity=5)
    early = make.registration(tomorrow, 1, name="赵大爷")
    login(client, desk.checker)
    response = check_in(client, desk, desk.family.code, headers={})
    assert response.status_code == 302 and response.headers["Location"] == desk.url
    page = client.get(desk.url).get_data(as_text=True)
    assert 'class="desk-card ok"' in page and "Checked in successfully" in page
    assert 'id="desk-undo"' in page and f"{desk.family.id}/undo-check-in" in page
    again = client.get(desk.url).get_data(as_text=True)
    assert 'class="desk-card idle"' in again  # shown once: a reload does not repeat it

    roster = f"/staff/sessions/{tomorrow.id}/roster"
    post_form(client, f"/staff/sessions/{tomorrow.id}/check-in", {"code": early.code})
    page = client.get(roster).get_data(as_text=True)
    assert 'class="desk-card warn"' in page and "Check in anyway" in page
    assert f'name="code" value="{early.code}"' in page and 'value="any-day"' in page
    assert fresh(early).checked_in_at is None


def test_the_desk_page_puts_the_code_field_and_card_before_the_roster(client, desk):
    login(client, desk.checker)
    response = client.get(desk.url)
    page = response.get_data(as_text=True)
    order = [page.index(mark) for mark in ('id="check-in"', 'id="desk-card"', 'id="registrations"')]
    assert order == sorted(order)
    assert 'id="scanner"' in page and "/static/checkin.js" in page
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    scan = client.get(f"/staff/sessions/{desk.session.id}/scan")
    assert scan.status_code == 301 and scan.headers["Location"] == desk.url


def test_statistics_count_people_who_came_and_only_at_sessions_that_have_started(
    client, desk, make
):
    login(client, desk.checker)
    check_in(client, desk, desk.family.code, people="2")
    tomorrow = make.event_session(desk.event, capacity=5)
    early = make.registration(tomorrow, 2, name="赵大爷")
    sent = {"code": early.code, "confirm": "any-day"}
    post_form(client, f"/staff/sessions/{tomorrow.id}/check-in", sent, headers=JSON)
    assert fresh(early).arrived == 2  # checked in by mistake a day early
    total = stats.campaign(desk.event).total
    assert total.checked_in_people == 2  # two of the family; none of tomorrow's yet
    later = stats.campaign(desk.event, now=tomorrow.starts_at + timedelta(minutes=1)).total
    assert later.checked_in_people == 4
