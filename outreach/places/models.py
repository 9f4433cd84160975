"""Township → Community → Venue, the hierarchy every session is placed in."""

from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from sqlalchemy import ForeignKey, Index, Numeric, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from outreach.database import Named, db, enum_column
from outreach.enums import LabelledEnum


class TownshipKind(LabelledEnum):
    """街道 (an urban street office area) or 乡 (a rural township)."""

    STREET = "street", _l("Street (街道)")
    TOWNSHIP = "township", _l("Township (乡)")


class Township(Named, db.Model):
    """A street (街道) or township (乡) of the district."""

    __tablename__ = "township"
    # Staff lists walk places by name in keyset pages (outreach.pagination).
    __table_args__ = (Index("ix_township_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[TownshipKind] = mapped_column(enum_column(TownshipKind, "township_kind"))

    communities: Mapped[list[Community]] = relationship(
        back_populates="township", order_by="Community.name"
    )


class Community(Named, db.Model):
    """A residential community (社区) inside a township."""

    __tablename__ = "community"
    # Staff lists walk places by name in keyset pages (outreach.pagination).
    __table_args__ = (Index("ix_community_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)

    township: Mapped[Township] = relationship(back_populates="communities")
    venues: Mapped[list[Venue]] = relationship(back_populates="community", order_by="Venue.name")


class Venue(Named, db.Model):
    """A place where sessions happen: in a community, or only in a township (a school, a mall)."""

    __tablename__ = "venue"
    # Staff lists walk places by name in keyset pages (outreach.pagination).
    __table_args__ = (Index("ix_venue_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(Text, default="")
    address_en: Mapped[str | None] = mapped_column(Text)
    latitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    longitude: Mapped[Decimal | None] = mapped_column(Numeric(9, 6))
    township_id: Mapped[int] = mapped_column(ForeignKey("township.id"), index=True)
    community_id: Mapped[int | None] = mapped_column(ForeignKey("community.id"), index=True)

    township: Mapped[Township] = relationship()
    community: Mapped[Community | None] = relationship(back_populates="venues")
