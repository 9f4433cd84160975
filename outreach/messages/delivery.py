"""Sending the outbox: claim a due message, send it, mark it; one transaction each.

At most once per message, even with several deliverers running: a deliverer claims one
pending message (`SELECT … FOR UPDATE SKIP LOCKED` on PostgreSQL, then a conditional UPDATE
to `sending` that only one claimer can win; SQLite has a single writer) and commits the claim
*before* sending. Then it sends, marks the message sent (or failed, or pending again with a
later `next_attempt_at`) and commits again.

A deliverer that dies between sending and marking leaves the message `sending`. It is never
sent again automatically: after SENDING_TIMEOUT it is marked failed with a note saying it may
have gone out, for staff to check. Resending could reach a resident twice, and a process that
dies after sending may die there again; a message stuck once is visible in the outbox.

A failure the channel reports (server down, refused, timed out, non-2xx) is retried with
exponential backoff until DELIVERY_MAX_ATTEMPTS, with the same Message-ID (e-mail) or
Idempotency-Key (webhook) each time, so the other side can recognise a repeat.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr
from ipaddress import ip_address
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import select, update
from sqlalchemy.exc import SQLAlchemyError

from outreach.database import db, utcnow
from outreach.events.loading import event_and_places
from outreach.events.models import uid_domain
from outreach.feeds.own import own_file
from outreach.messages import services, transport
from outreach.messages.compose import CALENDAR_KINDS, language_of
from outreach.messages.mail import Mailer, build_email
from outreach.messages.models import Message, MessageChannel, MessageKind, MessageStatus
from outreach.messages.sms import SmsGateway
from outreach.messages.transport import DeliveryError, describe
from outreach.registrations import verification
from outreach.registrations.models import Registration
from outreach.smstext import Text

log = logging.getLogger(__name__)

# A claim older than this belongs to a deliverer that died while sending.
SENDING_TIMEOUT = timedelta(minutes=15)
MAX_BACKOFF = timedelta(hours=1)
INTERRUPTED = transport.INTERRUPTED()
NO_MAIL = transport.NO_MAIL()
NO_SMS = transport.NO_SMS()
TOO_MANY_TEXTS = transport.TOO_MANY_TEXTS()


@dataclass
class Report:
    """What one round did."""

    reminders: int = 0
    interrupted: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """One line for the command's output."""
        o = self.outcomes
        text = (
            f"Sent {o['sent']}, to retry {o['retry']}, failed {o['failed']}, "
            f"skipped {o['skipped']}; queued {self.reminders} reminders."
        )
        if self.interrupted:
            text += f" {self.interrupted} interrupted earlier, marked failed."
        return text


def backoff(attempts: int, first: timedelta) -> timedelta:
    """The wait before the next try after `attempts` failures: 1, 2, 4, … × first, capped."""
    return min(first * (2 ** max(0, attempts - 1)), MAX_BACKOFF)


def give_up_interrupted(now: datetime) -> int:
    """Mark messages claimed long ago and never marked as failed (see the module notes)."""
    result = db.session.execute(
        update(Message)
        .where(
            Message.status == MessageStatus.SENDING,
            Message.claimed_at < now - SENDING_TIMEOUT,
        )
        .values(status=MessageStatus.FAILED, last_error=INTERRUPTED, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def claim_next(now: datetime, skip_channels: frozenset[MessageChannel] = frozenset()) -> int | None:
    """Claim the oldest due pending message for this deliverer; the caller commits.

    Rows another deliverer holds locked are skipped (PostgreSQL); the UPDATE's condition on
    the status lets only one claimer win whatever the engine.
    """
    while True:
        statement = (
            select(Message.id)
            .where(Message.status == MessageStatus.PENDING, Message.next_attempt_at <= now)
            .order_by(Message.next_attempt_at, Message.id)
            .limit(1)
            .with_for_update(skip_locked=True)
        )
        if skip_channels:
            statement = statement.where(Message.channel.not_in(skip_channels))
        message_id = db.session.scalar(statement)
        if message_id is None:
            return None
        claimed = db.session.execute(
            update(Message)
            .where(Message.id == message_id, Message.status == MessageStatus.PENDING)
            .values(
                status=MessageStatus.SENDING,
                attempts=Message.attempts + 1,
                claimed_at=now,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if claimed.rowcount == 1:
            return message_id
        db.session.commit()  # another deliverer won it: let go and look again


def _load(message_id: int) -> Message:
    return db.session.scalar(
        select(Message)
        .where(Message.id == message_id)
        .options(*event_and_places(Message.registration, Registration.event_session))
        .execution_options(populate_existing=True)
    )


def calendar_file(registration: Registration) -> bytes:
    """The registration's own calendar file (what `/r/<token>.ics` serves), in their language."""
    return own_file(registration, language_of(registration))


def _reason_to_skip(message: Message, now: datetime) -> str | None:
    """Why a claimed message should not go out after all, if it should not."""
    registration = message.registration
    if not message.recipient or (registration is not None and registration.purged_at is not None):
        return services.ERASED
    if message.channel == MessageChannel.SMS and not verification.may_text(message.recipient, now):
        return TOO_MANY_TEXTS
    if message.kind == MessageKind.REMINDER and registration is not None:
        event_session = registration.event_session
        if (
            not registration.is_active
            or event_session.is_cancelled
            or event_session.starts_at <= now
        ):
            return services.SKIPPED_REMINDER
    return None


def _host_name(url: str | None) -> str | None:
    """The host of a URL when it is a name (an address cannot follow "noreply@")."""
    try:
        host = urlsplit(url or "").hostname
    except ValueError:
        return None
    if not host:
        return None
    try:
        ip_address(host)
    except ValueError:
        return host
    return None


def mail_domain() -> str:
    """The domain of the default sender and of Message-IDs.

    OUTREACH_UID_DOMAIN or SERVER_NAME when set; else the host of OUTREACH_BASE_URL (the
    site's public name); else the configured sender's domain; else `uid_domain()`'s
    fallback, an `.invalid` domain outside a request.
    """
    config = current_app.config
    if config.get("UID_DOMAIN") or config.get("SERVER_NAME"):
        return uid_domain()
    host = _host_name(config.get("BASE_URL"))
    if host:
        return host
    sender_domain = parseaddr(config.get("MAIL_SENDER") or "")[1].rpartition("@")[2]
    return sender_domain or uid_domain()


class Channels:
    """The e-mail and SMS channels of one round, configured from the application."""

    def __init__(self) -> None:
        config = current_app.config
        self.mailer = Mailer(config)
        self.sms = SmsGateway(config)
        self.domain = mail_domain()
        self.sender = config.get("MAIL_SENDER") or f"noreply@{self.domain}"
        self._warned = False
        self.down: set[MessageChannel] = set()

    def why_unusable(self, channel: MessageChannel) -> str | None:
        """Why a channel cannot be used at all, if it cannot."""
        if channel == MessageChannel.EMAIL and not self.mailer.enabled:
            return NO_MAIL
        if channel == MessageChannel.SMS and not self.sms.enabled:
            return NO_SMS
        return None

    def send(self, message: Message, now: datetime) -> None:
        """Send through the message's channel; DeliveryError when it does not go."""
        try:
            if message.channel == MessageChannel.SMS:
                text = Text(message.sms_template, message.sms_params or {}, message.body)
                self.sms.send(message.recipient, text, f"outreach-message-{message.id}")
                verification.count_text(message.recipient, now)
                return
            self.mailer.send(self._email(message, now))
        except DeliveryError as error:
            if error.channel_down:
                self.down.add(message.channel)
            raise

    def _warn_of_invalid_domain(self) -> None:
        """Once a round: mail from an `.invalid` domain is likely to be taken for spam."""
        if self._warned:
            return
        self._warned = True
        sender_domain = parseaddr(self.sender)[1].rpartition("@")[2]
        invalid = sorted({d for d in (self.domain, sender_domain) if d.endswith(".invalid")})
        if invalid:
            log.warning(
                "e-mails go out from or with Message-IDs at %s: set OUTREACH_BASE_URL "
                "(or OUTREACH_UID_DOMAIN, OUTREACH_MAIL_SENDER) to the site's domain",
                ", ".join(invalid),
            )

    def _email(self, message: Message, now: datetime) -> EmailMessage:
        self._warn_of_invalid_domain()
        try:
            calendar = None
            if message.kind in CALENDAR_KINDS:
                calendar = calendar_file(message.registration)
            return build_email(
                message, sender=self.sender, domain=self.domain, now=now, calendar=calendar
            )
        except ValueError as error:  # an address or header that cannot be written
            raise DeliveryError(transport.UNWRITABLE(detail=error), permanent=True) from error
        except Exception as error:  # noqa: BLE001  (nothing was sent: try again later)
            log.exception("writing message %s failed", message.id)
            raise DeliveryError(transport.UNWRITABLE(detail=describe(error))) from error

    def close(self) -> None:
        """Close connections kept for the round."""
        self.mailer.close()
        self.sms.close()


def text_at_once(phone: str, text: Text, key: str) -> str | None:
    """Send one text now, outside the outbox (a verification code): None when the gateway took
    it, else why not (for the log)."""
    gateway = SmsGateway(current_app.config)
    if not gateway.enabled:
        return NO_SMS
    try:
        gateway.send(phone, text, key)
    except DeliveryError as error:
        return error.text
    finally:
        gateway.close()
    return None


def _mark(message: Message, outcome: str, now: datetime, error: str = "") -> None:
    message.updated_at = now
    message.claimed_at = None
    if outcome == "sent":
        message.status, message.sent_at, message.last_error = MessageStatus.SENT, now, ""
        return
    message.last_error = error[:500]
    if outcome == "retry":
        message.status = MessageStatus.PENDING
        first = timedelta(seconds=current_app.config["DELIVERY_RETRY_SECONDS"])
        message.next_attempt_at = now + backoff(message.attempts, first)
    else:
        message.status = MessageStatus(outcome)


def _deliver(message: Message, channels: Channels, now: datetime) -> str:
    """Send one claimed message and mark it; returns the outcome."""
    reason = _reason_to_skip(message, now) or channels.why_unusable(message.channel)
    if reason is not None:
        _mark(message, "skipped", now, reason)
        return "skipped"
    try:
        channels.send(message, now)
    except DeliveryError as error:
        last = message.attempts >= current_app.config["DELIVERY_MAX_ATTEMPTS"]
        outcome = "failed" if error.permanent or last else "retry"
        _mark(message, outcome, now, error.text)
        return outcome
    _mark(message, "sent", now)
    return "sent"


def give_up(message_id: int, error: Exception, now: datetime) -> str:
    """Mark failed a claimed message whose sending raised an unexpected error, and go on.

    Not retried: the error may have come after the message went out, and sending again could
    reach the resident twice. The reason is stored for staff, the trace logged. An error of
    the database itself is raised: the round stops, and the claim is given up later as an
    interrupted one.
    """
    db.session.rollback()
    if isinstance(error, SQLAlchemyError):
        raise error
    log.error("sending message %s failed", message_id, exc_info=error)
    db.session.execute(
        update(Message)
        .where(Message.id == message_id, Message.status == MessageStatus.SENDING)
        .values(
            status=MessageStatus.FAILED,
            last_error=transport.CRASHED(detail=describe(error))[:500],
            claimed_at=None,
            updated_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.commit()
    return "failed"


def deliver_due(
    now: datetime | None = None,
    *,
    stop: threading.Event | None = None,
    clock: Callable[[], datetime] = utcnow,
) -> Report:
    """One round: give up interrupted sends, queue due reminders, send what is due.

    Commits per step and per message, so an interrupted round keeps what it did. `now`
    fixes the time of the round (tests); otherwise the clock is read for each message.
    """
    report = Report()
    started = now or clock()
    report.interrupted = give_up_interrupted(started)
    db.session.commit()
    report.reminders = services.queue_reminders(started)
    db.session.commit()
    channels = Channels()
    try:
        while stop is None or not stop.is_set():
            at = now or clock()
            message_id = claim_next(at, frozenset(channels.down))
            if message_id is None:
                break
            db.session.commit()  # the claim holds before anything is sent
            try:
                message = _load(message_id)
                outcome = _deliver(message, channels, at)
                db.session.commit()
            except Exception as error:  # noqa: BLE001  (one message's fault: see give_up)
                outcome = give_up(message_id, error, at)
            report.outcomes[outcome] += 1
    finally:
        channels.close()
        db.session.rollback()
    return report
