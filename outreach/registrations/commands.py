"""`flask --app app purge-personal-data`: the retention purge, batch by batch."""

from __future__ import annotations

import click
from flask import current_app

from outreach.accounts import services as accounts
from outreach.database import db, utcnow
from outreach.registrations import retention
from outreach.registrations.signals import purging


@click.command("purge-personal-data")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased.")
@click.option(
    "--vacuum/--no-vacuum",
    default=True,
    help="Vacuum afterwards, so no old row version keeps the erased values (default: yes).",
)
def purge_personal_data_command(dry_run: bool, vacuum: bool) -> None:
    """Erase names, phones and e-mails of registrations past the retention period, day-old
    phone verification records, expired invitations, and what other packages keep (such
    as followers idle for a year)."""
    days = current_app.config["RETENTION_DAYS"]
    if dry_run:
        click.echo(f"{retention.count_due(days)} registrations would be purged (dry run).")
        return
    total = 0
    while erased := retention.purge_batch(days):
        db.session.commit()  # per batch, so an interrupted run keeps what it did
        total += erased
    click.echo(f"Purged {total} registrations (sessions ended more than {days} days ago).")
    checks = retention.purge_phone_checks()
    db.session.commit()
    click.echo(f"Erased {checks} phone verification records older than a day.")
    invitations = accounts.purge_expired_invitations()
    db.session.commit()
    click.echo(f"Erased {invitations} expired invitation(s) to organisations.")
    for _receiver, said in purging.send(None, now=utcnow()):
        db.session.commit()
        if said:
            click.echo(said)
    if vacuum and total:
        db.session.remove()  # no connection of ours may hold a transaction open meanwhile
        click.echo(f"Vacuumed {', '.join(retention.vacuum())}.")
