"""Staff accounts: signing in, creating accounts, memberships. Flushes, never commits."""

from __future__ import annotations

from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from werkzeug.security import check_password_hash, generate_password_hash

from outreach.accounts import audit, passwords, permissions, usernames
from outreach.accounts.models import (
    AuditEntry,
    Invitation,
    Membership,
    Organisation,
    OrganisationKind,
    Role,
    StaffUser,
)
from outreach.database import db, utcnow, with_names
from outreach.errors import NotFoundError, RuleError
from outreach.pagination import CursorPage, Order, keyset_page, matching

USERNAME_LENGTH = StaffUser.__table__.c.username.type.length
# Compared against when the username is unknown, so a miss costs as much as a wrong password.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")


class AccountError(RuleError):
    """A request about accounts that cannot be carried out; names the form field at fault."""


def hash_password(password: str) -> str:
    """A salted scrypt hash."""
    return generate_password_hash(password, method="scrypt")


def load_user(user_id: str) -> StaffUser | None:
    """The active account behind a session or remember-me cookie, with its memberships
    (permission checks need them).

    The id is "<account id>:<session version>" (StaffUser.get_id): a cookie from before the
    version last went up (sign-out, new password, role taken away, deactivation, "sign out
    everywhere") loads as nobody, and so does any session of a deactivated account.
    """
    account_id, _, version = user_id.partition(":")
    if not (account_id.isascii() and account_id.isdigit()):
        return None
    if not (version.isascii() and version.isdigit()):
        return None
    return db.session.scalar(
        select(StaffUser)
        .where(
            StaffUser.id == int(account_id),
            StaffUser.active.is_(True),
            StaffUser.session_version == int(version),
        )
        .options(selectinload(StaffUser.memberships).joinedload(Membership.organisation))
    )


def end_sessions(user: StaffUser, *, actor: StaffUser | None, action: str = "end_sessions") -> None:
    """End every session and remember-me cookie of the account, on every browser, by raising
    its session version; recorded in the trail as `action`."""
    before = user.session_version or 1
    user.session_version = before + 1
    audit.record(
        actor,
        action,
        user,
        organisation_id=None,
        label=user.username,
        changed={"session_version": {"before": before, "after": before + 1}},
    )


def find_by_username(username: str) -> StaffUser | None:
    """An account by its username, whatever width or case it is typed in."""
    return db.session.scalar(
        select(StaffUser).where(func.lower(StaffUser.username) == usernames.canonical(username))
    )


def authenticate(username: str, password: str) -> StaffUser | None:
    """The active account whose password matches, else None (same work either way); a
    failure is recorded in the trail, naming the account or, if none, the name typed."""
    user = find_by_username(username)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        audit.record(
            None, "sign_in_failed", None, organisation_id=None, label=username.strip()[:80]
        )
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        audit.record(None, "sign_in_failed", user, organisation_id=None, label=user.username)
        return None
    return user


def signed_in(user: StaffUser, *, second_step: str | None = None) -> None:
    """Record a completed sign-in: the time on the account, and an entry in the trail saying
    which second step (a code, a recovery code, or none) was used."""
    user.last_login_at = utcnow()
    changed = {"second_step": {"before": None, "after": str(second_step)}} if second_step else {}
    audit.record(user, "sign_in", user, organisation_id=None, label=user.username, changed=changed)


def validate_password(password: str, user: StaffUser | None = None, *known: str) -> None:
    """Refuse a password that is short, common or repetitive (the rule: `passwords.check`),
    or made of the account's username or name, or of the `known` words."""
    if user is not None:
        known = (user.username, user.display_name, *known)
    passwords.check(password, known)


def _typed_username(username: str) -> str:
    """The canonical form of a typed username, or AccountError when it is empty or too long."""
    username = usernames.canonical(username)
    if not username:
        raise AccountError(_("Please enter a username."), "username")
    if len(username) > USERNAME_LENGTH:
        raise AccountError(
            _("A username has at most %(num)d characters.", num=USERNAME_LENGTH), "username"
        )
    return username


def validate_username(username: str) -> str:
    """The canonical form of a new username, or AccountError when it is empty, too long,
    taken, confusable with an existing one, or mixes alphabets."""
    username = _typed_username(username)
    if usernames.mixes_scripts(username):
        raise AccountError(
            _("Please use letters of one alphabet only: not Latin and Cyrillic together."),
            "username",
        )
    if find_by_username(username) is not None:
        raise AccountError(
            _("The username “%(name)s” is already taken.", name=username), "username", "duplicate"
        )
    if usernames.look_alike(username, db.session.scalars(select(StaffUser.username))):
        raise AccountError(
            _(
                "“%(name)s” looks too much like an existing username. Please choose another.",
                name=username,
            ),
            "username",
            "duplicate",
        )
    return username


def create_staff(
    username: str,
    password: str,
    *,
    display_name: str = "",
    is_admin: bool = False,
    actor: StaffUser | None = None,
) -> StaffUser:
    """A new staff account; the username is stored in its canonical form (NFKC, case-folded),
    and must be free, look like no other and not mix alphabets (see `usernames`)."""
    username = validate_username(username)
    validate_password(password, None, username, display_name)
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
            end_sessions(user, actor=actor)
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


# Administration of organisations, memberships and accounts from the staff pages.

ORGANISATION_FIELDS = ("name", "name_en", "kind")


def save_organisation(
    organisation: Organisation | None,
    *,
    name: str,
    name_en: str | None,
    kind: str,
    actor: StaffUser,
) -> Organisation:
    """Create or change an organisation; its slug is made once from the Chinese name."""
    before = audit.snapshot(organisation, ORGANISATION_FIELDS) if organisation else None
    organisation = with_names(Organisation, organisation, name, name_en)
    organisation.kind = OrganisationKind(kind)
    db.session.flush()
    after = audit.snapshot(organisation, ORGANISATION_FIELDS)
    audit.record_saved(
        actor, organisation, before, after, organisation_id=organisation.id, label=organisation.name
    )
    return organisation


def organisations_for(user: StaffUser) -> list[Organisation]:
    """The organisations a user may look after: all for administrators, else those managed."""
    statement = select(Organisation).order_by(Organisation.name)
    managed = permissions.organisation_ids(user, frozenset({Role.MANAGER}))
    if managed is not None:
        statement = statement.where(Organisation.id.in_(managed))
    return list(db.session.scalars(statement))


def organisation_page(
    user: StaffUser, words: str, cursor: str | None, per_page: int
) -> CursorPage[Organisation]:
    """The organisations a user may look after (see organisations_for), by name in keyset
    pages, those whose name contains `words` when given: one query."""
    statement = select(Organisation)
    managed = permissions.organisation_ids(user, frozenset({Role.MANAGER}))
    if managed is not None:
        statement = statement.where(Organisation.id.in_(managed))
    if words:
        statement = statement.where(matching((Organisation.name, Organisation.name_en), words))
    order = Order((Organisation.name, Organisation.id))
    return keyset_page(statement, order, per_page, cursor, name="organisations")


def members(organisation: Organisation) -> list[Membership]:
    """The organisation's memberships with their accounts, by username."""
    return list(
        db.session.scalars(
            select(Membership)
            .join(Membership.user)
            .where(Membership.organisation_id == organisation.id)
            .options(contains_eager(Membership.user))
            .order_by(func.lower(StaffUser.username))
        )
    )


def member_page(
    organisation: Organisation, cursor: str | None, per_page: int, *, name: str = "members"
) -> CursorPage[Membership]:
    """The organisation's memberships with their accounts, by username in keyset pages:
    one query."""
    statement = (
        select(Membership)
        .join(Membership.user)
        .where(Membership.organisation_id == organisation.id)
        .options(contains_eager(Membership.user))
    )
    order = Order(
        (StaffUser.username, StaffUser.id),
        key=lambda membership: (membership.user.username, membership.user.id),
    )
    return keyset_page(statement, order, per_page, cursor, name=f"{name}.{organisation.id}")


def account(user_id: int) -> StaffUser:
    """An account with its memberships and their organisations, or NotFoundError."""
    user = db.session.scalar(
        select(StaffUser)
        .where(StaffUser.id == user_id)
        .options(selectinload(StaffUser.memberships).joinedload(Membership.organisation))
    )
    if user is None:
        raise NotFoundError("account", user_id)
    return user


def member(organisation: Organisation, user_id: int) -> StaffUser:
    """A member of the organisation by account id; anyone else is NotFoundError."""
    user = account(user_id)
    if permissions.role_in(user, organisation.id) is None:
        raise NotFoundError("member", user_id)
    return user


def account_page(words: str, cursor: str | None, per_page: int) -> CursorPage[StaffUser]:
    """Accounts by username in keyset pages, those whose username or name contains `words`
    when given, with their memberships and organisations: two queries."""
    statement = select(StaffUser).options(
        selectinload(StaffUser.memberships).joinedload(Membership.organisation)
    )
    if words:
        statement = statement.where(matching((StaffUser.username, StaffUser.display_name), words))
    order = Order((StaffUser.username, StaffUser.id))
    return keyset_page(statement, order, per_page, cursor, name="users")


def create_account(
    username: str, display_name: str, password: str, *, is_admin: bool, actor: StaffUser
) -> StaffUser:
    """A new account made on the staff pages; errors name the form field at fault."""
    return create_staff(
        username, password, display_name=display_name, is_admin=is_admin, actor=actor
    )


def add_new_member(
    organisation: Organisation,
    *,
    username: str,
    display_name: str,
    password: str,
    role: Role | str,
    actor: StaffUser,
) -> StaffUser:
    """A new account with a role in the organisation."""
    user = create_account(username, display_name, password, is_admin=False, actor=actor)
    set_membership(user, organisation, Role(role), actor=actor)
    return user


def add_member(
    organisation: Organisation, *, username: str, role: Role | str, actor: StaffUser
) -> StaffUser:
    """Give an existing account a role in the organisation."""
    user = find_by_username(username)
    if user is None:
        raise AccountError(
            _("There is no account with the username “%(name)s”.", name=username), "username"
        )
    if permissions.role_in(user, organisation.id) is not None:
        raise AccountError(
            _("%(name)s is already a member of this organisation.", name=user.label),
            "username",
            "duplicate",
        )
    set_membership(user, organisation, Role(role), actor=actor)
    return user


# Invitations: how managers give an existing account a role without learning which usernames
# exist (administrators add accounts directly with add_member, and see every account anyway).

INVITATION_DAYS = 14


def invite_member(
    organisation: Organisation, *, username: str, role: Role | str, actor: StaffUser
) -> Invitation:
    """Invite whoever holds `username` to the organisation in `role`, whether or not an
    account has that name: the manager's answer, the invitations listed and the trail are the
    same either way. Inviting the same name again renews the invitation with the new role.
    Only a name that is already a member is refused: the manager sees the members anyway.
    """
    name = _typed_username(username)
    member = next(
        (m.user for m in members(organisation) if usernames.canonical(m.user.username) == name),
        None,
    )
    if member is not None:
        raise AccountError(
            _("%(name)s is already a member of this organisation.", name=member.label),
            "username",
            "duplicate",
        )
    invitation = db.session.scalar(
        select(Invitation).where(
            Invitation.organisation_id == organisation.id, Invitation.username == name
        )
    )
    before = invitation.role.value if invitation else None
    if invitation is None:
        invitation = Invitation(organisation=organisation, username=name)
        db.session.add(invitation)
    invitation.role = Role(role)
    invitation.invited_by = actor
    invitation.created_at = utcnow()
    db.session.flush()
    audit.record(
        actor,
        "invite",
        invitation,
        organisation_id=organisation.id,
        label=f"{name} @ {organisation.name}",
        changed={"role": {"before": before, "after": invitation.role.value}},
    )
    return invitation


def _open_invitations():
    since = utcnow() - timedelta(days=INVITATION_DAYS)
    return (
        select(Invitation)
        .where(Invitation.created_at > since)
        .options(joinedload(Invitation.organisation), joinedload(Invitation.invited_by))
        .order_by(Invitation.created_at.desc(), Invitation.id.desc())
    )


def purge_expired_invitations(now: datetime | None = None) -> int:
    """Erase the invitations no longer open (a username and who invited it, kept only while
    it can be answered); run by the retention purge. Returns how many."""
    since = (now or utcnow()) - timedelta(days=INVITATION_DAYS)
    result = db.session.execute(
        delete(Invitation)
        .where(Invitation.created_at <= since)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0


def invitation_page(
    organisation: Organisation, cursor: str | None, per_page: int
) -> CursorPage[Invitation]:
    """The organisation's open invitations, newest first, in keyset pages: one query."""
    statement = _open_invitations().where(Invitation.organisation_id == organisation.id)
    order = Order((Invitation.created_at, Invitation.id), descending=True)
    return keyset_page(statement, order, per_page, cursor, name=f"invitations.{organisation.id}")


def invitations_for(user: StaffUser) -> list[Invitation]:
    """The invitations waiting for the account's answer, newest first."""
    name = usernames.canonical(user.username)
    return list(db.session.scalars(_open_invitations().where(Invitation.username == name)))


def invitation(
    invitation_id: int, *, organisation: Organisation | None = None, user: StaffUser | None = None
) -> Invitation:
    """An open invitation of the organisation, or addressed to the user; else NotFoundError."""
    statement = _open_invitations().where(Invitation.id == invitation_id)
    if organisation is not None:
        statement = statement.where(Invitation.organisation_id == organisation.id)
    if user is not None:
        statement = statement.where(Invitation.username == usernames.canonical(user.username))
    found = db.session.scalar(statement)
    if found is None:
        raise NotFoundError("invitation", invitation_id)
    return found


def answer_invitation(user: StaffUser, invitation: Invitation, *, accept: bool) -> None:
    """Accept (the account becomes a member in the invited role, unless it is one already)
    or decline an invitation addressed to the account; either way it is used up."""
    organisation = invitation.organisation
    if accept and permissions.role_in(user, organisation.id) is None:
        set_membership(user, organisation, invitation.role, actor=user)
    _close(invitation, "accept_invitation" if accept else "decline_invitation", actor=user)


def withdraw_invitation(invitation: Invitation, *, actor: StaffUser) -> None:
    """Take back an invitation not yet answered."""
    _close(invitation, "withdraw_invitation", actor=actor)


def _close(invitation: Invitation, action: str, *, actor: StaffUser) -> None:
    audit.record(
        actor,
        action,
        invitation,
        organisation_id=invitation.organisation_id,
        label=f"{invitation.username} @ {invitation.organisation.name}",
        changed={"role": {"before": invitation.role.value, "after": None}},
    )
    db.session.delete(invitation)


def _managers(organisation: Organisation) -> int:
    return db.session.scalar(
        select(func.count(Membership.id)).where(
            Membership.organisation_id == organisation.id, Membership.role == Role.MANAGER
        )
    )


def change_membership(
    organisation: Organisation, user: StaffUser, role: Role | None, *, actor: StaffUser
) -> None:
    """Change a member's role or (role None) remove them; the last manager stays a manager.

    An organisation that has a manager keeps one, so someone can always look after its staff
    without an administrator: a manager hands over by making someone else manager first.
    """
    if (
        permissions.role_in(user, organisation.id) == Role.MANAGER
        and role != Role.MANAGER
        and _managers(organisation) <= 1
    ):
        raise AccountError(
            _(
                "%(name)s is the only manager of this organisation. "
                "Make someone else a manager first.",
                name=user.label,
            ),
            "role",
        )
    set_membership(user, organisation, role, actor=actor)


def _update_account(user: StaffUser, action: str, *, actor: StaffUser, **values: object) -> None:
    before = audit.snapshot(user, tuple(values))
    for name, value in values.items():
        setattr(user, name, value)
    audit.record(
        actor,
        action,
        user,
        organisation_id=None,
        label=user.username,
        changed=audit.changes(before, audit.snapshot(user, tuple(values))),
    )


def set_admin(user: StaffUser, is_admin: bool, *, actor: StaffUser) -> None:
    """Make an account an administrator, or no longer one (never one's own account)."""
    if user.id == actor.id and not is_admin:
        raise AccountError(_("You cannot take away your own administrator rights."), "state")
    if user.is_admin != is_admin:
        _update_account(user, "update", actor=actor, is_admin=is_admin)


def set_active(user: StaffUser, active: bool, *, actor: StaffUser) -> None:
    """Deactivate an account (it can no longer sign in) or reactivate it; never one's own."""
    if user.id == actor.id and not active:
        raise AccountError(_("You cannot deactivate your own account."), "state")
    if user.active != active:
        _update_account(user, "reactivate" if active else "deactivate", actor=actor, active=active)
        if not active:
            end_sessions(user, actor=actor)


def reset_password(user: StaffUser, *, password: str, actor: StaffUser) -> StaffUser:
    """Give an account a new password, ending its sessions; the trail records that it
    changed, never the hash."""
    validate_password(password, user)
    user.password_hash = hash_password(password)
    audit.record(actor, "reset_password", user, organisation_id=None, label=user.username)
    end_sessions(user, actor=actor)
    return user


def change_own_password(user: StaffUser, *, current_password: str, password: str) -> StaffUser:
    """The signed-in person's new password, after the current one: their other sessions end
    (the view keeps the browser that set it signed in)."""
    if not check_password_hash(user.password_hash, current_password):
        raise AccountError(_("The current password is not right."), "current_password")
    return reset_password(user, password=password, actor=user)


def audit_page(
    organisation_ids: set[int] | None,
    *,
    organisation_id: int | None = None,
    action: str | None = None,
    words: str = "",
    cursor: str | None = None,
    per_page: int = 50,
) -> CursorPage[AuditEntry]:
    """One keyset page of the trail, newest first (entries are numbered as they are
    written): all of it (None) or the given organisations', of one action, or naming
    `words` (who or what); one query."""
    statement = select(AuditEntry)
    if organisation_ids is not None:
        statement = statement.where(AuditEntry.organisation_id.in_(organisation_ids))
    if organisation_id is not None:
        statement = statement.where(AuditEntry.organisation_id == organisation_id)
    if action:
        statement = statement.where(AuditEntry.action == action)
    if words:
        statement = statement.where(
            matching((AuditEntry.target_label, AuditEntry.actor_label), words)
        )
    order = Order((AuditEntry.id,), descending=True)
    return keyset_page(statement, order, per_page, cursor, name="audit")
