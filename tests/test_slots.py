"""The slot editor: specialties and half-hour windows, capacity, removal, permissions."""

from __future__ import annotations

from datetime import time, timedelta
from zoneinfo import ZoneInfo

import pytest

from outreach.accounts.models import AuditEntry
from outreach.database import db
from outreach.registrations.models import Registration, RegistrationStatus, Slot
from tests.web import post_form, slot_choices, slot_legends


@pytest.fixture
def screening(make):
    organisation = make.organisation()
    event = make.event(organisation=organisation)
    event_session = make.event_session(event, start=time(8, 30), hours=3, capacity=40)
    organiser = make.staff(organisation=organisation, role="organiser")
    return event_session, organiser


def url(event_session, suffix=""):
    return f"/staff/events/{event_session.event_id}/sessions/{event_session.id}/slots{suffix}"


def slots_of(event_session):
    return list(
        db.session.scalars(
            db.select(Slot).where(Slot.session_id == event_session.id).order_by(Slot.position)
        )
    )


def test_specialties_by_half_hour_windows(client, screening, login_as):
    event_session, organiser = screening
    login_as(organiser)
    response = post_form(
        client,
        url(event_session),
        {
            "labels": "中医科\n骨伤与骨关节\n\n中医科",
            "capacity": "2",
            "start": "08:30",
            "end": "10:00",
            "window_minutes": "30",
        },
    )
    assert response.status_code == 302
    made = slots_of(event_session)
    assert [s.label for s in made] == ["中医科"] * 3 + ["骨伤与骨关节"] * 3
    assert made[0].starts_at.strftime("%H:%M") == "00:30"  # 08:30 Beijing time
    assert (made[1].ends_at - made[1].starts_at).seconds == 1800
    assert all(s.capacity == 2 for s in made)
    assert (
        db.session.scalar(
            db.select(db.func.count(AuditEntry.id)).where(AuditEntry.target_type == "slot")
        )
        == 6
    )
    text = client.get(f"/events/{event_session.event_id}").get_data(as_text=True)
    # On the form, the windows are grouped under their department.
    assert ("", "中医科") in slot_legends(text)
    assert "08:30–09:00（剩2个）" in [label for _attributes, label in slot_choices(text).values()]


def test_whole_session_slots_without_windows(client, screening, login_as):
    event_session, organiser = screening
    login_as(organiser)
    post_form(client, url(event_session), {"labels": "全科\n脑卒中", "capacity": "10"})
    assert [(s.label, s.starts_at) for s in slots_of(event_session)] == [
        ("全科", None),
        ("脑卒中", None),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"labels": "", "capacity": "2"}, "Please enter at least one slot."),
        ({"labels": "x", "capacity": "-1"}, "From 0 to 10000."),
        ({"labels": "x", "capacity": "2", "start": "08:30"}, "Give both ends"),
        ({"labels": "x", "capacity": "2", "start": "07:00", "end": "08:00"}, "inside the session"),
        ({"labels": "x", "capacity": "2", "start": "10:00", "end": "09:00"}, "after the start"),
        ({"labels": "x", "capacity": "2", "start": "9h", "end": "10:00"}, "is not a time"),
    ],
)
def test_invalid_slots_are_explained_and_nothing_is_added(
    client, screening, login_as, data, message
):
    event_session, organiser = screening
    login_as(organiser)
    client.set_cookie("lang", "en")
    response = post_form(client, url(event_session), data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert slots_of(event_session) == []


def test_capacity_cannot_go_below_seats_taken_and_used_slots_stay(
    client, screening, login_as, make
):
    event_session, organiser = screening
    slot = make.slot(event_session, "中医科", capacity=5)
    make.registration(event_session, 3, slot_id=slot.id)
    login_as(organiser)
    post_form(
        client,
        url(event_session, f"/{slot.id}"),
        {f"slot{slot.id}-label": "中医", f"slot{slot.id}-capacity": "2"},
    )
    db.session.refresh(slot)
    assert slot.capacity == 5
    post_form(
        client,
        url(event_session, f"/{slot.id}"),
        {f"slot{slot.id}-label": "中医", f"slot{slot.id}-capacity": "4"},
    )
    db.session.refresh(slot)
    assert (slot.label, slot.capacity) == ("中医", 4)
    post_form(client, url(event_session, f"/{slot.id}/delete"))
    assert slots_of(event_session) == [slot]


def test_an_unused_slot_can_be_deleted(client, screening, login_as, make):
    event_session, organiser = screening
    slot = make.slot(event_session)
    login_as(organiser)
    assert post_form(client, url(event_session, f"/{slot.id}/delete")).status_code == 302
    assert slots_of(event_session) == []


def test_other_organisations_and_checkers_cannot_touch_slots(client, screening, login_as, make):
    event_session, _organiser = screening
    slot = make.slot(event_session)
    outsider = make.staff(organisation=make.organisation(), role="manager")
    checker = make.staff(organisation=event_session.event.organisation, role="checker")
    for user in (outsider, checker):
        login_as(user)
        assert client.get(url(event_session)).status_code == 403
        assert post_form(client, url(event_session, f"/{slot.id}/delete")).status_code == 403
        post_form(client, "/staff/logout")
    assert client.get(url(event_session)).status_code == 302
    other_session = make.event_session()
    admin = make.staff(is_admin=True)
    login_as(admin)
    wrong = f"/staff/events/{event_session.event_id}/sessions/{other_session.id}/slots"
    assert client.get(wrong).status_code == 404
    assert client.get(url(event_session, "/999999/delete")).status_code == 405
    assert post_form(client, url(event_session, "/999999/delete")).status_code == 404


def test_raising_a_slots_capacity_promotes_its_waitlist(client, screening, login_as, make):
    event_session, organiser = screening
    slot = make.slot(event_session, "中医科", capacity=1)
    make.registration(event_session, 1, slot_id=slot.id)
    waiting = make.registration(event_session, 1, slot_id=slot.id)
    assert waiting.status == RegistrationStatus.WAITLISTED
    login_as(organiser)
    edit = url(event_session, f"/{slot.id}")
    post_form(client, edit, {f"slot{slot.id}-label": "中医科", f"slot{slot.id}-capacity": "2"})
    assert db.session.get(Registration, waiting.id).status == RegistrationStatus.CONFIRMED


def test_a_slots_window_reads_the_same_wherever_it_is_shown(make):
    """One formatting of a slot's times for the form, the booking pages, the roster and the
    slot editor: "09:30–10:00", the start alone without an end, nothing without times."""
    event_session = make.event_session()
    start = event_session.starts_at
    local = start.astimezone(ZoneInfo("Asia/Shanghai"))
    both = make.slot(event_session, "内科", starts_at=start, ends_at=start + timedelta(minutes=30))
    alone = make.slot(event_session, "外科", starts_at=start)
    none = make.slot(event_session, "全科")
    end = (local + timedelta(minutes=30)).strftime("%H:%M")
    assert both.window() == f"{local:%H:%M}–{end}"
    assert alone.window() == f"{local:%H:%M}"
    assert none.window() == ""
    assert both.label_and_times("zh") == f"内科 {both.window()}"
    assert none.label_and_times("zh") == "全科"
