"""`flask follows digest`: run hourly (cron or a timer), it queues the day's digests once the
operator's hour has come; `flask deliver` sends them."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from outreach.database import db, utcnow
from outreach.follows import services

follows_cli = AppGroup("follows", help="Followers: the daily digests.")


@follows_cli.command("digest")
def digest_command() -> None:
    """Queue today's digest to each follower with news (`flask deliver` sends them)."""
    now = utcnow()
    if not services.digest_due(now):
        click.echo("Not yet: digests are queued from the hour OUTREACH_FOLLOW_DIGEST_HOUR.")
        return
    queued = 0
    for follower_id in services.due_followers(now):
        # One commit per follower: a rerun skips those done (their key for today is taken).
        queued += services.queue_digest(follower_id, now)
        db.session.commit()
    click.echo(f"Queued {queued} digests.")
