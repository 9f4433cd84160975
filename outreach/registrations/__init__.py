"""Registrations: slots, residents' bookings, waitlist, check-in, exports and retention."""

from __future__ import annotations

from flask import Flask

from outreach.accounts import audit
from outreach.events.hooks import hooks
from outreach.registrations import (
    bench_floor,
    choices,
    commands,
    desk_offline_views,
    inserting,
    receivers,
    services,
    slot_views,
    staff_views,
    views,
)
from outreach.registrations.models import RegistrationStatus
from outreach.registrations.roster import QueryKind


def init_app(app: Flask) -> None:
    """What events asks of registrations (the event page's registration part, places left
    for listings, counting who hears of a change), the resident's pages, the slot and roster
    pages, the receivers of session changes, `flask purge-personal-data`, and the names of
    registration statuses and roster searches in the audit trail."""
    hooks(app).event_page = views.event_page
    app.jinja_env.globals["slot_radios"] = choices.slot_radios
    hooks(app).count_registrants = services.count_registrants
    hooks(app).rooms = services.rooms
    hooks(app).session_tallies = services.session_tallies
    hooks(app).event_tallies = services.event_tallies
    app.register_blueprint(views.bp)
    app.register_blueprint(slot_views.bp)
    app.register_blueprint(staff_views.bp)
    app.register_blueprint(desk_offline_views.bp)
    receivers.connect()
    inserting.connect()
    bench_floor.init_app(app)
    app.cli.add_command(commands.purge_personal_data_command)
    audit.name_values(app, "status", RegistrationStatus)
    audit.name_values(app, "query_kind", QueryKind)
