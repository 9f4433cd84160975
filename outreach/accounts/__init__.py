"""Accounts: organisations, staff accounts and their roles, who may do what, the audit trail."""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from outreach.accounts import admin_views, audit, commands, permissions, two_factor, views
from outreach.accounts.models import OrganisationKind, Role
from outreach.accounts.services import load_user
from outreach.extensions import login_manager


def init_app(app: Flask) -> None:
    """Staff sessions (Flask-Login), `can` for templates, the sign-in and administration
    pages, `flask create-staff`, and the names of roles and kinds in the audit trail."""
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    # No binding to the client's address: a phone at the desk moves between Wi-Fi and mobile
    # data, and "strong" protection signed it out (remember-me cookie too) on each move, and
    # told every anonymous visitor with a session to delete a cookie. What ends a stolen
    # session is the account's session version, the idle limit and two-factor sign-in.
    login_manager.session_protection = None
    app.context_processor(_permission_checks)
    app.register_blueprint(views.bp)
    app.register_blueprint(views.account_bp)
    app.register_blueprint(admin_views.bp)
    app.cli.add_command(commands.create_staff_command)
    audit.name_values(app, "role", Role)
    audit.name_values(app, "kind", OrganisationKind)
    audit.name_values(app, "second_step", two_factor.SecondStep)


def _permission_checks() -> dict[str, Any]:
    """`can.edit_events(organisation_id)` and the like, for templates."""
    return {"can": permissions.Checks(current_user)}
