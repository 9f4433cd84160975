"""One message that cannot be written or sent never holds up the others: it is marked failed
once, with a reason staff can read, and each later round goes on past it without trying it
again. Found with bench data whose registrations had no short-link key: the first reminder to
such a registration raised, and every round of `deliver` stopped there."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

import pytest
from sqlalchemy import update

from outreach.database import db, utcnow
from outreach.messages import delivery, transport
from outreach.messages.models import MessageChannel, MessageKind, MessageStatus
from outreach.messages.sms import SmsGateway
from outreach.registrations.models import Registration
from tests.factories import SHANGHAI
from tests.messages_support import SmtpServer, outbox


@pytest.fixture
def smtp(app):
    server = SmtpServer().start()
    server.configure(app)
    yield server
    server.stop()


def test_a_reminder_that_cannot_be_written_fails_once_and_the_others_go_out(
    app, make, smtp, gateway, caplog
):
    day = datetime.now(SHANGHAI).date() + timedelta(days=3)
    event_session = make.event_session(make.event(title="社区义诊"), day=day, capacity=10)
    first = make.registration(event_session, email="first@example.org")
    # A resident told by text, whose row lacks the key of the short link in texts (as the
    # bench generator left every row): their reminder cannot be written.
    broken = make.registration(event_session, phone="13800138000")
    last = make.registration(event_session, email="last@example.org")
    db.session.execute(
        update(Registration).where(Registration.id == broken.id).values(link_key=None)
    )
    db.session.commit()
    starts = event_session.starts_at

    with caplog.at_level(logging.ERROR, logger="outreach.messages"):
        report = delivery.deliver_due(starts - timedelta(hours=23))

    # Three confirmations and two reminders sent; the third reminder failed when queued.
    assert report.reminders == 2 and report.outcomes == {"sent": 5}
    sent = outbox(kind=MessageKind.REMINDER, status=MessageStatus.SENT)
    assert sorted(m.recipient for m in sent) == ["first@example.org", "last@example.org"]
    assert all(smtp.to(r.email) for r in (first, last))
    [failed] = outbox(kind=MessageKind.REMINDER, status=MessageStatus.FAILED)
    assert failed.registration_id == broken.id and failed.channel == MessageChannel.SMS
    assert failed.last_error.startswith("cannot write this message: ")
    assert transport.explain(failed.last_error) != failed.last_error  # shown translated
    assert f"registration {broken.id}" in caplog.text
    texts_before = len(gateway.requests)

    # Later rounds neither queue it again nor try it: it stays failed, once.
    for hours in (22, 21):
        report = delivery.deliver_due(starts - timedelta(hours=hours))
        assert report.reminders == 0 and not report.outcomes
    [again] = outbox(kind=MessageKind.REMINDER, status=MessageStatus.FAILED)
    assert again.id == failed.id and again.attempts == 0
    assert len(gateway.requests) == texts_before
    assert len(outbox(kind=MessageKind.REMINDER)) == 3


def test_a_message_that_raises_while_sending_fails_with_its_reason_and_the_round_goes_on(
    app, make, gateway, monkeypatch, caplog
):
    event_session = make.event_session(capacity=10)
    phones = ["13800138001", "13800138002", "13800138003"]
    for phone in phones:
        make.registration(event_session, phone=phone)
    db.session.commit()
    real_send = SmsGateway.send

    def send(self, phone, text, key):
        if phone == "+8613800138002" or phone.endswith("13800138002"):
            raise TypeError("a bug the gateway client did not expect")
        return real_send(self, phone, text, key)

    monkeypatch.setattr(SmsGateway, "send", send)
    now = utcnow()
    with caplog.at_level(logging.ERROR, logger="outreach.messages"):
        report = delivery.deliver_due(now)

    assert report.outcomes == {"sent": 2, "failed": 1}
    [failed] = outbox(status=MessageStatus.FAILED)
    assert failed.recipient.endswith("13800138002") and failed.attempts == 1
    assert "TypeError: a bug the gateway client did not expect" in failed.last_error
    assert failed.claimed_at is None
    assert f"message {failed.id}" in caplog.text
    assert len(outbox(status=MessageStatus.SENT)) == 2
    requests = len(gateway.requests)

    # Not sent again: it may have gone out before the error, and a resend could reach the
    # resident twice (the outbox's exactly-once rule).
    # (An hour on, a reminder may fall due for all three, depending on the time of day the
    # test runs: only the failed message itself must not go out again.)
    monkeypatch.setattr(SmsGateway, "send", real_send)
    delivery.deliver_due(now + timedelta(hours=1))
    [still_failed] = outbox(status=MessageStatus.FAILED)
    assert still_failed.id == failed.id and still_failed.attempts == 1
    texts_again = [sent["json"].get("text") for sent in gateway.requests[requests:]]
    assert failed.body not in texts_again
