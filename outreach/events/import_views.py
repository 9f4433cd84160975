"""The staff page that imports an iCalendar file into an organisation's events."""

from __future__ import annotations

from flask import flash, render_template
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy import select

from outreach.accounts import permissions
from outreach.accounts.guard import staff_blueprint
from outreach.accounts.models import Organisation
from outreach.attempt import attempt
from outreach.database import db
from outreach.events import categories, editing, importer
from outreach.events.import_forms import ImportForm
from outreach.i18n import current_language

bp = staff_blueprint("events_import", __name__, url_prefix="/staff/import")

LIMITS = {
    "megabytes": importer.MAX_FILE_BYTES // 2**20,
    "days_back": importer.DAYS_BACK,
    "days_ahead": importer.DAYS_AHEAD,
}


def _require_editor_of(slug: str | None) -> None:
    """403 when the form names an organisation whose events the user may not edit."""
    organisation_id = db.session.scalar(
        select(Organisation.id).where(Organisation.slug == (slug or "")[:80])
    )
    if organisation_id is not None:
        permissions.require(permissions.can_edit_events(current_user, organisation_id))


def _form() -> ImportForm:
    form = ImportForm()
    form.offer(
        editing.organisation_choices(current_user),
        editing.venue_groups(),
        categories.categories(),
        current_language(),
    )
    return form


def _import(form: ImportForm) -> importer.ImportReport | None:
    """Run the import and commit it; a problem goes beside the file field instead."""

    def run() -> importer.ImportReport:
        options = importer.resolve_options(
            form.organisation.data, form.venue.data, form.category.data, form.publish.data
        )
        return importer.import_calendar(form.content(), options, current_user)

    # The same file imported at the same moment by someone else breaks a unique constraint.
    clash = importer.ImportProblem(
        _l("Another import of these events ran at the same time; please try again."),
        kind="duplicate",
    )
    return attempt(form, run, conflict=clash).value


@bp.route("", methods=["GET", "POST"])
def upload():
    """Upload a calendar file; the report of what it created, updated and skipped follows."""
    permissions.require(permissions.can_edit_some_events(current_user))
    form = _form()
    report = None
    if form.is_submitted():
        _require_editor_of(form.organisation.data)
    if form.validate_on_submit() and (report := _import(form)) is not None:
        flash(
            _("The file has been imported.") if report.changed else _("Nothing changed."), "success"
        )
    status = 422 if form.errors else 200
    html = render_template("staff/import.html", form=form, report=report, limits=LIMITS)
    return html, status
