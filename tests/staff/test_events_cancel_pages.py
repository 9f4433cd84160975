"""What the cancel pages of a session and of an event say: which day, and who will be told."""

from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from sqlalchemy import func, select

from outreach.database import db
from outreach.localtime import local_today
from outreach.messages.models import Message
from outreach.registrations import services as registration_services
from tests.factories import local
from tests.staff.support import TOMORROW, english_day, session_url, text_of
from tests.web import post_form

WEEKDAYS_ZH = "一二三四五六日"


def chinese_day(day: date) -> str:
    """A date as the Chinese staff pages write it in full: 2031年6月3日 星期二."""
    return f"{day.year}年{day.month}月{day.day}日 星期{WEEKDAYS_ZH[day.weekday()]}"


def session_cancelled_messages() -> int:
    """Messages queued to tell registrants that their session is off."""
    return db.session.scalar(
        select(func.count()).select_from(Message).where(Message.kind == "session_cancelled")
    )


@pytest.fixture
def booked(org, make):
    """Registrants of the fixture's first session: two confirmed (2 and 1 people), one
    waitlisted (2 people), one cancelled; and one (4 people) of its second session."""
    event_session = org["session"]
    event_session.capacity = 3
    db.session.commit()
    make.registration(event_session, 2)
    make.registration(event_session, 1)
    waiting = make.registration(event_session, 2)
    gone = make.registration(event_session, 1)
    registration_services.cancel(gone)
    db.session.commit()
    make.registration(org["second"], 4)
    assert waiting.status.value == "waitlisted"
    return org


def test_cancel_session_page_names_the_day_and_who_will_be_told(english, booked, login_as):
    login_as(booked["organiser"])
    text = text_of(english.get(session_url(booked, "cancel")))
    assert f"{english_day(TOMORROW)}, 09:00–11:00" in text
    assert "3 active registrations (5 people) will be told by e-mail or text message." in text


def test_cancel_session_page_in_chinese(client, booked, login_as):
    login_as(booked["organiser"])
    text = text_of(client.get(session_url(booked, "cancel")))
    assert f"{chinese_day(TOMORROW)} 09:00–11:00" in text
    assert "将通过电子邮件或短信通知3份有效报名（共5人）。" in text


def test_cancelling_a_session_says_how_many_registrants_are_told(english, booked, login_as):
    login_as(booked["organiser"])
    response = post_form(english, session_url(booked, "cancel"), {"reason": "专家临时有会"})
    assert response.status_code == 302
    page = text_of(english.get(response.location))
    assert "The session has been cancelled; 3 registrations (5 people) will be told." in page
    assert session_cancelled_messages() == 3  # what the page said is what was queued


def test_cancel_page_of_a_session_nobody_booked(english, org, login_as):
    login_as(org["organiser"])
    text = text_of(english.get(session_url(org, "cancel", org["second"])))
    day_after = TOMORROW + timedelta(days=1)
    assert f"{english_day(day_after)}, 09:00–11:00" in text
    assert "Nobody has registered, so nobody needs to be told." in text
    response = post_form(english, session_url(org, "cancel", org["second"]), {"reason": "下雨"})
    page = text_of(english.get(response.location))
    assert "The session has been cancelled; nobody had to be told." in page


def test_cancel_page_of_a_session_that_is_over_tells_nobody(english, org, make, login_as):
    over = make.event_session(org["event"])
    make.registration(over, 2)
    yesterday = local_today() - timedelta(days=1)
    over.starts_at, over.ends_at = local(yesterday, time(9, 0)), local(yesterday, time(11, 0))
    db.session.commit()
    login_as(org["organiser"])
    text = text_of(english.get(session_url(org, "cancel", over)))
    assert english_day(yesterday) in text
    assert "This session is over: nobody will be told." in text
    response = post_form(english, session_url(org, "cancel", over), {"reason": "补登"})
    assert "nobody had to be told" in text_of(english.get(response.location))
    assert session_cancelled_messages() == 0


def test_cancel_event_page_shows_its_dates_and_who_will_be_told(english, booked, login_as):
    login_as(booked["organiser"])
    text = text_of(english.get(f"/staff/events/{booked['event'].id}/cancel"))
    first, last = english_day(TOMORROW), english_day(TOMORROW + timedelta(days=1))
    assert f"2 sessions, from {first} to {last}." in text
    assert "4 active registrations (9 people) will be told by e-mail or text message." in text


def test_cancel_event_page_in_chinese(client, booked, login_as):
    login_as(booked["organiser"])
    text = text_of(client.get(f"/staff/events/{booked['event'].id}/cancel"))
    first, last = chinese_day(TOMORROW), chinese_day(TOMORROW + timedelta(days=1))
    assert f"共2场，{first}至{last}。" in text
    assert "将通过电子邮件或短信通知4份有效报名（共9人）。" in text


def test_cancelling_an_event_says_how_many_registrants_are_told(english, booked, login_as):
    # A session already called off is not counted again: its registrants were told then.
    login_as(booked["organiser"])
    post_form(english, session_url(booked, "cancel", booked["second"]), {"reason": "下雨"})
    told_before = session_cancelled_messages()
    text = text_of(english.get(f"/staff/events/{booked['event'].id}/cancel"))
    assert "3 active registrations (5 people) will be told" in text
    url = f"/staff/events/{booked['event'].id}/cancel"
    response = post_form(english, url, {"reason": "台风"})
    page = text_of(english.get(response.location))
    assert "The event has been cancelled; 3 registrations (5 people) will be told." in page
    assert session_cancelled_messages() - told_before == 3
