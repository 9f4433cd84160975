"""Signing in and out of the staff side."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from outreach.accounts import guard, services, usernames
from outreach.accounts.forms import LoginForm, OwnPasswordForm
from outreach.attempt import attempt_flash, submit
from outreach.database import db
from outreach.extensions import limiter
from outreach.forms import values

bp = Blueprint("accounts", __name__, url_prefix="/staff")
# The signed-in person's own account.
account_bp = guard.staff_blueprint("account", __name__, url_prefix="/staff/account")

TOO_MANY_ATTEMPTS = _l("Too many failed sign-in attempts. Please wait 15 minutes and try again.")


def _login_attempts() -> str:
    return current_app.config["LOGIN_ATTEMPTS"]


def _account_key() -> str:
    # Every spelling of a username ("ＡＤＭＩＮ", "Admin") counts against the one account.
    return "account:" + usernames.canonical(request.form.get("username") or "")[:80]


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
            guard.forget_here()  # nothing from before signing in carries over
            login_user(user, remember=form.remember.data)
            guard.mark_seen()
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append(_("Wrong username or password."))
    return render_template("accounts/login.html", form=form)


@bp.post("/logout")
@login_required
def logout():
    """Sign out (a POST with the CSRF token, so no link elsewhere can sign anyone out): the
    account's sessions and remember-me cookies end everywhere, this browser's session is
    emptied and its remember-me cookie deleted."""
    user = current_user._get_current_object()
    attempt_flash(lambda: services.end_sessions(user, actor=user, action="sign_out"))
    _sign_out_here()
    flash(_("You have signed out."), "info")
    return redirect(url_for("events.index"))


def _sign_out_here() -> None:
    guard.forget_here()
    logout_user()  # asks for the remember-me cookie to be deleted with the response


@account_bp.get("")
def account(password_form: OwnPasswordForm | None = None):
    """The signed-in person's account: who they are, their roles, invitations to answer, a
    new password, "sign out everywhere"."""
    return render_template(
        "accounts/account.html",
        invitations=services.invitations_for(current_user),
        password_form=password_form or OwnPasswordForm(formdata=None),
    )


@account_bp.post("/password")
@limiter.limit(
    _login_attempts,
    key_func=lambda: f"account:{current_user.id}",
    deduct_when=_failed,
    error_message=lambda: str(TOO_MANY_ATTEMPTS),
    scope="own-password",
)
def change_password():
    """Set a new password after the current one; the other sessions end, this one stays."""
    user = current_user._get_current_object()
    form = OwnPasswordForm()
    if submit(form, lambda: services.change_own_password(user, **values(form))):
        guard.stay_signed_in(user)
        flash(_("Your password has been changed. Other devices have been signed out."), "info")
        return redirect(url_for(".account"))
    return account(password_form=form)


@account_bp.post("/sign-out-everywhere")
def sign_out_everywhere():
    """End every session of one's account, on every browser and device, this one too."""
    user = current_user._get_current_object()
    attempt_flash(lambda: services.end_sessions(user, actor=user, action="sign_out_everywhere"))
    _sign_out_here()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("events.index"))
