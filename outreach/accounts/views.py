"""Signing in and out of the staff side."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from outreach.accounts import services
from outreach.accounts.forms import LoginForm
from outreach.database import db
from outreach.extensions import limiter

bp = Blueprint("accounts", __name__, url_prefix="/staff")

TOO_MANY_ATTEMPTS = _l("Too many failed sign-in attempts. Please wait 15 minutes and try again.")


def _login_attempts() -> str:
    return current_app.config["LOGIN_ATTEMPTS"]


def _account_key() -> str:
    return "account:" + (request.form.get("username") or "").strip().lower()[:80]


def _failed(response) -> bool:
    """Only failed attempts count against the limits: a success redirects."""
    return response.status_code != 302


def _safe_next(target: str | None) -> str:
    """Follow ?next= only within this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("staff.dashboard")


@bp.route("/login", methods=["GET", "POST"])
@limiter.limit(
    _login_attempts,
    methods=["POST"],
    deduct_when=_failed,
    error_message=lambda: str(TOO_MANY_ATTEMPTS),
    scope="login-address",
)
@limiter.limit(
    _login_attempts,
    key_func=_account_key,
    methods=["POST"],
    deduct_when=_failed,
    error_message=lambda: str(TOO_MANY_ATTEMPTS),
    scope="login-account",
)
def login():
    """Sign in with a username and password."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        if user is not None:
            db.session.commit()
            login_user(user, remember=form.remember.data)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("Wrong username or password."))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign out (a POST with the CSRF token, so no link elsewhere can sign anyone out)."""
    logout_user()
    flash(_("You have signed out."), "info")
    return redirect(url_for("events.index"))
