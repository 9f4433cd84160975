"""Signing in (the password, then the second step where there is one) and out of the staff
side, and the signed-in person's own account page."""

from __future__ import annotations

import time
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required, login_user, logout_user

from outreach.accounts import guard, services, two_factor, usernames
from outreach.accounts.forms import CodeForm, LoginForm, OwnPasswordForm
from outreach.accounts.models import StaffUser
from outreach.attempt import attempt_flash, submit
from outreach.database import db
from outreach.extensions import limiter
from outreach.forms import values
from outreach.qr import qr_svg

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
    """Only failed attempts count against the limits: a success redirects (or, once
    two-factor sign-in is set up, shows the recovery codes)."""
    return response.status_code != 302 and not g.get("signed_in")


def _safe_next(target: str | None) -> str:
    """Follow ?next= only within this site."""
    if target:
        parts = urlsplit(target)
        if not parts.scheme and not parts.netloc and target.startswith("/"):
            return target
    return url_for("staff.dashboard")


def _login_limits(scope: str, account_key):
    """The limits on failed attempts of one step of signing in: per address and per account."""

    def limited(view):
        view = limiter.limit(
            _login_attempts,
            key_func=account_key,
            methods=["POST"],
            deduct_when=_failed,
            error_message=lambda: str(TOO_MANY_ATTEMPTS),
            scope=f"{scope}-account",
        )(view)
        return limiter.limit(
            _login_attempts,
            methods=["POST"],
            deduct_when=_failed,
            error_message=lambda: str(TOO_MANY_ATTEMPTS),
            scope=f"{scope}-address",
        )(view)

    return limited


@bp.route("/login", methods=["GET", "POST"])
@_login_limits("login", _account_key)
def login():
    """Sign in with a username and password; an account with two-factor sign-in (or one that
    must set it up) goes on to the second step, signed in only once that is done."""
    if current_user.is_authenticated:
        return redirect(_safe_next(request.args.get("next")))
    form = LoginForm()
    if form.validate_on_submit():
        user = services.authenticate(form.username.data, form.password.data)
        target = _safe_next(request.args.get("next"))
        if user is None:
            db.session.commit()  # the failure's entry in the trail
            form.password.errors.append(_("Wrong username or password."))
        elif user.has_two_factor or two_factor.required_for(user):
            _hold(user, remember=form.remember.data, target=target)
            step = ".second_step" if user.has_two_factor else ".enrol_step"
            return redirect(url_for(step))
        else:
            services.signed_in(user)
            db.session.commit()
            _sign_in_here(user, remember=form.remember.data)
            return redirect(target)
    return render_template("accounts/login.html", form=form)


# Between the password and the second step: the session holds only who passed the password
# (with their session version), when, "keep me signed in" and where to go; Flask-Login knows
# nobody, so no staff page opens (accounts.guard).
HELD = "two_factor_pending"
HELD_SECONDS = 600
# The secret of an authenticator app being set up, until a code from it confirms it.
SETUP = "two_factor_setup"


@dataclass(frozen=True)
class Held:
    """An account that has passed the password step and waits for its second step."""

    user: StaffUser
    remember: bool
    target: str


def _hold(user: StaffUser, *, remember: bool, target: str) -> None:
    guard.forget_here()  # nothing from before signing in carries over
    session[HELD] = {
        "user": user.get_id(),
        "remember": bool(remember),
        "next": target,
        "since": int(time.time()),
    }


def _held() -> Held | None:
    """The account waiting for its second step, unless too long has passed."""
    held = session.get(HELD)
    if not isinstance(held, dict) or not isinstance(held.get("since"), int):
        return None
    if time.time() - held["since"] > HELD_SECONDS:
        session.pop(HELD, None)
        return None
    user = services.load_user(str(held.get("user", "")))
    if user is None:
        return None
    return Held(user, bool(held.get("remember")), _safe_next(held.get("next")))


def _held_account_key() -> str:
    held = session.get(HELD)
    user = held.get("user") if isinstance(held, dict) else None
    return "held:" + str(user).partition(":")[0]


def _start_again():
    session.pop(HELD, None)
    flash(_("Please sign in again."), "info")
    return redirect(url_for(".login"))


def _sign_in_here(user: StaffUser, *, remember: bool) -> None:
    """Sign this browser in: a new session (nothing from before carries over)."""
    guard.forget_here()
    login_user(user, remember=remember)
    guard.mark_seen()
    g.signed_in = True


def _setup_secret(user: StaffUser) -> str:
    """The secret being set up in this browser for the account, made on first sight and
    kept (so a reload shows the same QR code) until a code confirms it."""
    setup = session.get(SETUP)
    if isinstance(setup, dict) and setup.get("user") == user.id and setup.get("secret"):
        return setup["secret"]
    secret = two_factor.new_secret()
    session[SETUP] = {"user": user.id, "secret": secret}
    return secret


def _enrol_page(user: StaffUser, form: CodeForm, *, layout: str, action: str, **context):
    secret = _setup_secret(user)
    return render_template(
        "accounts/enrol.html",
        form=form,
        layout=layout,
        action=action,
        qr=qr_svg(
            two_factor.provisioning_uri(user, secret),
            scale=4,
            title=_("QR code to add this account to an authenticator app"),
        ),
        secret=two_factor.written_out(secret),
        **context,
    )


@bp.route("/login/code", methods=["GET", "POST"])
@_login_limits("second-step", _held_account_key)
def second_step():
    """The second step of signing in: one code, from the app or a recovery code."""
    held = _held()
    if held is None:
        return _start_again()
    user = held.user
    if not user.has_two_factor:
        return redirect(url_for(".enrol_step"))
    form = CodeForm()
    if form.validate_on_submit():
        used = two_factor.check(user, form.code.data)
        if used is not None:
            services.signed_in(user, second_step=used)
            db.session.commit()
            _sign_in_here(user, remember=held.remember)
            if used == two_factor.SecondStep.RECOVERY_CODE:
                flash(_("You used a recovery code. It will not work again."), "info")
            return redirect(held.target)
        two_factor.second_step_failed(user)
        db.session.commit()
        form.code.errors.append(_("That code is not right. Please try the newest one."))
    return render_template("accounts/login_code.html", form=form)


@bp.route("/login/enrol", methods=["GET", "POST"])
@_login_limits("second-step", _held_account_key)
def enrol_step():
    """Set up two-factor sign-in at the first sign-in of an account that must have it: scan
    the QR code (or type the secret), confirm with a code, then see the recovery codes."""
    held = _held()
    if held is None:
        return _start_again()
    user = held.user
    if user.has_two_factor:
        return redirect(url_for(".second_step"))
    if not two_factor.required_for(user):
        return _start_again()
    form = CodeForm()
    secret = _setup_secret(user)

    def enrol_and_sign_in() -> list[str]:
        codes = two_factor.enrol(user, secret, form.code.data, actor=user)
        services.signed_in(user, second_step=two_factor.SecondStep.CODE)
        return codes

    outcome = submit(form, enrol_and_sign_in)
    if outcome:
        _sign_in_here(user, remember=held.remember)
        return render_template(
            "accounts/recovery_codes.html", codes=outcome.value, next=held.target
        )
    return _enrol_page(
        user, form, layout="base.html", action=url_for(".enrol_step"), first_sign_in=True
    )


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
    response = redirect(url_for("events.index"))
    # What this browser keeps for the site goes too: a check-in desk's list for the day
    # (codes and masked names, in IndexedDB) and its service worker's files.
    response.headers["Clear-Site-Data"] = '"cache", "storage"'
    return response


def _sign_out_here() -> None:
    guard.forget_here()
    logout_user()  # asks for the remember-me cookie to be deleted with the response


def _account_page(
    recovery: CodeForm | None = None,
    off: CodeForm | None = None,
    password_form: OwnPasswordForm | None = None,
):
    user = current_user._get_current_object()
    return render_template(
        "accounts/account.html",
        invitations=services.invitations_for(user),
        password_form=password_form or OwnPasswordForm(formdata=None),
        two_factor_required=two_factor.required_for(user),
        recovery_codes_left=two_factor.recovery_codes_left(user) if user.has_two_factor else 0,
        recovery=recovery or CodeForm(prefix="recovery", formdata=None),
        off=off or CodeForm(prefix="off", formdata=None),
    )


@account_bp.get("")
def account():
    """The signed-in person's account: who they are, their roles, invitations to answer,
    two-factor sign-in, a new password, "sign out everywhere"."""
    return _account_page()


@account_bp.route("/two-factor", methods=["GET", "POST"])
def two_factor_setup():
    """Turn on two-factor sign-in: scan the QR code, confirm with a code, keep the
    recovery codes."""
    user = current_user._get_current_object()
    if user.has_two_factor:
        return redirect(url_for(".account"))
    form = CodeForm()
    secret = _setup_secret(user)
    outcome = submit(form, lambda: two_factor.enrol(user, secret, form.code.data, actor=user))
    if outcome:
        session.pop(SETUP, None)
        return render_template(
            "accounts/recovery_codes.html", codes=outcome.value, next=url_for(".account")
        )
    return _enrol_page(
        user,
        form,
        layout="staff/base.html",
        action=url_for(".two_factor_setup"),
        first_sign_in=False,
    )


@account_bp.post("/two-factor/recovery-codes")
def new_recovery_codes():
    """Ten new recovery codes in place of the old ones (a current code proves it is you)."""
    user = current_user._get_current_object()
    form = CodeForm(prefix="recovery")
    outcome = submit(
        form, lambda: two_factor.regenerate_recovery_codes(user, form.code.data, actor=user)
    )
    if outcome:
        return render_template(
            "accounts/recovery_codes.html", codes=outcome.value, next=url_for(".account")
        )
    return _account_page(recovery=form)


@account_bp.post("/two-factor/off")
def two_factor_off():
    """Turn off one's two-factor sign-in, where it is not required."""
    user = current_user._get_current_object()
    form = CodeForm(prefix="off")
    if submit(form, lambda: two_factor.disable(user, form.code.data, actor=user)):
        flash(_("Two-factor sign-in is off."), "info")
        return redirect(url_for(".account"))
    return _account_page(off=form)


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
    return _account_page(password_form=form)


@account_bp.post("/sign-out-everywhere")
def sign_out_everywhere():
    """End every session of one's account, on every browser and device, this one too."""
    user = current_user._get_current_object()
    attempt_flash(lambda: services.end_sessions(user, actor=user, action="sign_out_everywhere"))
    _sign_out_here()
    flash(_("You have signed out on every device."), "info")
    return redirect(url_for("events.index"))
