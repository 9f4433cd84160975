"""Embeddable calendars: a compact list of a place's, organiser's or kind's coming sessions
that another website shows in a frame, the script that inserts the frame, and the snippet
staff copy."""

from __future__ import annotations

from flask import Flask

from outreach.embed import views


def init_app(app: Flask) -> None:
    """The embedded calendars' pages, and the snippet helper for staff pages."""
    app.register_blueprint(views.bp)
    app.add_template_global(views.embed_code)
    # After-request functions run in reverse order of registration: the first runs last,
    # after Flask-Login's, just before the session is saved.
    app.after_request_funcs.setdefault(None, []).insert(0, views.forget_session_reads)
