"""Statistics for managers and administrators: figures per campaign, place, category and month."""

from __future__ import annotations

from flask import Flask

from outreach.stats import presentation, views


def init_app(app: Flask) -> None:
    """The statistics pages, their template filters, and `campaign_stats_url` for templates."""
    app.register_blueprint(views.bp)
    app.add_template_global(views.campaign_stats_url)
    presentation.init_app(app)
