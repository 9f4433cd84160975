"""The staff side's blueprints: every page behind sign-in, checked in one place, and staff
sessions that end after idle time."""

from __future__ import annotations

import time

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_user
from werkzeug.wrappers import Response

from outreach.accounts import two_factor
from outreach.extensions import login_manager

# The blueprint of one's own account page: open to an account still to set up two-factor
# sign-in.
ACCOUNT_BLUEPRINT = "account"

# The session key of the time (seconds since the epoch) of the last staff page seen.
SEEN = "staff_seen"
# The time is written again only when it is older than this, so a quick run of requests
# does not rewrite the cookie each time.
SEEN_STEP = 60


def forget_here() -> None:
    """Empty this browser's session: sign-in, CSRF token and everything else."""
    session.clear()
    g.pop("_login_user", None)  # Flask-Login loads again from what is left (nothing)


def expire_idle() -> None:
    """Sign out a session left idle longer than STAFF_IDLE_MINUTES.

    Only the session ends: a remember-me cookie (the person chose to stay signed in on this
    browser) signs them in again, as when the browser is reopened; it still dies with every
    sign-out, new password, role taken away or deactivation.
    """
    if "_user_id" not in session:
        return
    seen = session.get(SEEN)
    limit = current_app.config["STAFF_IDLE_MINUTES"] * 60
    if isinstance(seen, int) and time.time() - seen > limit:
        forget_here()


def mark_seen() -> None:
    """Remember when this signed-in session was last used."""
    now = int(time.time())
    seen = session.get(SEEN)
    if not isinstance(seen, int) or now - seen >= SEEN_STEP:
        session[SEEN] = now


def stay_signed_in(user) -> None:
    """Keep this browser signed in after its account's session version went up (the person
    changed their own password): a new session, and a new remember-me cookie if it had one."""
    cookie = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token")
    login_user(user, remember=cookie in request.cookies)
    mark_seen()


def require_sign_in() -> Response | None:
    """Send a visitor who is not signed in (or whose session has been idle too long) to the
    sign-in page and, once signed in, back (`?next=`); what each role may do there is for
    the page to check.

    Someone half-way through signing in (password given, second step not yet) is not signed
    in. Someone signed in whose account must have two-factor sign-in but has none (made an
    administrator, or their organisation began to require it, since they signed in) may
    open only their account page, where they set it up.
    """
    expire_idle()
    if not current_user.is_authenticated:
        if request.headers.get("Sec-Fetch-Mode", "navigate") != "navigate":
            # A script's or service worker's request (a desk after its person signed out):
            # a bare 401. Flashing "please sign in" would write the session and replace the
            # cookie of a sign-in form open meanwhile, failing its CSRF check.
            return Response(status=401, headers={"Cache-Control": "no-store"})
        return login_manager.unauthorized()
    mark_seen()
    user = current_user._get_current_object()
    must_set_up = not user.has_two_factor and two_factor.required_for(user)
    if must_set_up and request.blueprint != ACCOUNT_BLUEPRINT:
        flash(_("Please set up two-factor sign-in to go on."), "info")
        return redirect(url_for(ACCOUNT_BLUEPRINT + ".two_factor_setup"))
    return None


def staff_blueprint(name: str, import_name: str, url_prefix: str) -> Blueprint:
    """A blueprint of staff pages: none of them opens without signing in."""
    bp = Blueprint(name, import_name, url_prefix=url_prefix)
    bp.before_request(require_sign_in)
    return bp
