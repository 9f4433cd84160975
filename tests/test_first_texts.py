"""A session's first text messages are written once and copied with each resident's own code,
link and waitlist place (outreach.messages.first_texts): every resident still gets exactly
the text written for them alone."""

from __future__ import annotations

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from outreach.database import db
from outreach.messages.compose import text_message
from outreach.messages.models import Message, MessageKind
from outreach.registrations.models import Registration
from tests.messages_support import outbox

API = "/api/v1/sessions/{}/registrations"


def _register(client, make, session_id: int, language: str = "zh"):
    body = {"name": "张阿姨", "phone": make.phone(), "party_size": 1, "consent": True}
    answer = client.post(API.format(session_id), json=body, headers={"Accept-Language": language})
    assert answer.status_code == 201, answer.json
    return answer.json


def _message_of(code: str) -> tuple[Registration, Message]:
    registration = db.session.scalars(select(Registration).where(Registration.code == code)).one()
    [message] = [m for m in outbox() if m.registration_id == registration.id]
    return registration, message


def _as_written_alone(app, registration: Registration, kind: MessageKind):
    """The text the registration's message would have on its own (written for it alone)."""
    with app.test_request_context(), force_locale(registration.language):
        return text_message(kind, registration)


@pytest.mark.parametrize("language", ["zh", "en"])
def test_each_resident_gets_their_own_code_link_and_place(app, client, make, language):
    event_session = make.event_session(make.event(title="社区义诊"), capacity=2)
    answers = [_register(client, make, event_session.id, language) for _ in range(5)]
    assert [a["status"] for a in answers] == ["confirmed"] * 2 + ["waitlisted"] * 3
    bodies = set()
    for answer in answers:
        registration, message = _message_of(answer["code"])
        kind = MessageKind(answer["status"])
        alone = _as_written_alone(app, registration, kind)
        assert message.body == alone.text
        assert message.sms_params == {k: str(v) for k, v in alone.params.items()}
        assert message.dedupe_key == f"{kind.value}:{registration.id}"
        assert message.body.count(registration.link_key) == 1
        bodies.add(message.body)
    assert len(bodies) == 5
    first, second = (_message_of(a["code"])[1] for a in answers[2:4])
    assert "1" in first.sms_params["position"] and second.sms_params["position"] == "2"


def test_a_title_holding_a_stand_in_is_written_for_each_resident(app, client, make):
    # The stand-ins are runs of one lower-case letter: a title with one is never copied.
    event_session = make.event_session(make.event(title="jjjjjj qqqqqqqqqq"), capacity=9)
    answers = [_register(client, make, event_session.id, "en") for _ in range(4)]
    for answer in answers:
        registration, message = _message_of(answer["code"])
        alone = _as_written_alone(app, registration, MessageKind.CONFIRMED)
        assert message.body == alone.text
        assert registration.code in message.body and registration.link_key in message.body


def test_a_session_changed_between_registrations_gets_the_new_text(app, client, make):
    event = make.event(title="旧标题")
    event_session = make.event_session(event, capacity=9)
    for _ in range(3):
        _register(client, make, event_session.id)
    event.title = "新标题"
    db.session.commit()
    answer = _register(client, make, event_session.id)
    _registration, message = _message_of(answer["code"])
    assert "新标题" in message.body and "旧标题" not in message.body


def test_a_change_of_the_session_alone_is_read_by_the_next_registration(client, make):
    """Neither the event nor a place changed: the session's own row (its stamp) tells the
    worker that its kept copy, and the text written for it, are out of date."""
    event_session = make.event_session(capacity=9)
    for _ in range(3):
        _register(client, make, event_session.id)
    _registration, before = _message_of(_register(client, make, event_session.id)["code"])
    assert "9:00" in before.body
    event_session.all_day = True
    db.session.commit()
    _registration, after = _message_of(_register(client, make, event_session.id)["code"])
    assert "9:00" not in after.body
