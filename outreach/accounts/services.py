"""Staff accounts: signing in, creating accounts, memberships. Flushes, never commits."""

from __future__ import annotations

from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from outreach.accounts import audit
from outreach.accounts.models import Membership, Organisation, Role, StaffUser
from outreach.database import db, utcnow
from outreach.errors import NotFoundError

MIN_PASSWORD_LENGTH = 10
# Compared against when the username is unknown, so a miss costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")


class AccountError(ValueError):
    """A request about accounts that cannot be carried out; the message is for the user."""


def hash_password(password: str) -> str:
    """A salted scrypt hash."""
    return generate_password_hash(password, method="scrypt")


def load_user(user_id: str) -> StaffUser | None:
    """The account behind a session, with its memberships (permission checks need them)."""
    if not user_id.isdigit():
        return None
    return db.session.scalar(
        select(StaffUser)
        .where(StaffUser.id == int(user_id))
        .options(selectinload(StaffUser.memberships).joinedload(Membership.organisation))
    )


def find_by_username(username: str) -> StaffUser | None:
    """An account by its username, case-insensitively."""
    return db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.username) == username.strip().lower())
    )


def authenticate(username: str, password: str) -> StaffUser | None:
    """The active account whose password matches, else None (same work either way)."""
    user = find_by_username(username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    user.last_login_at = utcnow()
    return user


def validate_password(password: str) -> None:
    """Refuse passwords too short to resist guessing."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            _("The password needs at least %(num)d characters.", num=MIN_PASSWORD_LENGTH)
        )


def create_staff(
    username: str,
    password: str,
    *,
    display_name: str = "",
    is_admin: bool = False,
    actor: StaffUser | None = None,
) -> StaffUser:
    """A new staff account; the username must be free (case-insensitively)."""
    username = username.strip()
    if not username:
        raise AccountError(_("Please enter a username."))
    if find_by_username(username) is not None:
        raise AccountError(_("The username “%(name)s” is already taken.", name=username))
    validate_password(password)
    user = StaffUser(
        username=username,
        display_name=display_name.strip(),
        password_hash=hash_password(password),
        is_admin=is_admin,
        active=True,
    )
    db.session.add(user)
    audit.record(
        actor,
        "create",
        user,
        organisation_id=None,
        label=username,
        changed={"is_admin": {"before": None, "after": is_admin}},
    )
    return user


def organisation_by_slug(slug: str) -> Organisation:
    """An organisation by slug, or NotFoundError."""
    organisation = db.session.scalar(select(Organisation).where(Organisation.slug == slug))
    if organisation is None:
        raise NotFoundError("organisation", slug)
    return organisation


def set_membership(
    user: StaffUser, organisation: Organisation, role: Role | None, *, actor: StaffUser | None
) -> Membership | None:
    """Give the user a role in the organisation, change it, or (role None) remove it."""
    current = next((m for m in user.memberships if m.organisation_id == organisation.id), None)
    before = current.role.value if current else None
    if role is None:
        if current is not None:
            user.memberships.remove(current)
    elif current is None:
        current = Membership(user=user, organisation=organisation, role=role)
        db.session.add(current)
    else:
        current.role = role
    after = role.value if role else None
    if before != after:
        audit.record(
            actor,
            "membership",
            user,
            organisation_id=organisation.id,
            label=f"{user.username} @ {organisation.name}",
            changed={"role": {"before": before, "after": after}},
        )
    return current if role else None
