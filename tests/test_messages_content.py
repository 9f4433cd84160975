"""What a message tells the resident: the slot's time window next to its label, and a manage
link that opens in the language they registered in."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from flask_babel import force_locale
from icalendar import Calendar

from outreach.messages.models import MessageChannel, MessageKind
from tests.messages_support import outbox
from tests.web import register


@pytest.fixture
def screening(make):
    """A session with a slot that has a half-hour window and one that has none."""
    event_session = make.event_session(make.event(title="社区义诊"), capacity=20)
    window = event_session.starts_at + timedelta(minutes=30)  # 09:30 Beijing time
    tcm = make.slot(
        event_session, "中医科", starts_at=window, ends_at=window + timedelta(minutes=30)
    )
    eye = make.slot(event_session, "眼科")
    return event_session, tcm, eye


def confirmations() -> list:
    return outbox(kind=MessageKind.CONFIRMED)


@pytest.mark.parametrize(
    ("language", "fact"),
    [("zh", "时段：中医科 09:30–10:00"), ("en", "Time slot: 中医科 09:30–10:00")],
)
def test_a_message_gives_the_chosen_slots_time_window(client, screening, language, fact):
    event_session, tcm, _eye = screening
    client.get(f"/?lang={language}")
    response = register(client, event_session, email="wang@example.org", slot=str(tcm.id))
    assert response.status_code == 302
    [message] = confirmations()
    assert fact in message.body.splitlines()
    assert ">中医科 09:30–10:00</td>" in message.body_html
    # The resident's own page says the same.
    page = client.get(re.search(r"http://localhost(/r/\S+)", message.body).group(1))
    label = "中医科" if language == "zh" else '<span lang="zh-CN">中医科</span>'
    assert f"{label} 09:30–10:00" in page.get_data(as_text=True)


def test_a_slot_without_a_window_is_named_alone(client, screening):
    event_session, _tcm, eye = screening
    register(client, event_session, email="wang@example.org", slot=str(eye.id))
    [message] = confirmations()
    assert "时段：眼科" in message.body.splitlines()
    assert ">眼科</td>" in message.body_html


def test_a_text_message_gives_the_slot_and_its_window(client, screening):
    event_session, tcm, _eye = screening
    register(client, event_session, email="", slot=str(tcm.id))
    [message] = confirmations()
    assert message.channel == MessageChannel.SMS
    # The slot's start and label: its end waits on the page the link opens.
    assert "9:30 中医科，" in message.body


@pytest.mark.parametrize(
    ("language", "expected"),
    [("zh", "中医科 09:30"), ("en", "Chinese medicine 09:30")],
)
def test_a_slot_reads_the_same_in_messages_and_the_calendar_file(
    app, client, make, screening, language, expected
):
    # One wording of "label start–end": an open-ended window shows its start alone.
    event_session, tcm, _eye = screening
    tcm.ends_at, tcm.label_en = None, "Chinese medicine"
    with app.test_request_context(), force_locale(language):
        assert tcm.label_and_times(language) == expected
    by_mail = make.registration(event_session, slot_id=tcm.id, email="a@b.cn", language=language)
    by_text = make.registration(event_session, slot_id=tcm.id, language=language)
    [mail] = outbox(registration_id=by_mail.id)
    [text] = outbox(registration_id=by_text.id)
    assert re.search(rf"[：:] ?{expected}$", mail.body, re.MULTILINE)
    assert f">{expected}</td>" in mail.body_html
    # The slot's start, then its label (cut to fit when the title is Chinese: then 70 is all
    # an English text may have).
    label, start = expected.rsplit(" ", 1)
    assert f"{start.lstrip('0')} {label[:2]}" in text.body
    own = client.get(f"/r/{by_mail.manage_token}.ics?lang={language}").get_data()
    [entry] = Calendar.from_ical(own).walk("VEVENT")
    assert re.search(rf"[：:] ?{expected}$", str(entry["DESCRIPTION"]), re.MULTILINE)


@pytest.mark.parametrize(
    ("language", "browser", "page_language", "words"),
    [
        ("zh", "en-US,en;q=0.9", "zh-CN", "您的报名码"),
        ("en", "zh-CN,zh;q=0.9", "en", "Your confirmation code"),
    ],
)
def test_the_manage_link_opens_in_the_language_of_the_registration(
    client, make, language, browser, page_language, words
):
    event_session = make.event_session(capacity=5)
    by_mail = make.registration(event_session, email="a@example.org", language=language)
    by_text = make.registration(event_session, language=language)
    [message] = outbox(registration_id=by_mail.id)
    link = f"http://localhost/r/{by_mail.manage_token}?lang={language}"
    assert link in message.body.split()
    # A text's short link leads to the same address.
    [text] = outbox(registration_id=by_text.id)
    short = text.body.split()[-1]
    assert short == f"http://localhost/s/{by_text.link_key}"
    answer = client.get(short.removeprefix("http://localhost"))
    assert answer.status_code == 302
    assert answer.location == f"/r/{by_text.manage_token}?lang={language}"
    assert f'href="{link_of(by_mail, language)}"' in outbox(registration_id=by_mail.id)[0].body_html
    # A browser set to the other language still opens the page in the registration's.
    response = client.get(
        f"/r/{by_mail.manage_token}?lang={language}", headers={"Accept-Language": browser}
    )
    text = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f'<html lang="{page_language}">' in text and words in text


def link_of(registration, language: str) -> str:
    return f"http://localhost/r/{registration.manage_token}?lang={language}"


@pytest.mark.parametrize(
    ("language", "fact"),
    [("zh", "咨询：王医生 010 8765 4321"), ("en", "Enquiries: 王医生 010 8765 4321")],
)
def test_an_email_gives_the_events_contact(client, make, language, fact):
    event = make.event(title="社区义诊", contact_name="王医生", contact_phone="+861087654321")
    event_session = make.event_session(event, capacity=20)
    client.get(f"/?lang={language}")
    register(client, event_session, email="wang@example.org")
    [message] = confirmations()
    assert fact in message.body.splitlines()
    assert 'href="tel:+861087654321"' in message.body_html


def test_a_text_message_leaves_the_contact_to_the_linked_page(client, make):
    event = make.event(title="社区义诊", contact_name="王医生", contact_phone="+861087654321")
    register(client, make.event_session(event, capacity=20), email="")
    [message] = confirmations()
    assert message.channel == MessageChannel.SMS
    assert "王医生" not in message.body and "8765" not in message.body


def test_an_email_without_a_contact_has_no_enquiries_line(client, screening):
    event_session, tcm, _eye = screening
    register(client, event_session, email="wang@example.org", slot=str(tcm.id))
    [message] = confirmations()
    assert "咨询" not in message.body and "tel:" not in message.body_html
