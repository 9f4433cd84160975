"""The staff dashboard: what a staff member sees first after signing in."""

from __future__ import annotations

from flask import render_template
from flask_login import current_user

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.staff import services

bp = staff_blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
def dashboard():
    """My organisations' upcoming sessions, drafts and recent changes."""
    permissions.require(permissions.is_staff(current_user))
    return render_template(
        "staff/dashboard.html",
        board=services.dashboard(current_user),
        days=services.UPCOMING_DAYS,
    )
