"""Following a community, a street or township, an organisation or a category: a number or
an e-mail address proved by a code or a link, then one digest a day at most of what is new,
through the outbox and `flask deliver`."""

from __future__ import annotations

from flask import Flask

from outreach.follows import commands, receivers, views


def init_app(app: Flask) -> None:
    """The follow pages, staff's counts, `flask follows digest`, and the purge's receiver."""
    app.register_blueprint(views.bp)
    app.register_blueprint(views.staff_bp)
    app.cli.add_command(commands.follows_cli)
    receivers.connect()
