"""Messages to residents: an outbox written with each change, delivered by `flask deliver`."""

from __future__ import annotations

from flask import Flask

from outreach.messages import commands, receivers, views


def init_app(app: Flask) -> None:
    """The notice and outbox pages, the receivers that queue messages, and `flask deliver`."""
    app.register_blueprint(views.bp)
    receivers.connect()
    app.cli.add_command(commands.deliver_command)
