"""The rules of the outbox: which changes queue which messages, reminders, staff notices,
erasing personal data, and the queries the staff pages need. Flushes, never commits.

Messages are queued by the receivers of the registrations' and sessions' signals (in
receivers.py), so they are written in the same transaction as the change that causes them:
committed with it, or rolled back with it. Each has a key naming the notice ("confirmed:12"),
unique in the table, so the same notice is never queued twice.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func, literal, select, true, union_all, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import joinedload, selectinload

from outreach.accounts import audit
from outreach.database import db, utcnow
from outreach.errors import RuleError
from outreach.events.forms import MAX_REMINDER_HOURS
from outreach.events.models import Event, EventSession, EventStatus, SessionStatus
from outreach.messages import first_texts, transport
from outreach.messages.compose import compose, language_of
from outreach.messages.models import (
    Message,
    MessageChannel,
    MessageKind,
    MessageStatus,
    Notice,
    NoticeSegment,
)
from outreach.pagination import CursorPage, Order, keyset_page
from outreach.registrations import services as registration_services
from outreach.registrations.inserting import Companion
from outreach.registrations.models import ACTIVE_STATUSES, Registration

log = logging.getLogger(__name__)

SKIPPED_REMINDER = transport.SKIPPED_REMINDER()
ERASED = transport.ERASED()


def channel_for(registration: Registration) -> tuple[MessageChannel, str] | None:
    """E-mail when the resident gave an address, else a text message to their mobile; None
    for a resident with neither (registered at the desk without a mobile phone)."""
    if registration.told_by_email:
        return MessageChannel.EMAIL, registration.email
    if registration.phone is None:
        return None
    return MessageChannel.SMS, registration.phone


def reachable(registration: Registration) -> bool:
    """Whether messages can reach the resident: their data not erased, and an address or a
    mobile number to send to."""
    return registration.purged_at is None and channel_for(registration) is not None


def _insert_new(rows: list[dict[str, Any]]) -> None:
    """Insert outbox rows, leaving out any whose key is already there (no error, no abort).

    INSERT … ON CONFLICT DO NOTHING: two deliverers queueing the same reminder, or a key
    queued in an earlier transaction, cost nothing and never fail the change they go with.
    """
    if not rows:
        return
    db.session.execute(_insert_statement(db.session.get_bind().dialect.name), rows)


@functools.cache
def _insert_statement(dialect: str):
    """The statement `_insert_new` runs, built once per dialect."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(Message.__table__).on_conflict_do_nothing(index_elements=["dedupe_key"])


def outbox_row(
    kind: MessageKind,
    channel: MessageChannel,
    recipient: str,
    language: str,
    now: datetime,
    **references: Any,
) -> dict[str, Any]:
    """A pending message's row, nothing written yet; `references` name what it is about
    (dedupe_key, registration_id, notice_id, follower_id)."""
    row: dict[str, Any] = {
        "dedupe_key": None,
        "registration_id": None,
        "follower_id": None,
        "notice_id": None,
        "kind": kind,
        "channel": channel,
        "recipient": recipient,
        "language": language,
        "subject": "",
        "body": "",
        "body_html": "",
        "sms_template": "",
        "sms_params": {},
        "status": MessageStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "last_error": "",
        "created_at": now,
        "updated_at": now,
    }
    row.update(references)
    return row


def add_to_outbox(rows: list[dict[str, Any]]) -> None:
    """Queue rows written by a package above this one (follows' digests): once per key."""
    _insert_new(rows)


def _row(
    kind: MessageKind,
    registration: Registration,
    key: str,
    now: datetime,
    notice: Notice | None = None,
    **context: Any,
) -> dict[str, Any]:
    """One outbox row; a message that cannot be written is queued as failed, with the reason.

    A fault in writing one message (a registration's row missing what a template needs) is
    recorded on that message and logged, never raised: it must not undo the change it goes
    with, nor stop the round of reminders it is part of. Its key is taken, so it is not
    tried again; staff see it in the outbox. Database errors still raise.
    """
    channel, recipient = _address_key(registration)
    row = outbox_row(
        kind,
        channel,
        recipient,
        language_of(registration),
        now,
        dedupe_key=key,
        registration_id=registration.id,
        notice_id=notice.id if notice is not None else None,
    )
    try:
        rendered = compose(kind, registration, channel, **context)
    except SQLAlchemyError:
        raise
    except Exception as error:  # noqa: BLE001  (one message's fault; see above)
        log.exception(
            "cannot write the %s message %s to registration %s", kind.value, key, registration.id
        )
        detail = transport.describe(error)
        row.update(
            status=MessageStatus.FAILED, last_error=transport.UNCOMPOSABLE(detail=detail)[:500]
        )
        return row
    row.update(
        subject=rendered.subject,
        body=rendered.body,
        body_html=rendered.body_html,
        sms_template=rendered.sms.template if rendered.sms else "",
        sms_params=rendered.sms.params if rendered.sms else {},
    )
    return row


def queue(
    kind: MessageKind,
    registrations: Iterable[Registration],
    key: Callable[[Registration], str],
    *,
    now: datetime | None = None,
    **context: Any,
) -> int:
    """Queue a message of `kind` to each registration (once per key); returns how many are to
    go out (not those that could not be written, queued as failed)."""
    now = now or utcnow()
    rows = [_row(kind, r, key(r), now, **context) for r in registrations if reachable(r)]
    _insert_new(rows)
    return sum(row["status"] == MessageStatus.PENDING for row in rows)


@dataclass
class Prepared:
    """A new registration's first message, rendered before its seat is decided: its
    waitlist place is a stand-in number (`placeholder`), written in once the place is known,
    and the row's key and registration id once the registration is saved."""

    kind: MessageKind
    row: dict[str, Any]
    placeholder: int
    # Written by the registration's own INSERT (`companion`): nothing left to queue.
    written: bool = False

    def _filled(self, registration: Registration, position: int | None) -> dict[str, Any]:
        def filled(value: Any) -> Any:
            if isinstance(value, str):
                return value.replace(str(self.placeholder), str(position or 0))
            if isinstance(value, dict):
                return {name: filled(item) for name, item in value.items()}
            return value

        now = registration.created_at
        row = {name: filled(value) for name, value in self.row.items()}
        row.update(created_at=now, updated_at=now, next_attempt_at=now)
        return row

    def companion(self, registration: Registration) -> Companion | None:
        """The row, to be written by the registration's own INSERT (its key and id filled in
        there), when it was rendered for the outcome decided; else None (queued later)."""
        # The receiver's key for a new registration: its kind is its status.
        if registration.status.value != self.kind.value:
            return None
        row = self._filled(registration, registration_services.waitlist_position(registration))
        del row["dedupe_key"], row["registration_id"]
        self.written = True
        prefix = f"{self.kind.value}:"
        return Companion(Message.__table__, row, "registration_id", "dedupe_key", prefix)

    def queue(self, registration: Registration, key: str, position: int | None) -> None:
        """Insert the row for the saved `registration`, its place `position` written in
        (unless the registration's INSERT wrote it)."""
        if self.written:
            return
        row = self._filled(registration, position)
        row.update(dedupe_key=key, registration_id=registration.id)
        _insert_new([row])


def prepare(
    kind: MessageKind, registration: Registration, placeholder: int, now: datetime
) -> Prepared | None:
    """Render `kind` for a registration not yet saved (None when nobody can be reached)."""
    if not reachable(registration):
        return None
    channel, recipient = _address_key(registration)

    def render() -> dict[str, Any]:
        return _row(kind, registration, "", now)

    columns = first_texts.remembered(kind, channel, registration, render)
    if columns is None:
        return Prepared(kind, render(), placeholder)
    row = outbox_row(kind, channel, recipient, language_of(registration), now, dedupe_key="")
    row.update(columns)
    return Prepared(kind, row, placeholder)


def skip_pending(condition, reason: str) -> None:
    """Mark pending messages matching `condition` as skipped: they no longer hold."""
    db.session.execute(
        update(Message)
        .where(condition, Message.status == MessageStatus.PENDING)
        .values(status=MessageStatus.SKIPPED, last_error=reason, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def erase_copies(ids: Sequence[int]) -> None:
    """Erase what the messages of these registrations copied of their personal data."""
    if not ids:
        return
    skip_pending(Message.registration_id.in_(ids), ERASED)
    db.session.execute(
        update(Message)
        .where(Message.registration_id.in_(ids))
        .values(recipient="", subject="", body="", body_html="", sms_params={}, last_error=ERASED)
        .execution_options(synchronize_session=False)
    )


# ---------------------------------------------------------------------------------------------
# Who a change concerns


def active_registrations(session_ids: Sequence[int]) -> list[Registration]:
    """Confirmed and waitlisted registrations of the sessions that still hold contact data."""
    return list(
        db.session.scalars(
            select(Registration)
            .where(
                Registration.session_id.in_(session_ids),
                Registration.status.in_(ACTIVE_STATUSES),
                Registration.purged_at.is_(None),
            )
            .options(selectinload(Registration.slot))
            .order_by(Registration.created_at, Registration.id)
        )
    )


# ---------------------------------------------------------------------------------------------
# Reminders


def reminder_key(registration: Registration, event_session: EventSession) -> str:
    """One reminder per registration and start time: a rescheduled session gets a new one."""
    return f"reminder:{registration.id}:{int(event_session.starts_at.timestamp())}"


def _lead_time(event: Event) -> timedelta:
    return timedelta(hours=event.reminder_hours)


def queue_reminders(now: datetime | None = None) -> int:
    """Queue the reminders that are due: sessions starting within their event's lead time.

    Not for sessions already started or called off, cancelled registrations, nor residents
    who registered (or moved up) within the lead time: their first message is recent.
    Returns how many were queued.
    """
    now = now or utcnow()
    horizon = now + timedelta(hours=MAX_REMINDER_HOURS)
    sessions = db.session.scalars(
        select(EventSession)
        .join(EventSession.event)
        .where(
            EventSession.starts_at > now,
            EventSession.starts_at <= horizon,
            EventSession.status == SessionStatus.SCHEDULED,
            Event.status == EventStatus.PUBLISHED,
            Event.reminder_hours > 0,
        )
        .options(joinedload(EventSession.event))
    ).all()
    due = {s.id: s for s in sessions if s.starts_at - _lead_time(s.event) <= now}
    if not due:
        return 0
    candidates = {}
    for registration in active_registrations(list(due)):
        event_session = due[registration.session_id]
        latest = registration.promoted_at or registration.created_at
        if latest < event_session.starts_at - _lead_time(event_session.event):
            candidates[reminder_key(registration, event_session)] = registration
    if not candidates:
        return 0
    queued = set(
        db.session.scalars(select(Message.dedupe_key).where(Message.dedupe_key.in_(candidates)))
    )
    wanted = [r for key, r in candidates.items() if key not in queued]
    return queue(
        MessageKind.REMINDER, wanted, lambda r: reminder_key(r, due[r.session_id]), now=now
    )


# ---------------------------------------------------------------------------------------------
# Notices from staff


class NoticeError(RuleError):
    """A notice that cannot be sent: a session not of the event, nobody to reach (invalid),
    or the same form sent again (duplicate)."""


@dataclass(frozen=True)
class Audience:
    """Who a notice would reach: one message per distinct address or number."""

    registrations: list[Registration]
    email: int
    sms: int
    # Cancelled sessions whose registrants were left out (all sessions were chosen).
    cancelled_left_out: int = 0

    @property
    def total(self) -> int:
        """Messages the notice would queue."""
        return self.email + self.sms


def _address_key(registration: Registration) -> tuple[MessageChannel, str]:
    """The channel and address of a registration known to be reachable."""
    found = channel_for(registration)
    if found is None:
        raise ValueError(f"registration {registration.id} has no address to send to")
    return found


def audience(event: Event, session_id: int | None, segment: NoticeSegment) -> Audience:
    """The registrations a notice reaches, first per resident's address or number.

    "All sessions" leaves out those of cancelled sessions: their registrants have been told
    it is off, and a notice meant for the days still on would read as if theirs were too.
    Staff who mean to write to them choose that session by name.
    """
    if session_id is None:
        chosen = [s for s in event.sessions if not s.is_cancelled]
    else:
        chosen = [s for s in event.sessions if s.id == session_id]
    session_ids = [s.id for s in chosen]
    registrations = active_registrations(session_ids) if session_ids else []
    if segment == NoticeSegment.CHECKED_IN:
        registrations = [r for r in registrations if r.checked_in_at is not None]
    elif segment == NoticeSegment.NOT_CHECKED_IN:
        registrations = [r for r in registrations if r.checked_in_at is None]
    first: dict[tuple[MessageChannel, str], Registration] = {}
    for registration in filter(reachable, registrations):
        first.setdefault(_address_key(registration), registration)
    channels = Counter(channel for channel, _address in first)
    return Audience(
        list(first.values()),
        channels[MessageChannel.EMAIL],
        channels[MessageChannel.SMS],
        cancelled_left_out=len(event.sessions) - len(chosen) if session_id is None else 0,
    )


def _notice_key(notice: Notice, registration: Registration) -> str:
    channel, address = _address_key(registration)
    digest = hashlib.sha256(address.encode()).hexdigest()[:24]
    return f"notice:{notice.id}:{channel.value}:{digest}"


def send_notice(
    actor: Any,
    event: Event,
    *,
    session_id: int | None,
    segment: NoticeSegment,
    subject: str,
    body: str,
    form_key: str,
    now: datetime | None = None,
) -> Notice:
    """Queue a staff notice to the chosen registrants, recorded and audited."""
    if session_id is not None and session_id not in {s.id for s in event.sessions}:
        raise NoticeError(_("This session is not one of the event's."), "session_id")
    if db.session.scalar(select(Notice.id).where(Notice.form_key == form_key)) is not None:
        raise NoticeError(_("This message has already been sent."), kind="duplicate")
    reached = audience(event, session_id, segment)
    if not reached.total:
        raise NoticeError(_("Nobody matches these choices: no message was sent."))
    now = now or utcnow()
    notice = Notice(
        event=event,
        session_id=session_id,
        segment=segment,
        subject=subject,
        body=body,
        recipients=reached.total,
        form_key=form_key,
        created_by_id=getattr(actor, "id", None),
        created_at=now,
    )
    db.session.add(notice)
    db.session.flush()
    queue(
        MessageKind.NOTICE,
        reached.registrations,
        lambda r: _notice_key(notice, r),
        now=now,
        notice=notice,
        notice_subject=subject,
        notice_body=body,
    )
    audit.record(
        actor,
        "message",
        notice,
        organisation_id=event.organisation_id,
        label=f"{event.title} · {subject}",
        changed=audit.changes(
            {}, {"title": subject, "segment": segment.value, "recipients": reached.total}
        ),
    )
    return notice


@dataclass(frozen=True)
class NoticeRow:
    """A notice sent earlier, with its messages counted by status."""

    notice: Notice
    statuses: dict[MessageStatus, int]


def notices_of(event: Event) -> list[NoticeRow]:
    """The event's notices, newest first, with their messages per status: two queries."""
    notices = db.session.scalars(
        select(Notice)
        .where(Notice.event_id == event.id)
        .options(joinedload(Notice.created_by), joinedload(Notice.event_session))
        .order_by(Notice.id.desc())
    ).all()
    counts: dict[int, dict[MessageStatus, int]] = {n.id: {} for n in notices}
    if notices:
        rows = db.session.execute(
            select(Message.notice_id, Message.status, func.count(Message.id))
            .where(Message.notice_id.in_(counts))
            .group_by(Message.notice_id, Message.status)
        )
        for notice_id, status, number in rows:
            counts[notice_id][status] = number
    return [NoticeRow(n, counts[n.id]) for n in notices]


# ---------------------------------------------------------------------------------------------
# The outbox, for administrators


def outbox(status: MessageStatus | None, cursor: str | None, per_page: int) -> CursorPage[Message]:
    """Messages newest first in keyset pages, optionally of one status, with their
    registration, session and event: one query."""
    condition = Message.status == status if status is not None else true()
    statement = (
        select(Message)
        .where(condition)
        .options(
            joinedload(Message.registration)
            .joinedload(Registration.event_session)
            .joinedload(EventSession.event)
        )
    )
    order = Order((Message.id,), descending=True)
    return keyset_page(statement, order, per_page, cursor, name="outbox")


# The outbox of a city holds millions of sent messages: its counts stop here and say "more"
# (a thousand index entries per status read in a millisecond or two; ten thousand took
# 10-50 ms of the page at city scale).
COUNT_LIMIT = 1_000


def status_counts() -> dict[MessageStatus, int]:
    """How many messages have each status, up to COUNT_LIMIT + 1 (then: more than the
    limit): one query reading at most that many index entries per status."""
    parts = [
        select(literal(status.value).label("status"), func.count().label("number")).select_from(
            select(Message.id)
            .where(Message.status == status)
            .order_by(Message.id)  # along (status, id): an index-only walk, never the table
            .limit(COUNT_LIMIT + 1)
            .subquery()
        )
        for status in MessageStatus
    ]
    rows = db.session.execute(union_all(*parts))
    return {MessageStatus(status): number for status, number in rows}
