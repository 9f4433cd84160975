"""Signing staff in through the browser, as a person does: the password, then, for an
account with two-factor sign-in, the code its authenticator app shows."""

from __future__ import annotations

from sqlalchemy import select

from outreach.accounts.models import StaffUser
from outreach.database import db
from tests import factories


def _account(user: StaffUser | str) -> StaffUser:
    if isinstance(user, StaffUser):
        return user
    return db.session.scalar(select(StaffUser).where(StaffUser.username == user))


def password_step(page, server: str, user: StaffUser | str, password: str, **options) -> None:
    """Fill in and send the sign-in form (in whatever language the page is)."""
    username = user if isinstance(user, str) else user.username
    page.goto(server + "/staff/login" + options.get("query", ""))
    page.locator("input[name=username]").fill(username)
    page.locator("input[name=password]").fill(password)
    if options.get("remember"):
        page.locator("input[name=remember]").check()
    with page.expect_navigation():
        page.locator("form.form button[type=submit]").click()


def sign_in(
    page,
    server: str,
    user: StaffUser | str,
    password: str = factories.PASSWORD,
    *,
    remember: bool = False,
    query: str = "",
) -> None:
    """Sign in as `user` (an account or a username) and land on the staff dashboard."""
    password_step(page, server, user, password, remember=remember, query=query)
    if "/staff/login/code" in page.url:
        page.locator("input[name=code]").fill(factories.totp_code(_account(user)))
        with page.expect_navigation():
            page.locator("form.form button[type=submit]").click()
    page.wait_for_url("**/staff/")
