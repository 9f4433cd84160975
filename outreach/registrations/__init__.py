"""Registrations: slots, residents' bookings, waitlist, check-in, exports and retention."""

from __future__ import annotations

from flask import Flask

from outreach.registrations import commands, receivers, slot_views, staff_views, views


def init_app(app: Flask) -> None:
    """The event page and the resident's pages, the slot and roster pages, the receivers of
    session changes, and `flask purge-personal-data`."""
    app.register_blueprint(views.bp)
    app.register_blueprint(slot_views.bp)
    app.register_blueprint(staff_views.bp)
    receivers.connect()
    app.cli.add_command(commands.purge_personal_data_command)
