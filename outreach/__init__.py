"""Outreach: community events and outreach campaigns, published as calendar feeds."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from outreach import (
    accounts,
    api,
    cli,
    config,
    display,
    embed,
    errors,
    events,
    feeds,
    follows,
    formatting,
    headers,
    health,
    homescreen,
    i18n,
    messages,
    metrics,
    models,  # noqa: F401  (every table, for Flask-Migrate)
    pages,
    places,
    posters,
    registrations,
    staff,
    static_files,
    stats,
)
from outreach.database import IdConverter, db, render_migration_item, watch_pool
from outreach.extensions import babel, csrf, limiter, login_manager, migrate

log = logging.getLogger(__name__)

PACKAGE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = PACKAGE_DIR.parent

# Each registers its own pages, template helpers, commands and signal receivers; lower
# packages first, in the order imports flow. cli adds the demo's command.
FEATURES = (
    places,
    accounts,
    events,
    registrations,
    feeds,
    embed,
    messages,
    follows,
    posters,
    stats,
    api,
    staff,
    homescreen,
    health,
    metrics,
    pages,
    cli,
)


def create_app(overrides: dict[str, Any] | None = None) -> Flask:
    """Build the application: configuration, extensions, the feature packages, error pages."""
    app = Flask(__name__, instance_path=config.instance_path())
    app.url_map.converters["id"] = IdConverter
    config.load(app, overrides)
    _init_extensions(app)
    for feature in FEATURES:
        feature.init_app(app)
    errors.init_app(app)
    headers.init_app(app)
    _warn_without_base_url(app)
    return app


def _warn_without_base_url(app: Flask) -> None:
    """In production a missing public address is a hole (links would follow the request's
    Host): say so loudly at start-up."""
    if not app.config.get("BASE_URL") and not config.is_development(app.config):
        log.warning(
            "OUTREACH_BASE_URL is not set: links in messages, feeds and posters follow "
            "each request's Host header, which a client may forge; `deliver` will refuse to "
            "run. Set it to the site's public address (https://…), or set "
            "OUTREACH_DEVELOPMENT=1 on a development machine."
        )


def _init_extensions(app: Flask) -> None:
    """Proxy headers when configured, the extensions, and the language and formatting helpers
    every page uses."""
    if app.config["PROXY_FIX"]:
        hops = app.config["PROXY_FIX"]
        # The client's address and scheme from the proxy; never a forwarded Host (x_host=0):
        # the proxy passes the real Host and BASE_URL/TRUSTED_HOSTS decide which are valid.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=0)
    db.init_app(app)
    watch_pool(app)
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
    login_manager.init_app(app)
    i18n.init_app(app)
    display.init_app(app)
    formatting.init_app(app)
    static_files.init_app(app)
