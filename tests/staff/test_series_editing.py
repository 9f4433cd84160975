"""Repeat rules through the staff pages: preview, save, and regenerating future sessions."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from babel.dates import format_date
from sqlalchemy import select

from outreach.accounts.models import AuditEntry
from outreach.database import db
from outreach.events import series
from outreach.events.models import EventSeries, EventSession, SessionStatus
from outreach.events.recurrence import Frequency, Rule
from outreach.localtime import local_today
from tests.factories import SHANGHAI
from tests.staff.support import (
    beijing,
    english_day,
    local_day,
    mondays,
    next_monday,
    save_series,
    series_form,
    series_sessions,
    series_url,
    text_of,
)
from tests.web import post_form

# ---------------------------------------------------------------------------------------------
# Preview and save


def test_empty_form_starts_from_a_weekly_rule(client, weekly_clinic):
    response = client.get(series_url(weekly_clinic))
    text = text_of(response)
    assert response.status_code == 200
    assert "Repeat rule" in text
    assert 'name="first_day"' in text and 'name="exdates"' in text
    assert "炫特社区服务站" in text and "炫特社区" in text and "六里屯街道" in text


def test_preview_lists_the_dates_and_saves_nothing(client, weekly_clinic):
    response = save_series(client, weekly_clinic, save=None, preview="1")
    text = text_of(response)
    assert response.status_code == 200
    assert "Preview: 4 dates" in text
    for day in mondays(4):
        assert english_day(day) in text
    assert "09:00–11:00" in text
    assert "Saving will create 4 sessions" in text
    assert series_sessions(weekly_clinic) == []
    assert db.session.scalar(select(EventSeries)) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "series")) is None


def test_preview_in_chinese_writes_dates_the_chinese_way(client, weekly_clinic):
    response = post_form(
        client,
        series_url(weekly_clinic).replace("lang=en", "lang=zh"),
        series_form(weekly_clinic, save=None, preview="1", count="1"),
    )
    day = next_monday()
    assert f"{day.year}年{day.month}月{day.day}日 星期一" in text_of(response)


def test_save_creates_a_session_per_date_visible_on_the_public_page(client, weekly_clinic):
    response = save_series(client, weekly_clinic)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/events/{weekly_clinic['event'].id}/series"
    sessions = series_sessions(weekly_clinic)
    assert [s.starts_at for s in sessions] == [beijing(day, time(9)) for day in mondays(4)]
    saved = db.session.scalar(select(EventSeries))
    assert saved.rule == "FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    assert all(s.series_id == saved.id and s.capacity == 20 and s.sequence == 0 for s in sessions)
    assert len({s.uid for s in sessions}) == 4
    after = text_of(client.get(series_url(weekly_clinic)))
    assert "Sessions created: 4, updated: 0, removed: 0, kept as they were: 0." in after
    public = text_of(client.get(f"/events/{weekly_clinic['event'].id}?lang=en"))
    assert "4 sessions" in public
    assert all(english_day(day) in public for day in mondays(4))


def test_saved_rule_is_shown_again_for_editing(client, weekly_clinic):
    save_series(
        client, weekly_clinic, weekdays=["0", "3"], count="6", exdates=mondays(2)[1].isoformat()
    )
    text = text_of(client.get(series_url(weekly_clinic)))
    assert 'checked id="weekdays-0"' in text and 'checked id="weekdays-3"' in text
    assert 'value="6"' in text
    assert mondays(2)[1].isoformat() in text


def test_save_writes_an_audit_entry_with_the_rule_and_the_counts(client, weekly_clinic):
    save_series(client, weekly_clinic)
    save_series(client, weekly_clinic, count="5")
    entries = list(
        db.session.scalars(
            select(AuditEntry).where(AuditEntry.action == "series").order_by(AuditEntry.id)
        )
    )
    assert len(entries) == 2
    first, second = entries
    assert first.changes["rule"] == {"before": None, "after": "FREQ=WEEKLY;BYDAY=MO;COUNT=4"}
    assert first.changes["sessions_created"]["after"] == 4
    assert second.changes["rule"] == {
        "before": "FREQ=WEEKLY;BYDAY=MO;COUNT=4",
        "after": "FREQ=WEEKLY;BYDAY=MO;COUNT=5",
    }
    assert second.changes["sessions_created"]["after"] == 1
    assert second.actor_id == weekly_clinic["organiser"].id
    assert second.target_id == weekly_clinic["event"].id
    assert second.organisation_id == weekly_clinic["event"].organisation_id


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        pytest.param(
            {"frequency": "daily", "count": "3"},
            lambda first: [first, first + timedelta(days=1), first + timedelta(days=2)],
            id="daily",
        ),
        pytest.param(
            {"interval": "2", "weekdays": ["1", "3"], "count": "4"},
            lambda first: [first + timedelta(days=n) for n in (1, 3, 15, 17)],
            id="every-other-week-tue-thu",
        ),
        pytest.param(
            {"ends": "until", "count": "", "until": "LAST"},
            lambda first: [first, first + timedelta(weeks=1), first + timedelta(weeks=2)],
            id="until-a-last-day",
        ),
    ],
)
def test_rules_save_the_dates_they_preview(client, weekly_clinic, changes, expected):
    first = next_monday()
    if changes.get("until") == "LAST":
        changes["until"] = (first + timedelta(weeks=2)).isoformat()
    assert save_series(client, weekly_clinic, **changes).status_code == 302
    days = [s.starts_at.astimezone(SHANGHAI).date() for s in series_sessions(weekly_clinic)]
    assert days == expected(first)


def test_monthly_last_friday_through_the_form(client, weekly_clinic):
    response = save_series(
        client,
        weekly_clinic,
        frequency="monthly",
        monthly_by="weekday",
        ordinal="-1",
        weekday="4",
        count="3",
    )
    assert response.status_code == 302
    days = [s.starts_at.astimezone(SHANGHAI).date() for s in series_sessions(weekly_clinic)]
    assert len(days) == 3
    for day in days:
        assert day.weekday() == 4 and (day + timedelta(days=7)).month != day.month


def test_all_day_series_runs_from_midnight_to_midnight(client, weekly_clinic):
    response = save_series(
        client, weekly_clinic, all_day="y", start_time="", end_time="", count="2"
    )
    assert response.status_code == 302
    sessions = series_sessions(weekly_clinic)
    assert [(s.starts_at, s.ends_at, s.all_day) for s in sessions] == [
        (beijing(day, time.min), beijing(day + timedelta(days=1), time.min), True)
        for day in mondays(2)
    ]
    assert "All day" in text_of(client.get(f"/events/{weekly_clinic['event'].id}?lang=en"))


def test_unlimited_capacity_when_places_are_left_empty(client, weekly_clinic):
    save_series(client, weekly_clinic, capacity="")
    assert {s.capacity for s in series_sessions(weekly_clinic)} == {None}


# ---------------------------------------------------------------------------------------------
# Editing the rule regenerates future sessions


def test_adding_an_exception_date_removes_only_that_session(client, weekly_clinic):
    save_series(client, weekly_clinic)
    before = {s.starts_at: (s.id, s.uid) for s in series_sessions(weekly_clinic)}
    skipped = mondays(4)[1]
    response = save_series(client, weekly_clinic, exdates=skipped.isoformat())
    assert response.status_code == 302
    after = series_sessions(weekly_clinic)
    assert [s.starts_at for s in after] == [
        beijing(day, time(9)) for day in mondays(4) if day != skipped
    ]
    assert all(before[s.starts_at] == (s.id, s.uid) and s.sequence == 0 for s in after)
    text = text_of(client.get(series_url(weekly_clinic)))
    assert "Sessions created: 0, updated: 0, removed: 1, kept as they were: 0." in text


def test_sessions_with_registrations_are_never_moved_or_deleted(client, weekly_clinic, make):
    save_series(client, weekly_clinic)
    booked, moved = series_sessions(weekly_clinic)[1], series_sessions(weekly_clinic)[2]
    registration = make.registration(booked)
    make.registration(moved)
    # Drop the booked date and move every session to 10:00: neither booked one may change.
    response = save_series(
        client, weekly_clinic, exdates=local_day(booked).isoformat(), start_time="10:00"
    )
    assert response.status_code == 302
    by_id = {s.id: s for s in series_sessions(weekly_clinic)}
    assert by_id[booked.id].starts_at == booked.starts_at
    assert by_id[moved.id].starts_at == moved.starts_at
    assert "residents have registered" in text_of(client.get(series_url(weekly_clinic)))
    assert client.get(f"/r/{registration.manage_token}").status_code == 200
    post_form(client, series_url(weekly_clinic, "/delete"))
    assert {s.id for s in series_sessions(weekly_clinic)} >= {booked.id, moved.id}


def test_removing_the_exception_date_brings_the_date_back(client, weekly_clinic):
    skipped = mondays(4)[1]
    save_series(client, weekly_clinic, exdates=skipped.isoformat())
    save_series(client, weekly_clinic, exdates="")
    days = [s.starts_at.astimezone(SHANGHAI).date() for s in series_sessions(weekly_clinic)]
    assert days == mondays(4)


def test_changing_the_weekday_replaces_the_sessions(client, weekly_clinic):
    save_series(client, weekly_clinic)
    old_ids = {s.id for s in series_sessions(weekly_clinic)}
    save_series(client, weekly_clinic, weekdays=["2"])
    after = series_sessions(weekly_clinic)
    assert [s.starts_at.astimezone(SHANGHAI).date() for s in after] == [
        day + timedelta(days=2) for day in mondays(4)
    ]
    assert not old_ids & {s.id for s in after}
    text = text_of(client.get(series_url(weekly_clinic)))
    assert "Sessions created: 4, updated: 0, removed: 4, kept as they were: 0." in text


def test_changing_time_place_and_places_updates_sessions_in_place(client, weekly_clinic):
    save_series(client, weekly_clinic)
    before = {s.id: s.uid for s in series_sessions(weekly_clinic)}
    save_series(client, weekly_clinic, start_time="10:00", end_time="12:00")
    save_series(
        client,
        weekly_clinic,
        start_time="10:30",
        end_time="12:00",
        venue_id=str(weekly_clinic["other_venue"].id),
        capacity="30",
    )
    after = series_sessions(weekly_clinic)
    assert {s.id: s.uid for s in after} == before
    assert [s.starts_at for s in after] == [beijing(day, time(10, 30)) for day in mondays(4)]
    assert {(s.venue_id, s.capacity, s.sequence) for s in after} == {
        (weekly_clinic["other_venue"].id, 30, 2)
    }
    text = text_of(client.get(series_url(weekly_clinic)))
    assert "Sessions created: 0, updated: 4, removed: 0, kept as they were: 0." in text


def test_saving_the_same_rule_again_changes_nothing(client, weekly_clinic):
    save_series(client, weekly_clinic)
    save_series(client, weekly_clinic)
    assert {s.sequence for s in series_sessions(weekly_clinic)} == {0}
    trail = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "series")).all()
    assert len(trail) == 1
    text = text_of(client.get(series_url(weekly_clinic)))
    assert "Sessions created: 0, updated: 0, removed: 0, kept as they were: 0." in text


def test_a_session_rescheduled_on_its_own_is_kept_and_reported(client, weekly_clinic):
    save_series(client, weekly_clinic)
    moved = series_sessions(weekly_clinic)[1]
    moved.starts_at += timedelta(hours=5)
    moved.ends_at += timedelta(hours=5)
    moved.touch()
    db.session.commit()
    moved_id, moved_start = moved.id, moved.starts_at
    save_series(client, weekly_clinic, start_time="10:00", end_time="12:00")
    after = {s.id: s for s in series_sessions(weekly_clinic)}
    assert after[moved_id].starts_at == moved_start
    assert after[moved_id].sequence == 1
    assert after[moved_id].series_id is not None
    others = [s for s in after.values() if s.id != moved_id]
    assert len(others) == 3 and all(s.starts_at.astimezone(SHANGHAI).hour == 10 for s in others)
    text = text_of(client.get(series_url(weekly_clinic)))
    assert "updated: 3, removed: 0, kept as they were: 1." in text
    moved_day = format_date(mondays(2)[1], "EEEE d MMMM", locale="en")
    assert f"Kept because staff changed them: {moved_day} 14:00–16:00 (changed on its own)" in text


def test_a_moved_date_is_not_made_again_nor_deleted_when_the_rule_drops_it(client, weekly_clinic):
    save_series(client, weekly_clinic)
    moved = series_sessions(weekly_clinic)[1]
    moved.starts_at += timedelta(days=1)
    moved.ends_at += timedelta(days=1)
    moved.touch()
    db.session.commit()
    save_series(
        client, weekly_clinic, count="5"
    )  # the moved Monday must not come back as a second session
    assert len(series_sessions(weekly_clinic)) == 5
    save_series(client, weekly_clinic, weekdays=["4"])  # Mondays dropped: the moved session stays
    assert moved.id in {s.id for s in series_sessions(weekly_clinic)}


def test_a_cancelled_session_is_kept_cancelled(client, weekly_clinic):
    save_series(client, weekly_clinic)
    cancelled = series_sessions(weekly_clinic)[2]
    cancelled.status = SessionStatus.CANCELLED
    cancelled.cancellation_reason = "场地维修"
    cancelled.touch()
    db.session.commit()
    save_series(client, weekly_clinic, weekdays=["1"])
    kept = db.session.get(EventSession, cancelled.id)
    assert kept is not None and kept.status == SessionStatus.CANCELLED
    text = text_of(client.get(series_url(weekly_clinic)))
    assert "kept as they were: 1." in text and "(cancelled)" in text


def test_past_sessions_are_never_touched(client, weekly_clinic):
    event = weekly_clinic["event"]
    # No date falls on today, so the outcome does not depend on the time of day.
    first = local_today() - timedelta(days=15)
    plan = series.SeriesPlan(
        rule=Rule(Frequency.DAILY, interval=7, count=4),
        first_day=first,
        start_time=time(9),
        end_time=time(11),
        all_day=False,
        venue_id=weekly_clinic["venue"].id,
        capacity=20,
    )
    # Saved three weeks ago: all four dates were in the future then.
    series.save_series(event, plan, weekly_clinic["organiser"], now=beijing(first, time(0)))
    db.session.commit()
    past = [
        s
        for s in series_sessions(weekly_clinic)
        if s.starts_at.astimezone(SHANGHAI).date() < local_today()
    ]
    assert len(past) == 3
    response = save_series(
        client,
        weekly_clinic,
        first_day=first.isoformat(),
        frequency="daily",
        interval="7",
        count="4",
        start_time="15:00",
        end_time="16:00",
    )
    assert response.status_code == 302
    after = {s.id: s for s in series_sessions(weekly_clinic)}
    for old in past:
        assert after[old.id].starts_at.astimezone(SHANGHAI).time() == time(9)
        assert after[old.id].sequence == 0
    future = [s for s in after.values() if s.id not in {old.id for old in past}]
    assert {s.starts_at.astimezone(SHANGHAI).time() for s in future} == {time(15)}


def test_dates_already_past_are_not_created_and_the_preview_says_so(client, weekly_clinic):
    # Eight days back, then yesterday, then six days ahead: none of them today.
    first = local_today() - timedelta(days=8)
    changes = {"first_day": first.isoformat(), "frequency": "daily", "interval": "7", "count": "3"}
    preview = text_of(save_series(client, weekly_clinic, save=None, preview="1", **changes))
    assert "already past: not created" in preview
    assert "Saving will create 1 sessions" in preview
    save_series(client, weekly_clinic, **changes)
    assert all(s.starts_at > datetime.now(UTC) for s in series_sessions(weekly_clinic))
    assert "Dates already past were not created: 2." in text_of(
        client.get(series_url(weekly_clinic))
    )
