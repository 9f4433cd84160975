"""`flask deliver` sends the outbox by e-mail to a real SMTP server on 127.0.0.1: the right
people get the right messages exactly once, with a calendar file; nothing is lost while the
server is down; two deliverers never send a message twice; a crash never causes a resend."""

from __future__ import annotations

import logging
import os
import re
import signal
import subprocess
import sys
import threading
import time
from datetime import date, timedelta
from datetime import time as wall
from pathlib import Path
from urllib.parse import urlsplit

import icalendar
import pytest
from sqlalchemy import select, update

from outreach.database import db, utcnow
from outreach.messages import delivery
from outreach.messages.compose import compose
from outreach.messages.models import FOLLOW_KINDS, MessageChannel, MessageKind, MessageStatus
from outreach.registrations.models import Registration
from tests.factories import local
from tests.messages_support import (
    SmtpServer,
    calendar_parts,
    html_part,
    outbox,
    text_part,
)
from tests.web import login, post_form, register

ROOT = Path(__file__).resolve().parent.parent
FAR = date(2030, 5, 1)  # always ahead


@pytest.fixture
def smtp(app):
    """A running SMTP server the application sends to."""
    server = SmtpServer().start()
    server.configure(app)
    yield server
    server.stop()


def deliver(runner) -> str:
    result = runner.invoke(args=["deliver", "--once"])
    assert result.exit_code == 0, result.output
    return result.output


def test_deliver_refuses_to_run_without_the_public_address(new_app, app):
    """Outside development, `deliver` without OUTREACH_BASE_URL would send links to
    http://localhost (or worse): it stops with a clear message and a non-zero exit."""

    def run(**settings):
        other = new_app(TESTING=False, **settings)
        with other.app_context():  # the command's current_app (the test's app is pushed)
            return other.test_cli_runner().invoke(args=["deliver", "--once"])

    refused = run(BASE_URL=None, DEVELOPMENT=False)
    assert refused.exit_code != 0
    assert "OUTREACH_BASE_URL is not set" in refused.output
    assert "Sent" not in refused.output
    for settings in ({"BASE_URL": "https://events.example.cn"}, {"DEVELOPMENT": True}):
        result = run(**settings)
        assert result.exit_code == 0 and "Sent 0," in result.output, (settings, result.output)


def events_of(ics: bytes) -> list:
    return icalendar.Calendar.from_ical(ics).walk("VEVENT")


def test_registering_with_an_email_delivers_a_confirmation_with_a_calendar_invitation(
    client, make, runner, smtp
):
    event_session = make.event_session(make.event(title="社区义诊"), capacity=20)
    response = register(client, event_session, email="wang@example.org", party_size="2")
    assert response.status_code == 302
    registration = db.session.scalar(select(Registration))
    assert "Sent 1," in deliver(runner)

    [mail] = smtp.to("wang@example.org")
    assert mail["Subject"] == "报名成功：社区义诊"
    assert mail["From"] == "社区活动 <events@outreach.test>"
    assert mail["To"] == "wang@example.org"
    assert mail["Message-ID"].endswith("@outreach.test>")
    assert mail["Content-Language"] == "zh-CN"
    text, html = text_part(mail), html_part(mail)
    manage = f"http://localhost/r/{registration.manage_token}"
    for body in (text, html):
        assert registration.code in body and manage in body
        assert "社区义诊" in body and "人数" in body
        assert "%(" not in body
    assert '<html lang="zh-CN">' in html

    [ics] = calendar_parts(mail)
    [vevent] = events_of(ics)
    assert str(vevent["UID"]) == event_session.uid
    assert "社区义诊" in str(vevent["SUMMARY"])
    assert vevent.decoded("DTSTART") == event_session.starts_at
    assert str(vevent["STATUS"]) == "CONFIRMED"

    # The link in the e-mail opens the resident's own page.
    page = client.get(urlsplit(manage).path)
    assert page.status_code == 200 and registration.code in page.get_data(as_text=True)

    [message] = outbox()
    assert message.status == MessageStatus.SENT and message.attempts == 1
    assert message.sent_at is not None and message.last_error == ""
    assert "Sent 0," in deliver(runner)  # nothing is sent twice
    assert len(smtp.received) == 1


@pytest.mark.parametrize("language", ["zh", "en"])
def test_the_attached_calendar_file_is_the_registrations_own_file(
    client, make, runner, smtp, language
):
    # Both carry the same UID: an attachment that said less (the whole morning, no slot, no
    # code) would reset the resident's entry when opened after the file from the page.
    event_session = make.event_session(day=FAR, start=wall(8, 0), hours=4, capacity=None)
    slot = make.slot(
        event_session, "内科", starts_at=local(FAR, wall(9, 30)), ends_at=local(FAR, wall(10, 0))
    )
    registration = make.registration(
        event_session, 3, slot_id=slot.id, email="wang@example.org", language=language
    )
    deliver(runner)
    [mail] = smtp.to("wang@example.org")
    [attached] = events_of(calendar_parts(mail)[0])
    own = client.get(f"/r/{registration.manage_token}.ics?lang={language}")
    [entry] = events_of(own.get_data())
    assert attached.decoded("DTSTART") == entry.decoded("DTSTART") == local(FAR, wall(9, 30))
    assert attached.decoded("DTEND") == entry.decoded("DTEND") == local(FAR, wall(10, 0))
    for name in ("UID", "SEQUENCE", "SUMMARY", "DESCRIPTION", "STATUS"):
        assert attached[name] == entry[name], name
    assert registration.code in str(attached["DESCRIPTION"])
    assert registration.manage_token in str(attached["DESCRIPTION"])
    alarms = [alarm.decoded("TRIGGER") for alarm in attached.walk("VALARM")]
    assert alarms == [alarm.decoded("TRIGGER") for alarm in entry.walk("VALARM")]


def test_cancelling_a_screening_day_notifies_every_registrant_once(client, make, runner, smtp):
    event = make.event(title="三天义诊")
    first_day, second_day = (
        make.event_session(event, capacity=10),
        make.event_session(event, capacity=10),
    )
    addresses = [f"r{n}@example.org" for n in range(4)]
    for address in addresses:
        make.registration(first_day, email=address)
    make.registration(second_day, email="elsewhere@example.org")
    deliver(runner)  # the confirmations
    smtp.received.clear()

    login(client, make.staff(organisation=event.organisation, role="organiser"))
    url = f"/staff/events/{event.id}/sessions/{first_day.id}/cancel"
    assert post_form(client, url, {"reason": "暴雨预警"}).status_code == 302
    deliver(runner)
    deliver(runner)

    assert sorted(rcpt for rcpts, _mail in smtp.received for rcpt in rcpts) == addresses
    for address in addresses:
        [mail] = smtp.to(address)
        assert mail["Subject"].startswith("已取消：三天义诊")
        assert "暴雨预警" in text_part(mail)
        [vevent] = events_of(calendar_parts(mail)[0])
        assert str(vevent["STATUS"]) == "CANCELLED"
        assert str(vevent["UID"]) == first_day.uid


@pytest.mark.parametrize(
    ("language", "status", "removes", "wrong"),
    [
        (
            "zh",
            ("状态", "本场活动已取消"),
            "打开附件中的日历文件，即可把本场活动从您的日历中移除",
            ("报名成功", "加入您的日历", "修改或取消"),
        ),
        (
            "en",
            ("Status", "The session is cancelled"),
            "The attached calendar file removes the session from your calendar",
            ("Confirmed", "puts the session in your calendar", "change or cancel"),
        ),
    ],
)
def test_a_cancellation_says_the_session_is_off_and_its_calendar_file_removes_it(
    client, make, runner, smtp, language, status, removes, wrong
):
    event = make.event(title="社区义诊")
    event_session = make.event_session(event, capacity=10)
    make.registration(event_session, email="wang@example.org", language=language)
    deliver(runner)
    [confirmation] = smtp.to("wang@example.org")
    smtp.received.clear()

    login(client, make.staff(organisation=event.organisation, role="organiser"))
    url = f"/staff/events/{event.id}/sessions/{event_session.id}/cancel"
    assert post_form(client, url, {"reason": "暴雨预警"}).status_code == 302
    deliver(runner)

    [mail] = smtp.to("wang@example.org")
    text, html = text_part(mail), html_part(mail)
    label, value = status
    colon = "：" if language == "zh" else ": "
    assert f"{label}{colon}{value}" in text.splitlines()
    assert re.search(rf">{label}</th>\s*<td[^>]*>{value}</td>", html)
    for body in (text, html):
        assert removes in body and "暴雨预警" in body
        for words in wrong:
            assert words not in body
    # The file sent is the cancelled entry, with a SEQUENCE above the confirmation's.
    [before] = events_of(calendar_parts(confirmation)[0])
    [after] = events_of(calendar_parts(mail)[0])
    assert str(before["STATUS"]) == "CONFIRMED" and str(after["STATUS"]) == "CANCELLED"
    assert str(after["UID"]) == str(before["UID"]) == event_session.uid
    assert int(after["SEQUENCE"]) > int(before["SEQUENCE"])


def test_the_default_sender_and_message_id_take_the_domain_of_the_base_url(app, make, smtp, caplog):
    app.config.update(
        UID_DOMAIN=None, SERVER_NAME=None, MAIL_SENDER=None, BASE_URL="https://events.example.cn/"
    )
    make.registration(make.event_session(capacity=5), email="li@example.org")
    with caplog.at_level(logging.WARNING):
        assert delivery.deliver_due().outcomes == {"sent": 1}
    [mail] = smtp.to("li@example.org")
    assert mail["From"] == "noreply@events.example.cn"
    assert mail["Message-ID"].endswith("@events.example.cn>")
    assert not [r for r in caplog.records if ".invalid" in r.getMessage()]


def test_a_configured_sender_lends_its_domain_to_the_message_id(app, make, smtp, caplog):
    app.config.update(UID_DOMAIN=None, SERVER_NAME=None, BASE_URL=None)
    make.registration(make.event_session(capacity=5), email="li@example.org")
    with caplog.at_level(logging.WARNING):
        assert delivery.deliver_due().outcomes == {"sent": 1}
    [mail] = smtp.to("li@example.org")
    assert mail["From"] == "社区活动 <events@outreach.test>"
    assert mail["Message-ID"].endswith("@outreach.test>")
    assert not [r for r in caplog.records if ".invalid" in r.getMessage()]


def test_mail_from_an_invalid_domain_is_warned_about_once_per_round(app, make, smtp, caplog):
    app.config.update(UID_DOMAIN=None, SERVER_NAME=None, MAIL_SENDER=None, BASE_URL=None)
    for address in ("a@example.org", "b@example.org"):
        make.registration(make.event_session(capacity=5), email=address)
    with caplog.at_level(logging.WARNING):
        assert delivery.deliver_due().outcomes == {"sent": 2}
    warnings = [r for r in caplog.records if "outreach.invalid" in r.getMessage()]
    assert len(warnings) == 1
    assert warnings[0].levelno == logging.WARNING
    assert "OUTREACH_BASE_URL" in warnings[0].getMessage()
    assert smtp.to("a@example.org")[0]["From"] == "noreply@outreach.invalid"


def test_a_mail_server_that_is_down_loses_nothing(app, make):
    down = SmtpServer()  # a free port with nobody listening
    down.configure(app)
    registration = make.registration(make.event_session(capacity=5), email="li@example.org")
    now = utcnow()

    report = delivery.deliver_due(now)
    assert report.outcomes["retry"] == 1
    [message] = outbox()
    assert message.status == MessageStatus.PENDING and message.attempts == 1
    assert message.next_attempt_at == now + timedelta(seconds=60)
    assert "cannot use the mail server" in message.last_error

    delivery.deliver_due(now + timedelta(seconds=30))  # not due yet: not tried
    assert outbox()[0].attempts == 1

    down.start()
    try:
        report = delivery.deliver_due(now + timedelta(seconds=61))
        assert report.outcomes["sent"] == 1
        [message] = outbox()
        assert message.status == MessageStatus.SENT and message.attempts == 2
        assert message.last_error == ""
        assert [registration.code in text_part(m) for m in down.to("li@example.org")] == [True]
    finally:
        down.stop()


def test_retries_back_off_exponentially_and_give_up(app, make):
    SmtpServer().configure(app)
    app.config["DELIVERY_MAX_ATTEMPTS"] = 3
    make.registration(make.event_session(capacity=5), email="li@example.org")
    now = utcnow()
    delivery.deliver_due(now)
    assert outbox()[0].next_attempt_at == now + timedelta(minutes=1)
    now += timedelta(minutes=1)
    delivery.deliver_due(now)
    assert outbox()[0].next_attempt_at == now + timedelta(minutes=2)
    delivery.deliver_due(now + timedelta(minutes=2))
    [message] = outbox()
    assert message.status == MessageStatus.FAILED and message.attempts == 3
    assert delivery.backoff(10, timedelta(minutes=1)) == timedelta(hours=1)  # capped


def test_an_address_the_server_refuses_for_good_fails_at_once(app, make, smtp):
    smtp.refused.add("nobody@example.org")
    make.registration(make.event_session(capacity=5), email="nobody@example.org")
    make.registration(make.event_session(capacity=5), email="somebody@example.org")
    report = delivery.deliver_due()
    assert report.outcomes == {"failed": 1, "sent": 1}
    failed = outbox(status=MessageStatus.FAILED)
    assert [m.recipient for m in failed] == ["nobody@example.org"]
    assert failed[0].attempts == 1 and "550" in failed[0].last_error


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_the_server_login_is_used(app, make):
    server = SmtpServer(credentials=("outreach", "s3cret")).start()
    try:
        server.configure(app)
        make.registration(make.event_session(capacity=5), email="li@example.org")
        assert delivery.deliver_due().outcomes == {"retry": 1}  # no login: refused
        app.config.update(MAIL_USERNAME="outreach", MAIL_PASSWORD="s3cret")
        assert delivery.deliver_due(utcnow() + timedelta(minutes=5)).outcomes == {"sent": 1}
        assert len(server.to("li@example.org")) == 1
        assert "s3cret" not in outbox()[0].last_error
    finally:
        server.stop()


def test_without_a_mail_server_email_is_not_sent_and_says_why(app, make):
    make.registration(make.event_session(capacity=5), email="li@example.org")
    assert delivery.deliver_due().outcomes == {"skipped": 1}
    [message] = outbox()
    assert message.status == MessageStatus.SKIPPED
    assert "OUTREACH_MAIL_SERVER" in message.last_error


def test_a_deliverer_that_died_while_sending_never_sends_again(app, make, smtp):
    make.registration(make.event_session(capacity=5), email="li@example.org")
    now = utcnow()
    # A deliverer claims the message, commits the claim, and dies before marking it.
    assert delivery.claim_next(now) is not None
    db.session.commit()
    assert delivery.deliver_due(now + timedelta(minutes=1)).outcomes == {}
    assert outbox()[0].status == MessageStatus.SENDING
    report = delivery.deliver_due(now + timedelta(minutes=16))
    assert report.interrupted == 1 and report.outcomes == {}
    [message] = outbox()
    assert message.status == MessageStatus.FAILED and "may have gone out" in message.last_error
    assert smtp.received == []


@pytest.mark.commits  # each deliverer thread has its own connection
def test_two_deliverers_at_once_send_each_message_exactly_once(app, make, smtp):
    event_session = make.event_session(capacity=100)
    addresses = [f"resident{n}@example.org" for n in range(30)]
    for address in addresses:
        make.registration(event_session, email=address)
    smtp.delay = 0.02  # a slow server keeps both deliverers busy at the same time
    start = threading.Barrier(2)
    reports, errors = [], []

    def deliverer() -> None:
        try:
            with app.app_context():
                start.wait()
                reports.append(delivery.deliver_due())
                db.session.remove()
        except Exception as error:  # noqa: BLE001  (reported by the assertion below)
            errors.append(error)

    threads = [threading.Thread(target=deliverer) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    received = sorted(rcpt for rcpts, _mail in smtp.received for rcpt in rcpts)
    assert received == sorted(addresses)  # each exactly once
    assert [r.outcomes["sent"] > 0 for r in reports] == [True, True]  # both took part
    assert sum(r.outcomes["sent"] for r in reports) == 30
    assert {m.status for m in outbox()} == {MessageStatus.SENT}
    assert {m.attempts for m in outbox()} == {1}


@pytest.mark.commits  # the command runs in a process of its own
def test_deliver_loops_until_sigterm_and_queues_reminders_with_public_links(
    app, make, smtp, database_url, tmp_path
):
    """The command as systemd runs it: a loop, stopped between messages by SIGTERM."""
    starts = (utcnow() + timedelta(hours=10)).astimezone(make.SHANGHAI)
    event_session = make.event_session(
        day=starts.date(), start=starts.time().replace(microsecond=0)
    )
    registration = make.registration(event_session, email="li@example.org")
    # Registered three days ago: a reminder 24 hours ahead is due now.
    db.session.execute(update(Registration).values(created_at=utcnow() - timedelta(days=3)))
    db.session.commit()
    env = {
        **os.environ,
        "OUTREACH_DATABASE_URL": database_url,
        "OUTREACH_INSTANCE_PATH": str(tmp_path),
        "OUTREACH_SECRET_KEY": "loop",
        "OUTREACH_MAIL_SERVER": "127.0.0.1",
        "OUTREACH_MAIL_PORT": str(smtp.port),
        "OUTREACH_BASE_URL": "https://events.example.cn",
    }
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "flask"), "--app", "app", "deliver", "--interval", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while len(smtp.received) < 2 and time.monotonic() < deadline:
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0, output
    assert "Stopped." in output
    subjects = sorted(mail["Subject"] for mail in smtp.to("li@example.org"))
    assert len(subjects) == 2 and subjects[0].startswith("报名成功")
    reminder = next(m for m in smtp.to("li@example.org") if m["Subject"].startswith("活动提醒"))
    assert f"https://events.example.cn/r/{registration.manage_token}" in text_part(reminder)
    [vevent] = events_of(calendar_parts(reminder)[0])
    assert str(vevent["URL"]).startswith("https://events.example.cn/events/")
    assert {m.status for m in outbox()} == {MessageStatus.SENT}


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("kind", [kind for kind in MessageKind if kind not in FOLLOW_KINDS])
def test_every_kind_of_message_is_written_whole_in_both_languages(app, make, kind, language):
    registration = make.registration(
        make.event_session(capacity=5), email="a@example.org", language=language
    )
    context = {"notice_subject": "Note", "notice_body": "See you"} if kind == "notice" else {}
    label = "报名码" if language == "zh" else "Confirmation code"
    for channel in MessageChannel:
        rendered = compose(kind, registration, channel, changed={}, **context)
        for text in (rendered.subject, rendered.body, rendered.body_html):
            assert "%(" not in text
        if channel == MessageChannel.SMS:
            # The short link; the code where the resident shows it (tests/test_messages_texts).
            assert rendered.subject and registration.link_key in rendered.body
            continue
        assert rendered.subject and registration.manage_token in rendered.body
        assert registration.code in rendered.body
        if channel == MessageChannel.EMAIL:
            assert label in rendered.body and label in rendered.body_html
