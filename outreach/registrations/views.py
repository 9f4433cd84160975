"""Registering from the event page (whose registration part is made here), and the
resident's manage page."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _

from outreach.attempt import attempt, attempt_flash, submit
from outreach.database import db, utcnow
from outreach.events import services as event_services
from outreach.events.models import Event, EventSession
from outreach.events.views import render_event
from outreach.extensions import (
    cancel_limit,
    limiter,
    phone_code_limit,
    phone_code_number_limit,
    phone_of_request,
    registration_limit,
)
from outreach.i18n import current_language
from outreach.places import services as places
from outreach.qr import qr_svg
from outreach.registrations import choices as choices_of_slots
from outreach.registrations import services, verification
from outreach.registrations.blank_forms import BlankForms
from outreach.registrations.forms import ConfirmForm, PartySizeForm, RegistrationForm
from outreach.registrations.models import RegistrationStatus
from outreach.registrations.phones import normalise_mobile
from outreach.registrations.roster import mask_email
from outreach.registrations.slot_rows import slot_rows
from outreach.text import localised

bp = Blueprint("registrations", __name__)


def _community_choices(*sessions: EventSession) -> list[tuple[str, str]]:
    """Where a resident may say they live: in a city-sized site, the communities of the
    townships the sessions are in (one query)."""
    townships = {event_session.venue.township_id for event_session in sessions}
    language = current_language()
    return [("", _("Prefer not to say"))] + [
        (slug, localised(name, name_en, language))
        for slug, name, name_en in places.community_names(townships)
    ]


def _form_for(event_session, choices, data=None) -> RegistrationForm:
    """The registration form of `event_session` (`data`: as posted)."""
    form = RegistrationForm(formdata=data, prefix=f"s{event_session.id}")
    form.session_id.data = str(event_session.id)
    form.community.choices = choices
    if data is None:
        # Most residents live where the session is: their community comes chosen.
        community = event_session.venue.community
        if community is not None and any(slug == community.slug for slug, _name in choices):
            form.community.data = community.slug
    form.slot.choices = [("", _("Choose…"))] + [
        (str(slot.id), slot.label) for slot in event_session.slots
    ]
    form.party_size.render_kw = {
        **(form.party_size.render_kw or {}),
        "max": event_session.event.max_party_size,
    }
    return form


def event_page(
    event: Event,
    now: datetime,
    bound: RegistrationForm | None = None,
    code_sent: str | None = None,
) -> dict:
    """What the event page shows of registration: seats left, and a form for each session
    open to registration that can take someone (`bound`: the one posted, with its errors;
    `code_sent`: the masked number a verification code was just texted to, for that form);
    a session full without a waitlist shows no form. Registrations made in this browser are
    pointed at on their session. The page reads the sessions' slots as plain rows (one
    query), whether the event was loaded with its slots or not."""
    owned = services.owned_registrations(_owned(), event.sessions)
    slots = slot_rows(s.id for s in event.sessions)
    # The page as everyone sees it reads the seats the rows loaded count (no query); a form
    # posted back, in the transaction that tried it, counts them again.
    rooms = (services.counted_rooms if bound is None else services.rooms)(event.sessions, slots)
    wordings = choices_of_slots.Wordings()
    choices = _community_choices(*event.sessions)
    forms, blank, open_sessions, full = {}, [], set(), set()
    for event_session in event.sessions:
        if services.closed_reason(event_session, now) is not None:
            continue
        open_sessions.add(event_session.id)
        if rooms[event_session.id].full and not event.allow_waitlist:
            full.add(event_session.id)
        elif bound is not None and bound.session_id.data == str(event_session.id):
            forms[event_session.id] = bound
        else:
            blank.append(event_session)
    # Every session with a form, posted back or blank.
    slot_groups = {
        s.id: choices_of_slots.slot_groups(s, slots[s.id], rooms[s.id], wordings)
        for s in event.sessions
        if s.id in open_sessions and s.id not in full
    }
    verify = verification.enabled()
    # This browser confirmed a number a short while ago (within these minutes; 0: not): that
    # number needs no new code.
    verified_minutes = (
        current_app.config["VERIFIED_MINUTES"] if _verified_marks(now.timestamp()) else 0
    )
    retention_days = current_app.config["RETENTION_DAYS"]
    written = {}
    if blank:
        # Forms nobody posted: written from pieces prepared once for the page.
        prepared = BlankForms(event, choices, retention_days, verify, verified_minutes)
        written = {s.id: prepared.render(s, rooms[s.id], slot_groups[s.id]) for s in blank}
    return {
        "slots": slots,
        "rooms": rooms,
        "slot_groups": slot_groups,
        "forms": forms,
        "blank_forms": written,
        "open_sessions": open_sessions,
        "full_sessions": full,
        "owned": owned,
        "owned_in_event": _taking_part(event, owned),
        "retention_days": retention_days,
        "verify_phones": verify,
        "verified_minutes": verified_minutes,
        "codes_sent": {bound.session_id.data and int(bound.session_id.data): code_sent}
        if bound is not None and code_sent
        else {},
    }


def _taking_part(event: Event, owned: dict):
    """This browser's registration that holds the phone's one place in the event, when the
    event takes one per phone: a registration for a day called off does not count."""
    if not event.one_registration_per_event:
        return None
    live = {s.id for s in event.sessions if not s.is_cancelled}
    return next((r for session_id, r in owned.items() if session_id in live), None)


OWNED = "registrations"


def _owned() -> tuple[services.Owned, ...]:
    """Registrations made or remembered in this browser (kept in the signed session as ids
    and token hashes, never tokens)."""
    kept = session.get(OWNED)
    if not isinstance(kept, list):
        return ()
    return tuple(mine for mine in map(services.Owned.parse, kept) if mine is not None)


def _remember(registration) -> None:
    """Keep the newest registrations, so later ones share their calendar."""
    newest = services.Owned.of(registration)
    owned = [newest, *(mine for mine in _owned() if mine != newest)][: services.MAX_OWNED]
    session[OWNED] = [mine.kept() for mine in owned]
    session.permanent = True


VERIFIED = "verified_phones"
MAX_VERIFIED = 3  # numbers a browser keeps proved at once


def _verified_mark(phone: str) -> str:
    # A short keyed hash: the session cookie is signed, not secret, and holds no number.
    return verification.phone_key(phone)[:20]


def _verified_marks(now: float) -> dict[str, float]:
    kept = session.get(VERIFIED)
    if not isinstance(kept, dict):
        return {}
    return {k: v for k, v in kept.items() if isinstance(v, int | float) and v > now}


def _verified_here(raw_phone: str | None) -> bool:
    """Whether this browser proved the number with a code a short while ago."""
    phone = normalise_mobile(raw_phone or "")
    marks = _verified_marks(utcnow().timestamp())
    return phone is not None and _verified_mark(phone) in marks


def _remember_verified(raw_phone: str | None) -> None:
    """The browser proved the number: for VERIFIED_MINUTES it registers it without a new code
    (a second session, a second try after a full slot)."""
    phone = normalise_mobile(raw_phone or "")
    if phone is None:
        return
    now = utcnow().timestamp()
    marks = _verified_marks(now)
    marks.pop(_verified_mark(phone), None)
    marks[_verified_mark(phone)] = now + 60 * current_app.config["VERIFIED_MINUTES"]
    session[VERIFIED] = dict(list(marks.items())[-MAX_VERIFIED:])


@bp.post("/sessions/<id:session_id>/register")
@limiter.limit(registration_limit, scope="registrations")
def register(session_id: int):
    """Register from the event page; errors come back on the same page, input kept."""
    event, event_session = event_services.public_event_of_session(session_id)
    form = _form_for(event_session, _community_choices(*event.sessions), request.form)
    verified = _verified_here(form.phone.data)
    needs_code = verification.enabled() and not verified
    if needs_code and form.validate_on_submit():
        # A wrong guess counts even though the registration below is rolled back.
        verification.spend_try(form.phone.data, form.phone_code.data)
        db.session.commit()

    def register_them():
        wanted = replace(
            form.to_request(current_language()),
            owned=_owned(),
            phone_verified=verified,
        )
        return services.register(session_id, wanted)

    outcome = submit(form, register_them)
    if outcome:
        _remember(outcome.value)
        if needs_code:
            _remember_verified(form.phone.data)
        return _to_registration(outcome.value.manage_token, new=1)
    if isinstance(outcome.error, services.AlreadyRegistered):
        # The same browser again (Back, then submit): lead it to what it made.
        return _to_registration(outcome.error.manage_token, again=1)
    error = outcome.error
    if error is not None and error.field is None and error.kind in ("full", "closed"):
        # Full without a waitlist, or closed, since the page was loaded: the session now shows
        # no form to carry the message, so the event page (a GET: Back never posts) says it.
        flash(str(error), "error")
        return redirect(url_for("events.event", event_id=event.id) + f"#session-{session_id}")
    if outcome.error is not None:
        # The rollback expired what was loaded: load the page's data again, eagerly.
        event, _session = event_services.public_event_of_session(session_id)
    return render_event(event, status=422, bound=form)


@bp.post("/sessions/<id:session_id>/phone-code")
@limiter.limit(phone_code_limit, scope="phone-codes")
@limiter.limit(phone_code_number_limit, key_func=phone_of_request, scope="phone-codes-number")
def send_code(session_id: int):
    """The form's "Send code" button (the form posted here whole, so it works without
    JavaScript): text a code to the number typed, then show the same form again with every
    value kept and the code field ready. Only the number is checked now; the rest is checked
    on registering. (CSRF is checked for every POST by CSRFProtect.)"""
    if not verification.enabled():
        abort(404)
    event, event_session = event_services.public_event_of_session(session_id)
    form = _form_for(event_session, _community_choices(*event.sessions), request.form)
    outcome = issued = attempt(form, lambda: verification.issue_code(form.phone.data))
    if issued:  # committed: the code and its wait, before the gateway is asked
        outcome = attempt(form, lambda: verification.text_code(issued.value), commit=False)
    if not outcome:
        event, _session = event_services.public_event_of_session(session_id)
        return render_event(event, status=422, bound=form)
    form.phone_code.data = ""
    form.phone_code.render_kw = {**form.phone_code.render_kw, "autofocus": True}
    return render_event(event, bound=form, code_sent=outcome.value.masked_phone)


def _to_registration(token: str, **flags: int):
    """Redirect to a manage page, opened at its outcome; the link is the secret, so the
    answer is never cached."""
    # An explicit fragment: otherwise the browser keeps the form's #session-N.
    response = redirect(url_for("registrations.manage", token=token, **flags) + "#outcome")
    response.headers["Cache-Control"] = "private, no-store"
    return response


@bp.get("/sessions/<id:session_id>/mine")
def mine(session_id: int):
    """This browser's registration for a session (or, when the event takes one per phone, for
    the event); without one, back to the session on the event page."""
    event, _session = event_services.public_event_of_session(session_id)
    owned = services.owned_registrations(_owned(), event.sessions)
    registration = owned.get(session_id) or _taking_part(event, owned)
    if registration is None:
        return redirect(url_for("events.event", event_id=event.id) + f"#session-{session_id}")
    return _to_registration(registration.manage_token)


def _reached_by(registration) -> dict:
    """How the manage link reaches the resident, as the messages package sends it: by e-mail
    when they gave an address, else by text message; nothing while that way is not set up."""
    by_email = registration.told_by_email
    setting = "MAIL_SERVER" if by_email else "SMS_WEBHOOK_URL"
    return {
        "by_email": by_email,
        "to": mask_email(registration.email) if by_email else registration.masked_phone,
        "sent": bool(current_app.config.get(setting))
        and registration.purged_at is None
        and (by_email or registration.has_phone),
    }


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
        "again": request.args.get("again") == "1",
        "reached": _reached_by(registration),
    }


@bp.get("/r/<token>")
def manage(token: str):
    """The resident's own page: status, code and QR, calendar, change or cancel."""
    registration = services.by_token(token)
    # Opening a link does not make this browser the booking's owner: a link someone else sent
    # would otherwise tie the registrations made here to their calendar feed. Registering here,
    # or the page's "remember on this device" button, does.
    context = _manage_context(registration)
    context["remembered"] = services.is_owned(registration, _owned())
    # Not cached, not indexed, no Referer: outreach/headers.py, for every /r/ address.
    return render_template("registrations/manage.html", **context)


@bp.get("/s/<key>")
def short_link(key: str):
    """A text message's short link: on to the manage page, in the registration's language."""
    registration = services.by_link_key(key)
    return redirect(
        url_for("registrations.manage", token=registration.manage_token, lang=registration.language)
    )


@bp.post("/r/<token>/remember")
def remember(token: str):
    """This browser keeps the booking (the event page marks it, and registrations made here
    with the same phone join its calendar feed): only when the resident asks."""
    registration = services.by_token(token)
    if ConfirmForm().validate_on_submit():
        _remember(registration)
        flash(_("This device now remembers your registration."), "success")
    return _to_registration(token)


@bp.get("/r/<token>/cancel")
def confirm_cancel(token: str):
    """Asks before cancelling, on a page of its own (no browser dialog): the booking's facts,
    then a big "yes" that posts to `cancel` and a big "no" back to the manage page."""
    registration = services.by_token(token)
    if not registration.is_active:
        return redirect(url_for("registrations.manage", token=token))
    event_session = registration.event_session
    return render_template(
        "registrations/cancel.html",
        registration=registration,
        event_session=event_session,
        event=event_session.event,
    )


@bp.post("/r/<token>/cancel")
@limiter.limit(cancel_limit, scope="cancellations")
def cancel(token: str):
    """The resident cancels; the freed seats go to the waitlist at once."""
    registration = services.by_token(token)
    if ConfirmForm().validate_on_submit():
        waiting = registration.status == RegistrationStatus.WAITLISTED
        services.cancel(registration)
        db.session.commit()
        if waiting:
            flash(_("You have left the waitlist."), "info")
        else:
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
