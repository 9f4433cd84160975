"""Outreach: community events and outreach campaigns, published as calendar feeds."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.middleware.proxy_fix import ProxyFix

from outreach import cli, config, errors, formatting, i18n, models  # noqa: F401  (models: all tables)
from outreach.accounts import permissions
from outreach.accounts.admin_views import bp as accounts_admin_bp
from outreach.accounts.services import load_user
from outreach.accounts.views import bp as accounts_bp
from outreach.api.views import bp as api_bp
from outreach.database import IdConverter, db, render_migration_item
from outreach.events.series_views import bp as events_series_bp
from outreach.events.staff_views import bp as events_staff_bp
from outreach.events.views import bp as events_bp
from outreach.extensions import babel, csrf, limiter, login_manager, migrate
from outreach.feeds import floor, subscribe
from outreach.feeds.import_views import bp as feeds_import_bp
from outreach.feeds.views import bp as feeds_bp
from outreach.messages.views import bp as messages_bp
from outreach.posters.views import bp as posters_bp
from outreach.registrations.slot_views import bp as slots_bp
from outreach.registrations.staff_views import bp as roster_bp
from outreach.registrations.views import bp as registrations_bp
from outreach.staff.views import bp as staff_bp
from outreach.stats.views import bp as stats_bp

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, blueprints, commands, error pages."""
    app = Flask(
        __name__,
        # OUTREACH_INSTANCE_PATH moves the folder of instance/config.py, the generated secret
        # key and the default SQLite file (tests point it at a temporary directory).
        instance_path=os.environ.get("OUTREACH_INSTANCE_PATH") or str(PROJECT_DIR / "instance"),
    )
    app.url_map.converters["id"] = IdConverter
    config.load(app, overrides)
    if app.config["PROXY_FIX"]:
        hops = app.config["PROXY_FIX"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)

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
    limiter.init_app(app)
    _init_login(app)
    i18n.init_app(app)
    formatting.init_app(app)
    subscribe.init_app(app)
    errors.init_app(app)

    app.register_blueprint(events_bp)
    app.register_blueprint(registrations_bp)
    app.register_blueprint(feeds_bp)
    app.register_blueprint(posters_bp)
    app.register_blueprint(accounts_bp)
    app.register_blueprint(staff_bp)
    app.register_blueprint(accounts_admin_bp)
    app.register_blueprint(events_staff_bp)
    app.register_blueprint(events_series_bp)
    app.register_blueprint(slots_bp)
    app.register_blueprint(roster_bp)
    app.register_blueprint(feeds_import_bp)
    app.register_blueprint(messages_bp)
    app.register_blueprint(stats_bp)
    app.register_blueprint(api_bp, url_prefix="/api/v1")
    csrf.exempt(api_bp)
    floor.init_app(app)
    cli.init_app(app)
    return app


def _init_login(app: Flask) -> None:
    """Flask-Login: sessions of staff accounts, and `can` for templates."""
    login_manager.init_app(app)
    login_manager.user_loader(load_user)
    login_manager.login_view = "accounts.login"
    login_manager.login_message = _l("Please sign in to see that page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "strong"

    @app.context_processor
    def permission_checks() -> dict[str, Any]:
        return {"can": permissions.Checks(current_user)}
