"""Events: categories, events, their sessions (one by one, in series, or imported from a
calendar file), and the public pages that list them."""

from __future__ import annotations

from flask import Flask

from outreach.accounts import audit
from outreach.events import (
    admin_views,
    commands,
    contact,
    holiday_views,
    holidays,
    hooks,
    import_views,
    series_views,
    staff_views,
    venue_options,
    views,
)
from outreach.events.models import DayKind, EventStatus, SessionStatus


def init_app(app: Flask) -> None:
    """The public listings and event page, the hooks the packages above fill in, the staff's
    event editor, series and calendar import pages, the administrators' category and
    official calendar pages, `flask import-ics` and `flask seed-holidays`, the `dialled`
    filter for contact numbers, `venue_options`, `venue_checkboxes` and `township_options`
    for the session forms' venue choices, the `holiday_name` filter, and the names of event
    and session statuses in the audit trail."""
    hooks.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(staff_views.bp)
    app.register_blueprint(series_views.bp)
    app.register_blueprint(import_views.bp)
    app.register_blueprint(admin_views.bp)
    app.register_blueprint(holiday_views.bp)
    app.cli.add_command(commands.import_ics_command)
    app.cli.add_command(commands.seed_holidays_command)
    audit.name_values(app, "status", EventStatus, SessionStatus)
    audit.name_values(app, "kind", DayKind)
    app.add_template_filter(contact.shown_phone, "dialled")
    app.add_template_global(venue_options.venue_options)
    app.add_template_global(venue_options.venue_checkboxes)
    app.add_template_global(venue_options.township_options)
    app.add_template_filter(holidays.shown_name, "holiday_name")
    app.add_template_global(series_views.missing_years_text)
