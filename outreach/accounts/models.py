"""Organisations: who runs events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import UserMixin
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    String,
    UniqueConstraint,
    func,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship
from sqlalchemy.sql import expression

from outreach.database import Named, db, enum_column, utcnow
from outreach.enums import LabelledEnum


class OrganisationKind(LabelledEnum):
    """What sort of body an organisation is."""

    DISTRICT_DEPARTMENT = "district_department", _l("District department")
    HEALTH_CENTRE = "health_centre", _l("Community health service centre")
    STREET_OFFICE = "street_office", _l("Street or township office")
    COMMUNITY_COMMITTEE = "community_committee", _l("Community committee")
    SCHOOL = "school", _l("School")
    OTHER = "other", _l("Other")


class Organisation(Named, db.Model):
    """A district commission, health centre, street office, community committee or school."""

    __tablename__ = "organisation"
    # The staff list of organisations, by name in keyset pages.
    __table_args__ = (Index("ix_organisation_name_id", "name", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[OrganisationKind] = mapped_column(
        enum_column(OrganisationKind, "organisation_kind")
    )
    # Every member signs in with a second step (a code from an authenticator app).
    require_two_factor: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default=expression.false()
    )


class Role(LabelledEnum):
    """A staff member's role in one organisation, from most to least powerful; the
    description says what the role may do."""

    MANAGER = (
        "manager",
        _l("Manager"),
        _l("Manager: everything, including the organisation's staff"),
    )
    ORGANISER = "organiser", _l("Organiser"), _l("Organiser: creates and changes events")
    CHECKER = "checker", _l("Checker"), _l("Checker: checks residents in")


class StaffUser(UserMixin, db.Model):
    """A staff account; what it may do comes from its memberships (or from being an admin)."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(80), unique=True)
    display_name: Mapped[str] = mapped_column(String(120), default="")
    password_hash: Mapped[str] = mapped_column(String(255))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    # Part of every session's and remember-me cookie's id: raising it ends them all.
    session_version: Mapped[int] = mapped_column(default=1, server_default="1")
    # Two-factor sign-in (accounts.two_factor): the shared TOTP secret (base32), the last
    # time step whose code was accepted (a code works once), and when it was set up.
    totp_secret: Mapped[str | None] = mapped_column(String(64))
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)
    totp_enrolled_at: Mapped[datetime | None]

    memberships: Mapped[list[Membership]] = relationship(
        back_populates="user", cascade="all, delete-orphan"
    )
    recovery_codes: Mapped[list[RecoveryCode]] = relationship(
        back_populates="user", cascade="all, delete-orphan", passive_deletes=True
    )

    @property
    def is_active(self) -> bool:
        """Flask-Login refuses sessions of deactivated accounts."""
        return self.active

    def get_id(self) -> str:
        """What sessions and remember-me cookies hold: "<id>:<session version>", so a new
        version refuses every older cookie (see services.load_user)."""
        return f"{self.id}:{self.session_version}"

    @property
    def label(self) -> str:
        """How the account is named on pages and in the audit trail."""
        return self.display_name or self.username

    @property
    def has_two_factor(self) -> bool:
        """Signs in with a code from an authenticator app after the password."""
        return bool(self.totp_secret and self.totp_enrolled_at)


# Usernames are unique whatever their case, as sign-in compares them that way.
Index("uq_staff_user_username_lower", func.lower(StaffUser.username), unique=True)


class Membership(db.Model):
    """A staff account's role in one organisation."""

    __tablename__ = "membership"
    __table_args__ = (UniqueConstraint("user_id", "organisation_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id", ondelete="CASCADE"))
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisation.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[Role] = mapped_column(enum_column(Role, "membership_role"))

    user: Mapped[StaffUser] = relationship(back_populates="memberships")
    organisation: Mapped[Organisation] = relationship()


class RecoveryCode(db.Model):
    """One of the single-use codes that stand in for the authenticator app; only a keyed
    hash of the code is kept (accounts.two_factor)."""

    __tablename__ = "recovery_code"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("staff_user.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    used_at: Mapped[datetime | None]

    user: Mapped[StaffUser] = relationship(back_populates="recovery_codes")


class Invitation(db.Model):
    """A manager's offer of a role in their organisation to whoever holds a username; it
    becomes a membership when that account accepts it on its own page.

    Kept by (canonical) username, not by account, and made whether or not the name is anyone's:
    what the manager sees after inviting is the same either way, so the form does not tell a
    manager which usernames exist.
    """

    __tablename__ = "invitation"
    __table_args__ = (UniqueConstraint("organisation_id", "username"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisation.id", ondelete="CASCADE"))
    username: Mapped[str] = mapped_column(String(80), index=True)
    role: Mapped[Role] = mapped_column(enum_column(Role, "invitation_role"))
    invited_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    organisation: Mapped[Organisation] = relationship()
    invited_by: Mapped[StaffUser | None] = relationship()


class AuditEntry(db.Model):
    """Who did what to which record, when, with the changed fields before and after."""

    __tablename__ = "audit_entry"
    __table_args__ = (
        Index("ix_audit_entry_organisation_id_at", "organisation_id", "at"),
        # The trail is read newest first in keyset pages, filtered by organisation or action.
        Index("ix_audit_entry_organisation_id_id", "organisation_id", "id"),
        Index("ix_audit_entry_action_id", "action", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff_user.id", ondelete="SET NULL"), index=True
    )
    # Kept as text so the trail still names the actor after the account is deleted.
    actor_label: Mapped[str] = mapped_column(String(120), default="")
    action: Mapped[str] = mapped_column(String(40))
    target_type: Mapped[str] = mapped_column(String(40))
    target_id: Mapped[int | None]
    target_label: Mapped[str] = mapped_column(String(300), default="")
    organisation_id: Mapped[int | None] = mapped_column(
        ForeignKey("organisation.id", ondelete="SET NULL")
    )
    changes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[StaffUser | None] = relationship()
