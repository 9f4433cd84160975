"""Staff sessions end when they should: on sign-out, a new password, a role taken away,
deactivation, "sign out everywhere", and after idle time; remember-me lasts 14 days at most.

Each test plays the stolen-cookie attacker: a second client given a copy of a cookie.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

from outreach import create_app
from outreach.accounts.models import AuditEntry, StaffUser
from outreach.database import db
from tests.web import post_form, sign_in_through_form

REMEMBER = "remember_token"


def _remembered(client, make, **staff):
    """A staff member signed in through the form with "remember me" ticked."""
    user = make.staff(organisation=make.organisation(), **staff)
    response = post_form(
        client,
        "/staff/login",
        {"username": user.username, "password": make.PASSWORD, "remember": "y"},
    )
    assert response.status_code == 302
    return user, response


def _thief(app, client):
    """Another browser holding only a copy of the client's remember-me cookie."""
    other = app.test_client()
    other.set_cookie(REMEMBER, client.get_cookie(REMEMBER).value)
    return other


def _signed_out(client) -> bool:
    response = client.get("/staff/")
    return response.status_code == 302 and "/staff/login" in response.headers["Location"]


def test_a_copied_remember_cookie_opens_staff_pages_before_anything_happens(app, client, make):
    _remembered(client, make)
    assert client.get("/staff/").status_code == 200
    assert _thief(app, client).get("/staff/").status_code == 200


def test_a_copied_remember_cookie_is_refused_after_sign_out(app, client, make):
    _remembered(client, make)
    thief = _thief(app, client)
    assert post_form(client, "/staff/logout").status_code == 302
    assert _signed_out(thief)


def test_sign_out_clears_the_session_and_the_remember_cookie(app, client, make):
    _remembered(client, make)
    client.get("/staff/")
    response = post_form(client, "/staff/logout")
    cookies = response.headers.getlist("Set-Cookie")
    assert any(c.startswith(REMEMBER + "=;") for c in cookies), cookies
    with client.session_transaction() as session:
        assert "_user_id" not in session and "_id" not in session
        assert "staff_seen" not in session and "csrf_token" not in session
    assert _signed_out(client)


def test_a_copied_session_cookie_is_refused_after_sign_out(app, client, make):
    user = make.staff(organisation=make.organisation())
    sign_in_through_form(client, user)
    copy = app.test_client()
    copy.set_cookie("outreach_session", client.get_cookie("outreach_session").value)
    assert copy.get("/staff/").status_code == 200
    post_form(client, "/staff/logout")
    assert _signed_out(copy)


def test_an_administrators_password_reset_ends_the_accounts_sessions(app, client, make):
    user, _ = _remembered(client, make)
    thief = _thief(app, client)
    admin = make.staff(is_admin=True)
    admin_client = app.test_client()
    sign_in_through_form(admin_client, admin)
    response = post_form(
        admin_client, f"/staff/users/{user.id}/password", {"password": "another long password"}
    )
    assert response.status_code == 302
    assert _signed_out(thief)
    assert _signed_out(client)
    # The administrator's own session goes on.
    assert admin_client.get("/staff/").status_code == 200


def test_resetting_ones_own_password_keeps_this_session(app, client, make):
    admin = make.staff(is_admin=True)
    sign_in_through_form(client, admin)
    other = app.test_client()
    sign_in_through_form(other, admin)
    response = post_form(
        client, f"/staff/users/{admin.id}/password", {"password": "another long password"}
    )
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 200
    assert _signed_out(other)


def test_removing_the_role_ends_the_members_sessions(app, client, make):
    organisation = make.organisation(slug="centre")
    user = make.staff(organisation=organisation, role="organiser")
    post_form(
        client,
        "/staff/login",
        {"username": user.username, "password": make.PASSWORD, "remember": "y"},
    )
    thief = _thief(app, client)
    manager = make.staff(organisation=organisation, role="manager")
    manager_client = app.test_client()
    sign_in_through_form(manager_client, manager)
    response = post_form(manager_client, f"/staff/organisations/centre/members/{user.id}/remove")
    assert response.status_code == 302
    assert _signed_out(thief)
    assert _signed_out(client)


def test_deactivation_ends_the_accounts_sessions(app, client, make):
    user, _ = _remembered(client, make)
    thief = _thief(app, client)
    admin_client = app.test_client()
    sign_in_through_form(admin_client, make.staff(is_admin=True))
    response = post_form(admin_client, f"/staff/users/{user.id}/active", {"state": "off"})
    assert response.status_code == 302
    # Even once reactivated, the old cookies stay dead.
    post_form(admin_client, f"/staff/users/{user.id}/active", {"state": "on"})
    assert _signed_out(thief)
    assert _signed_out(client)


def test_sign_out_everywhere_ends_other_browsers_sessions(app, client, make):
    user, _ = _remembered(client, make)
    other = app.test_client()
    sign_in_through_form(other, user)
    thief = _thief(app, client)
    page = client.get("/staff/account")
    assert page.status_code == 200
    assert "/staff/account/sign-out-everywhere" in page.get_data(as_text=True)
    assert client.post("/staff/account/sign-out-everywhere").status_code == 400  # no CSRF
    assert other.get("/staff/").status_code == 200
    response = post_form(client, "/staff/account/sign-out-everywhere")
    assert response.status_code == 302
    assert _signed_out(other)
    assert _signed_out(thief)
    assert _signed_out(client)
    entry = db.session.scalar(
        db.select(AuditEntry).where(AuditEntry.action == "sign_out_everywhere")
    )
    assert entry is not None and entry.target_id == user.id and entry.actor_id == user.id


def test_every_version_bump_is_in_the_audit_trail(client, make):
    user, _ = _remembered(client, make)
    before = db.session.get(StaffUser, user.id).session_version
    post_form(client, "/staff/logout")
    db.session.expire_all()
    assert db.session.get(StaffUser, user.id).session_version == before + 1
    entry = db.session.scalar(db.select(AuditEntry).where(AuditEntry.action == "sign_out"))
    assert entry.changes == {"session_version": {"before": before, "after": before + 1}}


def test_an_idle_session_is_signed_out(client, make):
    user = make.staff(organisation=make.organisation())
    sign_in_through_form(client, user)
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        assert abs(session["staff_seen"] - time.time()) < 60
        session["staff_seen"] = int(time.time()) - 121 * 60
    assert _signed_out(client)


def test_a_session_used_within_the_limit_stays(client, make):
    user = make.staff(organisation=make.organisation())
    sign_in_through_form(client, user)
    with client.session_transaction() as session:
        session["staff_seen"] = int(time.time()) - 119 * 60
    assert client.get("/staff/").status_code == 200
    with client.session_transaction() as session:
        assert abs(session["staff_seen"] - time.time()) < 60  # refreshed


def test_the_idle_limit_comes_from_the_environment(monkeypatch):
    assert create_app({"TESTING": True, "SECRET_KEY": "x"}).config["STAFF_IDLE_MINUTES"] == 120
    monkeypatch.setenv("OUTREACH_STAFF_IDLE_MINUTES", "5")
    assert create_app({"TESTING": True, "SECRET_KEY": "x"}).config["STAFF_IDLE_MINUTES"] == 5


def test_the_idle_limit_is_the_configured_one(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "STAFF_IDLE_MINUTES", 5)
    sign_in_through_form(client, make.staff(organisation=make.organisation()))
    with client.session_transaction() as session:
        session["staff_seen"] = int(time.time()) - 6 * 60
    assert _signed_out(client)


def test_remember_me_outlasts_idle_time_but_not_a_sign_out(app, client, make):
    _remembered(client, make)
    client.get("/staff/")
    with client.session_transaction() as session:
        session["staff_seen"] = int(time.time()) - 500 * 60
    # The person chose to stay signed in on this browser: the cookie signs them in again.
    assert client.get("/staff/").status_code == 200
    post_form(client, "/staff/logout")
    assert _signed_out(client)


def test_remember_cookie_lasts_14_days_at_most_and_is_guarded(client, make):
    _, response = _remembered(client, make)
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(REMEMBER)]
    expires = parsedate_to_datetime(cookie.split("Expires=")[1].split(";")[0])
    left = expires - datetime.now(UTC)
    assert timedelta(days=13) < left <= timedelta(days=14)
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_remember_cookie_is_secure_with_secure_sessions(app, client, make, monkeypatch):
    monkeypatch.setitem(app.config, "SESSION_COOKIE_SECURE", True)
    monkeypatch.setitem(app.config, "REMEMBER_COOKIE_SECURE", True)
    monkeypatch.setenv("OUTREACH_SESSION_COOKIE_SECURE", "true")
    assert create_app({"TESTING": True, "SECRET_KEY": "x"}).config["REMEMBER_COOKIE_SECURE"] is True
    user = make.staff(organisation=make.organisation())
    response = post_form(
        client,
        "https://localhost/staff/login",
        {"username": user.username, "password": make.PASSWORD, "remember": "y"},
        headers={"Referer": "https://localhost/staff/login"},
    )
    assert response.status_code == 302
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if c.startswith(REMEMBER)]
    assert "Secure" in cookie


def test_an_old_style_session_without_a_version_is_refused(client, make):
    user = make.staff(organisation=make.organisation())
    sign_in_through_form(client, user)
    with client.session_transaction() as session:
        session["_user_id"] = str(user.id)
    assert _signed_out(client)


def test_a_phone_that_changes_network_stays_signed_in(client, make):
    """A checker's phone at the desk moves between the station's Wi-Fi and mobile data: a new
    address is no reason to sign them out (or to delete their remember-me cookie)."""
    _remembered(client, make)
    assert client.get("/staff/", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 200
    moved = client.get("/staff/", environ_base={"REMOTE_ADDR": "172.16.9.9"})
    assert moved.status_code == 200
    assert REMEMBER not in " ".join(moved.headers.getlist("Set-Cookie"))


def test_a_residents_pages_do_not_clear_a_cookie_they_never_had(client, make):
    """A visitor with a session (a form's CSRF token) is not told, page after page, to delete
    a staff remember-me cookie, nor sent their session again unchanged."""
    event_session = make.event_session()
    client.get(f"/events/{event_session.event_id}")  # the form gives the session a CSRF token
    again = client.get(f"/events/{event_session.event_id}")
    assert again.headers.getlist("Set-Cookie") == []


def test_a_background_request_without_a_session_leaves_the_cookie_alone(client, make):
    """A desk page's script (or its service worker) may still fetch after its person signed
    out. The answer is a bare 401: a "please sign in" message written into the session would
    replace the cookie of the sign-in form open meanwhile, whose CSRF token then fails."""
    event_session = make.event_session()
    client.get("/staff/login")  # the sign-in form, with its CSRF token in the session
    url = f"/staff/sessions/{event_session.id}/desk.json"
    fetched = client.get(url, headers={"Sec-Fetch-Mode": "cors", "Accept": "application/json"})
    assert fetched.status_code == 401
    assert fetched.headers.getlist("Set-Cookie") == []
    # A page opened by a person is still sent to sign in, and back.
    opened = client.get(url, headers={"Sec-Fetch-Mode": "navigate"})
    assert opened.status_code == 302 and "/staff/login" in opened.headers["Location"]
