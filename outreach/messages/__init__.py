"""Messages to residents: an outbox written with each change, delivered by `flask deliver`."""

from __future__ import annotations

from flask import Flask

from outreach.accounts import audit
from outreach.messages import commands, delivery, receivers, views
from outreach.messages.models import NoticeSegment
from outreach.registrations import verification


def init_app(app: Flask) -> None:
    """The notice and outbox pages, the receivers that queue messages, `flask deliver`, the
    names of notice recipients in the audit trail, and the texting of verification codes."""
    app.register_blueprint(views.bp)
    receivers.connect()
    app.cli.add_command(commands.deliver_command)
    audit.name_values(app, "segment", NoticeSegment)
    verification.set_sender(app, delivery.text_at_once)
