"""Staff dashboard."""

from __future__ import annotations

from flask import Blueprint, render_template
from flask_login import current_user, login_required

from outreach.accounts import permissions

bp = Blueprint("staff", __name__, url_prefix="/staff")


@bp.get("/")
@login_required
def dashboard():
    """My organisations' upcoming sessions, drafts and recent changes."""
    permissions.require(permissions.is_staff(current_user))
    return render_template("staff/dashboard.html")
