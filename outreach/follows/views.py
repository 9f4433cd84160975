"""The follow box's steps, the e-mail confirmation, the follower's page with its one-tap
unsubscribe (/u/<token>), the short session links of digests, and staff's counts."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.attempt import attempt, submit
from outreach.database import db, utcnow
from outreach.errors import NotFoundError
from outreach.events.models import EventSession
from outreach.extensions import (
    limiter,
    phone_code_limit,
    phone_code_number_limit,
    registration_limit,
)
from outreach.follows import services
from outreach.follows.forms import CodeForm, FollowForm
from outreach.i18n import current_language
from outreach.registrations import verification
from outreach.registrations.phones import mask_mobile, normalise_mobile
from outreach.registrations.roster import mask_email

bp = Blueprint("follows", __name__)
staff_bp = staff_blueprint("follows_staff", __name__, url_prefix="/staff")

SCOPES = "<any(townships, communities, organisations, categories):scope>"


def contact_of_request() -> str:
    """The key of the per-number limit on codes, shared with registration's (the last 11
    digits typed); an e-mail address is its own key (no mailbox is flooded either)."""
    typed = request.form.get("contact", "")
    if "@" in typed:
        return "follow-email:" + typed.strip().lower()[:254]
    digits = "".join(c for c in typed if c.isascii() and c.isdigit())
    return "phone:" + digits[-11:]


def _start_page(target: services.Target, form: FollowForm, status: int = 200):
    return render_template("follows/start.html", target=target, form=form), status


@bp.post(f"/follow/{SCOPES}/<slug>")
@limiter.limit(phone_code_limit, scope="phone-codes")
@limiter.limit(phone_code_number_limit, key_func=contact_of_request, scope="phone-codes-number")
def start(scope: str, slug: str):
    """The follow box: text a code to a number, or e-mail a confirmation link."""
    target = services.target_of(scope, slug)
    form = FollowForm()
    if not form.validate_on_submit():
        return _start_page(target, form, 422)
    language = current_language()
    outcome = asked = attempt(form, lambda: services.ask(target, form.contact.data, language))
    if not asked:
        return _start_page(target, form, 422)
    if asked.value is None:
        return render_template(
            "follows/check_email.html", target=target, address=mask_email(form.contact.data)
        )
    outcome = attempt(form, lambda: verification.text_code(asked.value), commit=False)
    if not outcome:
        return _start_page(target, form, 422)
    code_form = CodeForm(formdata=None, contact=form.contact.data, consent="y")
    return render_template(
        "follows/code.html", target=target, form=code_form, masked=asked.value.masked_phone
    )


@bp.post(f"/follow/{SCOPES}/<slug>/code")
@limiter.limit(registration_limit, scope="follow-codes")
def confirm_code(scope: str, slug: str):
    """The texted code: right, and the follow is stored; wrong, and nothing is."""
    target = services.target_of(scope, slug)
    form = CodeForm()
    phone = normalise_mobile(form.contact.data or "")
    masked = mask_mobile(phone) if phone else ""
    if not form.validate_on_submit():
        return render_template("follows/code.html", target=target, form=form, masked=masked), 422
    # A wrong guess counts, whatever else the form says, even though the follow below is
    # rolled back: the number's tries are capped however the code is sent.
    verification.spend_try(form.contact.data, form.code.data)
    db.session.commit()
    if form.consent.data != "y":
        form.code.errors.append(_("Please agree to receive the messages first."))
        form.code.data = ""
        return render_template("follows/code.html", target=target, form=form, masked=masked), 422
    language = current_language()
    outcome = submit(
        form,
        lambda: services.confirm_phone(
            target, form.contact.data, form.code.data, language, utcnow()
        ),
        conflict=services.FollowError(_("This was just done. Please try again.")),
    )
    if not outcome:
        form.code.data = ""
        return render_template("follows/code.html", target=target, form=form, masked=masked), 422
    return render_template("follows/done.html", target=target, follower=outcome.value)


@bp.get("/follow/confirm/<token>")
def confirm_email_page(token: str):
    """The e-mail's link: a page with a button (a link scanner opening it changes nothing)."""
    outcome = attempt(None, lambda: services.read_email_link(token), commit=False)
    return render_template(
        "follows/confirm_email.html", asked=outcome.value, error=outcome.error
    ), (200 if outcome else 400)


@bp.post("/follow/confirm/<token>")
def confirm_email(token: str):
    """The confirmation button: the follow is stored."""
    outcome = attempt(
        None,
        lambda: services.confirm_email(token, utcnow()),
        conflict=services.FollowError(_("This was just done. Please try again.")),
    )
    if not outcome:
        return render_template("follows/confirm_email.html", asked=None, error=outcome.error), 400
    follower, target = outcome.value
    return render_template("follows/done.html", target=target, follower=follower)


def _follower_page(follower, status: int = 200, **context):
    return render_template(
        "follows/unsubscribe.html",
        follower=follower,
        address=_masked(follower),
        follows=services.targets_of(follower),
        upcoming=services.upcoming_of(follower, utcnow()),
        **context,
    ), status


def _masked(follower) -> str:
    if follower.channel.value == "sms":
        return mask_mobile(follower.address)
    return mask_email(follower.address)


@bp.get("/u/<token>")
def unsubscribe(token: str):
    """The follower's page: what is new, and buttons to stop one follow or every message."""
    return _follower_page(services.by_token(token))


@bp.post("/u/<token>")
def stop(token: str):
    """Stop every message to this number or address (or one follow, `follow` given)."""
    follower = services.by_token(token)
    follow_id = request.form.get("follow", type=int)
    if "follow" in request.form and follow_id is None:
        abort(400)  # one follow was meant, but which is unreadable: stop nothing
    now = utcnow()
    if follow_id is not None:
        attempt(None, lambda: services.stop_follow(follower, follow_id, now))
        return redirect(url_for(".unsubscribe", token=token, stopped=1))
    attempt(None, lambda: services.stop_all(follower, now))
    return render_template("follows/stopped.html", address=_masked(follower))


@bp.get("/e/<id:session_id>")
def session_link(session_id: int):
    """A digest's short link to a session: its place on the event page."""
    event_session = db.session.get(EventSession, session_id)
    if event_session is None or not event_session.event.is_public:
        raise NotFoundError("session", session_id)
    return redirect(
        url_for("events.event", event_id=event_session.event_id) + f"#session-{session_id}"
    )


@staff_bp.get("/followers")
def counts():
    """How many follow each place, organisation and category: counts only, never who."""
    permissions.require(permissions.is_staff(current_user))
    return render_template("follows/counts.html", rows=services.follower_counts(current_language()))
