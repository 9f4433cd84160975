"""Messages to residents: an outbox written with each change, delivered by `flask deliver`."""

from __future__ import annotations

from flask import Flask

from outreach.accounts import audit
from outreach.messages import commands, receivers, views
from outreach.messages.models import NoticeSegment


def init_app(app: Flask) -> None:
    """The notice and outbox pages, the receivers that queue messages, `flask deliver`, and the
    names of notice recipients in the audit trail."""
    app.register_blueprint(views.bp)
    receivers.connect()
    app.cli.add_command(commands.deliver_command)
    audit.name_values(app, "segment", NoticeSegment)
