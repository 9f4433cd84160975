"""The staff side's home: the dashboard and the administrators' pages for places."""

from __future__ import annotations

from flask import Flask

from outreach.staff import views


def init_app(app: Flask) -> None:
    """The staff pages of this package."""
    app.register_blueprint(views.bp)
