"""Calendar feeds: iCalendar documents built with the icalendar library, and their endpoints."""

from __future__ import annotations

from flask import Flask

from outreach.feeds import bench_baseline, subscribe, views


def init_app(app: Flask) -> None:
    """The feed endpoints, the subscribe helpers for templates, and the benchmark's baseline
    route when asked for."""
    app.register_blueprint(views.bp)
    app.add_template_global(views.feed_url)
    app.add_template_global(subscribe.subscribe_to)
    app.add_template_global(subscribe.subscription)
    # After-request functions run in reverse order of registration: the first runs last,
    # after Flask-Login's, just before the session is saved.
    app.after_request_funcs.setdefault(None, []).insert(0, views.forget_session_reads)
    bench_baseline.init_app(app)
