"""JSON API, version 1."""

from __future__ import annotations

from flask import Flask

from outreach.api import reference, views
from outreach.extensions import csrf


def init_app(app: Flask) -> None:
    """The API under /api/v1 (it takes JSON, not forms, so CSRF tokens do not apply) and its
    reference page."""
    app.register_blueprint(views.bp, url_prefix="/api/v1")
    app.register_blueprint(reference.bp)  # the reference page is HTML, outside /api/
    csrf.exempt(views.bp)
