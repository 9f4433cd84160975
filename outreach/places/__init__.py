"""Places: townships (streets and townships), communities and venues."""

from __future__ import annotations

from flask import Flask

from outreach.accounts import audit
from outreach.places import admin_views
from outreach.places.models import TownshipKind


def init_app(app: Flask) -> None:
    """The administrators' place pages, and the names of township kinds in the audit trail."""
    app.register_blueprint(admin_views.bp)
    audit.name_values(app, "kind", TownshipKind)
