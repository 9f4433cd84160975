"""Staff pages of a session's registrations: the roster, check-in, walk-ins, exports, and the
paper sign-in sheet with the codes ticked on it.

Every page is for the staff of the session's organisation (any role) and administrators;
full phone numbers and e-mails only for its managers and administrators.
"""

from __future__ import annotations

from flask import (
    Response,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask import session as cookie_session
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from flask_login import current_user

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.attempt import attempt_flash, submit
from outreach.database import db
from outreach.events.models import EventSession
from outreach.extensions import limiter
from outreach.pagination import cursor_argument
from outreach.registrations import desk, exports, paper, roster, seats, services
from outreach.registrations.models import RegistrationStatus
from outreach.registrations.staff_forms import (
    AddSeatsForm,
    CheckInForm,
    PaperCheckInForm,
    UndoCheckInForm,
    WalkInForm,
)

bp = staff_blueprint("roster", __name__, url_prefix="/staff/sessions")

# The JSON answer's HTTP status for each check-in outcome.
OUTCOME_STATUS = {
    "checked_in": 200,
    "already": 200,
    "waitlisted": 409,
    "cancelled": 409,
    "unknown": 404,
    "invalid": 422,
    "confirm": 409,
    "undone": 200,
}
# Where the desk's last answer waits for the page a plain form post is sent back to.
DESK_CARD = "desk_card"

TOO_MANY_SEARCHES = _l("Too many searches. Please wait a little and try again.")
QUERY_LENGTH = 100


def _roster_searches() -> str:
    return current_app.config["ROSTER_SEARCHES"]


def _search_text() -> str:
    return request.args.get("q", "")[:QUERY_LENGTH]


def _not_a_search() -> bool:
    """Opening the roster is free; only searching it counts, per signed-in account."""
    return not _search_text().strip() or not current_user.is_authenticated


def _staff_account() -> str:
    return f"staff:{current_user.id}"


def _refused(response) -> bool:
    return response.status_code == 422


def _searches(**options):
    """Count against the account's roster searches (ROSTER_SEARCHES): searching a roster,
    and a refused walk-in ("this number is already registered" says as much as a search)."""
    return limiter.shared_limit(
        _roster_searches,
        scope="roster-search",
        key_func=_staff_account,
        error_message=lambda: str(TOO_MANY_SEARCHES),
        **options,
    )


def _session(session_id: int) -> EventSession:
    """The session, if the user may see its roster (else 403; unknown: 404)."""
    event_session = roster.session_for_staff(session_id)
    permissions.require(permissions.can_check_in(current_user, event_session.event.organisation_id))
    return event_session


def _full_contacts(event_session: EventSession) -> bool:
    return permissions.can_see_phone_numbers(current_user, event_session.event.organisation_id)


def _walk_in_form(event_session: EventSession, formdata=None) -> WalkInForm:
    form = WalkInForm(formdata=formdata, prefix="walkin")
    form.offer_slots(event_session.slots, event_session.event.max_party_size)
    return form


def _add_seats_form(event_session: EventSession, formdata=None) -> AddSeatsForm | None:
    """The desk's form for more seats, for those who may change capacities (else None)."""
    if not permissions.can_edit_events(current_user, event_session.event.organisation_id):
        return None
    form = AddSeatsForm(formdata=formdata, prefix="seats")
    form.offer_slots(event_session.slots)
    return form


def _roster_url(event_session: EventSession) -> str:
    return url_for(".roster_page", session_id=event_session.id)


def _render_roster(
    event_session: EventSession,
    *,
    query: roster.Query | None = None,
    walk_in: WalkInForm | None = None,
    status=200,
):
    """The roster page: a page of its registrations (of a search's matches when `query`),
    optionally with a walk-in form that came back with errors. A search is audited."""
    full_contacts = _full_contacts(event_session)
    query = query or roster.Query("", None)
    page, found = roster.roster_page(
        event_session,
        query,
        cursor_argument(),
        current_app.config["STAFF_PER_PAGE"],
        full_contacts=full_contacts,
    )
    if query:
        actor = current_user._get_current_object()
        roster.record_search(actor, event_session, query, found or 0)
        db.session.commit()
    html = render_template(
        "staff/roster/roster.html",
        event_session=event_session,
        event=event_session.event,
        roster=roster.figures(event_session, full_contacts=full_contacts),
        page=page,
        entries=page.items,
        found=found,
        query=query,
        check_in_form=CheckInForm(formdata=None),
        undo_form=UndoCheckInForm(formdata=None),
        card=cookie_session.pop(DESK_CARD, None),
        walk_in_form=walk_in or _walk_in_form(event_session),
        walk_in_open=walk_in is not None,
        add_seats_form=_add_seats_form(event_session),
        retention_days=current_app.config["RETENTION_DAYS"],
    )
    return html, status


@bp.get("/<id:session_id>/roster")
@_searches(exempt_when=_not_a_search)
def roster_page(session_id: int):
    """Who registered for the session, a page at a time: seats, search, check-in, walk-ins,
    cancel.

    A search matches numbers only as far as the reader sees them (see roster.Query); each
    one is audited.
    """
    event_session = _session(session_id)
    query = roster.read_query(_search_text(), full_numbers=_full_contacts(event_session))
    return _render_roster(event_session, query=query)


@bp.get("/<id:session_id>/scan")
def scan(session_id: int):
    """The old scan page: the camera is on the desk page now, above the roster."""
    event_session = _session(session_id)
    return redirect(_roster_url(event_session), 301)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _answer(event_session: EventSession, result: desk.DeskResult):
    """The desk's answer: JSON for the desk page's script; else the card kept for the next
    page (a redirect, so reloading the page does not check the party in again)."""
    card = result.card()
    if _wants_json():
        body = {"ok": result.ok, "already": result.already, "outcome": result.outcome}
        body |= {"message": result.message, "card": card}
        return jsonify(body), OUTCOME_STATUS[result.outcome]
    cookie_session[DESK_CARD] = card
    return redirect(_roster_url(event_session))


@bp.post("/<id:session_id>/check-in")
def check_in(session_id: int):
    """Check a code in (some or all of its party): JSON for the desk page's script, else the
    result card on the roster page. Another day than the session's needs a second tap."""
    event_session = _session(session_id)
    form = CheckInForm()
    code, people = form.code.data or "", form.people.data
    outcome = submit(
        form,
        lambda: desk.check_in(
            event_session, code, actor=current_user, people=people, any_day=form.any_day
        ),
    )
    if outcome:
        result = outcome.value
    elif outcome.error is not None:
        result = desk.DeskResult.refused(outcome.error, code, people)
    else:
        errors = form.code.errors or form.people.errors or form.form_errors
        result = desk.DeskResult("invalid", str(errors[0]))
    return _answer(event_session, result)


@bp.post("/<id:session_id>/registrations/<id:registration_id>/undo-check-in")
def undo_check_in(session_id: int, registration_id: int):
    """Take back a check-in made by mistake (some or all of the party), audited."""
    event_session = _session(session_id)
    form = UndoCheckInForm()
    people = form.people.data
    outcome = submit(
        form,
        lambda: desk.undo(event_session, registration_id, actor=current_user, people=people),
    )
    if outcome:
        result = outcome.value
    elif outcome.error is not None:
        result = desk.DeskResult.refused(outcome.error)
    else:
        errors = form.people.errors or form.form_errors
        result = desk.DeskResult("invalid", str(errors[0]))
    return _answer(event_session, result)


def _registered_message(registration) -> str:
    if registration.status == RegistrationStatus.CONFIRMED:
        return _(
            "Registered %(name)s, confirmed. Code: %(code)s",
            name=registration.name,
            code=registration.code,
        )
    return _(
        "Registered %(name)s on the waitlist (number %(position)d). Code: %(code)s",
        name=registration.name,
        position=services.waitlist_position(registration),
        code=registration.code,
    )


@bp.post("/<id:session_id>/walk-in")
@_searches(deduct_when=_refused, exempt_when=lambda: not current_user.is_authenticated)
def walk_in(session_id: int):
    """Register a resident at the booth: recorded as made by this staff member."""
    event_session = _session(session_id)
    form = _walk_in_form(event_session, request.form)
    language = current_app.config["BABEL_DEFAULT_LOCALE"]
    actor = current_user._get_current_object()
    registered = submit(
        form,
        lambda: _registered_message(
            services.register_by_staff(session_id, form.to_request(language), actor=actor)
        ),
    )
    if registered:
        flash(registered.value, "success")
        return redirect(_roster_url(event_session))
    event_session = roster.session_for_staff(session_id)
    return _render_roster(event_session, walk_in=form, status=422)


@bp.post("/<id:session_id>/seats")
def add_seats(session_id: int):
    """Add places to a full session or slot at the desk: managers and organisers only (they
    may change capacities in the editor too); audited, and the waitlist moves up."""
    event_session = _session(session_id)
    form = _add_seats_form(event_session, request.form)
    permissions.require(form is not None)
    if not form.validate_on_submit():
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
        return redirect(_roster_url(event_session) + "#add-seats")
    actor = current_user._get_current_object()
    number = form.seats.data
    added = attempt_flash(lambda: seats.add_seats(actor, event_session, number, form.slot_id()))
    if added:
        flash(ngettext("%(num)d place added.", "%(num)d places added.", number), "success")
        if added.value:
            flash(
                ngettext(
                    "%(num)d registration moved up from the waitlist.",
                    "%(num)d registrations moved up from the waitlist.",
                    added.value,
                ),
                "success",
            )
    return redirect(_roster_url(event_session) + "#add-seats")


def _promoted_message(promoted) -> str:
    codes = ", ".join(r.code for r in promoted)
    return ngettext(
        "%(num)d registration moved up from the waitlist: %(codes)s",
        "%(num)d registrations moved up from the waitlist: %(codes)s",
        len(promoted),
        codes=codes,
    )


@bp.post("/<id:session_id>/registrations/<id:registration_id>/cancel")
def cancel(session_id: int, registration_id: int):
    """Cancel a registration for the resident; its seats go to the waitlist at once.

    Managers and organisers only: a checker at the desk checks people in and registers
    walk-ins, but does not take anyone's place away.
    """
    event_session = _session(session_id)
    permissions.require(
        permissions.can_edit_events(current_user, event_session.event.organisation_id)
    )
    registration = roster.registration_of(event_session, registration_id)
    if not registration.is_active:
        flash(_("This registration has been cancelled."), "warning")
        return redirect(_roster_url(event_session))
    code = registration.code
    promoted = services.cancel(registration, actor=current_user._get_current_object())
    db.session.commit()
    flash(_("Registration %(code)s is cancelled.", code=code), "success")
    if promoted:
        flash(_promoted_message(promoted), "success")
    return redirect(_roster_url(event_session))


def _download(event_session: EventSession, body: bytes, mimetype: str, extension: str):
    response = Response(body, mimetype=mimetype)
    name = exports.export_name(event_session, extension)
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@bp.get("/<id:session_id>/roster.csv")
def export_csv(session_id: int):
    """The whole roster as CSV (UTF-8 with a BOM, so Excel reads Chinese)."""
    event_session = _session(session_id)
    loaded = roster.load(event_session, full_contacts=_full_contacts(event_session))
    return _download(event_session, exports.to_csv(loaded), "text/csv; charset=utf-8", "csv")


@bp.get("/<id:session_id>/roster.xlsx")
def export_xlsx(session_id: int):
    """The whole roster as an Excel workbook."""
    event_session = _session(session_id)
    loaded = roster.load(event_session, full_contacts=_full_contacts(event_session))
    mimetype = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return _download(event_session, exports.to_xlsx(loaded), mimetype, "xlsx")


@bp.get("/<id:session_id>/sign-in-sheet")
def sign_in_sheet(session_id: int):
    """The session's sign-in sheet to print (签到表): a page per slot and per 30 rows, names and
    numbers masked whoever prints it."""
    event_session = _session(session_id)
    loaded = roster.load(event_session, full_contacts=False)
    return render_template(
        "staff/roster/sheet.html",
        event_session=event_session,
        event=event_session.event,
        pages=paper.sheet_pages(loaded),
    )


def _render_paper(event_session: EventSession, form: PaperCheckInForm, summary=None, status=200):
    html = render_template(
        "staff/roster/paper.html",
        event_session=event_session,
        event=event_session.event,
        form=form,
        summary=summary,
    )
    return html, status


@bp.get("/<id:session_id>/paper-check-ins")
def paper_check_ins(session_id: int):
    """A form for the codes ticked on a paper sign-in sheet."""
    event_session = _session(session_id)
    return _render_paper(event_session, PaperCheckInForm(formdata=None))


@bp.post("/<id:session_id>/paper-check-ins")
def enter_paper_check_ins(session_id: int):
    """Check in the codes ticked on paper, each as the desk would; say what became of each.
    Entering the same codes again checks no one in twice."""
    event_session = _session(session_id)
    form = PaperCheckInForm()
    actor = current_user._get_current_object()
    entered = submit(form, lambda: paper.check_in_codes(event_session, form.entered, actor=actor))
    if not entered:
        return _render_paper(event_session, form, status=422)
    return _render_paper(event_session, PaperCheckInForm(formdata=None), entered.value)
