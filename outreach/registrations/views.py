"""Registering from the event page (whose registration part is made here), and the
resident's manage page."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from outreach.attempt import attempt_flash, submit
from outreach.database import db
from outreach.events import services as event_services
from outreach.events.models import Event, EventSession
from outreach.events.views import render_event
from outreach.extensions import limiter, registration_limit
from outreach.i18n import current_language
from outreach.places import services as places
from outreach.registrations import services
from outreach.registrations.forms import ConfirmForm, PartySizeForm, RegistrationForm
from outreach.registrations.qr import qr_svg

bp = Blueprint("registrations", __name__)


def _community_choices(*sessions: EventSession) -> list[tuple[str, str]]:
    """Where a resident may say they live: in a city-sized site, the communities of the
    townships the sessions are in (one query)."""
    townships = {event_session.venue.township_id for event_session in sessions}
    communities = places.communities_to_choose(townships)
    language = current_language()
    return [("", _("Prefer not to say"))] + [
        (c.slug, c.display_name(language)) for c in communities
    ]


def _form_for(event_session, choices, data=None) -> RegistrationForm:
    form = RegistrationForm(formdata=data, prefix=f"s{event_session.id}")
    form.session_id.data = str(event_session.id)
    form.community.choices = choices
    form.slot.choices = [("", _("Choose…"))] + [
        (str(slot.id), slot.label) for slot in event_session.slots
    ]
    form.party_size.render_kw = {
        **(form.party_size.render_kw or {}),
        "max": event_session.event.max_party_size,
    }
    return form


def event_page(event: Event, now: datetime, bound: RegistrationForm | None = None) -> dict:
    """What the event page shows of registration: seats taken, and a form for each session
    open to registration (`bound`: the one posted, with its errors)."""
    taken = services.seats_taken([s.id for s in event.sessions])
    slot_taken = services.slot_seats_taken(slot.id for s in event.sessions for slot in s.slots)
    choices = _community_choices(*event.sessions)
    forms, open_sessions = {}, set()
    for event_session in event.sessions:
        if services.closed_reason(event_session, now) is not None:
            continue
        open_sessions.add(event_session.id)
        if bound is not None and bound.session_id.data == str(event_session.id):
            forms[event_session.id] = bound
        else:
            forms[event_session.id] = _form_for(event_session, choices)
    return {
        "taken": taken,
        "slot_taken": slot_taken,
        "forms": forms,
        "open_sessions": open_sessions,
        "retention_days": current_app.config["RETENTION_DAYS"],
    }


OWNED = "registrations"


def _owned_tokens() -> tuple[str, ...]:
    """Manage tokens of registrations made in this browser (kept in the signed session)."""
    kept = session.get(OWNED, [])
    return tuple(t for t in kept if isinstance(t, str))


def _remember(token: str) -> None:
    """Keep the newest registrations' manage tokens, so later ones share their calendar."""
    session[OWNED] = [token, *_owned_tokens()][: services.MAX_OWNED_TOKENS]
    session.permanent = True


@bp.post("/sessions/<id:session_id>/register")
@limiter.limit(registration_limit, scope="registrations")
def register(session_id: int):
    """Register from the event page; errors come back on the same page, input kept."""
    event, event_session = event_services.public_event_of_session(session_id)
    form = _form_for(event_session, _community_choices(*event.sessions), request.form)

    def register_them():
        wanted = replace(form.to_request(current_language()), owned_tokens=_owned_tokens())
        return services.register(session_id, wanted)

    outcome = submit(form, register_them)
    if outcome:
        token = outcome.value.manage_token
        _remember(token)
        # An explicit fragment: otherwise the browser keeps the form's #session-N.
        return redirect(url_for("registrations.manage", token=token, new=1) + "#code")
    if outcome.error is not None:
        # The rollback expired what was loaded: load the page's data again, eagerly.
        event, _session = event_services.public_event_of_session(session_id)
    return render_event(event, status=422, bound=form)


def _manage_context(registration):
    event_session = registration.event_session
    return {
        "registration": registration,
        "event_session": event_session,
        "event": event_session.event,
        "position": services.waitlist_position(registration),
        "qr": qr_svg(registration.code),
        "party_form": PartySizeForm(party_size=registration.party_size),
        "is_new": request.args.get("new") == "1",
    }


@bp.get("/r/<token>")
def manage(token: str):
    """The resident's own page: status, code and QR, calendar, change or cancel."""
    registration = services.by_token(token)
    _remember(token)  # holding the link proves ownership: later registrations join its feed
    response = current_app.make_response(
        render_template("registrations/manage.html", **_manage_context(registration))
    )
    # The URL is the secret: keep it out of shared caches and other sites' Referer headers.
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.post("/r/<token>/cancel")
def cancel(token: str):
    """The resident cancels; the freed seats go to the waitlist at once."""
    registration = services.by_token(token)
    if ConfirmForm().validate_on_submit():
        services.cancel(registration)
        db.session.commit()
        flash(_("Your registration is cancelled."), "info")
    return redirect(url_for("registrations.manage", token=token))


@bp.post("/r/<token>/party")
def change_party(token: str):
    """The resident lowers the number of people."""
    registration = services.by_token(token)
    form = PartySizeForm()
    if not form.validate_on_submit():
        flash(_("Please enter a number."), "error")
    elif attempt_flash(lambda: services.reduce_party(registration, form.party_size.data)):
        flash(_("The number of people is updated."), "info")
    return redirect(url_for("registrations.manage", token=token))
