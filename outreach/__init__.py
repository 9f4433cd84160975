"""Outreach: community events and outreach campaigns, published as calendar feeds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from outreach import cli, config, errors, formatting, i18n, models  # noqa: F401  (models: all tables)
from outreach.api.views import bp as api_bp
from outreach.database import db, render_migration_item
from outreach.events.views import bp as events_bp
from outreach.extensions import babel, csrf, migrate

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, commands, error pages."""
    app = Flask(
        __name__,
        # OUTREACH_INSTANCE_PATH moves the folder of instance/config.py, the generated secret
        # key and the default SQLite file (tests point it at a temporary directory).
        instance_path=os.environ.get("OUTREACH_INSTANCE_PATH") or str(PROJECT_DIR / "instance"),
        template_folder=str(PROJECT_DIR / "templates"),
    )
    config.load(app, overrides)

    db.init_app(app)
    migrate.init_app(
        app,
        db,
        directory=str(PACKAGE_DIR / "migrations"),
        render_as_batch=True,
        compare_type=True,
        render_item=render_migration_item,
    )
    csrf.init_app(app)
    babel.init_app(
        app,
        locale_selector=i18n.select_locale,
        default_translation_directories=str(PACKAGE_DIR / "translations"),
    )
    i18n.init_app(app)
    formatting.init_app(app)
    errors.init_app(app)

    app.register_blueprint(events_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)
    cli.init_app(app)
    return app
