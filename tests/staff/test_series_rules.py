"""Repeat rules through the staff pages: removing a rule, refusing bad input, and who may."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach.accounts.models import AuditEntry
from outreach.database import db
from outreach.events.models import EventSeries
from tests.staff.support import (
    next_monday,
    save_series,
    series_form,
    series_sessions,
    series_url,
    text_of,
)
from tests.web import csrf_token, post_form

# ---------------------------------------------------------------------------------------------
# Removing the rule


def test_removing_the_rule_deletes_unchanged_sessions_and_detaches_the_rest(client, weekly_clinic):
    save_series(client, weekly_clinic)
    moved = series_sessions(weekly_clinic)[0]
    moved.capacity = 5
    moved.touch()
    db.session.commit()
    response = post_form(client, series_url(weekly_clinic, "/delete"))
    assert response.status_code == 302
    remaining = series_sessions(weekly_clinic)
    assert [(s.id, s.series_id, s.capacity) for s in remaining] == [(moved.id, None, 5)]
    assert db.session.scalar(select(EventSeries)) is None
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "series").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.changes["rule"]["after"] is None
    assert entry.changes["sessions_removed"]["after"] == 3
    text = text_of(client.get(series_url(weekly_clinic)))
    assert "Upcoming sessions deleted: 3; kept because staff changed them: 1." in text


def test_removing_when_there_is_no_rule_says_so(client, weekly_clinic):
    response = post_form(client, series_url(weekly_clinic, "/delete"))
    assert response.status_code == 302
    assert "This event has no repeat rule." in text_of(client.get(series_url(weekly_clinic)))


def test_remove_refuses_a_get(client, weekly_clinic):
    assert client.get(series_url(weekly_clinic, "/delete")).status_code == 405


# ---------------------------------------------------------------------------------------------
# Validation


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        (
            {"start_time": "11:00", "end_time": "09:00"},
            "The end time must be after the start time.",
        ),
        (
            {"start_time": "10:00", "end_time": "10:00"},
            "The end time must be after the start time.",
        ),
        ({"start_time": ""}, "Please enter the start time"),
        ({"weekdays": []}, "Please choose at least one day of the week."),
        (
            {"ends": "until", "until": "2000-01-01"},
            "The last day must be on or after the first day.",
        ),
        ({"ends": "until", "until": ""}, "Please choose the last day."),
        ({"count": ""}, "Please enter the number of sessions."),
        ({"count": "0"}, "The number of sessions must be from 1 to 500."),
        ({"count": "501"}, "The number of sessions must be from 1 to 500."),
        ({"count": "five"}, "“five” is not a whole number."),
        ({"interval": "0"}, "Repeat every 1 to 99 days, weeks or months."),
        ({"interval": "-1"}, "“-1” is not a whole number."),
        ({"interval": ""}, "Please enter how often the series repeats"),
        ({"exdates": "2026-13-45"}, "“2026-13-45” is not a date; use the form YYYY-MM-DD"),
        ({"exdates": "2026-05-01\nnext tuesday"}, "“next” is not a date"),
        ({"first_day": "tomorrow"}, "“tomorrow” is not a date"),
        ({"first_day": ""}, "Please choose the first day."),
        ({"start_time": "9h"}, "“9h” is not a time; use the form HH:MM"),
        ({"start_time": "25:00"}, "“25:00” is not a time"),
        ({"venue_id": ""}, "Please choose a venue."),
        ({"capacity": "-3"}, "The capacity must be a whole number from 0 to 100000"),
        ({"frequency": "monthly", "month_day": "32"}, "The day of the month must be a number"),
        ({"frequency": "daily", "count": "", "ends": "until", "until": "FAR"}, "more than 500"),
        ({"ends": "until", "until": "TOO_LATE"}, "A series can run for at most two years"),
        ({"frequency": "monthly", "count": "30"}, "a series can run for at most two years"),
    ],
)
def test_bad_input_is_explained_and_nothing_is_saved(client, weekly_clinic, changes, message):
    first = next_monday()
    if changes.get("until") == "FAR":
        changes["until"] = (first + timedelta(days=600)).isoformat()
    if changes.get("until") == "TOO_LATE":
        changes["until"] = (first + timedelta(days=800)).isoformat()
    response = save_series(client, weekly_clinic, **changes)
    assert response.status_code == 200
    assert message in text_of(response)
    assert series_sessions(weekly_clinic) == []
    assert db.session.scalar(select(EventSeries)) is None


def test_what_was_typed_is_shown_again_after_an_error(client, weekly_clinic):
    response = save_series(client, weekly_clinic, count="abc", exdates="2026-05-01\n2026-05-08")
    text = text_of(response)
    assert 'value="abc"' in text
    assert "2026-05-01\n2026-05-08" in text


GARBAGE = ["", "x", "-1", "0", "99999999999999999999", "<script>", "2026-02-30", "１２", "%00"]

FIELDS = [
    "first_day",
    "frequency",
    "interval",
    "weekdays",
    "monthly_by",
    "month_day",
    "ordinal",
    "weekday",
    "all_day",
    "start_time",
    "end_time",
    "venue_id",
    "capacity",
    "ends",
    "count",
    "until",
    "exdates",
]


@pytest.mark.parametrize("field", FIELDS)
def test_garbage_in_any_field_never_breaks_the_page(client, weekly_clinic, field):
    token = csrf_token(client)
    for value in GARBAGE:
        for submit in ("save", "preview"):
            data = series_form(weekly_clinic, **{field: value})
            data.pop("save")
            data.update({submit: "1", "csrf_token": token})
            response = client.post(series_url(weekly_clinic), data=data)
            assert response.status_code in (200, 302), (field, value, submit)


def test_garbage_everywhere_at_once(client, weekly_clinic):
    data = {name: "<b>¿?</b>" for name in FIELDS}
    response = post_form(client, series_url(weekly_clinic), {**data, "save": "1"})
    assert response.status_code == 200
    assert "<b>¿?</b>" not in text_of(response)
    assert series_sessions(weekly_clinic) == []


def test_a_post_without_csrf_token_is_refused(client, weekly_clinic):
    response = client.post(series_url(weekly_clinic), data=series_form(weekly_clinic))
    assert response.status_code == 400
    assert series_sessions(weekly_clinic) == []


# ---------------------------------------------------------------------------------------------
# Who may


@pytest.mark.parametrize("suffix", ["", "/delete"])
def test_organiser_of_another_organisation_is_refused(
    client, make, weekly_clinic, login_as, suffix
):
    save_series(client, weekly_clinic)
    post_form(client, "/staff/logout")
    outsider = make.staff(organisation=make.organisation(), role="organiser")
    login_as(outsider)
    if not suffix:
        assert client.get(series_url(weekly_clinic)).status_code == 403
    response = post_form(
        client, series_url(weekly_clinic, suffix), series_form(weekly_clinic, count="9")
    )
    assert response.status_code == 403
    assert len(series_sessions(weekly_clinic)) == 4


@pytest.mark.parametrize(("role", "status"), [("checker", 403), ("manager", 200)])
def test_roles_of_the_same_organisation(client, make, weekly_clinic, login_as, role, status):
    post_form(client, "/staff/logout")
    login_as(make.staff(organisation=weekly_clinic["event"].organisation, role=role))
    assert client.get(series_url(weekly_clinic)).status_code == status


def test_administrator_may_edit_any_series(client, make, weekly_clinic, login_as):
    login_as(make.staff(is_admin=True))
    assert save_series(client, weekly_clinic).status_code == 302


def test_anonymous_is_sent_to_sign_in(client, make):
    event = make.event()
    response = client.get(f"/staff/events/{event.id}/series")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")
    assert client.post(f"/staff/events/{event.id}/series/delete").status_code in (302, 400)


@pytest.mark.parametrize("event_id", ["999999", "99999999999", "abc", "-1"])
def test_unknown_event_is_not_found(client, weekly_clinic, event_id):
    assert client.get(f"/staff/events/{event_id}/series").status_code == 404
    assert (
        post_form(
            client, f"/staff/events/{event_id}/series", series_form(weekly_clinic)
        ).status_code
        == 404
    )
