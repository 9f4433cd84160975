"""Staff pages for events: the list, the event editor, sessions, cancel, delete and clone."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.attempt import attempt, attempt_flash, submit
from outreach.events import categories, editing, services
from outreach.events.forms import (
    MAX_ROWS,
    CampaignForm,
    CancelForm,
    CloneForm,
    EventForm,
    SessionForm,
    SessionRowsForm,
)
from outreach.events.hooks import tallies_of_sessions
from outreach.events.models import Event, EventSession, EventStatus
from outreach.i18n import current_language
from outreach.localtime import local_date
from outreach.pagination import cursor_argument
from outreach.places import services as places
from outreach.places.models import Township

bp = staff_blueprint("events_staff", __name__, url_prefix="/staff/events")


def _editable_event(event_id: int) -> Event:
    """The event, if the user may edit its organisation's events (else 403; unknown: 404)."""
    event = editing.event_for_editing(event_id)
    permissions.require(permissions.can_edit_events(current_user, event.organisation_id))
    return event


def _editable_session(event_id: int, session_id: int) -> tuple[Event, EventSession]:
    event = _editable_event(event_id)
    return event, editing.session_of(event, session_id)


def _sessions_url(event: Event) -> str:
    return url_for(".sessions", event_id=event.id)


@bp.get("")
def index():
    """The events of my organisations, newest first."""
    permissions.require(permissions.can_edit_some_events(current_user))
    page = editing.staff_events(
        current_user, cursor_argument(), current_app.config["STAFF_PER_PAGE"]
    )
    return render_template("staff/events/index.html", page=page)


# ---------------------------------------------------------------------------------------------
# The event editor


def _event_form(event: Event | None = None) -> EventForm:
    """The editor, offering the organisations the user may edit events of."""
    permissions.require(permissions.can_edit_some_events(current_user))
    organisations = editing.organisation_choices(current_user)
    form = EventForm(obj=event)
    form.offer(categories.categories(), organisations, current_language())
    if event is not None and event.status == EventStatus.CANCELLED:
        del form.status  # a cancelled event comes back through "restore", not the editor
    return form


@bp.route("/new", methods=["GET", "POST"])
def new():
    """Create an event, as a draft or published straight away."""
    form = _event_form()
    if form.validate_on_submit():
        fields = form.column_values()
        permissions.require(permissions.can_edit_events(current_user, fields["organisation_id"]))
        if created := attempt(form, lambda: editing.create_event(current_user, fields)):
            flash(_("The event has been created. Now add its sessions."), "success")
            return redirect(_sessions_url(created.value))
    return render_template("staff/events/form.html", form=form, event=None)


@bp.route("/<id:event_id>/edit", methods=["GET", "POST"])
def edit(event_id: int):
    """Change an event's text, category, organisation or status."""
    event = _editable_event(event_id)
    form = _event_form(event)
    if form.validate_on_submit():
        fields = form.column_values()
        permissions.require(permissions.can_edit_events(current_user, fields["organisation_id"]))
        if updated := attempt(form, lambda: editing.update_event(current_user, event, fields)):
            flash(_("Saved.") if updated.value else _("Nothing was changed."), "success")
            return redirect(url_for(".edit", event_id=event.id))
    return render_template("staff/events/form.html", form=form, event=event)


# ---------------------------------------------------------------------------------------------
# Sessions


@dataclass
class _SessionsPage:
    """The forms of the sessions page and the venues they offer."""

    rows: SessionRowsForm
    campaign: CampaignForm
    groups: list[editing.VenueGroup]
    # In a city-sized site: the street or township whose venues are offered besides those of
    # the event's sessions (?township=), and the streets and townships to choose from.
    township: int | None = None
    townships: list[Township] | None = None


def _chosen_township() -> int | None:
    return request.args.get("township", type=int)


def _sessions_page(event: Event, posted: str | None = None) -> _SessionsPage:
    """Both forms of the sessions page; only the one posted reads the request."""
    chosen = _chosen_township()
    groups = editing.venue_groups([*editing.session_townships(event), chosen])
    rows = SessionRowsForm() if posted == "rows" else SessionRowsForm(formdata=None)
    wanted = request.args.get("rows", type=int) or 0
    rows.offer(groups, min(max(wanted, 0), MAX_ROWS))
    campaign = CampaignForm() if posted == "campaign" else CampaignForm(formdata=None)
    campaign.offer(groups)
    townships = places.townships() if editing.city_sized() else None
    return _SessionsPage(rows, campaign, groups, chosen, townships)


def _render_sessions(event: Event, forms: _SessionsPage) -> str:
    page = editing.session_page(event, cursor_argument(), current_app.config["STAFF_PER_PAGE"])
    return render_template(
        "staff/events/sessions.html",
        event=event,
        forms=forms,
        page=page,
        session_count=editing.session_count(event),
        days=services.group_by_local_day(page.items),
        tallies=tallies_of_sessions([s.id for s in page.items]),
        more_rows=min(len(forms.rows.rows) + 6, MAX_ROWS),
    )


def _add_sessions(event: Event, forms: _SessionsPage, form: SessionRowsForm | CampaignForm):
    """Create the posted form's sessions, or show the page again with what was typed."""
    if added := submit(form, lambda: editing.add_sessions(current_user, event, form.plans())):
        count = len(added.value)
        flash(ngettext("%(num)d session added.", "%(num)d sessions added.", count), "success")
        return redirect(_sessions_url(event))
    return _render_sessions(event, forms)


@bp.get("/<id:event_id>/sessions")
def sessions(event_id: int):
    """An event's sessions a page at a time, and the forms that add more."""
    event = editing.event_alone(event_id)
    permissions.require(permissions.can_edit_events(current_user, event.organisation_id))
    return _render_sessions(event, _sessions_page(event))


@bp.post("/<id:event_id>/sessions")
def add_rows(event_id: int):
    """Add the sessions entered row by row."""
    event = _editable_event(event_id)
    forms = _sessions_page(event, "rows")
    return _add_sessions(event, forms, forms.rows)


@bp.post("/<id:event_id>/sessions/campaign")
def add_campaign(event_id: int):
    """Add a session at every chosen venue on every listed date."""
    event = _editable_event(event_id)
    forms = _sessions_page(event, "campaign")
    return _add_sessions(event, forms, forms.campaign)


@bp.route("/<id:event_id>/sessions/<id:session_id>/edit", methods=["GET", "POST"])
def edit_session(event_id: int, session_id: int):
    """Reschedule a session, move it to another venue or change its places."""
    event, event_session = _editable_session(event_id, session_id)
    groups = editing.venue_groups([event_session.venue.township_id, _chosen_township()])
    form = SessionForm(obj=editing.plan_of(event_session), venue=event_session.venue_id)
    form.offer(groups)
    if updated := submit(
        form, lambda: editing.update_session(current_user, event_session, form.plan())
    ):
        flash(_("Saved.") if updated.value else _("Nothing was changed."), "success")
        return redirect(_sessions_url(event))
    return render_template(
        "staff/events/session_form.html",
        event=event,
        event_session=event_session,
        form=form,
        groups=groups,
    )


def _cancel_page(
    event: Event,
    event_session: EventSession | None,
    form: CancelForm,
    registrants: editing.Registrants,
) -> str:
    return render_template(
        "staff/events/cancel.html",
        event=event,
        event_session=event_session,
        form=form,
        registrants=registrants,
        days=[local_date(s.starts_at) for s in event.sessions],  # in start order
    )


def _people(registrants: editing.Registrants) -> str:
    return ngettext("%(num)d person", "%(num)d people", registrants.people)


def _session_cancelled(registrants: editing.Registrants) -> str:
    """The message after a session is called off, saying who will hear of it."""
    if not registrants.registrations:
        return _("The session has been cancelled; nobody had to be told.")
    return ngettext(
        "The session has been cancelled; %(num)d registration (%(people)s) will be told.",
        "The session has been cancelled; %(num)d registrations (%(people)s) will be told.",
        registrants.registrations,
        people=_people(registrants),
    )


def _event_cancelled(registrants: editing.Registrants) -> str:
    """The message after an event is called off, saying who will hear of it."""
    if not registrants.registrations:
        return _("The event has been cancelled; nobody had to be told.")
    return ngettext(
        "The event has been cancelled; %(num)d registration (%(people)s) will be told.",
        "The event has been cancelled; %(num)d registrations (%(people)s) will be told.",
        registrants.registrations,
        people=_people(registrants),
    )


def _carry_out(change: Callable[[], object], done: str, then: str, back: str) -> Response:
    """Make a change and commit it, or flash why the rules refuse it and go `back`."""
    if not attempt_flash(change):
        return redirect(back)
    flash(done, "success")
    return redirect(then)


@bp.route("/<id:event_id>/sessions/<id:session_id>/cancel", methods=["GET", "POST"])
def cancel_session(event_id: int, session_id: int):
    """Cancel one session with a reason residents will see."""
    event, event_session = _editable_session(event_id, session_id)
    form = CancelForm()
    # Counted before the change: the page says it, and so does the message after it.
    registrants = editing.registrants_of_session(event_session)
    if form.validate_on_submit():
        url = _sessions_url(event)
        return _carry_out(
            lambda: editing.cancel_session(current_user, event_session, form.reason.data),
            _session_cancelled(registrants),
            then=url,
            back=url,
        )
    return _cancel_page(event, event_session, form, registrants)


@bp.post("/<id:event_id>/sessions/<id:session_id>/restore")
def restore_session(event_id: int, session_id: int):
    """Put a cancelled session back on."""
    event, event_session = _editable_session(event_id, session_id)
    url = _sessions_url(event)
    return _carry_out(
        lambda: editing.restore_session(current_user, event_session),
        _("The session is on again."),
        then=url,
        back=url,
    )


# ---------------------------------------------------------------------------------------------
# Cancel, restore, delete and clone a whole event


@bp.route("/<id:event_id>/cancel", methods=["GET", "POST"])
def cancel(event_id: int):
    """Cancel the whole event with a reason residents will see."""
    event = _editable_event(event_id)
    form = CancelForm()
    registrants = editing.registrants_of_event(event)
    if form.validate_on_submit():
        url = url_for(".edit", event_id=event.id)
        return _carry_out(
            lambda: editing.cancel_event(current_user, event, form.reason.data),
            _event_cancelled(registrants),
            then=url,
            back=url,
        )
    return _cancel_page(event, None, form, registrants)


@bp.post("/<id:event_id>/restore")
def restore(event_id: int):
    """Put a cancelled event back on."""
    event = _editable_event(event_id)
    url = url_for(".edit", event_id=event.id)
    return _carry_out(
        lambda: editing.restore_event(current_user, event),
        _("The event is on again."),
        then=url,
        back=url,
    )


# Where a draft is listed with a Publish button, and so where publishing goes back to.
_PUBLISHED_FROM = {"dashboard": "staff.dashboard", "events": ".index"}


@bp.post("/<id:event_id>/publish")
def publish(event_id: int):
    """Publish a draft from the list it appears in, as the editor's status field would."""
    event = _editable_event(event_id)
    back = url_for(_PUBLISHED_FROM.get(request.form.get("back", ""), ".index"))
    return _carry_out(
        lambda: editing.publish_event(current_user, event),
        _("“%(title)s” has been published.", title=event.title),
        then=back,
        back=back,
    )


@bp.route("/<id:event_id>/delete", methods=["GET", "POST"])
def delete(event_id: int):
    """Delete a draft, after asking."""
    event = _editable_event(event_id)
    if request.method == "GET":
        return render_template("staff/events/delete.html", event=event)
    return _carry_out(
        lambda: editing.delete_event(current_user, event),
        _("The draft has been deleted."),
        then=url_for(".index"),
        back=url_for(".edit", event_id=event.id),
    )


@bp.route("/<id:event_id>/clone", methods=["GET", "POST"])
def clone(event_id: int):
    """Copy an event and its sessions to new dates, as a draft."""
    event = _editable_event(event_id)
    form = CloneForm()
    if copied := submit(
        form,
        lambda: editing.clone_event(current_user, event, form.first_day.data, form.title.data),
    ):
        flash(_("The copy has been saved as a draft. Check its sessions."), "success")
        return redirect(_sessions_url(copied.value))
    return render_template("staff/events/clone.html", event=event, form=form)
