"""Repeat rules through the staff pages: preview, save, regenerate, remove, permissions."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

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
from tests.web import csrf_token, post_form


def page_text(response) -> str:
    return response.get_data(as_text=True)


def next_monday() -> date:
    """The first Monday after today (1 to 7 days ahead), in Beijing."""
    today = local_today()
    return today + timedelta(days=7 - today.weekday())


def english_day(day: date) -> str:
    """A date as the staff pages write it in English."""
    return format_date(day, "EEEE d MMMM y", locale="en")


def beijing(day: date, at: time) -> datetime:
    return datetime.combine(day, at, tzinfo=SHANGHAI).astimezone(UTC)


@pytest.fixture
def world(make, login_as):
    """An organiser of a health centre, signed in, with a published event and two venues."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    organiser = make.staff("organiser", organisation=centre, role="organiser")
    event = make.event("每周义诊", organisation=centre)
    township = make.township("六里屯街道")
    first = make.venue(make.community(township, "炫特社区"), "炫特社区服务站")
    second = make.venue(make.community(township, "晨光社区"), "晨光社区服务站")
    login_as(organiser)
    return {"event": event, "venue": first, "other_venue": second, "organiser": organiser}


def form(world, **changes) -> dict:
    """A weekly Monday morning rule, four times from next Monday, with changes."""
    data = {
        "first_day": next_monday().isoformat(),
        "frequency": "weekly",
        "interval": "1",
        "weekdays": ["0"],
        "monthly_by": "day",
        "month_day": "",
        "ordinal": "1",
        "weekday": "0",
        "start_time": "09:00",
        "end_time": "11:00",
        "venue_id": str(world["venue"].id),
        "capacity": "20",
        "ends": "count",
        "count": "4",
        "until": "",
        "exdates": "",
        "save": "1",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def url(world, suffix: str = "") -> str:
    return f"/staff/events/{world['event'].id}/series{suffix}?lang=en"


def save(client, world, **changes):
    return post_form(client, url(world), form(world, **changes))


def series_sessions(world) -> list[EventSession]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            select(EventSession)
            .where(EventSession.event_id == world["event"].id)
            .order_by(EventSession.starts_at)
        )
    )


def local_day(event_session) -> date:
    return event_session.starts_at.astimezone(SHANGHAI).date()


def mondays(count: int, start: date | None = None) -> list[date]:
    first = start or next_monday()
    return [first + timedelta(weeks=n) for n in range(count)]


# ---------------------------------------------------------------------------------------------
# Preview and save


def test_empty_form_starts_from_a_weekly_rule(client, world):
    response = client.get(url(world))
    text = page_text(response)
    assert response.status_code == 200
    assert "Repeat rule" in text
    assert 'name="first_day"' in text and 'name="exdates"' in text
    assert "炫特社区服务站" in text and "炫特社区" in text and "六里屯街道" in text


def test_preview_lists_the_dates_and_saves_nothing(client, world):
    response = save(client, world, save=None, preview="1")
    text = page_text(response)
    assert response.status_code == 200
    assert "Preview: 4 dates" in text
    for day in mondays(4):
        assert english_day(day) in text
    assert "09:00–11:00" in text
    assert "Saving will create 4 sessions" in text
    assert series_sessions(world) == []
    assert db.session.scalar(select(EventSeries)) is None
    assert db.session.scalar(select(AuditEntry).where(AuditEntry.action == "series")) is None


def test_preview_in_chinese_writes_dates_the_chinese_way(client, world):
    response = post_form(
        client,
        url(world).replace("lang=en", "lang=zh"),
        form(world, save=None, preview="1", count="1"),
    )
    day = next_monday()
    assert f"{day.year}年{day.month}月{day.day}日 星期一" in page_text(response)


def test_save_creates_a_session_per_date_visible_on_the_public_page(client, world):
    response = save(client, world)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/events/{world['event'].id}/series"
    sessions = series_sessions(world)
    assert [s.starts_at for s in sessions] == [beijing(day, time(9)) for day in mondays(4)]
    saved = db.session.scalar(select(EventSeries))
    assert saved.rule == "FREQ=WEEKLY;BYDAY=MO;COUNT=4"
    assert all(s.series_id == saved.id and s.capacity == 20 and s.sequence == 0 for s in sessions)
    assert len({s.uid for s in sessions}) == 4
    after = page_text(client.get(url(world)))
    assert "Sessions created: 4, updated: 0, removed: 0, kept as they were: 0." in after
    public = page_text(client.get(f"/events/{world['event'].id}?lang=en"))
    assert "4 sessions" in public
    assert all(english_day(day) in public for day in mondays(4))


def test_saved_rule_is_shown_again_for_editing(client, world):
    save(client, world, weekdays=["0", "3"], count="6", exdates=mondays(2)[1].isoformat())
    text = page_text(client.get(url(world)))
    assert 'checked id="weekdays-0"' in text and 'checked id="weekdays-3"' in text
    assert 'value="6"' in text
    assert mondays(2)[1].isoformat() in text


def test_save_writes_an_audit_entry_with_the_rule_and_the_counts(client, world):
    save(client, world)
    save(client, world, count="5")
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
    assert second.actor_id == world["organiser"].id
    assert second.target_id == world["event"].id
    assert second.organisation_id == world["event"].organisation_id


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
def test_rules_save_the_dates_they_preview(client, world, changes, expected):
    first = next_monday()
    if changes.get("until") == "LAST":
        changes["until"] = (first + timedelta(weeks=2)).isoformat()
    assert save(client, world, **changes).status_code == 302
    days = [s.starts_at.astimezone(SHANGHAI).date() for s in series_sessions(world)]
    assert days == expected(first)


def test_monthly_last_friday_through_the_form(client, world):
    response = save(
        client,
        world,
        frequency="monthly",
        monthly_by="weekday",
        ordinal="-1",
        weekday="4",
        count="3",
    )
    assert response.status_code == 302
    days = [s.starts_at.astimezone(SHANGHAI).date() for s in series_sessions(world)]
    assert len(days) == 3
    for day in days:
        assert day.weekday() == 4 and (day + timedelta(days=7)).month != day.month


def test_all_day_series_runs_from_midnight_to_midnight(client, world):
    response = save(client, world, all_day="y", start_time="", end_time="", count="2")
    assert response.status_code == 302
    sessions = series_sessions(world)
    assert [(s.starts_at, s.ends_at, s.all_day) for s in sessions] == [
        (beijing(day, time.min), beijing(day + timedelta(days=1), time.min), True)
        for day in mondays(2)
    ]
    assert "All day" in page_text(client.get(f"/events/{world['event'].id}?lang=en"))


def test_unlimited_capacity_when_places_are_left_empty(client, world):
    save(client, world, capacity="")
    assert {s.capacity for s in series_sessions(world)} == {None}


# ---------------------------------------------------------------------------------------------
# Editing the rule regenerates future sessions


def test_adding_an_exception_date_removes_only_that_session(client, world):
    save(client, world)
    before = {s.starts_at: (s.id, s.uid) for s in series_sessions(world)}
    skipped = mondays(4)[1]
    response = save(client, world, exdates=skipped.isoformat())
    assert response.status_code == 302
    after = series_sessions(world)
    assert [s.starts_at for s in after] == [
        beijing(day, time(9)) for day in mondays(4) if day != skipped
    ]
    assert all(before[s.starts_at] == (s.id, s.uid) and s.sequence == 0 for s in after)
    text = page_text(client.get(url(world)))
    assert "Sessions created: 0, updated: 0, removed: 1, kept as they were: 0." in text


def test_sessions_with_registrations_are_never_moved_or_deleted(client, world, make):
    save(client, world)
    booked, moved = series_sessions(world)[1], series_sessions(world)[2]
    registration = make.registration(booked)
    make.registration(moved)
    # Drop the booked date and move every session to 10:00: neither booked one may change.
    response = save(client, world, exdates=local_day(booked).isoformat(), start_time="10:00")
    assert response.status_code == 302
    by_id = {s.id: s for s in series_sessions(world)}
    assert by_id[booked.id].starts_at == booked.starts_at
    assert by_id[moved.id].starts_at == moved.starts_at
    assert "residents have registered" in page_text(client.get(url(world)))
    assert client.get(f"/r/{registration.manage_token}").status_code == 200
    post_form(client, url(world, "/delete"))
    assert {s.id for s in series_sessions(world)} >= {booked.id, moved.id}


def test_removing_the_exception_date_brings_the_date_back(client, world):
    skipped = mondays(4)[1]
    save(client, world, exdates=skipped.isoformat())
    save(client, world, exdates="")
    days = [s.starts_at.astimezone(SHANGHAI).date() for s in series_sessions(world)]
    assert days == mondays(4)


def test_changing_the_weekday_replaces_the_sessions(client, world):
    save(client, world)
    old_ids = {s.id for s in series_sessions(world)}
    save(client, world, weekdays=["2"])
    after = series_sessions(world)
    assert [s.starts_at.astimezone(SHANGHAI).date() for s in after] == [
        day + timedelta(days=2) for day in mondays(4)
    ]
    assert not old_ids & {s.id for s in after}
    text = page_text(client.get(url(world)))
    assert "Sessions created: 4, updated: 0, removed: 4, kept as they were: 0." in text


def test_changing_time_place_and_places_updates_sessions_in_place(client, world):
    save(client, world)
    before = {s.id: s.uid for s in series_sessions(world)}
    save(client, world, start_time="10:00", end_time="12:00")
    save(
        client,
        world,
        start_time="10:30",
        end_time="12:00",
        venue_id=str(world["other_venue"].id),
        capacity="30",
    )
    after = series_sessions(world)
    assert {s.id: s.uid for s in after} == before
    assert [s.starts_at for s in after] == [beijing(day, time(10, 30)) for day in mondays(4)]
    assert {(s.venue_id, s.capacity, s.sequence) for s in after} == {
        (world["other_venue"].id, 30, 2)
    }
    text = page_text(client.get(url(world)))
    assert "Sessions created: 0, updated: 4, removed: 0, kept as they were: 0." in text


def test_saving_the_same_rule_again_changes_nothing(client, world):
    save(client, world)
    save(client, world)
    assert {s.sequence for s in series_sessions(world)} == {0}
    trail = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "series")).all()
    assert len(trail) == 1
    text = page_text(client.get(url(world)))
    assert "Sessions created: 0, updated: 0, removed: 0, kept as they were: 0." in text


def test_a_session_rescheduled_on_its_own_is_kept_and_reported(client, world):
    save(client, world)
    moved = series_sessions(world)[1]
    moved.starts_at += timedelta(hours=5)
    moved.ends_at += timedelta(hours=5)
    moved.touch()
    db.session.commit()
    moved_id, moved_start = moved.id, moved.starts_at
    save(client, world, start_time="10:00", end_time="12:00")
    after = {s.id: s for s in series_sessions(world)}
    assert after[moved_id].starts_at == moved_start
    assert after[moved_id].sequence == 1
    assert after[moved_id].series_id is not None
    others = [s for s in after.values() if s.id != moved_id]
    assert len(others) == 3 and all(s.starts_at.astimezone(SHANGHAI).hour == 10 for s in others)
    text = page_text(client.get(url(world)))
    assert "updated: 3, removed: 0, kept as they were: 1." in text
    moved_day = format_date(mondays(2)[1], "EEEE d MMMM", locale="en")
    assert f"Kept because staff changed them: {moved_day} 14:00–16:00 (changed on its own)" in text


def test_a_moved_date_is_not_made_again_nor_deleted_when_the_rule_drops_it(client, world):
    save(client, world)
    moved = series_sessions(world)[1]
    moved.starts_at += timedelta(days=1)
    moved.ends_at += timedelta(days=1)
    moved.touch()
    db.session.commit()
    save(client, world, count="5")  # the moved Monday must not come back as a second session
    assert len(series_sessions(world)) == 5
    save(client, world, weekdays=["4"])  # Mondays dropped: the moved session stays
    assert moved.id in {s.id for s in series_sessions(world)}


def test_a_cancelled_session_is_kept_cancelled(client, world):
    save(client, world)
    cancelled = series_sessions(world)[2]
    cancelled.status = SessionStatus.CANCELLED
    cancelled.cancellation_reason = "场地维修"
    cancelled.touch()
    db.session.commit()
    save(client, world, weekdays=["1"])
    kept = db.session.get(EventSession, cancelled.id)
    assert kept is not None and kept.status == SessionStatus.CANCELLED
    text = page_text(client.get(url(world)))
    assert "kept as they were: 1." in text and "(cancelled)" in text


def test_past_sessions_are_never_touched(client, world):
    event = world["event"]
    # No date falls on today, so the outcome does not depend on the time of day.
    first = local_today() - timedelta(days=15)
    plan = series.SeriesPlan(
        rule=Rule(Frequency.DAILY, interval=7, count=4),
        first_day=first,
        start_time=time(9),
        end_time=time(11),
        all_day=False,
        venue_id=world["venue"].id,
        capacity=20,
    )
    # Saved three weeks ago: all four dates were in the future then.
    series.save_series(event, plan, world["organiser"], now=beijing(first, time(0)))
    db.session.commit()
    past = [
        s for s in series_sessions(world) if s.starts_at.astimezone(SHANGHAI).date() < local_today()
    ]
    assert len(past) == 3
    response = save(
        client,
        world,
        first_day=first.isoformat(),
        frequency="daily",
        interval="7",
        count="4",
        start_time="15:00",
        end_time="16:00",
    )
    assert response.status_code == 302
    after = {s.id: s for s in series_sessions(world)}
    for old in past:
        assert after[old.id].starts_at.astimezone(SHANGHAI).time() == time(9)
        assert after[old.id].sequence == 0
    future = [s for s in after.values() if s.id not in {old.id for old in past}]
    assert {s.starts_at.astimezone(SHANGHAI).time() for s in future} == {time(15)}


def test_dates_already_past_are_not_created_and_the_preview_says_so(client, world):
    # Eight days back, then yesterday, then six days ahead: none of them today.
    first = local_today() - timedelta(days=8)
    changes = {"first_day": first.isoformat(), "frequency": "daily", "interval": "7", "count": "3"}
    preview = page_text(save(client, world, save=None, preview="1", **changes))
    assert "already past: not created" in preview
    assert "Saving will create 1 sessions" in preview
    save(client, world, **changes)
    assert all(s.starts_at > datetime.now(UTC) for s in series_sessions(world))
    assert "Dates already past were not created: 2." in page_text(client.get(url(world)))


# ---------------------------------------------------------------------------------------------
# Removing the rule


def test_removing_the_rule_deletes_unchanged_sessions_and_detaches_the_rest(client, world):
    save(client, world)
    moved = series_sessions(world)[0]
    moved.capacity = 5
    moved.touch()
    db.session.commit()
    response = post_form(client, url(world, "/delete"))
    assert response.status_code == 302
    remaining = series_sessions(world)
    assert [(s.id, s.series_id, s.capacity) for s in remaining] == [(moved.id, None, 5)]
    assert db.session.scalar(select(EventSeries)) is None
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "series").order_by(AuditEntry.id.desc())
    ).first()
    assert entry.changes["rule"]["after"] is None
    assert entry.changes["sessions_removed"]["after"] == 3
    text = page_text(client.get(url(world)))
    assert "Upcoming sessions deleted: 3; kept because staff changed them: 1." in text


def test_removing_when_there_is_no_rule_says_so(client, world):
    response = post_form(client, url(world, "/delete"))
    assert response.status_code == 302
    assert "This event has no repeat rule." in page_text(client.get(url(world)))


def test_remove_refuses_a_get(client, world):
    assert client.get(url(world, "/delete")).status_code == 405


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
def test_bad_input_is_explained_and_nothing_is_saved(client, world, changes, message):
    first = next_monday()
    if changes.get("until") == "FAR":
        changes["until"] = (first + timedelta(days=600)).isoformat()
    if changes.get("until") == "TOO_LATE":
        changes["until"] = (first + timedelta(days=800)).isoformat()
    response = save(client, world, **changes)
    assert response.status_code == 200
    assert message in page_text(response)
    assert series_sessions(world) == []
    assert db.session.scalar(select(EventSeries)) is None


def test_what_was_typed_is_shown_again_after_an_error(client, world):
    response = save(client, world, count="abc", exdates="2026-05-01\n2026-05-08")
    text = page_text(response)
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
def test_garbage_in_any_field_never_breaks_the_page(client, world, field):
    token = csrf_token(client)
    for value in GARBAGE:
        for submit in ("save", "preview"):
            data = form(world, **{field: value})
            data.pop("save")
            data.update({submit: "1", "csrf_token": token})
            response = client.post(url(world), data=data)
            assert response.status_code in (200, 302), (field, value, submit)


def test_garbage_everywhere_at_once(client, world):
    data = {name: "<b>¿?</b>" for name in FIELDS}
    response = post_form(client, url(world), {**data, "save": "1"})
    assert response.status_code == 200
    assert "<b>¿?</b>" not in page_text(response)
    assert series_sessions(world) == []


def test_a_post_without_csrf_token_is_refused(client, world):
    response = client.post(url(world), data=form(world))
    assert response.status_code == 400
    assert series_sessions(world) == []


# ---------------------------------------------------------------------------------------------
# Who may


@pytest.mark.parametrize("suffix", ["", "/delete"])
def test_organiser_of_another_organisation_is_refused(client, make, world, login_as, suffix):
    save(client, world)
    post_form(client, "/staff/logout")
    outsider = make.staff(organisation=make.organisation(), role="organiser")
    login_as(outsider)
    if not suffix:
        assert client.get(url(world)).status_code == 403
    response = post_form(client, url(world, suffix), form(world, count="9"))
    assert response.status_code == 403
    assert len(series_sessions(world)) == 4


@pytest.mark.parametrize(("role", "status"), [("checker", 403), ("manager", 200)])
def test_roles_of_the_same_organisation(client, make, world, login_as, role, status):
    post_form(client, "/staff/logout")
    login_as(make.staff(organisation=world["event"].organisation, role=role))
    assert client.get(url(world)).status_code == status


def test_administrator_may_edit_any_series(client, make, world, login_as):
    login_as(make.staff(is_admin=True))
    assert save(client, world).status_code == 302


def test_anonymous_is_sent_to_sign_in(client, make):
    event = make.event()
    response = client.get(f"/staff/events/{event.id}/series")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")
    assert client.post(f"/staff/events/{event.id}/series/delete").status_code in (302, 400)


@pytest.mark.parametrize("event_id", ["999999", "99999999999", "abc", "-1"])
def test_unknown_event_is_not_found(client, world, event_id):
    assert client.get(f"/staff/events/{event_id}/series").status_code == 404
    assert post_form(client, f"/staff/events/{event_id}/series", form(world)).status_code == 404
