"""Slot and Registration: what residents book, and for how many people."""

from __future__ import annotations

from datetime import date, datetime, tzinfo

from flask_babel import lazy_gettext as _l
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.accounts.models import StaffUser
from outreach.database import Bilingual, db, enum_column, utcnow
from outreach.enums import LabelledEnum
from outreach.events.models import EventSession
from outreach.formatting import clock
from outreach.places.models import Community
from outreach.registrations import counters
from outreach.registrations.limits import CONTACT_NOTE_LENGTH
from outreach.registrations.phones import mask_mobile


class SlotWording(Bilingual):
    """How a slot reads, for the model and for the event page's plain rows (`SlotRow`):
    anything with `label`, `label_en`, `starts_at` and `ends_at`."""

    __slots__ = ()

    label: str
    label_en: str | None
    starts_at: datetime | None
    ends_at: datetime | None

    def label_and_times(self, language: str) -> str:
        """The slot as residents read it everywhere (messages, calendars, forms): its label in
        `language` (else the Chinese) and its local window, "内科 09:30–10:00" (the start
        alone when it has no end, the label alone when it has no times)."""
        label = self.text("label", language)
        window = self.window()
        return f"{label} {window}" if window else label

    def window(self) -> str:
        """Its local time window, "09:30–10:00"; the start alone without an end, "" without
        times."""
        return time_window(self.starts_at, self.ends_at)


class Slot(SlotWording, db.Model):
    """A bookable part of a session with its own capacity: a specialty, a time window, or both."""

    __tablename__ = "slot"
    __table_args__ = (CheckConstraint("capacity >= 0", name="capacity_not_negative"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("event_session.id", ondelete="CASCADE"), index=True
    )
    label: Mapped[str] = mapped_column(String(100))
    label_en: Mapped[str | None] = mapped_column(String(100))
    starts_at: Mapped[datetime | None]
    ends_at: Mapped[datetime | None]
    capacity: Mapped[int] = mapped_column(Integer)
    position: Mapped[int] = mapped_column(Integer, default=0)
    # People in confirmed registrations of the slot, kept by triggers (counters.py).
    seats_taken: Mapped[int] = mapped_column(Integer, default=0, server_default="0")

    event_session: Mapped[EventSession] = relationship(back_populates="slots")


def time_window(
    starts_at: datetime | None, ends_at: datetime | None, zone: tzinfo | None = None
) -> str:
    """A slot's local time window from its times (`Slot.window`; `zone` as `clock`)."""
    if starts_at is None:
        return ""
    if ends_at is None:
        return clock(starts_at, zone)
    return f"{clock(starts_at, zone)}–{clock(ends_at, zone)}"


class RegistrationStatus(LabelledEnum):
    """Confirmed holds seats; waitlisted waits in order; cancelled holds nothing."""

    CONFIRMED = "confirmed", _l("Confirmed")
    WAITLISTED = "waitlisted", _l("On the waitlist")
    CANCELLED = "cancelled", _l("Cancelled")


ACTIVE_STATUSES = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)


class Registration(db.Model):
    """A resident's booking of a session (and slot) for a party of people."""

    __tablename__ = "registration"
    __table_args__ = (
        # One active registration per phone per session, enforced by the database as well.
        Index(
            "uq_registration_active_phone",
            "session_id",
            "phone",
            unique=True,
            postgresql_where=text("status <> 'cancelled'"),
            sqlite_where=text("status <> 'cancelled'"),
        ),
        Index("ix_registration_session_id_status_created_at", "session_id", "status", "created_at"),
        Index("ix_registration_phone", "phone"),
        CheckConstraint("party_size >= 1", name="party_size_positive"),
        CheckConstraint("arrived >= 0", name="arrived_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("event_session.id", ondelete="CASCADE"))
    slot_id: Mapped[int | None] = mapped_column(
        ForeignKey("slot.id", ondelete="SET NULL"), index=True
    )
    status: Mapped[RegistrationStatus] = mapped_column(
        enum_column(RegistrationStatus, "registration_status")
    )
    party_size: Mapped[int] = mapped_column(Integer)
    # Personal data: erased by the retention purge (purged_at set), counts stay.
    name: Mapped[str] = mapped_column(String(100))
    # None: the resident has no mobile phone (registered by staff, who wrote `contact_note`:
    # the proxy's relation, a landline); such a registration gets no text messages.
    phone: Mapped[str | None] = mapped_column(String(20))
    contact_note: Mapped[str | None] = mapped_column(String(CONTACT_NOTE_LENGTH))
    email: Mapped[str | None] = mapped_column(String(254))
    community_id: Mapped[int | None] = mapped_column(
        ForeignKey("community.id", ondelete="SET NULL"), index=True
    )
    language: Mapped[str] = mapped_column(String(8), default="zh")
    consent_at: Mapped[datetime]
    code: Mapped[str] = mapped_column(String(6), unique=True)
    manage_token: Mapped[str] = mapped_column(String(64), unique=True)
    # The manage page's short alias in text messages (/s/<key>): 10 letters or digits, about
    # 59.5 bits, so a link fits in a 70-character SMS.
    link_key: Mapped[str | None] = mapped_column(String(16), unique=True)
    # Not unique: a resident's registrations may share one calendar feed.
    feed_token: Mapped[str] = mapped_column(String(64), index=True)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    confirmed_at: Mapped[datetime | None]
    promoted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancelled_by_staff: Mapped[bool] = mapped_column(Boolean, default=False)
    # When the first of the party checked in, and by whom; `arrived` counts the people of the
    # party who have come so far (a family of three may come two now and one later).
    checked_in_at: Mapped[datetime | None]
    arrived: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    checked_in_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    purged_at: Mapped[datetime | None]

    event_session: Mapped[EventSession] = relationship()
    slot: Mapped[Slot | None] = relationship()
    community: Mapped[Community | None] = relationship()
    created_by: Mapped[StaffUser | None] = relationship(foreign_keys=[created_by_id])
    checked_in_by: Mapped[StaffUser | None] = relationship(foreign_keys=[checked_in_by_id])

    @property
    def is_active(self) -> bool:
        """Confirmed or waitlisted."""
        return self.status in ACTIVE_STATUSES

    @property
    def still_to_come(self) -> int:
        """People of the party who have not checked in yet."""
        return max(0, self.party_size - self.arrived)

    @property
    def told_by_email(self) -> bool:
        """Whether messages to the resident go by e-mail (they gave an address) rather than
        by text message to their mobile."""
        return bool(self.email)

    @property
    def has_phone(self) -> bool:
        """Whether the resident gave a mobile number (staff may register people without)."""
        return self.phone is not None

    @property
    def masked_phone(self) -> str:
        """The mobile number with its middle hidden: 138****1234 ("" without a number)."""
        return mask_mobile(self.phone) if self.phone is not None else ""


class PhoneCheck(db.Model):
    """What is known of one mobile number for verifying it and capping its texts: its pending
    one-time code and the day's count of texts sent to it (registrations/verification.py).

    Holds no phone number: `phone_key` and `code_hash` are HMACs keyed with the secret key.
    A row not touched for a day is useless and erased by the retention purge.
    """

    __tablename__ = "phone_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The pending code (None: none, or used); `tries_used` counts guesses at it.
    code_hash: Mapped[str | None] = mapped_column(String(64))
    code_sent_at: Mapped[datetime | None]
    code_expires_at: Mapped[datetime | None]
    tries_used: Mapped[int] = mapped_column(Integer, default=0)
    # Texts of any kind sent to the number on `texts_day` (the site's local calendar day).
    texts_day: Mapped[date | None] = mapped_column(Date)
    texts_sent: Mapped[int] = mapped_column(Integer, default=0)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow, index=True)


class OfflineCheckIn(db.Model):
    """A check-in made at a desk without network and sent later (registrations/desk_sync.py):
    its device-made key, so the same one sent twice counts once, and what became of it.

    Holds no personal data: the code typed, the registration it found, when the desk checked
    the person in, and when and by whom it was sent.
    """

    __tablename__ = "offline_check_in"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(36), unique=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("event_session.id", ondelete="CASCADE"), index=True
    )
    registration_id: Mapped[int | None] = mapped_column(
        ForeignKey("registration.id", ondelete="SET NULL"), index=True
    )
    code: Mapped[str] = mapped_column(String(20))
    people: Mapped[int | None] = mapped_column(Integer)
    # checked_in, already, cancelled, waitlisted, unknown, wrong_day (desk_sync.OUTCOMES)
    outcome: Mapped[str] = mapped_column(String(20))
    checked_at: Mapped[datetime]
    synced_at: Mapped[datetime] = mapped_column(default=utcnow)
    synced_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )

    registration: Mapped[Registration | None] = relationship()


counters.attach(Registration.__table__)
