"""A resident's own calendar file, /r/<token>.ics: their slot's half-hour, the code and the
manage link, the UID of their entry in the personal feed, reminders from the slot's start."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from icalendar import Calendar

from outreach.database import db
from outreach.events.models import SessionStatus
from tests.factories import local
from tests.feeds import icaljs
from tests.feeds.support import FAR, entries, lines_of
from tests.web import post_form


def file_url(registration) -> str:
    return f"/r/{registration.manage_token}.ics"


def the_entry(response):
    """The one VEVENT of a registration's file, after checking the response and its lines."""
    assert response.status_code == 200, response.get_data(as_text=True)
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    lines_of(response.get_data())
    [entry] = Calendar.from_ical(response.get_data()).walk("VEVENT")
    return entry


@pytest.fixture
def booked(make, place):
    """A morning screening with half-hour slots by department; a family of three in one."""
    event = make.event("医师节专家义诊", summary="带上医保卡。", description="抽血前请空腹。")
    event_session = make.event_session(
        event, place["daxiyang_hall"], day=FAR, start=time(8, 0), hours=4, capacity=None
    )
    slot = make.slot(
        event_session,
        "内科",
        capacity=10,
        starts_at=local(FAR, time(9, 30)),
        ends_at=local(FAR, time(10, 0)),
    )
    registration = make.registration(event_session, 3, slot_id=slot.id, language="en")
    return {"session": event_session, "slot": slot, "registration": registration}


def test_the_file_holds_the_slots_half_hour_the_code_and_the_manage_link(client, booked):
    registration = booked["registration"]
    entry = the_entry(client.get(file_url(registration) + "?lang=en"))
    assert entry.decoded("DTSTART") == local(FAR, time(9, 30))
    assert entry.decoded("DTEND") == local(FAR, time(10, 0))
    assert str(entry["SUMMARY"]) == f"{booked['session'].event.title} · 内科"
    description = str(entry["DESCRIPTION"])
    assert "Time slot: 内科 09:30–10:00" in description
    assert f"Confirmation code: {registration.code}" in description
    assert f"http://localhost/r/{registration.manage_token}" in description
    assert "Confirmed · 3 people" in description
    assert "带上医保卡。" in description and "抽血前请空腹。" in description
    assert str(entry["STATUS"]) == "CONFIRMED"


def test_the_file_answers_in_chinese_by_default(client, booked):
    registration = booked["registration"]
    entry = the_entry(client.get(file_url(registration) + "?lang=zh"))
    assert f"报名码：{registration.code}" in str(entry["DESCRIPTION"])
    assert "时段：内科 09:30–10:00" in str(entry["DESCRIPTION"])


def test_reminders_count_from_the_slots_start(client, booked):
    response = client.get(file_url(booked["registration"]))
    entry = the_entry(response)
    triggers = sorted(alarm.decoded("TRIGGER") for alarm in entry.walk("VALARM"))
    assert triggers == [-timedelta(days=1), -timedelta(hours=2)]
    # Relative to DTSTART, which is the slot's start: 09:30 the day before, and 07:30.
    assert b"TRIGGER:-P1D\r\n" in response.get_data()
    assert entry.decoded("DTSTART") == local(FAR, time(9, 30))


def test_the_file_and_the_personal_feed_share_the_uid_and_the_slot(client, booked):
    registration = booked["registration"]
    entry = the_entry(client.get(file_url(registration)))
    in_feed = entries(client.get(f"/feeds/me/{registration.feed_token}.ics"))
    assert set(in_feed) == {str(entry["UID"])} == {booked["session"].uid}
    fed = in_feed[booked["session"].uid]
    assert fed.decoded("DTSTART") == local(FAR, time(9, 30))
    assert fed.decoded("DTEND") == local(FAR, time(10, 0))
    assert "内科" in str(fed["SUMMARY"])
    # The feed's address is shared with calendar servers: it carries no manage link.
    assert registration.manage_token not in str(fed["DESCRIPTION"])


def test_a_slot_without_times_keeps_the_sessions_window(client, make, booked):
    slot = make.slot(booked["session"], "中医科", capacity=5)
    registration = make.registration(booked["session"], slot_id=slot.id)
    entry = the_entry(client.get(file_url(registration)))
    assert entry.decoded("DTSTART") == booked["session"].starts_at
    assert entry.decoded("DTEND") == booked["session"].ends_at
    assert "中医科" in str(entry["SUMMARY"]) and "中医科" in str(entry["DESCRIPTION"])


def test_without_a_slot_the_file_has_the_sessions_window(client, make, place):
    event_session = make.event_session(venue_=place["nanhu_hall"], day=FAR)
    registration = make.registration(event_session)
    entry = the_entry(client.get(file_url(registration)))
    assert entry.decoded("DTSTART") == event_session.starts_at
    assert entry.decoded("DTEND") == event_session.ends_at


def test_the_file_is_private(client, booked):
    response = client.get(file_url(booked["registration"]))
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Content-Disposition"] == (
        f'attachment; filename="registration-{booked["registration"].code}.ics"'
    )


@pytest.mark.parametrize(
    "token", ["A" * 32, "short", "x" * 65, "..%2F..%2Fetc", "a.b", "ünïcode-token-1234567"]
)
def test_unknown_tokens_are_404(client, booked, token):
    assert client.get(f"/r/{token}.ics").status_code == 404


def test_the_manage_link_comes_from_the_configured_address(app, client, booked):
    app.config["BASE_URL"] = "https://events.example.cn"
    registration = booked["registration"]
    response = client.get(file_url(registration), headers={"Host": "evil.example"})
    description = str(the_entry(response)["DESCRIPTION"])
    assert f"https://events.example.cn/r/{registration.manage_token}" in description
    assert "evil.example" not in response.get_data(as_text=True)


def test_a_cancelled_registration_gives_a_cancelled_entry_with_the_same_uid(client, booked):
    registration = booked["registration"]
    before = the_entry(client.get(file_url(registration) + "?lang=en"))
    client.get(f"/r/{registration.manage_token}")
    assert post_form(client, f"/r/{registration.manage_token}/cancel").status_code == 302
    after = the_entry(client.get(file_url(registration) + "?lang=en"))
    assert str(after["UID"]) == str(before["UID"])
    assert str(after["STATUS"]) == "CANCELLED"
    assert after["SEQUENCE"] == before["SEQUENCE"] + 1
    assert str(after["SUMMARY"]).startswith("[Cancelled] ")
    assert after.walk("VALARM") == []  # no reminder of what is off
    assert after.decoded("LAST-MODIFIED") >= before.decoded("LAST-MODIFIED")


def test_a_cancelled_session_marks_the_file_cancelled(client, booked):
    booked["session"].status = SessionStatus.CANCELLED
    db.session.commit()
    entry = the_entry(client.get(file_url(booked["registration"])))
    assert str(entry["STATUS"]) == "CANCELLED"


def test_an_erased_registration_has_no_file(client, booked):
    registration = booked["registration"]
    registration.purged_at = datetime.now(UTC)
    db.session.commit()
    assert client.get(file_url(registration)).status_code == 404


def test_the_manage_page_adds_the_registrations_own_file(client, booked):
    registration = booked["registration"]
    page = client.get(f"/r/{registration.manage_token}?lang=en").get_data(as_text=True)
    assert f'href="/r/{registration.manage_token}.ics">Add to my calendar</a>' in page
    assert f"/sessions/{booked['session'].id}.ics" not in page


def test_ical_js_reads_the_file_as_icalendar_does(client, booked):
    node = icaljs.node_or_skip()
    response = client.get(file_url(booked["registration"]) + "?lang=en")
    entry = the_entry(response)
    [seen] = icaljs.parse(node, response.get_data())["events"]
    assert seen["uid"] == str(entry["UID"])
    assert seen["start"] == "2030-05-01T01:30:00Z"  # 09:30 in Beijing
    assert seen["end"] == "2030-05-01T02:00:00Z"
    assert seen["summary"] == str(entry["SUMMARY"])
    assert seen["description"] == str(entry["DESCRIPTION"])


def test_a_waitlisted_file_has_no_code_to_show_yet(client, make, place):
    event_session = make.event_session(venue_=place["nanhu_hall"], day=FAR, capacity=1)
    make.registration(event_session)
    waitlisted = make.registration(event_session)
    entry = the_entry(client.get(file_url(waitlisted) + "?lang=en"))
    description = str(entry["DESCRIPTION"])
    assert str(entry["SUMMARY"]).startswith("[Waitlist] ")
    assert "Confirmation code" not in description and waitlisted.code not in description
    assert f"/r/{waitlisted.manage_token}" in description


def test_the_residents_own_entry_leaves_out_the_places_left(client, make, place):
    # Imported once, a count of places left would stay frozen in the calendar; the public
    # feeds, read again and again, keep it.
    event_session = make.event_session(venue_=place["nanhu_hall"], day=FAR, capacity=40)
    registration = make.registration(event_session, 3)
    for address in (file_url(registration), f"/feeds/me/{registration.feed_token}.ics"):
        for lang in ("zh", "en"):
            description = str(
                entries(client.get(f"{address}?lang={lang}"))[event_session.uid]["DESCRIPTION"]
            )
            assert "名额" not in description and "places left" not in description, address
    public = client.get("/feeds/all.ics?lang=en")
    assert "37 places left" in str(entries(public)[event_session.uid]["DESCRIPTION"])


def test_only_a_confirmed_registration_gets_reminders(client, make, place):
    # A waitlisted family must not be called to a session they may not have a place in.
    event_session = make.event_session(venue_=place["nanhu_hall"], day=FAR, capacity=1)
    confirmed = make.registration(event_session)
    waitlisted = make.registration(event_session)
    assert the_entry(client.get(file_url(confirmed))).walk("VALARM")
    response = client.get(file_url(waitlisted))
    assert the_entry(response).walk("VALARM") == []
    assert b"BEGIN:VALARM" not in response.get_data()


def test_an_english_file_uses_the_english_texts(client, booked):
    event, slot = booked["session"].event, booked["slot"]
    event.title_en, event.description_en, slot.label_en = "Screening", "Fast first.", "Medicine"
    db.session.commit()
    entry = the_entry(client.get(file_url(booked["registration"]) + "?lang=en"))
    assert str(entry["SUMMARY"]) == "Screening · Medicine"
    assert "Fast first." in str(entry["DESCRIPTION"])
    assert "Time slot: Medicine 09:30–10:00" in str(entry["DESCRIPTION"])
