"""Followers (a mobile number or an e-mail address that proved itself) and what they follow."""

from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.database import db, enum_column, utcnow
from outreach.enums import LabelledEnum
from outreach.messages.models import MessageChannel


class FollowScope(LabelledEnum):
    """What a follow is of: a place, an organisation or a category (its URL word too)."""

    TOWNSHIP = "townships", _l("Street or township")
    COMMUNITY = "communities", _l("Community")
    ORGANISATION = "organisations", _l("Organisation")
    CATEGORY = "categories", _l("Category")


class Follower(db.Model):
    """One mobile number or e-mail address that receives digests.

    Personal data: `address` is erased (and the follows ended) by the retention purge a
    year after the last activity; the row stays so that counts are kept. `address_key` (an
    HMAC of the address) finds the row again without reading addresses.
    """

    __tablename__ = "follower"

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[MessageChannel] = mapped_column(enum_column(MessageChannel, "follower_channel"))
    address: Mapped[str] = mapped_column(String(254))
    address_key: Mapped[str] = mapped_column(String(64), unique=True)
    # The secret of the unsubscribe link (/u/<token>): short, for text messages.
    token: Mapped[str] = mapped_column(String(16), unique=True)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The last follow confirmed, digest queued or visit to the unsubscribe page.
    active_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    # Sessions published up to here have been told (or were there before the follow).
    told_through: Mapped[datetime] = mapped_column(default=utcnow)
    stopped_at: Mapped[datetime | None]
    purged_at: Mapped[datetime | None]

    follows: Mapped[list[Follow]] = relationship(
        back_populates="follower", order_by="Follow.id", cascade="all, delete-orphan"
    )

    @property
    def active_follows(self) -> list[Follow]:
        """The follows not ended."""
        return [follow for follow in self.follows if follow.ended_at is None]


class Follow(db.Model):
    """A follower's follow of one place, organisation or category, with the consent's time."""

    __tablename__ = "follow"
    __table_args__ = (
        UniqueConstraint("follower_id", "scope", "target_id"),
        Index("ix_follow_scope_target_id", "scope", "target_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    follower_id: Mapped[int] = mapped_column(
        ForeignKey("follower.id", ondelete="CASCADE"), index=True
    )
    scope: Mapped[FollowScope] = mapped_column(enum_column(FollowScope, "follow_scope"))
    # The id of the township, community, organisation or category.
    target_id: Mapped[int] = mapped_column(Integer)
    consented_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]

    follower: Mapped[Follower] = relationship(back_populates="follows")
