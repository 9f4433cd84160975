"""A resident's personal feed: their registrations, reminders, and the link reset."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from outreach.database import db
from outreach.events.models import SessionStatus
from outreach.feeds.views import feed_url
from outreach.registrations.models import Registration, RegistrationStatus
from tests.feeds.support import TODAY, calendar_of, entries, uids
from tests.web import post_form

PHONE = "13912345678"


def personal_url(registration: Registration, lang: str = "en") -> str:
    return f"/feeds/me/{registration.feed_token}.ics?lang={lang}"


def fresh(registration: Registration) -> Registration:
    db.session.expire_all()
    return db.session.get(Registration, registration.id)


@pytest.fixture
def resident(make, place):
    """A resident with a confirmed and a waitlisted registration; a neighbour with their own."""
    halls = place["daxiyang_hall"], place["xuante_hall"]
    confirmed = make.registration(make.event_session(venue_=halls[0], capacity=10), 2, phone=PHONE)
    full = make.event_session(venue_=halls[1], capacity=1, day=TODAY + timedelta(days=2))
    neighbour = make.registration(full, phone="13700000000")
    waitlisted = make.registration(full, phone=PHONE)
    # The resident's two registrations share one feed (one calendar subscription).
    waitlisted.feed_token = confirmed.feed_token
    db.session.commit()
    other = make.registration(make.event_session(venue_=halls[0]), phone="13600000000")
    return {
        "confirmed": confirmed,
        "waitlisted": waitlisted,
        "neighbour": neighbour,
        "other": other,
    }


def test_personal_feed_holds_the_residents_active_registrations(client, resident):
    confirmed, waitlisted = resident["confirmed"], resident["waitlisted"]
    assert waitlisted.status == RegistrationStatus.WAITLISTED
    for registration in (confirmed, waitlisted):
        response = client.get(personal_url(registration))
        calendar = calendar_of(response)
        assert calendar["X-WR-CALNAME"] == "My registrations"
        found = entries(response)
        assert set(found) == {confirmed.event_session.uid, waitlisted.event_session.uid}
    title = waitlisted.event_session.event.title
    assert found[waitlisted.event_session.uid]["SUMMARY"] == f"[Waitlist] {title}"
    assert "On the waitlist · 1 person" in found[waitlisted.event_session.uid]["DESCRIPTION"]
    entry = found[confirmed.event_session.uid]
    assert entry["SUMMARY"] == confirmed.event_session.event.title
    assert "Confirmed · 2 people" in entry["DESCRIPTION"]


def test_personal_feed_reminds_of_confirmed_places_two_hours_before(client, resident):
    response = client.get(personal_url(resident["confirmed"]))
    found = entries(response)
    [alarm] = found[resident["confirmed"].event_session.uid].walk("VALARM")
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == -timedelta(hours=2)
    assert b"TRIGGER:-PT2H\r\n" in response.get_data()
    # As in the registration's own file: no reminder of a place they may not get.
    assert found[resident["waitlisted"].event_session.uid].walk("VALARM") == []


def test_personal_reminder_follows_the_setting(app, client, resident):
    app.config["FEED_REMINDER_MINUTES"] = 30
    response = client.get(personal_url(resident["confirmed"]))
    assert b"TRIGGER:-PT30M\r\n" in response.get_data()


def test_personal_feed_in_chinese_by_default(client, resident):
    response = client.get(personal_url(resident["waitlisted"], lang=""))
    entry = entries(response)[resident["waitlisted"].event_session.uid]
    assert str(entry["SUMMARY"]).endswith(resident["waitlisted"].event_session.event.title)
    assert "候补" in str(entry["DESCRIPTION"])  # "On the waitlist" is already translated


def test_a_cancelled_registration_drops_out_of_the_personal_feed(client, resident):
    confirmed, waitlisted = resident["confirmed"], resident["waitlisted"]
    before = client.get(personal_url(waitlisted))
    response = post_form(client, f"/r/{confirmed.manage_token}/cancel")
    assert response.status_code == 302
    assert fresh(confirmed).status == RegistrationStatus.CANCELLED
    for registration in (confirmed, waitlisted):  # the cancelled one's link still works
        after = client.get(personal_url(registration))
        assert uids(after) == {waitlisted.event_session.uid}
    assert after.headers["ETag"] != before.headers["ETag"]


def test_a_resident_moved_up_from_the_waitlist_loses_the_prefix(client, resident):
    waitlisted = resident["waitlisted"]
    assert post_form(client, f"/r/{resident['neighbour'].manage_token}/cancel").status_code == 302
    assert fresh(waitlisted).status == RegistrationStatus.CONFIRMED
    entry = entries(client.get(personal_url(waitlisted)))[waitlisted.event_session.uid]
    assert entry["SUMMARY"] == waitlisted.event_session.event.title


def test_a_cancelled_session_stays_in_the_personal_feed_marked(client, resident):
    event_session = resident["confirmed"].event_session
    event_session.status = SessionStatus.CANCELLED
    event_session.touch()
    db.session.commit()
    entry = entries(client.get(personal_url(resident["confirmed"])))[event_session.uid]
    assert entry["STATUS"] == "CANCELLED"
    assert str(entry["SUMMARY"]).startswith("[Cancelled] ")


def test_neighbours_see_only_their_own_registrations(client, resident):
    neighbour = resident["neighbour"]
    assert uids(client.get(personal_url(neighbour))) == {neighbour.event_session.uid}
    other = resident["other"]
    assert uids(client.get(personal_url(other))) == {other.event_session.uid}


def test_erased_registrations_leave_the_personal_feed(client, resident):
    confirmed, neighbour = resident["confirmed"], resident["neighbour"]
    for erased in (confirmed, neighbour):
        erased.purged_at = datetime.now(UTC)
        erased.phone = f"purged-{erased.id}"
    db.session.commit()
    # The resident's feed keeps the registration that was not erased...
    assert uids(client.get(personal_url(resident["waitlisted"]))) == {
        resident["waitlisted"].event_session.uid
    }
    # ...and a feed whose only registration was erased is gone.
    assert client.get(personal_url(neighbour)).status_code == 404


def test_a_stranger_using_the_same_phone_sees_only_their_own_registration(client, make, resident):
    stranger = make.registration(make.event_session(capacity=5), phone=PHONE)
    assert uids(client.get(personal_url(stranger))) == {stranger.event_session.uid}


def test_resetting_the_link_retires_every_old_link_of_that_phone(client, resident):
    confirmed, waitlisted = resident["confirmed"], resident["waitlisted"]
    old = {personal_url(confirmed), personal_url(waitlisted)}
    neighbour_url = personal_url(resident["neighbour"])
    response = post_form(client, f"/r/{waitlisted.manage_token}/feed/reset")
    assert response.status_code == 302
    assert response.headers["Location"] == f"/r/{waitlisted.manage_token}"
    for url in old:
        assert client.get(url).status_code == 404
    new = {personal_url(fresh(confirmed)), personal_url(fresh(waitlisted))}
    assert not new & old
    for url in new:
        assert len(uids(client.get(url))) == 2
    assert client.get(neighbour_url).status_code == 200


def test_resetting_needs_the_form_token_and_a_real_manage_link(client, resident):
    confirmed = resident["confirmed"]
    token = confirmed.feed_token
    assert client.post(f"/r/{confirmed.manage_token}/feed/reset").status_code == 400
    assert client.get(f"/r/{confirmed.manage_token}/feed/reset").status_code == 405
    assert post_form(client, "/r/not-a-real-token/feed/reset").status_code == 404
    assert post_form(client, f"/r/{confirmed.feed_token}/feed/reset").status_code == 404
    assert fresh(confirmed).feed_token == token


def test_feed_url_is_absolute_and_in_the_residents_language(app, resident):
    confirmed = resident["confirmed"]
    with app.test_request_context():
        assert feed_url(confirmed) == f"http://localhost/feeds/me/{confirmed.feed_token}.ics"
        confirmed.language = "en"
        assert feed_url(confirmed).endswith(f"/feeds/me/{confirmed.feed_token}.ics?lang=en")
    db.session.rollback()
