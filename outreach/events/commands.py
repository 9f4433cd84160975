"""`flask --app app import-ics`: import an iCalendar file from the command line."""

from __future__ import annotations

import click
from flask_babel import force_locale

from outreach.attempt import attempt_command
from outreach.events import importer


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

        def run() -> importer.ImportReport:
            options = importer.resolve_options(organisation_slug, venue_id, category_slug, publish)
            return importer.import_calendar(file.read(importer.MAX_FILE_BYTES + 1), options, None)

        click.echo(attempt_command(run).summary())
