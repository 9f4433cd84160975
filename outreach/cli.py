"""Flask commands: `flask --app app seed-demo`."""

from __future__ import annotations

import click
from flask import Flask, current_app
from flask_babel import force_locale

from outreach import demo
from outreach.accounts import services as account_services
from outreach.accounts.models import Role
from outreach.database import db
from outreach.errors import NotFoundError
from outreach.feeds import importer
from outreach.messages.commands import deliver_command
from outreach.registrations import roster


@click.command("seed-demo")
@click.option("--reset", is_flag=True, help="Delete all data and load the demo afresh.")
@click.option("--if-empty", is_flag=True, help="Load only into a database with no places yet.")
def seed_demo_command(reset: bool, if_empty: bool) -> None:
    """Load the Chaoyang District demo data (safe to run again)."""
    if if_empty and not reset and not demo.is_empty():
        click.echo("Database already has data; demo not loaded.")
        return
    report = demo.seed(reset=reset)
    db.session.commit()
    click.echo(report.summary())


@click.command("create-staff")
@click.argument("username")
@click.option("--password", help="The password; asked for (hidden) when not given.")
@click.option("--name", "display_name", default="", help="The name shown on pages.")
@click.option("--admin", is_flag=True, help="A site administrator.")
@click.option("--organisation", "organisation_slug", help="Slug of an organisation to join.")
@click.option(
    "--role",
    type=click.Choice([role.value for role in Role]),
    help="Role in that organisation.",
)
def create_staff_command(
    username: str,
    password: str | None,
    display_name: str,
    admin: bool,
    organisation_slug: str | None,
    role: str | None,
) -> None:
    """Create a staff account, optionally with a role in an organisation."""
    if bool(organisation_slug) != bool(role):
        raise click.UsageError("--organisation and --role go together")
    if password is None:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    try:
        organisation = (
            account_services.organisation_by_slug(organisation_slug) if organisation_slug else None
        )
        user = account_services.create_staff(
            username, password, display_name=display_name, is_admin=admin
        )
        if organisation is not None:
            account_services.set_membership(user, organisation, Role(role), actor=None)
    except account_services.AccountError as error:
        raise click.ClickException(str(error)) from None
    except NotFoundError:
        raise click.ClickException(f"no organisation with slug {organisation_slug!r}") from None
    db.session.commit()
    where = f" as {role} of {organisation.slug}" if organisation else ""
    click.echo(f"Created {'administrator' if admin else 'staff account'} {username}{where}.")


@click.command("purge-personal-data")
@click.option("--dry-run", is_flag=True, help="Only count what would be erased.")
def purge_personal_data_command(dry_run: bool) -> None:
    """Erase names, phones and e-mails of registrations past the retention period."""
    days = current_app.config["RETENTION_DAYS"]
    if dry_run:
        click.echo(f"{roster.count_due(days)} registrations would be purged (dry run).")
        return
    total = 0
    while erased := roster.purge_batch(days):
        db.session.commit()  # per batch, so an interrupted run keeps what it did
        total += erased
    click.echo(f"Purged {total} registrations (sessions ended more than {days} days ago).")


@click.command("import-ics")
@click.argument("file", type=click.File("rb"))
@click.option("--organisation", "organisation_slug", required=True, help="Organisation slug.")
@click.option("--venue", "venue_id", type=int, required=True, help="Id of the sessions' venue.")
@click.option("--category", "category_slug", help="Slug of the category (else the file's).")
@click.option("--publish", is_flag=True, help="Publish new events at once (else drafts).")
def import_ics_command(
    file, organisation_slug: str, venue_id: int, category_slug: str | None, publish: bool
) -> None:
    """Import an iCalendar file; importing it again updates instead of duplicating."""
    with force_locale("en"):
        try:
            options = importer.resolve_options(organisation_slug, venue_id, category_slug, publish)
            report = importer.import_calendar(file.read(importer.MAX_FILE_BYTES + 1), options, None)
        except importer.ImportProblem as problem:
            raise click.ClickException(str(problem)) from None
        db.session.commit()
        click.echo(report.summary())


def init_app(app: Flask) -> None:
    """Register the commands."""
    app.cli.add_command(seed_demo_command)
    app.cli.add_command(create_staff_command)
    app.cli.add_command(purge_personal_data_command)
    app.cli.add_command(import_ics_command)
    app.cli.add_command(deliver_command)
