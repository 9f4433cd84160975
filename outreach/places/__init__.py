"""Places: townships (streets and townships), communities and venues."""

from __future__ import annotations

from flask import Flask

from outreach.places import admin_views


def init_app(app: Flask) -> None:
    """The administrators' place pages."""
    app.register_blueprint(admin_views.bp)
