"""Printable A4 posters with QR codes: an event's schedule, a community's coming weeks."""

from __future__ import annotations

from flask import Flask

from outreach.posters import dates, views


def init_app(app: Flask) -> None:
    """The poster pages, and `poster_url` and the `poster_days` filter for templates."""
    app.register_blueprint(views.bp)
    app.add_template_global(views.poster_url)
    app.add_template_filter(dates.days_text, "poster_days")
