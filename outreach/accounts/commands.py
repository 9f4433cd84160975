"""`flask --app app create-staff`: a staff account, optionally with a role in an organisation."""

from __future__ import annotations

import click

from outreach.accounts import services
from outreach.accounts.models import Role
from outreach.attempt import attempt_command
from outreach.errors import NotFoundError


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
            services.organisation_by_slug(organisation_slug) if organisation_slug else None
        )
    except NotFoundError:
        raise click.ClickException(f"no organisation with slug {organisation_slug!r}") from None

    def create() -> None:
        user = services.create_staff(username, password, display_name=display_name, is_admin=admin)
        if organisation is not None:
            services.set_membership(user, organisation, Role(role), actor=None)

    attempt_command(create)
    where = f" as {role} of {organisation.slug}" if organisation else ""
    click.echo(f"Created {'administrator' if admin else 'staff account'} {username}{where}.")
