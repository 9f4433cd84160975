"""`flask --app app deliver [--once]`: send the outbox, and queue reminders as they fall due."""

from __future__ import annotations

import logging
import signal
import threading

import click
from flask import current_app

from outreach.config import is_development
from outreach.database import db
from outreach.messages import delivery

log = logging.getLogger(__name__)


def _stop_on_signals(stop: threading.Event) -> dict[int, object]:
    """SIGTERM (systemd) and SIGINT end the loop between two messages, never within one."""
    if threading.current_thread() is not threading.main_thread():
        return {}
    previous = {}
    for number in (signal.SIGTERM, signal.SIGINT):
        previous[number] = signal.signal(number, lambda *_args: stop.set())
    return previous


@click.command("deliver")
@click.option("--once", is_flag=True, help="One round, then exit (for cron).")
@click.option(
    "--interval",
    type=click.IntRange(1, 3600),
    default=None,
    help="Seconds between rounds (default: DELIVERY_INTERVAL, 30).",
)
def deliver_command(once: bool, interval: int | None) -> None:
    """Send due messages by e-mail and SMS, with retries; queue due reminders."""
    if not current_app.config.get("BASE_URL") and not is_development(current_app.config):
        # Reminders are written outside any request: without the public address their links
        # would point at http://localhost.
        raise click.ClickException(
            "OUTREACH_BASE_URL is not set: messages would carry links to http://localhost. "
            "Set it to the site's public address (https://…), or OUTREACH_DEVELOPMENT=1 "
            "on a development machine."
        )
    if once:
        click.echo(delivery.deliver_due().summary())
        return
    interval = interval or current_app.config["DELIVERY_INTERVAL"]
    stop = threading.Event()
    previous = _stop_on_signals(stop)
    click.echo(f"Delivering every {interval} seconds; stop with Ctrl-C or SIGTERM.")
    try:
        while not stop.is_set():
            try:
                report = delivery.deliver_due(stop=stop)
            except Exception:  # noqa: BLE001  (the database or a server may be back next round)
                log.exception("a delivery round failed")
                db.session.rollback()
            else:
                if report.outcomes or report.reminders or report.interrupted:
                    click.echo(report.summary())
            stop.wait(interval)
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
    click.echo("Stopped.")
