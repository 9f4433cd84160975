"""Organisations: who runs events."""

from __future__ import annotations

import enum

from sqlalchemy.orm import Mapped, mapped_column

from outreach.database import Named, db, enum_column


class OrganisationKind(enum.StrEnum):
    """What sort of body an organisation is."""

    DISTRICT_DEPARTMENT = "district_department"
    HEALTH_CENTRE = "health_centre"
    STREET_OFFICE = "street_office"
    COMMUNITY_COMMITTEE = "community_committee"
    SCHOOL = "school"
    OTHER = "other"


class Organisation(Named, db.Model):
    """A district commission, health centre, street office, community committee or school."""

    __tablename__ = "organisation"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column(OrganisationKind, "organisation_kind")
    )
