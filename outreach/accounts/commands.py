"""`flask --app app create-staff`: a staff account, optionally with a role in an organisation."""

from __future__ import annotations

import click

from outreach.accounts import services, two_factor
from outreach.accounts.models import Role
from outreach.attempt import attempt_command
from outreach.errors import NotFoundError


def _secret(value: str | None) -> str | None:
    if value is None:
        return None
    cleaned = two_factor.normalised_secret(value)
    if cleaned is None:
        raise click.BadParameter(
            f"the secret must be base32 (A-Z, 2-7) of at least {two_factor.MIN_SECRET_BITS} bits"
        )
    return cleaned


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
@click.option(
    "--totp-secret",
    callback=lambda _ctx, _param, value: _secret(value),
    help="Turn on two-factor sign-in with this base32 secret (at least 128 bits), shared "
    "with an authenticator app or a script; prints the account's ten recovery codes.",
)
def create_staff_command(
    username: str,
    password: str | None,
    display_name: str,
    admin: bool,
    organisation_slug: str | None,
    role: str | None,
    totp_secret: str | None,
) -> None:
    """Create a staff account, optionally with a role in an organisation and two-factor
    sign-in."""
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

    def create() -> list[str]:
        user = services.create_staff(username, password, display_name=display_name, is_admin=admin)
        if organisation is not None:
            services.set_membership(user, organisation, Role(role), actor=None)
        if totp_secret is None:
            return []
        return two_factor.enrol_with_secret(user, totp_secret, actor=None)

    codes = attempt_command(create)
    where = f" as {role} of {organisation.slug}" if organisation else ""
    click.echo(f"Created {'administrator' if admin else 'staff account'} {username}{where}.")
    if codes:
        click.echo("Two-factor sign-in is on. Recovery codes (each works once; keep them safe):")
        for code in codes:
            click.echo(f"  {code}")
