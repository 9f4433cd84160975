"""The staff side's blueprints: every page behind sign-in, checked in one place."""

from __future__ import annotations

from flask import Blueprint
from flask_login import current_user
from werkzeug.wrappers import Response

from outreach.extensions import login_manager


def require_sign_in() -> Response | None:
    """Send a visitor who is not signed in to the sign-in page and, once signed in, back
    (`?next=`); what each role may do there is for the page to check."""
    if not current_user.is_authenticated:
        return login_manager.unauthorized()
    return None


def staff_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint of staff pages: none of them opens without signing in."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.before_request(require_sign_in)
    return bp
