"""Two-factor sign-in with a time-based code (TOTP): required of administrators and of the
members of an organisation that asks for it, optional for other staff; enrolment at the
first sign-in and on the account page, single-use codes and recovery codes, the
administrator's reset, `create-staff --totp-secret`, and the audit trail of all of it."""

from __future__ import annotations

import re

import pyotp
import pytest
from sqlalchemy import select

from outreach.accounts import two_factor
from outreach.accounts.models import AuditEntry, RecoveryCode, StaffUser
from outreach.database import db
from tests.factories import totp_code
from tests.web import post_form, sign_in_through_form

CODE_STEP = "/staff/login/code"
ENROL_STEP = "/staff/login/enrol"


def _password_step(client, user, password: str, **extra):
    return post_form(
        client, "/staff/login", {"username": user.username, "password": password, **extra}
    )


def _signed_in(client) -> bool:
    return client.get("/staff/").status_code == 200


def _actions(user=None) -> list[str]:
    statement = select(AuditEntry.action).order_by(AuditEntry.id)
    if user is not None:
        statement = statement.where(AuditEntry.target_id == user.id)
    return list(db.session.scalars(statement))


def _secret_on_page(html: str) -> str:
    """The secret as the enrolment page writes it out for typing (groups of four)."""
    found = re.search(r'<code class="totp-secret">([A-Z2-7 ]+)</code>', html)
    assert found, html[:2000]
    return found.group(1).replace(" ", "")


def _shown_recovery_codes(html: str) -> list[str]:
    return re.findall(r'<li><code class="recovery-code">([A-Z0-9-]+)</code></li>', html)


# The rule


def test_an_administrator_cannot_reach_staff_pages_with_the_password_alone(client, make):
    admin = make.staff(is_admin=True)
    response = _password_step(client, admin, make.PASSWORD)
    assert response.status_code == 302
    assert response.headers["Location"].startswith(CODE_STEP)
    for page in ("/staff/", "/staff/account", "/staff/users", "/staff/events"):
        refused = client.get(page)
        assert refused.status_code == 302, page
        assert refused.headers["Location"].startswith("/staff/login"), page


def test_the_second_step_has_one_code_field_for_phones(client, make):
    admin = make.staff(is_admin=True)
    _password_step(client, admin, make.PASSWORD)
    html = client.get(CODE_STEP).get_data(as_text=True)
    fields = re.findall(r"<input [^>]*>", html)
    visible = [f for f in fields if 'type="hidden"' not in f]
    assert len(visible) == 1, visible
    assert 'inputmode="numeric"' in visible[0]
    assert 'autocomplete="one-time-code"' in visible[0]


def test_the_second_step_signs_in_and_goes_on_to_the_page_asked_for(client, make):
    admin = make.staff(is_admin=True)
    post_form(
        client,
        "/staff/login?next=/staff/users",
        {"username": admin.username, "password": make.PASSWORD},
    )
    response = post_form(client, CODE_STEP, {"code": totp_code(admin)})
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/users"
    assert _signed_in(client)
    assert _actions(admin)[-1] == "sign_in"
    entry = db.session.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.changes == {"second_step": {"before": None, "after": "code"}}


def test_other_staff_sign_in_with_the_password_alone(client, make):
    organiser = make.staff(organisation=make.organisation())
    response = _password_step(client, organiser, make.PASSWORD)
    assert response.headers["Location"] == "/staff/"
    assert _signed_in(client)
    assert _actions(organiser) == ["sign_in"]


def test_the_second_step_without_the_first_goes_back_to_the_password(client, make):
    response = client.get(CODE_STEP)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")
    admin = make.staff(is_admin=True)
    refused = post_form(client, CODE_STEP, {"code": totp_code(admin)})
    assert refused.status_code == 302 and not _signed_in(client)


def test_keep_me_signed_in_waits_for_the_second_step(client, make):
    admin = make.staff(is_admin=True)
    first = _password_step(client, admin, make.PASSWORD, remember="y")
    assert not any(c.startswith("remember_token=") for c in first.headers.getlist("Set-Cookie"))
    second = post_form(client, CODE_STEP, {"code": totp_code(admin)})
    assert any(c.startswith("remember_token=") for c in second.headers.getlist("Set-Cookie"))


def test_the_password_step_is_forgotten_after_ten_minutes(client, make):
    admin = make.staff(is_admin=True)
    _password_step(client, admin, make.PASSWORD)
    with client.session_transaction() as session:
        held = dict(session["two_factor_pending"])
        held["since"] -= 601
        session["two_factor_pending"] = held
    response = post_form(client, CODE_STEP, {"code": totp_code(admin)})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login")
    assert not _signed_in(client)


def test_the_password_step_is_void_once_the_sessions_end(client, make):
    admin = make.staff(is_admin=True)
    _password_step(client, admin, make.PASSWORD)
    admin.session_version += 1  # signed out everywhere, or a new password, meanwhile
    db.session.flush()
    post_form(client, CODE_STEP, {"code": totp_code(admin)})
    assert not _signed_in(client)


def test_a_wrong_code_is_refused_and_audited(client, make):
    admin = make.staff(is_admin=True)
    _password_step(client, admin, make.PASSWORD)
    response = post_form(client, CODE_STEP, {"code": "000000"})
    assert response.status_code == 200
    assert "验证码不正确" in response.get_data(as_text=True)
    assert not _signed_in(client)
    assert _actions(admin) == ["two_factor_failed"]


def test_a_code_cannot_be_used_twice(app, client, make):
    admin = make.staff(is_admin=True)
    code = totp_code(admin)
    _password_step(client, admin, make.PASSWORD)
    assert post_form(client, CODE_STEP, {"code": code}).status_code == 302

    other = app.test_client()
    _password_step(other, admin, make.PASSWORD)
    replayed = post_form(other, CODE_STEP, {"code": code})
    assert replayed.status_code == 200
    assert not _signed_in(other)
    assert _actions(admin)[-1] == "two_factor_failed"


def test_failed_and_successful_password_steps_are_audited(client, make):
    organiser = make.staff(organisation=make.organisation())
    _password_step(client, organiser, "wrong password")
    post_form(client, "/staff/login", {"username": "nobody.here", "password": "x" * 12})
    _password_step(client, organiser, make.PASSWORD)
    entries = list(db.session.scalars(select(AuditEntry).order_by(AuditEntry.id)))
    assert [(e.action, e.target_id, e.target_label) for e in entries] == [
        ("sign_in_failed", organiser.id, organiser.username),
        ("sign_in_failed", None, "nobody.here"),
        ("sign_in", organiser.id, organiser.username),
    ]


def test_the_second_step_is_rate_limited_like_the_first(app, client, make):
    app.config["LOGIN_ATTEMPTS"] = "3 per 15 minutes"
    admin = make.staff(is_admin=True)
    _password_step(client, admin, make.PASSWORD)
    for _ in range(3):
        assert post_form(client, CODE_STEP, {"code": "000000"}).status_code == 200
    refused = post_form(client, CODE_STEP, {"code": totp_code(admin)})
    assert refused.status_code == 429
    assert not _signed_in(client)


# Enrolment at the first sign-in


def test_an_administrator_without_two_factor_enrols_at_first_sign_in(client, make):
    admin = make.staff(is_admin=True, two_factor=False)
    response = _password_step(client, admin, make.PASSWORD, remember="y")
    assert response.headers["Location"].startswith(ENROL_STEP)
    assert client.get("/staff/").status_code == 302

    page = client.get(ENROL_STEP)
    html = page.get_data(as_text=True)
    assert "<svg" in html and 'class="qr"' in html
    secret = _secret_on_page(html)
    assert 'autocomplete="one-time-code"' in html

    wrong = post_form(client, ENROL_STEP, {"code": "123456"})
    assert wrong.status_code == 200 and client.get("/staff/").status_code == 302

    done = post_form(client, ENROL_STEP, {"code": pyotp.TOTP(secret).now()})
    assert done.status_code == 200
    codes = _shown_recovery_codes(done.get_data(as_text=True))
    assert len(codes) == 10 and len(set(codes)) == 10
    assert any(c.startswith("remember_token=") for c in done.headers.getlist("Set-Cookie"))
    assert _signed_in(client)

    fresh = db.session.get(StaffUser, admin.id)
    db.session.refresh(fresh)
    assert fresh.totp_secret == secret and fresh.totp_enrolled_at is not None
    stored = db.session.scalars(select(RecoveryCode).where(RecoveryCode.user_id == admin.id))
    hashes = [row.code_hash for row in stored]
    assert len(hashes) == 10 and not set(codes) & set(hashes)
    assert _actions(admin)[-2:] == ["two_factor_enrol", "sign_in"]


def test_recovery_codes_are_shown_once(client, make):
    admin = make.staff(is_admin=True, two_factor=False)
    _password_step(client, admin, make.PASSWORD)
    secret = _secret_on_page(client.get(ENROL_STEP).get_data(as_text=True))
    post_form(client, ENROL_STEP, {"code": pyotp.TOTP(secret).now()})
    again = client.get(ENROL_STEP)
    assert again.status_code == 302
    account = client.get("/staff/account").get_data(as_text=True)
    assert _shown_recovery_codes(account) == []
    assert "10" in account


# Recovery codes


def _enrolled(make, **fields):
    """An account with two-factor sign-in and the recovery codes it was given."""
    user = make.staff(**fields)
    secret = pyotp.random_base32()
    codes = two_factor.enrol(user, secret, pyotp.TOTP(secret).now(), actor=user)
    db.session.flush()
    return user, codes


def test_a_recovery_code_signs_in_once(app, client, make):
    admin, codes = _enrolled(make, is_admin=True)
    _password_step(client, admin, make.PASSWORD)
    typed = codes[3].lower().replace("-", " ")  # as someone might type it
    assert post_form(client, CODE_STEP, {"code": typed}).status_code == 302
    assert _signed_in(client)
    assert _actions(admin)[-2:] == ["recovery_code_used", "sign_in"]

    other = app.test_client()
    _password_step(other, admin, make.PASSWORD)
    assert post_form(other, CODE_STEP, {"code": codes[3]}).status_code == 200
    assert not _signed_in(other)
    left = db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == admin.id, RecoveryCode.used_at.is_(None))
    ).all()
    assert len(left) == 9


# The organisation's rule


def test_an_organisation_can_require_two_factor_of_its_members(client, make, login_as):
    admin = make.staff(is_admin=True)
    centre = make.organisation(slug="centre")
    other = make.organisation(slug="other")
    member = make.staff(organisation=centre)
    outsider = make.staff(organisation=other)
    login_as(admin)
    response = post_form(client, "/staff/organisations/centre/two-factor", {"state": "on"})
    assert response.status_code == 302
    db.session.refresh(centre)
    assert centre.require_two_factor
    entry = db.session.scalars(select(AuditEntry).where(AuditEntry.action == "two_factor_rule"))
    entry = entry.one()
    assert entry.organisation_id == centre.id
    assert entry.changes == {"require_two_factor": {"before": False, "after": True}}

    post_form(client, "/staff/logout")
    assert _password_step(client, member, make.PASSWORD).headers["Location"].startswith(ENROL_STEP)
    post_form(client, "/staff/logout")
    assert _password_step(client, outsider, make.PASSWORD).headers["Location"] == "/staff/"


def test_only_administrators_set_the_organisation_rule(client, make, login_as):
    centre = make.organisation(slug="centre")
    manager = make.staff(organisation=centre, role="manager")
    login_as(manager)
    response = post_form(client, "/staff/organisations/centre/two-factor", {"state": "on"})
    assert response.status_code == 403
    db.session.refresh(centre)
    assert not centre.require_two_factor


def test_a_signed_in_member_of_a_newly_strict_organisation_must_enrol(client, make, login_as):
    centre = make.organisation(require_two_factor=True)
    member = make.staff(organisation=centre)
    login_as(member)
    response = client.get("/staff/events")
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/account/two-factor"
    assert client.get("/staff/account/two-factor").status_code == 200


# The account page


def test_other_staff_enrol_regenerate_codes_and_turn_it_off_on_the_account_page(
    client, make, login_as
):
    organiser = make.staff(organisation=make.organisation())
    login_as(organiser)
    account = client.get("/staff/account").get_data(as_text=True)
    assert "/staff/account/two-factor" in account

    secret = _secret_on_page(client.get("/staff/account/two-factor").get_data(as_text=True))
    done = post_form(client, "/staff/account/two-factor", {"code": pyotp.TOTP(secret).now()})
    first = _shown_recovery_codes(done.get_data(as_text=True))
    assert len(first) == 10
    assert _signed_in(client)  # enrolling ends the other sessions, not this one

    regenerated = post_form(
        client, "/staff/account/two-factor/recovery-codes", {"recovery-code": totp_code(organiser)}
    )
    second = _shown_recovery_codes(regenerated.get_data(as_text=True))
    assert len(second) == 10 and not set(first) & set(second)

    off = post_form(client, "/staff/account/two-factor/off", {"off-code": second[0]})
    assert off.status_code == 302
    db.session.refresh(organiser)
    assert organiser.totp_secret is None
    assert not db.session.scalars(
        select(RecoveryCode).where(RecoveryCode.user_id == organiser.id)
    ).all()
    assert _actions(organiser)[-4:] == [
        "two_factor_enrol",
        "recovery_codes",
        "recovery_code_used",
        "two_factor_disable",
    ]


def test_an_administrator_cannot_turn_two_factor_off(client, make, login_as):
    admin = make.staff(is_admin=True)
    login_as(admin)
    response = post_form(client, "/staff/account/two-factor/off", {"off-code": totp_code(admin)})
    assert response.status_code == 200
    assert "必须使用两步验证" in response.get_data(as_text=True)
    db.session.refresh(admin)
    assert admin.totp_secret is not None


def test_an_administrator_resets_a_users_two_factor(app, client, make, login_as):
    admin = make.staff(is_admin=True)
    user, _codes = _enrolled(make, organisation=make.organisation())
    theirs = app.test_client()
    sign_in_through_form(theirs, user)
    login_as(admin)
    response = post_form(client, f"/staff/users/{user.id}/two-factor/reset")
    assert response.status_code == 302
    db.session.refresh(user)
    assert user.totp_secret is None and user.totp_enrolled_at is None
    assert not _signed_in(theirs)
    entry = db.session.scalars(
        select(AuditEntry).where(AuditEntry.action == "two_factor_reset")
    ).one()
    assert (entry.actor_id, entry.target_id) == (admin.id, user.id)


def test_administrators_reset_others_but_not_themselves(client, make, login_as):
    admin = make.staff(is_admin=True)
    login_as(admin)
    post_form(client, f"/staff/users/{admin.id}/two-factor/reset")
    db.session.refresh(admin)
    assert admin.has_two_factor
    assert "two_factor_reset" not in _actions(admin)


# The command line


def test_create_staff_enrols_two_factor_with_a_given_secret(app, client, runner):
    secret = pyotp.random_base32()
    result = runner.invoke(
        args=[
            "create-staff",
            "ops",
            "--admin",
            "--password",
            "a long enough password",
            "--totp-secret",
            secret.lower(),
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "ops"))
    assert user.totp_secret == secret
    _password_step(client, user, "a long enough password")
    assert post_form(client, CODE_STEP, {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert _signed_in(client)
    assert "two_factor_enrol" in _actions(user)


@pytest.mark.parametrize("secret", ["not base32!", "ABCDEFGH", "A" * 25])
def test_create_staff_refuses_a_weak_or_malformed_secret(runner, secret):
    result = runner.invoke(
        args=[
            "create-staff",
            "ops",
            "--password",
            "a long enough password",
            "--totp-secret",
            secret,
        ]
    )
    assert result.exit_code != 0
    assert "secret" in result.output.lower()
    assert db.session.scalar(select(StaffUser).where(StaffUser.username == "ops")) is None


def test_the_audit_trail_names_sign_ins_and_their_second_step(client, make):
    admin = make.staff(is_admin=True)
    client.set_cookie("lang", "en")
    _password_step(client, admin, "wrong password")
    sign_in_through_form(client, admin)
    page = client.get("/staff/audit").get_data(as_text=True)
    for shown in ("Sign-in failed", "Signed in", "Second step", "Code from the app"):
        assert shown in page, shown


def test_the_accounts_list_says_who_signs_in_with_two_factor(client, make, login_as):
    admin = make.staff("root", is_admin=True)
    make.staff("plain.organiser", organisation=make.organisation())
    client.set_cookie("lang", "en")
    login_as(admin)
    rows = client.get("/staff/users").get_data(as_text=True).split("<tr>")[1:]
    [root] = [row for row in rows if ">root<" in row]
    [plain] = [row for row in rows if ">plain.organiser<" in row]
    assert "Two-factor sign-in" in root and "Two-factor sign-in" not in plain
