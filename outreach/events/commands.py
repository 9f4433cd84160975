"""`flask --app app import-ics` (an iCalendar file) and `seed-holidays` (the official calendar)."""

from __future__ import annotations

import click
from flask_babel import force_locale

from outreach.attempt import attempt_command
from outreach.events import holidays, importer


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


@click.command("seed-holidays")
def seed_holidays_command() -> None:
    """Fill the official calendar from the chinesecalendar package: only years it has no
    days for yet, so running it again (or after administrators' edits) changes nothing."""
    filled = attempt_command(holidays.seed_from_library)
    click.echo(f"Official calendar: years added: {', '.join(map(str, filled)) or 'none'}.")
