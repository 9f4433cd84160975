"""JSON API, version 1."""

from __future__ import annotations

from flask import Flask

from outreach.api import views
from outreach.extensions import csrf


def init_app(app: Flask) -> None:
    """The API under /api/v1; it takes JSON, not forms, so CSRF tokens do not apply."""
    app.register_blueprint(views.bp, url_prefix="/api/v1")
    csrf.exempt(views.bp)
