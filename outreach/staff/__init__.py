"""The staff side's home: the dashboard over every package's events, sessions and changes."""

from __future__ import annotations

from flask import Flask

from outreach.staff import views


def init_app(app: Flask) -> None:
    """The dashboard."""
    app.register_blueprint(views.bp)
