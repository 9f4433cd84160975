"""Administration pages: organisations and their members, staff accounts, the audit trail."""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from outreach.accounts import audit, permissions, services, two_factor
from outreach.accounts.admin_forms import (
    ExistingMemberForm,
    NewAdminAccountForm,
    NewMemberForm,
    OrganisationForm,
    PasswordForm,
    RoleForm,
    SwitchForm,
)
from outreach.accounts.guard import staff_blueprint, stay_signed_in
from outreach.accounts.models import Organisation, Role, StaffUser
from outreach.attempt import attempt_flash, submit
from outreach.errors import InvalidInput, NotFoundError
from outreach.extensions import limiter
from outreach.forms import values
from outreach.pagination import cursor_argument, search_argument

bp = staff_blueprint("accounts_admin", __name__, url_prefix="/staff")

TOO_MANY_ACCOUNT_ATTEMPTS = _l("Too many refused new accounts. Please wait an hour and try again.")
MANAGER_ONLY = frozenset({Role.MANAGER})
# An organisation's page lists its members (?cursor=) and its invitations (this parameter).
INVITATIONS_CURSOR = "invitations"

# How the trail names what was done, changed and to what; unknown codes are shown as they are.
ACTIONS = {
    "create": _l("Created"),
    "update": _l("Changed"),
    "delete": _l("Deleted"),
    "publish": _l("Published"),
    "cancel": _l("Cancelled"),
    "restore": _l("Restored"),
    "reschedule": _l("Rescheduled"),
    "clone": _l("Copied"),
    "membership": _l("Role changed"),
    "deactivate": _l("Deactivated"),
    "reactivate": _l("Reactivated"),
    "reset_password": _l("Password reset"),
    "sign_out": _l("Signed out"),
    "sign_out_everywhere": _l("Signed out everywhere"),
    "end_sessions": _l("Sessions ended"),
    "sign_in": _l("Signed in"),
    "sign_in_failed": _l("Sign-in failed"),
    "two_factor_failed": _l("Wrong code at sign-in"),
    "two_factor_enrol": _l("Two-factor sign-in set up"),
    "two_factor_disable": _l("Two-factor sign-in turned off"),
    "two_factor_reset": _l("Two-factor sign-in reset"),
    "recovery_codes": _l("New recovery codes"),
    "recovery_code_used": _l("Recovery code used"),
    "two_factor_rule": _l("Two-factor rule changed"),
    "invite": _l("Invited"),
    "accept_invitation": _l("Invitation accepted"),
    "decline_invitation": _l("Invitation declined"),
    "withdraw_invitation": _l("Invitation withdrawn"),
    "series": _l("Repeat rule changed"),
    "walk-in": _l("Registered at the desk"),
    "import": _l("Imported"),
    "message": _l("Message sent to registrants"),
    "roster_search": _l("Searched a roster"),
}
TARGETS = {
    "township": _l("Street or township"),
    "community": _l("Community"),
    "venue": _l("Venue"),
    "category": _l("Category"),
    "official_day": _l("Public holiday or make-up workday"),
    "organisation": _l("Organisation"),
    "staff_user": _l("Staff account"),
    "invitation": _l("Invitation"),
    "event": _l("Event"),
    "event_session": _l("Session"),
    "event_series": _l("Repeating sessions"),
    "slot": _l("Time slot"),
    "registration": _l("Registration"),
    "notice": _l("Message to registrants"),
}
FIELDS = {
    "name": _l("Name in Chinese"),
    "name_en": _l("Name in English"),
    "kind": _l("Kind"),
    "slug": _l("Web address name"),
    "colour": _l("Colour"),
    "address": _l("Address"),
    "latitude": _l("Latitude"),
    "longitude": _l("Longitude"),
    "township": _l("Street or township"),
    "community": _l("Community"),
    "role": _l("Role"),
    "is_admin": _l("Site administrator"),
    "active": _l("Active"),
    "session_version": _l("Session version"),
    "second_step": _l("Second step"),
    "two_factor": _l("Two-factor sign-in"),
    "recovery_codes": _l("Recovery codes left"),
    "require_two_factor": _l("Members must use two-factor sign-in"),
    "title": _l("Title"),
    "summary": _l("Summary"),
    "description": _l("Description"),
    "audience": _l("Who it is for"),
    "status": _l("Status"),
    "starts_at": _l("Starts"),
    "ends_at": _l("Ends"),
    "all_day": _l("All day"),
    "venue_id": _l("Venue"),
    "capacity": _l("Capacity"),
    "label": _l("Slot"),
    "cancellation_reason": _l("Reason"),
    "max_party_size": _l("People per registration, at most"),
    "allow_waitlist": _l("Take a waitlist when a session is full"),
    "reminder_hours": _l("Reminder, hours before each session"),
    "segment": _l("Recipients"),
    "recipients": _l("Number of recipients"),
    "sessions": _l("Sessions"),
    "query_kind": _l("Searched by"),
    "query": _l("Search, as kept"),
    "found": _l("Registrations found"),
}


def _valid_or_400(form: FlaskForm) -> None:
    """Stop a request whose small form (a button's hidden values) is not valid."""
    if not form.validate_on_submit():
        messages = [message for errors in form.errors.values() for message in errors]
        raise InvalidInput(
            str(messages[0]) if messages else _("The request could not be understood.")
        )


def _saved(message: str, target: str):
    """Say that the change is saved, and go on to `target`."""
    flash(message, "info")
    return redirect(target)


def _carry_out(change: Callable[[], object], back: str):
    """Make one change from a button: saved and said so, or refused with the reason."""
    if attempt_flash(change):
        flash(_("Saved."), "info")
    return redirect(back)


# Organisations and their members


def _managed(slug: str) -> Organisation:
    """The organisation, if the current user manages it (administrators manage all)."""
    organisation = services.organisation_by_slug(slug)
    permissions.require(permissions.can_manage_organisation(current_user, organisation.id))
    return organisation


@bp.get("/organisations")
def organisations():
    """Every organisation (administrators) or the ones I manage."""
    permissions.require(permissions.can_list_organisations(current_user))
    words = search_argument()
    return render_template(
        "staff/organisations.html",
        words=words,
        page=services.organisation_page(current_user, words, cursor_argument(), _per_page()),
    )


@bp.route("/organisations/new", methods=["GET", "POST"])
@bp.route("/organisations/<slug>/edit", methods=["GET", "POST"])
def edit_organisation(slug: str | None = None):
    """Create an organisation or change its names and kind (administrators)."""
    permissions.require(permissions.can_manage_accounts(current_user))
    organisation = services.organisation_by_slug(slug) if slug else None
    form = OrganisationForm(obj=organisation)
    outcome = submit(
        form,
        lambda: services.save_organisation(organisation, actor=current_user, **values(form)),
    )
    if outcome:
        saved = outcome.value
        target = url_for(".organisation", slug=saved.slug)
        return _saved(_("Saved “%(name)s”.", name=saved.name), target)
    return render_template("staff/organisations_form.html", form=form, organisation=organisation)


def _organisation_page(
    organisation: Organisation,
    existing: ExistingMemberForm | None = None,
    new: NewMemberForm | None = None,
):
    return render_template(
        "staff/organisations_detail.html",
        organisation=organisation,
        members=services.member_page(organisation, cursor_argument(), _per_page()),
        invitations=services.invitation_page(
            organisation, cursor_argument(INVITATIONS_CURSOR), _per_page()
        ),
        invitations_cursor=INVITATIONS_CURSOR,
        invites=not permissions.can_manage_accounts(current_user),
        existing=existing or ExistingMemberForm(prefix="existing", formdata=None),
        new=new or NewMemberForm(prefix="new", formdata=None),
        roles=list(Role),
    )


@bp.get("/organisations/<slug>")
def organisation(slug: str):
    """An organisation's details and members, with forms to add and change members."""
    return _organisation_page(_managed(slug))


def _add_member(slug: str, form_class: type[FlaskForm], prefix: str, add: Callable[..., StaffUser]):
    """Add a member through one of the two forms; on refusal, the page shows that form's errors."""
    organisation = _managed(slug)
    form = form_class(prefix=prefix)
    user = submit(form, lambda: add(organisation, actor=current_user, **values(form))).value
    if user is None:
        return _organisation_page(organisation, **{prefix: form})
    target = url_for(".organisation", slug=organisation.slug)
    return _saved(_("%(name)s is now a member.", name=user.label), target)


@bp.post("/organisations/<slug>/members")
def add_member(slug: str):
    """Give an existing account a role in the organisation: administrators, who see every
    account, add it at once; a manager invites the username, and learns nothing from the
    answer about whether an account has it (see services.invite_member)."""
    if permissions.can_manage_accounts(current_user):
        return _add_member(slug, ExistingMemberForm, "existing", services.add_member)
    organisation = _managed(slug)
    form = ExistingMemberForm(prefix="existing")
    invitation = submit(
        form, lambda: services.invite_member(organisation, actor=current_user, **values(form))
    ).value
    if invitation is None:
        return _organisation_page(organisation, existing=form)
    message = _(
        "If “%(name)s” is the username of a staff account, its holder is invited to join as "
        "%(role)s. They become a member when they accept, on their “My account” page, "
        "within %(days)d days.",
        name=invitation.username,
        role=invitation.role.label,
        days=services.INVITATION_DAYS,
    )
    return _saved(message, url_for(".organisation", slug=organisation.slug))


@bp.post("/organisations/<slug>/invitations/<id:invitation_id>/withdraw")
def withdraw_invitation(slug: str, invitation_id: int):
    """Take back an invitation not yet answered."""
    organisation = _managed(slug)
    invitation = services.invitation(invitation_id, organisation=organisation)
    return _carry_out(
        lambda: services.withdraw_invitation(invitation, actor=current_user),
        url_for(".organisation", slug=organisation.slug),
    )


@bp.post("/invitations/<id:invitation_id>/<any(accept, decline):answer>")
def answer_invitation(invitation_id: int, answer: str):
    """Accept or decline an invitation addressed to one's own account."""
    user = current_user._get_current_object()
    invitation = services.invitation(invitation_id, user=user)
    organisation = invitation.organisation
    if attempt_flash(
        lambda: services.answer_invitation(user, invitation, accept=answer == "accept")
    ):
        if answer == "accept":
            flash(_("You are now a member of %(name)s.", name=organisation.name), "info")
        else:
            flash(_("You declined the invitation of %(name)s.", name=organisation.name), "info")
    return redirect(url_for("account.account"))


def _new_account_attempts() -> str:
    return current_app.config["NEW_ACCOUNT_ATTEMPTS"]


@bp.post("/organisations/<slug>/members/new")
@limiter.limit(
    _new_account_attempts,
    key_func=lambda: f"staff:{current_user.id}",
    # "Already taken" must be said to whoever picks a username: a manager's refused
    # attempts are counted, so the form cannot list the accounts. Administrators see them all.
    exempt_when=lambda: permissions.can_manage_accounts(current_user),
    deduct_when=lambda response: response.status_code != 302,
    error_message=lambda: str(TOO_MANY_ACCOUNT_ATTEMPTS),
    scope="new-account",
)
def new_member(slug: str):
    """Create an account with a role in the organisation."""
    return _add_member(slug, NewMemberForm, "new", services.add_new_member)


@bp.post("/organisations/<slug>/two-factor")
def require_two_factor(slug: str):
    """Require two-factor sign-in of every member of the organisation, or no longer
    (administrators)."""
    _require_admin()
    organisation = services.organisation_by_slug(slug)
    form = SwitchForm()
    _valid_or_400(form)
    required = form.state.data == "on"
    return _carry_out(
        lambda: two_factor.set_required(organisation, required, actor=current_user),
        url_for(".organisation", slug=organisation.slug),
    )


@bp.post("/organisations/<slug>/members/<id:user_id>/role")
def change_role(slug: str, user_id: int):
    """Change a member's role."""
    organisation = _managed(slug)
    user = services.member(organisation, user_id)
    form = RoleForm()
    _valid_or_400(form)
    role = Role(form.role.data)
    return _carry_out(
        lambda: services.change_membership(organisation, user, role, actor=current_user),
        url_for(".organisation", slug=organisation.slug),
    )


@bp.post("/organisations/<slug>/members/<id:user_id>/remove")
def remove_member(slug: str, user_id: int):
    """Take a member's role away (the account itself stays)."""
    organisation = _managed(slug)
    user = services.member(organisation, user_id)
    return _carry_out(
        lambda: services.change_membership(organisation, user, None, actor=current_user),
        url_for(".organisation", slug=organisation.slug),
    )


# Staff accounts (administrators)


def _per_page() -> int:
    return current_app.config["STAFF_PER_PAGE"]


def _require_admin() -> None:
    permissions.require(permissions.can_manage_accounts(current_user))


@bp.get("/users")
def users():
    """Every staff account with its memberships."""
    _require_admin()
    words = search_argument()
    return render_template(
        "staff/users.html",
        words=words,
        page=services.account_page(words, cursor_argument(), _per_page()),
    )


@bp.route("/users/new", methods=["GET", "POST"])
def new_user():
    """Create a staff account (roles are given on an organisation's page)."""
    _require_admin()
    form = NewAdminAccountForm()
    user = submit(form, lambda: services.create_account(actor=current_user, **values(form))).value
    if user is not None:
        target = url_for(".user", user_id=user.id)
        return _saved(_("Saved “%(name)s”.", name=user.username), target)
    return render_template("staff/users_new.html", form=form)


def _user_page(user: StaffUser, password_form: PasswordForm | None = None):
    return render_template(
        "staff/users_detail.html",
        user=user,
        password_form=password_form or PasswordForm(formdata=None),
    )


@bp.get("/users/<id:user_id>")
def user(user_id: int):
    """An account: its memberships, administrator rights, whether active, a new password."""
    _require_admin()
    return _user_page(services.account(user_id))


def _switch(user_id: int, change: Callable[..., None]):
    _require_admin()
    account = services.account(user_id)
    form = SwitchForm()
    _valid_or_400(form)
    on = form.state.data == "on"
    return _carry_out(
        lambda: change(account, on, actor=current_user), url_for(".user", user_id=account.id)
    )


@bp.post("/users/<id:user_id>/admin")
def set_admin(user_id: int):
    """Make an account a site administrator, or no longer one."""
    return _switch(user_id, services.set_admin)


@bp.post("/users/<id:user_id>/active")
def set_active(user_id: int):
    """Deactivate or reactivate an account."""
    return _switch(user_id, services.set_active)


@bp.post("/users/<id:user_id>/password")
def reset_password(user_id: int):
    """Set a new password for an account."""
    _require_admin()
    account = services.account(user_id)
    form = PasswordForm()
    if submit(form, lambda: services.reset_password(account, actor=current_user, **values(form))):
        if account.id == current_user.id:
            stay_signed_in(account)  # one's own new password ends the other sessions only
        message = _("The password of %(name)s has been changed.", name=account.username)
        return _saved(message, url_for(".user", user_id=account.id))
    return _user_page(account, password_form=form)


@bp.post("/users/<id:user_id>/two-factor/reset")
def reset_two_factor(user_id: int):
    """Take an account's two-factor sign-in away (a lost phone); it sets it up again at its
    next sign-in if it must have it."""
    _require_admin()
    account = services.account(user_id)
    return _carry_out(
        lambda: two_factor.reset(account, actor=current_user),
        url_for(".user", user_id=account.id),
    )


# The audit trail


@bp.get("/audit")
def audit_trail():
    """The trail, newest first: all of it for administrators, their organisations' for managers."""
    permissions.require(permissions.can_see_audit(current_user))
    visible = permissions.organisation_ids(current_user, MANAGER_ONLY)
    organisation_id = request.args.get("organisation", type=int)
    if organisation_id is not None:
        permissions.require(permissions.can_see_audit(current_user, organisation_id))
    action = (request.args.get("action") or "").strip()[:40] or None
    words = search_argument()
    organisations = services.organisations_for(current_user)
    if organisation_id is not None and organisation_id not in {o.id for o in organisations}:
        raise NotFoundError("organisation", organisation_id)
    return render_template(
        "staff/audit.html",
        entries=services.audit_page(
            visible,
            organisation_id=organisation_id,
            action=action,
            words=words,
            cursor=cursor_argument(),
            per_page=_per_page(),
        ),
        words=words,
        organisations=organisations,
        organisation_names={o.id: o.name for o in organisations},
        actions=sorted(ACTIONS),
        chosen={"organisation": organisation_id, "action": action},
        action_names=ACTIONS,
        target_names=TARGETS,
        field_names=FIELDS,
        value_names=audit.value_names(),
    )
