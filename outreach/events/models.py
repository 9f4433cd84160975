"""Category, Event and EventSession: what is offered, and each occurrence of it."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from flask import current_app, has_request_context, request
from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    Time,
)
from sqlalchemy import event as orm_event
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import expression

from outreach.accounts.models import Organisation
from outreach.database import Bilingual, Named, db, enum_column, utcnow
from outreach.enums import LabelledEnum
from outreach.links import base_url
from outreach.places.models import Venue

if TYPE_CHECKING:
    from outreach.registrations.models import Registration, Slot


class EventStatus(LabelledEnum):
    """Drafts are visible to staff only; published and cancelled events are public."""

    DRAFT = "draft", _l("Draft"), _l("Draft: only staff can see it")
    PUBLISHED = "published", _l("Published"), _l("Published: residents can see it")
    CANCELLED = "cancelled", _l("Cancelled")


PUBLIC_EVENT_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


class SessionStatus(LabelledEnum):
    """A cancelled session stays listed, marked, so residents and calendars learn of it."""

    SCHEDULED = "scheduled", _l("Scheduled")
    CANCELLED = "cancelled", _l("Cancelled")


# How long an event's texts may be: the columns, the editor and the importer share them.
TITLE_LENGTH = 200
SUMMARY_LENGTH = 500
DESCRIPTION_LENGTH = 20_000
CONTACT_NAME_LENGTH = 40
# An E.164 number of mainland China: +86 and at most 11 digits.
CONTACT_PHONE_LENGTH = 20


def uid_domain() -> str:
    """The domain part of calendar UIDs: configured (UID_DOMAIN), else the site's public
    address (BASE_URL or SERVER_NAME), never a request's Host header, which a client may
    forge; in development with neither, the request's host."""
    configured = current_app.config.get("UID_DOMAIN")
    if configured:
        return configured.split(":")[0]
    base = base_url()
    if base:
        return urlsplit(base).hostname or "outreach.invalid"
    if has_request_context():
        return request.host.split(":")[0]
    return "outreach.invalid"


def new_session_uid() -> str:
    """A calendar UID, assigned once when a session is created and never changed."""
    return f"{uuid.uuid4()}@{uid_domain()}"


class Category(Named, db.Model):
    """A kind of event (生态环保, 健康义诊, …) with a colour for pages and calendars."""

    __tablename__ = "category"

    id: Mapped[int] = mapped_column(primary_key=True)
    colour: Mapped[str] = mapped_column(String(7), default="#2e7d32")


class Event(Bilingual, db.Model):
    """What an organisation offers; a campaign is an event with sessions in many communities.

    Its texts are Chinese first; each may have an English form (`title_en`, …) that English
    pages, feeds, messages and the API use, falling back to the Chinese (see `Bilingual`).
    """

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id"), index=True)
    category_id: Mapped[int] = mapped_column(ForeignKey("category.id"), index=True)
    title: Mapped[str] = mapped_column(String(TITLE_LENGTH))
    summary: Mapped[str] = mapped_column(String(SUMMARY_LENGTH), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    audience: Mapped[str] = mapped_column(String(TITLE_LENGTH), default="")
    title_en: Mapped[str | None] = mapped_column(String(TITLE_LENGTH))
    summary_en: Mapped[str | None] = mapped_column(String(SUMMARY_LENGTH))
    description_en: Mapped[str | None] = mapped_column(Text)
    audience_en: Mapped[str | None] = mapped_column(String(TITLE_LENGTH))
    status: Mapped[EventStatus] = mapped_column(
        enum_column(EventStatus, "event_status"), default=EventStatus.DRAFT, index=True
    )
    cancellation_reason: Mapped[str] = mapped_column(String(500), default="")
    # Whom residents may call about the event: a name and an E.164 mainland number (a mobile,
    # or a landline with its area code); empty when none is given.
    contact_name: Mapped[str] = mapped_column(
        String(CONTACT_NAME_LENGTH), default="", server_default=""
    )
    contact_phone: Mapped[str] = mapped_column(
        String(CONTACT_PHONE_LENGTH), default="", server_default=""
    )
    # The UID of the calendar entry this event was imported from, so a second import of the
    # same file updates the event instead of adding it again.
    source_uid: Mapped[str | None] = mapped_column(String(255), unique=True)
    # Registration settings: how many people one registration may bring, whether a full
    # session takes a waitlist, whether a phone may hold one registration per event (a
    # screening) rather than per session, and when registration opens and closes (None: open
    # now, and open until each session starts).
    max_party_size: Mapped[int] = mapped_column(Integer, default=4)
    allow_waitlist: Mapped[bool] = mapped_column(Boolean, default=True)
    one_registration_per_event: Mapped[bool] = mapped_column(Boolean, default=False)
    registration_opens_at: Mapped[datetime | None]
    registration_closes_at: Mapped[datetime | None]
    # How many hours before each session its registrants get a reminder; 0: no reminders.
    reminder_hours: Mapped[int] = mapped_column(Integer, default=24, server_default="24")
    # When it was first published (set as its status first becomes published, whatever the
    # path): followers' digests tell sessions published since the last one.
    published_at: Mapped[datetime | None]
    # Indexed: staff pages list events by when they were made or last changed.
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)

    organisation: Mapped[Organisation] = relationship()
    category: Mapped[Category] = relationship()
    sessions: Mapped[list[EventSession]] = relationship(
        back_populates="event",
        order_by="EventSession.starts_at, EventSession.id",
        cascade="all, delete-orphan",
    )
    series: Mapped[EventSeries | None] = relationship(
        back_populates="event", cascade="all, delete-orphan"
    )

    @property
    def is_public(self) -> bool:
        """Whether residents may see this event."""
        return self.status in PUBLIC_EVENT_STATUSES


@orm_event.listens_for(Event.status, "set")
def _first_published(event: Event, status: EventStatus, _old: object, _initiator: object) -> None:
    """Note when an event is first published, by whichever path sets its status."""
    if status == EventStatus.PUBLISHED and event.published_at is None:
        event.published_at = utcnow()


class EventSeries(db.Model):
    """A recurrence rule of an event: each occurrence becomes its own EventSession.

    The rule is RFC 5545 RRULE text expanded in local time from `first_day`; exception dates
    are local dates. Kept beside the event (one series per event) so editing it can
    regenerate the future sessions it made.
    """

    __tablename__ = "event_series"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"), unique=True)
    rule: Mapped[str] = mapped_column(String(500))
    first_day: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)
    end_time: Mapped[time] = mapped_column(Time)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"))
    capacity: Mapped[int | None] = mapped_column(Integer)
    exdates: Mapped[list[str]] = mapped_column(JSON, default=list)
    # China's official calendar (see OfficialDay): no sessions on statutory holidays; and,
    # following the working calendar, sessions on working days only, and make-up workdays
    # too for a series held every working day.
    skip_holidays: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=expression.false()
    )
    working_calendar: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=expression.false()
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    event: Mapped[Event] = relationship(back_populates="series")
    venue: Mapped[Venue] = relationship()


class DayKind(LabelledEnum):
    """What the State Council's arrangement makes of a day."""

    HOLIDAY = "holiday", _l("Public holiday")
    WORKDAY = "workday", _l("Make-up workday")


# How long a holiday's name may be (e.g. 国庆节).
DAY_NAME_LENGTH = 60


class OfficialDay(db.Model):
    """A day of China's official calendar: a statutory holiday (法定节假日) or a make-up
    workday (调休上班日), with the holiday it belongs to. A year counts as known when it has
    at least one holiday; other days of a known year follow the week (Monday to Friday)."""

    __tablename__ = "official_day"

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date, unique=True)
    kind: Mapped[DayKind] = mapped_column(enum_column(DayKind, "day_kind"))
    name: Mapped[str] = mapped_column(String(DAY_NAME_LENGTH), default="")


class EventSession(db.Model):
    """One occurrence of an event at a venue, with its own capacity and calendar identity."""

    __tablename__ = "event_session"
    __table_args__ = (
        Index("ix_event_session_starts_at", "starts_at"),
        Index("ix_event_session_venue_id_starts_at", "venue_id", "starts_at"),
        Index("ix_event_session_event_id_starts_at", "event_id", "starts_at"),
        CheckConstraint("ends_at >= starts_at", name="ends_after_start"),
        CheckConstraint("capacity IS NULL OR capacity >= 0", name="capacity_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    uid: Mapped[str] = mapped_column(String(255), unique=True, default=new_session_uid)
    event_id: Mapped[int] = mapped_column(ForeignKey("event.id", ondelete="CASCADE"))
    venue_id: Mapped[int] = mapped_column(ForeignKey("venue.id"))
    starts_at: Mapped[datetime]
    ends_at: Mapped[datetime]
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    # None means unlimited; 0 is a session that takes no registrations.
    capacity: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[SessionStatus] = mapped_column(
        enum_column(SessionStatus, "session_status"), default=SessionStatus.SCHEDULED
    )
    cancellation_reason: Mapped[str] = mapped_column(String(500), default="")
    series_id: Mapped[int | None] = mapped_column(
        ForeignKey("event_series.id", ondelete="SET NULL"), index=True
    )
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Kept by triggers on registration (outreach/registrations/counters.py), never written
    # by the app: people in confirmed registrations, and waitlisted registrations. Rows
    # loaded earlier may hold older values; a registration reads them with the row locked.
    seats_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    waitlist_length: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    event: Mapped[Event] = relationship(back_populates="sessions")
    venue: Mapped[Venue] = relationship()
    # Slot and Registration belong to the registrations package (a higher layer) and are
    # named here only as strings, so that events code can load slots and ask whether a
    # session is booked without importing that package.
    registrations: Mapped[list[Registration]] = relationship(
        viewonly=True, lazy="raise", order_by="Registration.id"
    )
    slots: Mapped[list[Slot]] = relationship(
        back_populates="event_session",
        order_by="Slot.position, Slot.id",
        cascade="all, delete-orphan",
    )

    def touch(self, significant: bool = True) -> None:
        """Record a change: calendars see a later LAST-MODIFIED, and for a change of time,
        place or status (significant) a higher SEQUENCE as well."""
        if significant:
            self.sequence = (self.sequence or 0) + 1
        self.updated_at = utcnow()

    @property
    def is_cancelled(self) -> bool:
        """Whether this session, or its whole event, is called off."""
        return self.status == SessionStatus.CANCELLED or self.event.status == EventStatus.CANCELLED
