"""Residents without e-mail get text messages through the SMS gateway's webhook: a JSON POST
of phone and text to a local HTTP server; failures are retried like e-mail."""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import urlsplit

from outreach.database import utcnow
from outreach.messages import delivery
from outreach.messages.models import MessageChannel, MessageStatus
from tests.messages_support import SmtpServer, free_port, outbox


def test_a_resident_without_email_gets_a_text_through_the_webhook(app, make, gateway):
    event_session = make.event_session(make.event(title="社区义诊"), capacity=5)
    registration = make.registration(event_session, phone="13800138000")
    report = delivery.deliver_due()
    assert report.outcomes == {"sent": 1}
    [request] = gateway.requests
    assert request["path"] == "/sms?token=secret-token"
    assert request["headers"]["Content-Type"].startswith("application/json")
    [message] = outbox()
    assert request["headers"]["Idempotency-Key"] == f"outreach-message-{message.id}"
    assert request["json"]["phone"] == "+8613800138000"
    text = request["json"]["text"]
    assert text.startswith("报名成功：社区义诊")
    assert text.count(registration.code) == 1
    assert text.endswith(f" http://localhost/s/{registration.link_key}")
    assert message.channel == MessageChannel.SMS and message.status == MessageStatus.SENT


def test_a_failing_gateway_is_retried_until_it_answers_2xx(app, make, gateway):
    gateway.answers = [500, 503]
    make.registration(make.event_session(capacity=5))
    now = utcnow()
    assert delivery.deliver_due(now).outcomes == {"retry": 1}
    [message] = outbox()
    assert message.status == MessageStatus.PENDING
    assert message.last_error == f"the SMS gateway {urlsplit(gateway.url).netloc} answered 500"
    assert "secret-token" not in message.last_error  # the URL's secret stays out of the log
    assert delivery.deliver_due(now + timedelta(minutes=1)).outcomes == {"retry": 1}
    assert "answered 503" in outbox()[0].last_error
    assert delivery.deliver_due(now + timedelta(minutes=3)).outcomes == {"sent": 1}
    [message] = outbox()
    assert message.status == MessageStatus.SENT and message.attempts == 3
    assert len(gateway.requests) == 3
    assert len({r["headers"]["Idempotency-Key"] for r in gateway.requests}) == 1


def test_a_gateway_that_does_not_answer_in_time_is_retried(app, make, gateway):
    gateway.delay = 1.5
    app.config["SMS_WEBHOOK_TIMEOUT"] = 0.3
    make.registration(make.event_session(capacity=5))
    assert delivery.deliver_due().outcomes == {"retry": 1}
    [message] = outbox()
    assert message.status == MessageStatus.PENDING and "timed out" in message.last_error


def test_without_a_webhook_text_messages_are_not_sent_and_say_why(app, make):
    make.registration(make.event_session(capacity=5))
    assert delivery.deliver_due().outcomes == {"skipped": 1}
    [message] = outbox()
    assert message.status == MessageStatus.SKIPPED
    assert "OUTREACH_SMS_WEBHOOK_URL" in message.last_error


def test_an_unreachable_gateway_does_not_hold_up_the_rest(app, make):
    app.config["SMS_WEBHOOK_URL"] = f"http://127.0.0.1:{free_port()}/sms"
    mail = SmtpServer().start()
    try:
        mail.configure(app)
        event_session = make.event_session(capacity=5)
        make.registration(event_session)
        make.registration(event_session)
        make.registration(event_session, email="li@example.org")
        report = delivery.deliver_due()
        # The first text finds the gateway down; the second waits for the next round
        # untried, and the e-mail goes out meanwhile.
        assert report.outcomes == {"retry": 1, "sent": 1}
        texts = outbox(channel=MessageChannel.SMS)
        assert sorted(m.attempts for m in texts) == [0, 1]
        assert {m.status for m in texts} == {MessageStatus.PENDING}
        assert len(mail.to("li@example.org")) == 1
    finally:
        mail.stop()
