"""Signing in and out, rate limits on failed sign-ins, sessions, and create-staff."""

from __future__ import annotations

import pytest
from werkzeug.security import check_password_hash

from outreach.accounts import services
from outreach.accounts.models import AuditEntry, Role, StaffUser
from outreach.database import db
from outreach.errors import RuleError
from tests.web import csrf_token, login, post_form


def test_login_page_has_a_csrf_protected_form(client):
    text = client.get("/staff/login").get_data(as_text=True)
    assert 'name="csrf_token"' in text
    assert 'autocomplete="current-password"' in text


def test_login_without_csrf_token_is_refused(client, make):
    user = make.staff()
    response = client.post(
        "/staff/login", data={"username": user.username, "password": make.PASSWORD}
    )
    assert response.status_code == 400
    assert client.get("/staff/").status_code == 302


def test_signing_in_leads_to_the_dashboard(client, make):
    user = make.staff(organisation=make.organisation())
    response = post_form(
        client, "/staff/login", {"username": user.username, "password": make.PASSWORD}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200
    assert db.session.get(StaffUser, user.id).last_login_at is not None


def test_username_is_case_insensitive(client, make):
    user = make.staff("Zhang.Wei", organisation=make.organisation())
    response = post_form(
        client, "/staff/login", {"username": "zhang.wei", "password": make.PASSWORD}
    )
    assert response.status_code == 302
    assert user.id


def test_wrong_password_shows_a_message_and_signs_nobody_in(client, make):
    user = make.staff()
    response = post_form(client, "/staff/login", {"username": user.username, "password": "nope"})
    assert response.status_code == 200
    assert "用户名或密码错误" in response.get_data(as_text=True)
    assert client.get("/staff/").status_code == 302


def test_deactivated_account_cannot_sign_in(client, make):
    user = make.staff()
    user.active = False
    db.session.commit()
    response = post_form(
        client, "/staff/login", {"username": user.username, "password": make.PASSWORD}
    )
    assert response.status_code == 200


def test_unauthenticated_staff_page_redirects_to_login_and_back(client, make):
    response = client.get("/staff/")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/staff/login?next=")
    user = make.staff(organisation=make.organisation())
    after = post_form(
        client,
        response.headers["Location"],
        {"username": user.username, "password": make.PASSWORD},
    )
    assert after.headers["Location"] == "/staff/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/x", "javascript:1"])
def test_next_parameter_never_leaves_the_site(client, make, target):
    user = make.staff(organisation=make.organisation())
    response = post_form(
        client,
        f"/staff/login?next={target}",
        {"username": user.username, "password": make.PASSWORD},
    )
    assert response.headers["Location"] == "/staff/"


def test_eleventh_wrong_password_for_an_account_is_refused_with_429(client, make):
    user = make.staff()
    for _ in range(10):
        response = post_form(
            client, "/staff/login", {"username": user.username, "password": "wrong"}
        )
        assert response.status_code == 200
    refused = post_form(
        client, "/staff/login", {"username": user.username, "password": make.PASSWORD}
    )
    assert refused.status_code == 429
    assert "登录失败次数过多" in refused.get_data(as_text=True)


def test_failed_attempts_from_one_address_are_limited_across_accounts(client, make):
    for number in range(10):
        post_form(client, "/staff/login", {"username": f"nobody{number}", "password": "x"})
    user = make.staff()
    refused = post_form(
        client, "/staff/login", {"username": user.username, "password": make.PASSWORD}
    )
    assert refused.status_code == 429


def test_successful_sign_ins_do_not_count_against_the_limit(client, make):
    user = make.staff(organisation=make.organisation())
    for _ in range(12):
        response = post_form(
            client, "/staff/login", {"username": user.username, "password": make.PASSWORD}
        )
        assert response.status_code == 302
        post_form(client, "/staff/logout")


def test_limits_can_be_switched_off(app, client, make):
    app.extensions["limiter"]  # the extension is registered
    app.config["RATELIMIT_ENABLED"] = False
    limiter = next(iter(app.extensions["limiter"]))
    limiter.enabled = False
    user = make.staff()
    for _ in range(12):
        response = post_form(
            client, "/staff/login", {"username": user.username, "password": "wrong"}
        )
        assert response.status_code == 200


def test_logout_needs_post_with_csrf(client, make, login_as):
    user = make.staff(organisation=make.organisation())
    login_as(user)
    assert client.get("/staff/logout").status_code == 405
    assert client.post("/staff/logout").status_code == 400
    response = post_form(client, "/staff/logout")
    assert response.status_code == 302
    assert client.get("/staff/").status_code == 302


def test_session_cookie_is_http_only_and_same_site(client, make):
    user = make.staff(organisation=make.organisation())
    csrf_token(client)
    response = post_form(
        client, "/staff/login", {"username": user.username, "password": make.PASSWORD}
    )
    [cookie] = [c for c in response.headers.getlist("Set-Cookie") if "outreach_session=" in c]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_create_staff_command_with_role(runner, make):
    organisation = make.organisation(slug="centre")
    result = runner.invoke(
        args=[
            "create-staff",
            "li.na",
            "--password",
            "a long enough password",
            "--organisation",
            "centre",
            "--role",
            "manager",
        ]
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.username == "li.na"))
    assert user.password_hash.startswith("scrypt:")
    assert check_password_hash(user.password_hash, "a long enough password")
    assert [(m.organisation_id, m.role) for m in user.memberships] == [
        (organisation.id, Role.MANAGER)
    ]
    assert db.session.scalar(db.select(db.func.count(AuditEntry.id))) == 2


def test_create_staff_prompts_for_the_password(runner):
    result = runner.invoke(
        args=["create-staff", "admin", "--admin"], input="a long enough password\n" * 2
    )
    assert result.exit_code == 0, result.output
    user = db.session.scalar(db.select(StaffUser).where(StaffUser.username == "admin"))
    assert user.is_admin


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-staff", "x", "--password", "short"], "10"),
        (
            ["create-staff", "x", "--password", "long enough password", "--role", "manager"],
            "together",
        ),
        (
            [
                "create-staff",
                "x",
                "--password",
                "long enough password",
                "--organisation",
                "none",
                "--role",
                "checker",
            ],
            "none",
        ),
    ],
)
def test_create_staff_refuses_bad_input(runner, args, message):
    result = runner.invoke(args=args)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.scalar(db.select(db.func.count(StaffUser.id))) == 0


def test_create_staff_refuses_a_taken_username(runner, make):
    make.staff("wang")
    result = runner.invoke(args=["create-staff", "WANG", "--password", "long enough password"])
    assert result.exit_code != 0


# The password rule, wherever a password is set

WEAK_PASSWORDS = [
    "short",  # under ten characters
    "password1234",  # common
    "aaaaaaaaaaaa",  # repeated
    "abcabcabcabc",  # a repeated pattern
    "1234567890",  # a sequence
    "qwertyuiop",  # a keyboard walk
    "iloveyou2024",  # a common phrase and a year
]


@pytest.mark.parametrize("password", WEAK_PASSWORDS)
def test_create_staff_refuses_short_common_and_repetitive_passwords(runner, password):
    result = runner.invoke(args=["create-staff", "li.na", "--password", password])
    assert result.exit_code != 0
    assert "至少10个字符，不要用常见密码" in result.output
    assert db.session.scalar(db.select(db.func.count(StaffUser.id))) == 0


def test_a_password_made_of_ones_own_name_is_refused(runner):
    args = ["create-staff", "zhangwei.chaoyang", "--password", "zhangwei.chaoyang1"]
    result = runner.invoke(args=args)
    assert result.exit_code != 0 and "常见密码" in result.output


def test_the_password_message_says_what_to_do_in_chinese(app):
    with (
        app.test_request_context(headers={"Accept-Language": "zh-CN"}),
        pytest.raises(RuleError) as refused,
    ):
        services.validate_password("1111111111")
    assert refused.value.field == "password"
    assert "至少10个字符" in str(refused.value) and "常见密码" in str(refused.value)


def test_a_long_password_is_judged_without_error(runner):
    password = "tea kettle under the bridge " * 7  # longer than zxcvbn reads at once
    result = runner.invoke(args=["create-staff", "li.na", "--password", password])
    assert result.exit_code == 0, result.output


# Usernames: one spelling whatever the width or case, no look-alikes, no mixed alphabets


def test_sign_in_finds_the_account_whatever_width_or_case_is_typed(client, make):
    make.staff("li.na", organisation=make.organisation())
    response = post_form(
        client, "/staff/login", {"username": " ＬＩ．Ｎａ ", "password": make.PASSWORD}
    )
    assert response.status_code == 302


def test_every_spelling_of_a_username_counts_against_the_one_account(client, make):
    user = make.staff("li.na")
    for number, spelling in enumerate(["LI.NA", "ｌｉ.ｎａ", "Li.Na", "ＬＩ．ＮＡ"] * 3):
        address = {"REMOTE_ADDR": f"192.0.2.{number}"}  # the per-address limit stays out of it
        data = {"username": spelling, "password": "wrong"}
        post_form(client, "/staff/login", data, environ_base=address)
    refused = post_form(
        client,
        "/staff/login",
        {"username": user.username, "password": make.PASSWORD},
        environ_base={"REMOTE_ADDR": "192.0.2.99"},
    )
    assert refused.status_code == 429


def test_usernames_are_stored_in_one_form(runner):
    result = runner.invoke(args=["create-staff", "ＬＩ.Ｎａ", "--password", make_password()])
    assert result.exit_code == 0, result.output
    assert db.session.scalars(db.select(StaffUser.username)).all() == ["li.na"]


@pytest.mark.parametrize(
    ("existing", "new"),
    [
        ("li.na", "ｌｉ.ｎａ"),  # full width
        ("admin", "adrnin"),  # "rn" looks like "m"
        ("cop", "сор"),  # Cyrillic letters only, each like a Latin one
        ("paypal", "раураl"),  # mixed, and alike
        ("wang0", "WANGO"),  # a zero and a capital O, both stored in lower case
        ("straße", "STRASSE"),  # folded alike
    ],
)
def test_a_username_like_an_existing_one_is_refused(runner, make, existing, new):
    make.staff(existing)
    result = runner.invoke(args=["create-staff", new, "--password", make_password()])
    assert result.exit_code != 0 and "Created" not in result.output, result.output


@pytest.mark.parametrize(
    ("username", "accepted"),
    [
        ("lina", True),
        ("李娜", True),
        ("li娜", True),  # Latin with Han, as Chinese names are often written
        ("liнa", False),  # Latin with Cyrillic
        ("αlpha", False),  # Greek with Latin
    ],
)
def test_a_username_keeps_to_one_alphabet(runner, username, accepted):
    result = runner.invoke(args=["create-staff", username, "--password", make_password()])
    assert (result.exit_code == 0) is accepted, result.output


def test_the_username_field_says_why_a_look_alike_is_refused(client, make, login_as):
    admin = make.staff("root", is_admin=True)
    make.staff("admin")
    login_as(admin)
    form = {"username": "аdmin", "display_name": "x", "password": make_password()}
    response = post_form(client, "/staff/users/new?lang=en", form)
    assert response.status_code == 200
    assert "one alphabet" in response.get_data(as_text=True)
    form["username"] = "adrnin"
    response = post_form(client, "/staff/users/new?lang=en", form)
    assert "looks too much like an existing username" in response.get_data(as_text=True)


def make_password() -> str:
    return "quiet harbour lantern"


# One's own password, on "My account"


def _change_own(client, current: str, new: str):
    data = {"current_password": current, "password": new}
    return post_form(client, "/staff/account/password?lang=en", data)


def test_a_new_own_password_needs_the_current_one_and_the_rule(client, make, login_as):
    user = make.staff("li.na", organisation=make.organisation())
    login_as(user)
    wrong = _change_own(client, "not my password", "quiet harbour lantern")
    assert wrong.status_code == 200
    assert "The current password is not right." in wrong.get_data(as_text=True)
    weak = _change_own(client, make.PASSWORD, "1234567890")
    assert "not a common password" in weak.get_data(as_text=True)
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, make.PASSWORD)


def test_a_new_own_password_ends_the_other_sessions_only(app, client, make, login_as):
    user = make.staff("li.na", organisation=make.organisation())
    elsewhere = app.test_client()
    login(elsewhere, user)
    login_as(user)
    response = _change_own(client, make.PASSWORD, "quiet harbour lantern")
    assert response.headers["Location"] == "/staff/account"
    assert client.get("/staff/").status_code == 200
    assert elsewhere.get("/staff/").status_code == 302
    db.session.refresh(user)
    assert check_password_hash(user.password_hash, "quiet harbour lantern")
    assert "reset_password" in db.session.scalars(db.select(AuditEntry.action)).all()
