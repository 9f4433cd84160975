"""Who may do what: the one place the rules live, used by views, services and templates.

Each check reads the user's memberships, loaded with the user, so none of them queries.
"""

from __future__ import annotations

from typing import Any

from werkzeug.exceptions import Forbidden

from outreach.accounts.models import Role

EDITING_ROLES = frozenset({Role.MANAGER, Role.ORGANISER})
ANY_ROLE = frozenset(Role)


def _signed_in(user: Any) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False))


def is_admin(user: Any) -> bool:
    """A site administrator: places, organisations, categories, accounts and everything else."""
    return _signed_in(user) and bool(user.is_admin)


def role_in(user: Any, organisation_id: int | None) -> Role | None:
    """The user's role in an organisation, or None."""
    if not _signed_in(user) or organisation_id is None:
        return None
    for membership in user.memberships:
        if membership.organisation_id == organisation_id:
            return membership.role
    return None


def _has_role(user: Any, organisation_id: int | None, roles: frozenset[Role]) -> bool:
    return is_admin(user) or role_in(user, organisation_id) in roles


def can_manage_places(user: Any) -> bool:
    """Townships, communities, venues and categories are the administrators' to manage."""
    return is_admin(user)


def can_manage_accounts(user: Any) -> bool:
    """Every staff account, administrator rights, and organisations themselves are the admins'."""
    return is_admin(user)


def manages_any_organisation(user: Any) -> bool:
    """Holds the manager role in at least one organisation."""
    return _signed_in(user) and any(m.role == Role.MANAGER for m in user.memberships)


def can_list_organisations(user: Any) -> bool:
    """Administrators see every organisation; managers see the ones they manage."""
    return is_admin(user) or manages_any_organisation(user)


def can_manage_organisation(user: Any, organisation_id: int | None) -> bool:
    """Managers run their organisation, including its staff accounts."""
    return _has_role(user, organisation_id, frozenset({Role.MANAGER}))


def can_edit_events(user: Any, organisation_id: int | None) -> bool:
    """Managers and organisers create and change their organisation's events."""
    return _has_role(user, organisation_id, EDITING_ROLES)


def can_edit_some_events(user: Any) -> bool:
    """Manager or organiser somewhere (or an administrator): the staff events list is theirs."""
    return is_admin(user) or bool(organisation_ids(user, EDITING_ROLES))


def can_check_in(user: Any, organisation_id: int | None) -> bool:
    """Every role of the organisation may check residents in."""
    return _has_role(user, organisation_id, ANY_ROLE)


def can_see_phone_numbers(user: Any, organisation_id: int | None) -> bool:
    """Registrants' full phone numbers and e-mails: managers of the organisation, admins."""
    return can_manage_organisation(user, organisation_id)


def can_see_audit(user: Any, organisation_id: int | None = None) -> bool:
    """Managers see their organisation's trail; administrators see all of it."""
    if organisation_id is None:
        return can_list_organisations(user)
    return can_manage_organisation(user, organisation_id)


def can_see_stats(user: Any, organisation_id: int | None = None) -> bool:
    """Statistics: managers see their organisations' figures; administrators see all of them."""
    if organisation_id is None:
        return can_list_organisations(user)
    return can_manage_organisation(user, organisation_id)


def is_staff(user: Any) -> bool:
    """Signed in with at least one role, or an administrator."""
    return is_admin(user) or (_signed_in(user) and bool(user.memberships))


def organisation_ids(user: Any, roles: frozenset[Role] = ANY_ROLE) -> set[int] | None:
    """Organisations where the user holds one of the roles; None means all (administrators)."""
    if is_admin(user):
        return None
    if not _signed_in(user):
        return set()
    return {m.organisation_id for m in user.memberships if m.role in roles}


def require(allowed: bool) -> None:
    """Stop the request with 403 unless allowed."""
    if not allowed:
        raise Forbidden()


class Checks:
    """The checks bound to one user, for templates: `can.edit_events(event.organisation_id)`."""

    def __init__(self, user: Any) -> None:
        self._user = user

    def admin(self) -> bool:
        """See is_admin."""
        return is_admin(self._user)

    def staff(self) -> bool:
        """See is_staff."""
        return is_staff(self._user)

    def manage_places(self) -> bool:
        """See can_manage_places."""
        return can_manage_places(self._user)

    def manage_accounts(self) -> bool:
        """See can_manage_accounts."""
        return can_manage_accounts(self._user)

    def list_organisations(self) -> bool:
        """See can_list_organisations."""
        return can_list_organisations(self._user)

    def manage_organisation(self, organisation_id: int | None) -> bool:
        """See can_manage_organisation."""
        return can_manage_organisation(self._user, organisation_id)

    def edit_events(self, organisation_id: int | None) -> bool:
        """See can_edit_events."""
        return can_edit_events(self._user, organisation_id)

    def edit_some_events(self) -> bool:
        """See can_edit_some_events."""
        return can_edit_some_events(self._user)

    def check_in(self, organisation_id: int | None) -> bool:
        """See can_check_in."""
        return can_check_in(self._user, organisation_id)

    def see_phone_numbers(self, organisation_id: int | None) -> bool:
        """See can_see_phone_numbers."""
        return can_see_phone_numbers(self._user, organisation_id)

    def see_audit(self, organisation_id: int | None = None) -> bool:
        """See can_see_audit."""
        return can_see_audit(self._user, organisation_id)

    def see_stats(self, organisation_id: int | None = None) -> bool:
        """See can_see_stats."""
        return can_see_stats(self._user, organisation_id)
