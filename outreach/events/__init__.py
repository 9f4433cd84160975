"""Events: categories, events, their sessions, and the public pages that list them."""

from __future__ import annotations

from flask import Flask

from outreach.events import admin_views, hooks, series_views, staff_views, views


def init_app(app: Flask) -> None:
    """The public listings and event page, the hooks the packages above fill in, the staff's
    event editor and series pages, and the administrators' category pages."""
    hooks.init_app(app)
    app.register_blueprint(views.bp)
    app.register_blueprint(staff_views.bp)
    app.register_blueprint(series_views.bp)
    app.register_blueprint(admin_views.bp)
