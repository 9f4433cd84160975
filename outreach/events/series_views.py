"""Staff pages of an event's repeat rule: see it, preview its dates, save it, remove it."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.attempt import attempt_flash, submit
from outreach.events import editing, holidays, series
from outreach.events.models import Event
from outreach.events.series_forms import SeriesForm, initial_data
from outreach.formatting import day, session_time
from outreach.localtime import local_date, local_today

bp = staff_blueprint("events_series", __name__, url_prefix="/staff/events/<id:event_id>/series")

# The flash after saving lists at most this many kept sessions by date.
LISTED_KEPT = 10


def _event_to_edit(event_id: int) -> Event:
    """An event whose series the signed-in user may change: 404 unknown, 403 not theirs."""
    event = editing.event_for_editing(event_id)
    permissions.require(permissions.can_edit_events(current_user, event.organisation_id))
    return event


def _form(event: Event, groups: list[editing.VenueGroup]) -> SeriesForm:
    """The posted form, or on GET the saved series (or a weekly default) to start from."""
    if request.method == "POST":
        form = SeriesForm()
    else:
        form = SeriesForm(data=initial_data(series.saved_plan(event), local_today()))
    form.offer([venue.id for group in groups for venue in group.venues])
    return form


def _kept_text(report: series.SeriesReport) -> str:
    items = [
        _(
            "%(when)s (%(reason)s)",
            when=f"{day(local_date(kept.event_session.starts_at))} "
            f"{session_time(kept.event_session)}",
            reason=kept.reason.label,
        )
        for kept in report.kept[:LISTED_KEPT]
    ]
    if len(report.kept) > LISTED_KEPT:
        items.append("…")
    return _("; ").join(items)


def _flash_saved(report: series.SeriesReport) -> None:
    flash(
        _(
            "Repeat rule saved. Sessions created: %(created)d, updated: %(updated)d, "
            "removed: %(removed)d, kept as they were: %(kept)d.",
            **report.counts(),
        ),
        "success",
    )
    if report.kept:
        flash(_("Kept because staff changed them: %(list)s", list=_kept_text(report)), "info")
    if report.past:
        flash(_("Dates already past were not created: %(num)d.", num=report.past), "info")
    if report.missing_years:
        flash(missing_years_text(report.missing_years), "warning")


def missing_years_text(years: list[int]) -> str:
    """The warning that some years' holidays are not known yet (never taken as none)."""
    return _(
        "The public holidays of %(years)s are not known yet: dates in those years were not "
        "checked against them. An administrator can add the State Council's arrangement.",
        years=_(", ").join(str(year) for year in years),
    )


@bp.route("", methods=["GET", "POST"])
def edit(event_id: int):
    """The repeat rule form; "Preview" lists the dates, "Save" generates the sessions."""
    event = _event_to_edit(event_id)
    groups = editing.venue_groups()
    form = _form(event, groups)
    preview = None
    today = local_today()
    if form.preview.data:
        preview = submit(form, lambda: series.preview(event, form.plan()), commit=False).value
    elif saved := submit(form, lambda: series.save_series(event, form.plan(), current_user)):
        _flash_saved(saved.value)
        return redirect(url_for(".edit", event_id=event.id))
    return render_template(
        "staff/series/edit.html",
        event=event,
        form=form,
        groups=groups,
        preview=preview,
        overview=series.overview(event),
        unknown_years=holidays.missing_years(today.year, today.year + 1),
    )


@bp.post("/delete")
def delete(event_id: int):
    """Remove the rule: unchanged future sessions go, the others stay as single sessions."""
    event = _event_to_edit(event_id)
    removed = attempt_flash(lambda: series.remove_series(event, current_user))
    if not removed:
        return redirect(url_for(".edit", event_id=event.id))
    report = removed.value
    flash(
        _(
            "Repeat rule removed. Upcoming sessions deleted: %(removed)d; kept because "
            "staff changed them: %(kept)d. The other sessions stay as single sessions.",
            removed=len(report.removed),
            kept=len(report.kept),
        ),
        "success",
    )
    return redirect(url_for(".edit", event_id=event.id))
