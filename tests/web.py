"""Driving the application through the test client: CSRF tokens, forms and signing in.

The token and the signed-in session are written straight into the client's session cookie,
as the application itself would write them, so a test needs no page fetch to post a form or
to act as someone. `sign_in_through_form` goes through the real login form, for the tests
of signing in itself; `register` fills in a session's registration form as a resident does.
"""

from __future__ import annotations

import re

from flask import g
from flask.ctx import RequestContext
from flask.testing import EnvironBuilder, FlaskClient
from flask_wtf.csrf import generate_csrf

from tests import factories


def _request_context(client: FlaskClient, session):
    """A request context of the client's application, as the client's next request would see
    it (address and user agent), holding `session`."""
    builder = EnvironBuilder(client.application, environ_base=client.environ_base)
    try:
        environ = builder.get_environ()
    finally:
        builder.close()
    return RequestContext(client.application, environ, session=session)


def csrf_token(client: FlaskClient) -> str:
    """The CSRF token of the client's session (created there if it has none yet)."""
    with client.session_transaction() as session, _request_context(client, session):
        # Flask-WTF caches the token in `g`, which the tests' long application context shares.
        g.pop("csrf_token", None)
        token = generate_csrf()
        g.pop("csrf_token", None)
    return token


def untimed(page: str) -> str:
    """The page without its CSRF tokens, which are signed with the time of the request: two
    pages that should be alike are compared with this."""
    return re.sub(r'name="(\w+-)?csrf_token"[^>]*value="[^"]*"', "csrf", page)


def unversioned(page: str) -> str:
    """The page with the version of its static files' addresses (`?v=…`) left out."""
    return re.sub(r"\?v=[0-9a-f]+", "", page)


def post_form(client: FlaskClient, url: str, data: dict | None = None, **kwargs):
    """POST a form as a browser would, with the session's CSRF token."""
    return client.post(url, data={**(data or {}), "csrf_token": csrf_token(client)}, **kwargs)


def registration_form(event_session, client, **fields):
    """The registration form of a session as a resident fills it in, with changes."""
    prefix = f"s{event_session.id}-"
    data = {
        "name": "王秀英",
        "phone": "138 0013 8000",
        "party_size": "3",
        "community": "",
        "email": "",
        "consent": "y",
        **fields,
    }
    body = {prefix + key: value for key, value in data.items() if value is not None}
    body[prefix + "session_id"] = str(event_session.id)
    body[prefix + "csrf_token"] = csrf_token(client)
    return body


def register(client, event_session, **fields):
    """Register for a session through its form on the event page."""
    return client.post(
        f"/sessions/{event_session.id}/register",
        data=registration_form(event_session, client, **fields),
    )


def login(client: FlaskClient, user) -> None:
    """Sign the client in as `user`: the session Flask-Login writes on a successful sign-in."""
    with client.session_transaction() as session:
        # What the account's get_id() gives: "<id>:<session version>".
        session["_user_id"] = f"{user.id}:{user.session_version or 1}"
        session["_fresh"] = True


def sign_in_through_form(
    client: FlaskClient, user, password: str = factories.PASSWORD, *, remember: bool = False
):
    """Sign the client in as `user` through the login form, as a person does: the password,
    then, for an account with two-factor sign-in, the code its app shows."""
    fields = {"username": user.username, "password": password}
    if remember:
        fields["remember"] = "y"
    response = post_form(client, "/staff/login", fields)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]
    if response.headers["Location"].startswith("/staff/login/code"):
        response = post_form(client, "/staff/login/code", {"code": factories.totp_code(user)})
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
    return response


_SLOT_CHOICE = re.compile(
    r'<label class="slot-choice">\s*<input type="radio" name="[^"]+" value="(\d+)"([^>]*)>'
    r"(.*?)</label>",
    re.S,
)


def slot_choices(html: str) -> dict[str, tuple[str, str]]:
    """The registration form's slot radio buttons: value → (the input's other attributes,
    the choice's text, tags removed and spaces squeezed)."""
    return {
        value: (attributes, " ".join(re.sub(r"<[^>]+>", "", text).split()))
        for value, attributes, text in _SLOT_CHOICE.findall(html)
    }


def slot_legends(html: str) -> list[str]:
    """The department fieldsets' legends of the slot choices, with their attributes."""
    return re.findall(r'<fieldset class="slot-department">\s*<legend([^>]*)>([^<]*)</legend>', html)
