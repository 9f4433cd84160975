"""Administering organisations and their members: roles, new accounts, the last manager."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from sqlalchemy import select
from werkzeug.security import check_password_hash

from outreach.accounts.models import Invitation, Membership, Organisation, Role, StaffUser
from outreach.database import db
from tests.staff.support import audit_entries, count, page_text
from tests.web import post_form, sign_in_through_form, untimed


def test_administrator_creates_and_edits_an_organisation(client, admin):
    response = post_form(
        client,
        "/staff/organisations/new",
        {"name": "六里屯社区卫生服务中心", "name_en": "", "kind": "health_centre"},
    )
    organisation = db.session.scalar(select(Organisation))
    assert organisation.slug == "liu-li-tun-she-qu-wei-sheng-fu-wu-zhong-xin"
    assert response.headers["Location"] == f"/staff/organisations/{organisation.slug}"
    post_form(
        client,
        f"/staff/organisations/{organisation.slug}/edit",
        {"name": "六里屯卫生中心", "name_en": "Liulitun Health Centre", "kind": "health_centre"},
    )
    db.session.refresh(organisation)
    assert organisation.name == "六里屯卫生中心"
    assert organisation.slug == "liu-li-tun-she-qu-wei-sheng-fu-wu-zhong-xin"
    [created, updated] = audit_entries()
    assert created.organisation_id == organisation.id
    assert updated.changes["name"] == {
        "before": "六里屯社区卫生服务中心",
        "after": "六里屯卫生中心",
    }
    text = page_text(client.get("/staff/organisations"))
    assert "六里屯卫生中心" in text and "Community health service centre" in text


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "", "kind": "school"}, "Please enter the Chinese name."),
        ({"name": "实验小学", "kind": "bank"}, "Please choose what kind of organisation"),
        ({"name": "实验小学", "name_en": "x" * 161, "kind": "school"}, "160"),
    ],
)
def test_organisation_form_refuses_bad_input(client, admin, data, message):
    response = post_form(client, "/staff/organisations/new", data)
    assert response.status_code == 200
    assert message in page_text(response)
    assert count(Organisation) == 0


def test_manager_sees_only_the_organisations_they_manage(client, login_as, english, team):
    login_as(team["manager"])
    text = page_text(client.get("/staff/organisations"))
    assert "六里屯社区卫生服务中心" in text and "区生态环境局" not in text
    assert "New organisation" not in text
    page = page_text(client.get("/staff/organisations/centre"))
    assert "zhao.checker" in page and "li.manager" in page
    assert "/staff/organisations/centre/edit" not in page
    assert client.get("/staff/organisations/other").status_code == 403
    assert client.get("/staff/organisations/centre/edit").status_code == 403


def _invite(client, username: str, role: str = "checker"):
    data = {"existing-username": username, "existing-role": role}
    return post_form(client, "/staff/organisations/centre/members", data)


def test_manager_invites_an_existing_account_which_accepts(client, login_as, english, team):
    login_as(team["manager"])
    response = _invite(client, "CHEN.OTHER")
    assert response.status_code == 302
    assert count(Membership) == 3  # nobody joined yet
    page = page_text(client.get(response.headers["Location"]))
    assert "If “chen.other” is the username of a staff account" in page
    assert "Invitations not yet answered" in page and "Li Manager" not in page
    [invited] = audit_entries("invite")
    assert invited.organisation_id == team["centre"].id and invited.actor_id == team["manager"].id
    assert invited.changes == {"role": {"before": None, "after": "checker"}}

    login_as(team["outsider"])
    account = page_text(client.get("/staff/account"))
    assert "六里屯社区卫生服务中心 invites you to join as Checker." in account
    [invitation] = db.session.scalars(select(Invitation)).all()
    response = post_form(client, f"/staff/invitations/{invitation.id}/accept")
    assert response.headers["Location"] == "/staff/account"
    db.session.refresh(team["outsider"])
    roles = {m.organisation_id: m.role for m in team["outsider"].memberships}
    assert roles == {team["other"].id: Role.ORGANISER, team["centre"].id: Role.CHECKER}
    assert count(Invitation) == 0
    [joined] = audit_entries("membership")
    assert joined.changes == {"role": {"before": None, "after": "checker"}}
    assert [e.action for e in audit_entries(target_type="invitation")] == [
        "invite",
        "accept_invitation",
    ]


def _neutral(text: str, username: str) -> str:
    """The page without what differs by design: the echoed name, ids in URLs, the time."""
    text = untimed(text).replace(username, "NAME")
    text = re.sub(r"/invitations/\d+/", "/invitations/ID/", text)
    return re.sub(r"\d{4}-\d\d-\d\d[ T]\d\d:\d\d[^<\"]*", "TIME", text)


def test_a_manager_cannot_tell_whether_a_username_exists(client, login_as, english, team):
    login_as(team["manager"])
    answers = []
    for username in ("chen.other", "no.such.person"):
        response = _invite(client, username)
        page = client.get(response.headers.get("Location", "/staff/organisations/centre"))
        answers.append(
            (
                response.status_code,
                response.headers.get("Location"),
                _neutral(page_text(response), username),
                _neutral(page_text(page), username),
            )
        )
        [invitation] = db.session.scalars(select(Invitation)).all()
        url = f"/staff/organisations/centre/invitations/{invitation.id}/withdraw"
        client.get(post_form(client, url).headers["Location"])  # its message shown, and gone
    assert answers[0] == answers[1]
    assert count(Membership) == 3


def test_an_invitation_reaches_only_its_username_and_expires(client, make, login_as, team):
    invitation = make.invitation(team["centre"], "chen.other", "organiser")
    login_as(team["checker"])
    assert post_form(client, f"/staff/invitations/{invitation.id}/accept").status_code == 404
    login_as(team["outsider"])
    invitation.created_at -= timedelta(days=15)
    db.session.flush()
    assert "invites you" not in page_text(client.get("/staff/account"))
    assert post_form(client, f"/staff/invitations/{invitation.id}/accept").status_code == 404
    db.session.refresh(team["outsider"])
    assert len(team["outsider"].memberships) == 1


def test_a_declined_or_withdrawn_invitation_gives_no_role(client, make, login_as, english, team):
    first = make.invitation(team["centre"], "chen.other")
    login_as(team["outsider"])
    assert post_form(client, f"/staff/invitations/{first.id}/decline").status_code == 302
    second = make.invitation(team["centre"], "chen.other")
    login_as(team["manager"])
    url = f"/staff/organisations/centre/invitations/{second.id}/withdraw"
    assert post_form(client, url).status_code == 302
    assert count(Invitation) == 0
    db.session.refresh(team["outsider"])
    assert len(team["outsider"].memberships) == 1
    actions = [e.action for e in audit_entries(target_type="invitation")]
    assert actions == ["decline_invitation", "withdraw_invitation"]


def test_administrator_adds_an_existing_account_at_once(client, admin, team):
    response = _invite(client, "CHEN.OTHER")
    assert response.status_code == 302
    db.session.refresh(team["outsider"])
    assert {m.organisation_id for m in team["outsider"].memberships} == {
        team["other"].id,
        team["centre"].id,
    }
    missing = _invite(client, "nobody")
    assert missing.status_code == 200
    assert "There is no account with the username “nobody”." in page_text(missing)


def test_manager_creates_a_new_account_in_the_organisation(client, login_as, english, team):
    login_as(team["manager"])
    response = post_form(
        client,
        "/staff/organisations/centre/members/new",
        {
            "new-username": "wang.fang",
            "new-display_name": "王芳",
            "new-password": "a long enough password",
            "new-role": "organiser",
        },
    )
    assert response.status_code == 302
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "wang.fang"))
    assert user.display_name == "王芳" and not user.is_admin
    assert check_password_hash(user.password_hash, "a long enough password")
    assert [(m.organisation_id, m.role) for m in user.memberships] == [
        (team["centre"].id, Role.ORGANISER)
    ]
    assert "王芳" in page_text(client.get("/staff/organisations/centre"))
    other = sign_in_through_form(
        client.application.test_client(), user, "a long enough password"
    )  # the new colleague can sign in
    assert other.status_code == 302


def _new_member(
    username="sun", display_name="孙", password="quiet harbour lantern"
) -> dict[str, str]:
    return {"new-username": username, "new-display_name": display_name, "new-password": password}


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        (
            "members/new",
            _new_member(username="ZHAO.checker"),
            "The username “zhao.checker” is already taken.",
        ),
        (
            "members/new",
            _new_member(password="short pw"),
            "Use at least 10 characters, and not a common password",
        ),
        ("members/new", _new_member(username=""), "Please enter a username."),
        ("members/new", _new_member(display_name=""), "Please enter the person"),
        ("members/new", _new_member(password=""), "Please enter a password."),
        ("members/new", _new_member() | {"new-role": "boss"}, "Please choose a role"),
        (
            "members",
            {"existing-username": "zhao.checker"},
            "is already a member of this organisation.",
        ),
        (
            "members",
            {"existing-username": "chen.other", "existing-role": "boss"},
            "Please choose a role",
        ),
        ("members", {"existing-username": ""}, "Please enter a username."),
    ],
)
def test_member_forms_refuse_bad_input(client, login_as, english, team, url, data, message):
    login_as(team["manager"])
    before = (count(StaffUser), count(Membership))
    response = post_form(client, f"/staff/organisations/centre/{url}", data)
    text = page_text(response)
    assert response.status_code == 200
    assert message in text
    assert (count(StaffUser), count(Membership)) == before
    typed = next((v for k, v in data.items() if k.endswith("username") and v), None)
    if typed:
        assert f'value="{typed}"' in text


def test_manager_changes_a_role_and_removes_a_member(client, login_as, english, team):
    login_as(team["manager"])
    checker = team["checker"]
    response = post_form(
        client, f"/staff/organisations/centre/members/{checker.id}/role", {"role": "organiser"}
    )
    assert response.status_code == 302
    db.session.refresh(checker)
    assert [m.role for m in checker.memberships] == [Role.ORGANISER]
    response = post_form(client, f"/staff/organisations/centre/members/{checker.id}/remove")
    assert response.status_code == 302
    db.session.refresh(checker)
    assert checker.memberships == []
    assert db.session.get(StaffUser, checker.id) is not None  # the account stays
    changes = [e.changes["role"] for e in audit_entries("membership")]
    assert changes == [
        {"before": "checker", "after": "organiser"},
        {"before": "organiser", "after": None},
    ]


@pytest.mark.parametrize(
    ("action", "data"),
    [("role", {"role": "organiser"}), ("role", {"role": "checker"}), ("remove", {})],
)
def test_the_last_manager_cannot_demote_or_remove_themselves(
    client, login_as, english, team, action, data
):
    manager = team["manager"]
    login_as(manager)
    response = post_form(client, f"/staff/organisations/centre/members/{manager.id}/{action}", data)
    assert response.status_code == 302
    db.session.refresh(manager)
    assert [m.role for m in manager.memberships] == [Role.MANAGER]
    text = page_text(client.get(response.headers["Location"]))
    assert "li.manager is the only manager of this organisation." in text
    assert audit_entries("membership") == []


def test_a_manager_can_step_down_when_another_manager_remains(client, make, login_as, team):
    make.staff(organisation=team["centre"], role="manager")
    manager = team["manager"]
    login_as(manager)
    response = post_form(
        client, f"/staff/organisations/centre/members/{manager.id}/role", {"role": "organiser"}
    )
    assert response.status_code == 302
    db.session.refresh(manager)
    assert [m.role for m in manager.memberships] == [Role.ORGANISER]
    assert client.get("/staff/organisations/centre").status_code == 403


@pytest.mark.parametrize("who", ["outsider", "admin", "nobody"])
def test_member_urls_refuse_accounts_that_are_not_members(client, make, login_as, team, who):
    login_as(team["manager"])
    target = {"outsider": team["outsider"].id, "admin": make.staff(is_admin=True).id}.get(
        who, 999999
    )
    for action, data in [("role", {"role": "checker"}), ("remove", {})]:
        url = f"/staff/organisations/centre/members/{target}/{action}"
        assert post_form(client, url, data).status_code == 404
    assert count(Membership) == 3


def test_huge_member_ids_are_404(client, login_as, team):
    login_as(team["manager"])
    url = "/staff/organisations/centre/members/99999999999999999999/remove"
    assert post_form(client, url).status_code == 404


@pytest.mark.parametrize("role", ["boss", "", "MANAGER"])
def test_changing_to_an_unknown_role_is_a_bad_request(client, login_as, english, team, role):
    login_as(team["manager"])
    url = f"/staff/organisations/centre/members/{team['checker'].id}/role"
    response = post_form(client, url, {"role": role})
    assert response.status_code == 400
    assert "Please choose a role: manager, organiser or checker." in page_text(response)


def test_a_manager_cannot_try_usernames_without_end_on_the_new_account_form(
    client, login_as, english, team, make
):
    """ "Already taken" must be said to whoever picks a username, so a manager's refused
    attempts are counted (NEW_ACCOUNT_ATTEMPTS): the form is no way to list the accounts."""
    client.application.config["NEW_ACCOUNT_ATTEMPTS"] = "3 per hour"
    login_as(team["manager"])
    url = "/staff/organisations/centre/members/new"
    for name in ("chen.other", "zhao.checker", "nobody.here"):
        refused = post_form(client, url, _new_member(username=name, password="x"))
        assert refused.status_code == 200
    limited = post_form(client, url, _new_member(username="chen.other"))
    assert limited.status_code == 429
    assert "Too many" in page_text(limited)
    assert count(StaffUser) == 3  # the team's: nothing made
    # An account made counts for nothing; administrators, who see every account, are not held.
    admin = make.staff("root.admin", is_admin=True)
    login_as(admin)
    for _ in range(4):
        assert post_form(client, url, _new_member(username="chen.other")).status_code == 200


def test_the_purge_erases_expired_invitations(app, make, team):
    """An invitation names a username and who invited it: kept while it can be answered, then
    erased by the retention purge like other personal data."""
    old = make.invitation(team["centre"], "chen.other")
    old.created_at -= timedelta(days=15)
    fresh = make.invitation(team["centre"], "someone.else")
    db.session.flush()
    result = app.test_cli_runner().invoke(args=["purge-personal-data", "--no-vacuum"])
    assert result.exit_code == 0, result.output
    assert "1 expired invitation" in result.output
    assert db.session.scalars(select(Invitation)).all() == [fresh]
