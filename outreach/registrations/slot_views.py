"""The slot editor of a session: add specialties or time windows, rename, resize, remove."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.attempt import attempt_flash, submit
from outreach.errors import NotFoundError
from outreach.events import editing
from outreach.registrations import services, slots
from outreach.registrations.slot_forms import AddSlotsForm, EditSlotForm

bp = staff_blueprint("slots", __name__, url_prefix="/staff/events/<id:event_id>/sessions")


def _session(event_id: int, session_id: int):
    event = editing.event_for_editing(event_id)
    permissions.require(permissions.can_edit_events(current_user, event.organisation_id))
    return editing.session_of(event, session_id)


def _slot(event_session, slot_id: int):
    for slot in event_session.slots:
        if slot.id == slot_id:
            return slot
    raise NotFoundError("slot", slot_id)


def _page(event_session, add_form: AddSlotsForm) -> str:
    taken = services.slot_seats_taken(s.id for s in event_session.slots)
    edit_forms = {s.id: EditSlotForm(obj=s, prefix=f"slot{s.id}") for s in event_session.slots}
    return render_template(
        "staff/slots.html",
        event=event_session.event,
        event_session=event_session,
        add_form=add_form,
        edit_forms=edit_forms,
        taken=taken,
    )


def _back(event_session):
    return redirect(url_for(".edit", event_id=event_session.event_id, session_id=event_session.id))


@bp.route("/<id:session_id>/slots", methods=["GET", "POST"])
def edit(event_id: int, session_id: int):
    """List the session's slots and add new ones."""
    event_session = _session(event_id, session_id)
    form = AddSlotsForm()
    added = submit(form, lambda: slots.add_slots(current_user, event_session, _plan(form)))
    if added:
        flash(_("Slots added: %(num)d.", num=len(added.value)), "info")
        return _back(event_session)
    return _page(event_session, form)


def _plan(form: AddSlotsForm) -> slots.SlotPlan:
    return slots.SlotPlan(
        labels=form.label_list(),
        capacity=form.capacity.data,
        start=form.start.data,
        end=form.end.data,
        window_minutes=form.window_minutes.data,
        english=form.english_labels(),
    )


@bp.post("/<id:session_id>/slots/<id:slot_id>")
def update(event_id: int, session_id: int, slot_id: int):
    """Rename a slot or change its capacity."""
    event_session = _session(event_id, session_id)
    slot = _slot(event_session, slot_id)
    form = EditSlotForm(prefix=f"slot{slot.id}")
    if form.validate_on_submit():
        label, capacity = form.label.data.strip(), form.capacity.data
        label_en = form.label_en.data or ""
        if attempt_flash(lambda: slots.update_slot(current_user, slot, label, capacity, label_en)):
            flash(_("Saved."), "info")
    else:
        for errors in form.errors.values():
            for message in errors:
                flash(str(message), "error")
    return _back(event_session)


@bp.post("/<id:session_id>/slots/<id:slot_id>/delete")
def delete(event_id: int, session_id: int, slot_id: int):
    """Remove a slot that has no registrations (the CSRF check is the app-wide one)."""
    event_session = _session(event_id, session_id)
    slot = _slot(event_session, slot_id)
    if attempt_flash(lambda: slots.delete_slot(current_user, slot)):
        flash(_("Deleted."), "info")
    return _back(event_session)
