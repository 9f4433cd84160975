"""Adding sessions to an event: rows of dates and times, and a campaign across venues."""

from __future__ import annotations

from datetime import UTC, date, time, timedelta

import pytest
from sqlalchemy import select

from outreach.database import db
from outreach.events.models import EventSession
from tests.factories import local
from tests.staff.support import (
    BAD_ROWS,
    TOMORROW,
    audit_entries,
    count,
    local_date_of,
    row,
    rows,
    text_of,
)
from tests.web import post_form


def test_rows_add_one_session_each_in_beijing_time(client, org, place, login_as):
    login_as(org["organiser"])
    day2, day3 = TOMORROW + timedelta(days=1), TOMORROW + timedelta(days=2)
    data = rows(
        row(place["xuante"], capacity="30"),
        {},
        row(place["chenguang"], day2, "13:30", "16:00"),
        row(place["daxiyang"], day3, start="", end="", all_day=True, capacity="0"),
    )
    event_id = org["event"].id
    response = post_form(client, f"/staff/events/{event_id}/sessions", data)
    assert response.status_code == 302
    assert response.headers["Location"] == f"/staff/events/{event_id}/sessions"
    created = list(
        db.session.scalars(
            select(EventSession)
            .where(EventSession.venue_id.in_([v.id for v in place.values()]))
            .order_by(EventSession.starts_at)
        )
    )
    assert [s.venue_id for s in created] == [
        place["xuante"].id,
        place["chenguang"].id,
        place["daxiyang"].id,
    ]
    first, second, third = created
    assert first.starts_at == local(TOMORROW, time(9, 0))
    assert first.starts_at.astimezone(UTC).hour == 1  # 09:00 in Beijing is 01:00 UTC
    assert (first.ends_at, first.capacity) == (local(TOMORROW, time(11, 30)), 30)
    assert second.starts_at == local(day2, time(13, 30)) and second.capacity is None
    assert third.all_day and third.capacity == 0
    assert (third.starts_at, third.ends_at) == (
        local(day3, time(0, 0)),
        local(day3 + timedelta(days=1), time(0, 0)),
    )
    assert len({s.uid for s in created}) == 3
    entries = audit_entries("create")
    assert [entry.target_id for entry in entries] == [s.id for s in created]
    assert entries[0].changes["capacity"] == {"before": None, "after": 30}


def test_full_width_digits_and_colons_are_understood(client, org, place, login_as):
    login_as(org["organiser"])
    day = TOMORROW.isoformat().replace("-", "－")
    data = rows(
        {"day": day, "start": "０９：００", "end": "１１：００", "venue": place["xuante"].id}
    )
    response = post_form(client, f"/staff/events/{org['event'].id}/sessions", data)
    assert response.status_code == 302
    assert count(EventSession) == 3


@pytest.mark.parametrize(("bad", "message"), BAD_ROWS)
def test_a_bad_row_is_named_and_nothing_is_added(english, org, place, login_as, bad, message):
    login_as(org["organiser"])
    good = row(place["xuante"])
    data = rows(good, {**row(place["chenguang"]), **bad})
    response = post_form(english, f"/staff/events/{org['event'].id}/sessions", data)
    assert response.status_code == 200
    text = text_of(response)
    assert "Row 2: " + message.split("”")[0] in text.replace("&#34;", '"')
    assert message in text
    assert count(EventSession) == 2  # not even the good row was added
    assert f'value="{good["day"]}"' in text  # what was typed is kept


def test_a_partly_filled_row_is_an_error_naming_the_row(english, org, place, login_as):
    login_as(org["organiser"])
    data = rows(row(place["xuante"]), {}, {"day": TOMORROW.isoformat()})
    response = post_form(english, f"/staff/events/{org['event'].id}/sessions", data)
    text = text_of(response)
    assert "Row 3: Please choose a venue." in text
    assert "Row 3: Please enter the start time." in text
    assert "Row 2" not in text.split("Please correct these rows:")[1].split("</ul>")[0]
    assert count(EventSession) == 2


@pytest.mark.parametrize("partial", [{"capacity": "10"}, {"all_day": True}, {"end": "10:00"}])
def test_any_single_value_makes_a_row_count(english, org, login_as, partial):
    login_as(org["organiser"])
    response = post_form(english, f"/staff/events/{org['event'].id}/sessions", rows(partial))
    assert "Row 1: Please enter the date." in text_of(response)
    assert count(EventSession) == 2


def test_no_rows_filled_is_an_error(english, org, login_as):
    login_as(org["organiser"])
    response = post_form(english, f"/staff/events/{org['event'].id}/sessions", rows())
    assert response.status_code == 200
    assert "Please fill in at least one row." in text_of(response)


def test_row_error_in_chinese(client, org, place, login_as):
    login_as(org["organiser"])
    data = rows(row(place["xuante"], start="11:00", end="09:00"))
    response = post_form(client, f"/staff/events/{org['event'].id}/sessions", data)
    assert "第1行：结束时间须晚于开始时间。" in text_of(response)


def test_more_rows_can_be_asked_for(client, org, login_as):
    login_as(org["organiser"])
    text = text_of(client.get(f"/staff/events/{org['event'].id}/sessions?rows=12"))
    assert 'name="rows-11-day"' in text and 'name="rows-12-day"' not in text
    text = text_of(client.get(f"/staff/events/{org['event'].id}/sessions?rows=99999"))
    assert 'name="rows-59-day"' in text and 'name="rows-60-day"' not in text


def test_rows_beyond_the_limit_are_ignored(client, org, place, login_as):
    login_as(org["organiser"])
    data = rows(*[row(place["xuante"], TOMORROW + timedelta(days=n)) for n in range(61)])
    response = post_form(client, f"/staff/events/{org['event'].id}/sessions", data)
    assert response.status_code == 302
    assert count(EventSession) == 2 + 60


def test_venue_list_groups_venues_by_township_and_community(english, org, place, login_as):
    login_as(org["organiser"])
    text = text_of(english.get(f"/staff/events/{org['event'].id}/sessions"))
    assert 'label="六里屯街道 › 晨光社区"' in text
    assert 'label="望京街道 › 大西洋新城社区"' in text
    assert 'label="望京街道 › no community"' in text
    assert text.index("望京街道 › 大西洋新城社区") < text.index("望京街道 › no community")


def test_campaign_adds_a_session_per_venue_and_date(client, org, place, login_as):
    login_as(org["organiser"])
    day2 = TOMORROW + timedelta(days=1)
    data = {
        "venues": [place["xuante"].id, place["school"].id],
        "dates": f"{TOMORROW.isoformat()}, {day2.isoformat()}\n{TOMORROW.isoformat()}",
        "start": "09:00",
        "end": "11:00",
        "capacity": "",
    }
    url = f"/staff/events/{org['event'].id}/sessions/campaign"
    assert post_form(client, url, data).status_code == 302
    created = db.session.scalars(
        select(EventSession).where(EventSession.id > org["second"].id)
    ).all()
    pairs = sorted((local_date_of(s), s.venue_id) for s in created)
    expected = [(d, v.id) for d in (TOMORROW, day2) for v in (place["xuante"], place["school"])]
    assert pairs == sorted(expected)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"venues": []}, "Please choose at least one venue."),
        ({"venues": ["999999"]}, "Please choose venues from the list."),
        ({"dates": ""}, "Please enter at least one date."),
        ({"dates": "2026-08-15, tomorrow"}, "“tomorrow” is not a date"),
        ({"end": "08:00"}, "The end time must be after the start time."),
        ({"capacity": "-1"}, "The capacity must be a whole number from 0 to 100000"),
    ],
)
def test_campaign_form_explains_what_is_wrong(english, org, place, login_as, changes, message):
    login_as(org["organiser"])
    data = {
        "venues": [place["xuante"].id],
        "dates": "2026-08-15",
        "start": "09:00",
        "end": "11:00",
        **changes,
    }
    url = f"/staff/events/{org['event'].id}/sessions/campaign"
    response = post_form(english, url, data)
    assert response.status_code == 200
    assert message in text_of(response)
    assert count(EventSession) == 2


def test_campaign_refuses_too_many_sessions_at_once(english, org, place, login_as):
    login_as(org["organiser"])
    dates = "\n".join((date(2030, 1, 1) + timedelta(days=n)).isoformat() for n in range(60))
    data = {"venues": [v.id for v in place.values()], "dates": dates, "all_day": "y"}
    url = f"/staff/events/{org['event'].id}/sessions/campaign"
    response = post_form(english, url, data)
    assert "That makes 240 sessions; please add at most 200 at once." in text_of(response)
    assert count(EventSession) == 2


def test_sessions_page_query_count_does_not_grow_with_sessions(
    client, org, place, make, login_as, count_queries
):
    login_as(org["organiser"])
    url = f"/staff/events/{org['event'].id}/sessions"
    client.get(url)
    with count_queries() as few:
        client.get(url)
    for venue in place.values():
        make.event_session(org["event"], venue)
    with count_queries() as many:
        client.get(url)
    assert len(many) == len(few)
