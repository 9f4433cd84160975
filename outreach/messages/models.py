"""The outbox (Message) and the notices staff send to registrants (Notice)."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.accounts.models import StaffUser
from outreach.database import db, enum_column, utcnow
from outreach.enums import LabelledEnum
from outreach.events.models import Event, EventSession
from outreach.registrations.models import Registration


class MessageChannel(LabelledEnum):
    """E-mail when the registration has an address, else a text message through the webhook."""

    EMAIL = "email", _l("E-mail")
    SMS = "sms", _l("Text message")


class MessageStatus(LabelledEnum):
    """Pending until a deliverer claims it (sending), then sent, failed or skipped.

    Skipped: nothing was sent on purpose (the channel is not configured, the registration was
    cancelled before its reminder, the personal data were erased).
    """

    PENDING = "pending", _l("Waiting to be sent")
    SENDING = "sending", _l("Being sent")
    SENT = "sent", _l("Sent")
    FAILED = "failed", _l("Failed")
    SKIPPED = "skipped", _l("Not sent")


class MessageKind(LabelledEnum):
    """What a message tells the resident."""

    CONFIRMED = "confirmed", _l("Registration confirmed")
    WAITLISTED = "waitlisted", _l("On the waitlist")
    PROMOTED = "promoted", _l("Moved up from the waitlist")
    CANCELLED = "cancelled", _l("Registration cancelled")
    SESSION_CANCELLED = "session_cancelled", _l("Session cancelled")
    SESSION_RESCHEDULED = "session_rescheduled", _l("Session changed")
    SESSION_RESTORED = "session_restored", _l("Session back on")
    REMINDER = "reminder", _l("Reminder")
    NOTICE = "notice", _l("Message from staff")
    FOLLOW_CONFIRM = "follow_confirm", _l("Follow: confirm the address")
    DIGEST = "digest", _l("New sessions in what they follow")


# Kinds written by outreach/follows (to followers, not registrants): compose.py has no text
# for them.
FOLLOW_KINDS = frozenset({MessageKind.FOLLOW_CONFIRM, MessageKind.DIGEST})


class NoticeSegment(LabelledEnum):
    """Which registrants a staff notice goes to."""

    ALL = "all", _l("Everyone registered (confirmed and waitlisted)")
    CHECKED_IN = "checked_in", _l("Only those who checked in")
    NOT_CHECKED_IN = "not_checked_in", _l("Only those who have not checked in")


class Notice(db.Model):
    """A message staff wrote to the registrants of one session or of a whole event."""

    __tablename__ = "notice"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), index=True)
    # None: every session of the event (a campaign).
    session_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_session.id", ondelete="CASCADE"), index=True
    )
    segment: Mapped[NoticeSegment] = mapped_column(enum_column(NoticeSegment, "notice_segment"))
    subject: Mapped[str] = mapped_column(String(120))
    body: Mapped[str] = mapped_column(Text)
    recipients: Mapped[int] = mapped_column(Integer, default=0)
    # A random key carried by the form, so a double click sends the notice once.
    form_key: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    event: Mapped[Event] = relationship()
    event_session: Mapped[EventSession | None] = relationship()
    created_by: Mapped[StaffUser | None] = relationship()


class Message(db.Model):
    """One e-mail or text message to one resident, written in the transaction of its cause.

    Subject and bodies are rendered when the message is queued, in the registration's
    language, so the message says what was true when the change happened; the calendar
    attachment is built when it is sent, from the session as it is then.
    """

    __tablename__ = "message"
    __table_args__ = (
        # The deliverer's query: pending messages that are due, oldest first.
        Index("ix_message_status_next_attempt_at", "status", "next_attempt_at"),
        # The outbox, newest first in keyset pages, of one status.
        Index("ix_message_status_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # The same notice is never queued twice: "confirmed:12", "reminder:12:1767225600", …
    dedupe_key: Mapped[str] = mapped_column(String(120), unique=True)
    # None for the messages of follows (outreach/follows): `follower_id` instead, a table of
    # that higher package named only by its name; neither for a follow's confirmation e-mail.
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="CASCADE"), index=True
    )
    follower_id: Mapped[int | None] = mapped_column(
        ForeignKey("follower.id", ondelete="CASCADE"), index=True
    )
    notice_id: Mapped[int | None] = mapped_column(
        ForeignKey("notice.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[MessageKind] = mapped_column(enum_column(MessageKind, "message_kind"))
    channel: Mapped[MessageChannel] = mapped_column(enum_column(MessageChannel, "message_channel"))
    # Personal data, erased with the registration's by the retention purge.
    recipient: Mapped[str] = mapped_column(String(254))
    language: Mapped[str] = mapped_column(String(8), default="zh")
    subject: Mapped[str] = mapped_column(String(300), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    body_html: Mapped[str] = mapped_column(Text, default="")
    # A text message's template and its variables (messages/texts.py), for gateways in
    # template mode; body holds the same filled in. Empty for e-mail.
    sms_template: Mapped[str] = mapped_column(String(40), default="")
    sms_params: Mapped[dict | None] = mapped_column(JSON, default=dict)
    status: Mapped[MessageStatus] = mapped_column(
        enum_column(MessageStatus, "message_status"), default=MessageStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    last_error: Mapped[str] = mapped_column(String(500), default="")
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    registration: Mapped[Registration | None] = relationship()
    notice: Mapped[Notice | None] = relationship()
