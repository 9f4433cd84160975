"""Administering staff accounts, and the audit trail of changes."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from outreach.accounts.models import AuditEntry, StaffUser
from outreach.database import db
from outreach.events.models import EventStatus, SessionStatus
from outreach.registrations.models import RegistrationStatus
from tests.staff.support import audit_entries, page_text
from tests.web import login, post_form, sign_in_through_form

# Staff accounts


def test_administrator_lists_every_account_with_its_roles(client, admin, team):
    text = page_text(client.get("/staff/users"))
    for name in ("root", "li.manager", "zhao.checker", "chen.other"):
        assert name in text
    assert "Site administrator" in text and "区生态环境局" in text


def test_administrator_makes_and_unmakes_an_administrator(client, admin, team):
    user = team["checker"]
    assert post_form(client, f"/staff/users/{user.id}/admin", {"state": "on"}).status_code == 302
    db.session.refresh(user)
    assert user.is_admin
    post_form(client, f"/staff/users/{user.id}/admin", {"state": "off"})
    db.session.refresh(user)
    assert not user.is_admin
    assert [e.changes for e in audit_entries("update", "staff_user")] == [
        {"is_admin": {"before": False, "after": True}},
        {"is_admin": {"before": True, "after": False}},
    ]


def test_administrator_cannot_remove_their_own_rights_or_deactivate_themselves(client, admin):
    for url in (f"/staff/users/{admin.id}/admin", f"/staff/users/{admin.id}/active"):
        response = post_form(client, url, {"state": "off"})
        assert response.status_code == 302
    db.session.refresh(admin)
    assert admin.is_admin and admin.active
    text = page_text(client.get(f"/staff/users/{admin.id}"))
    assert "You cannot deactivate your own account." in text
    assert audit_entries() == []


def test_deactivating_an_account_ends_its_sessions_and_sign_ins(app, client, admin, team):
    checker = team["checker"]
    theirs = app.test_client()
    login(theirs, checker)
    assert theirs.get("/staff/").status_code == 200
    post_form(client, f"/staff/users/{checker.id}/active", {"state": "off"})
    db.session.refresh(checker)
    assert not checker.active
    assert theirs.get("/staff/").status_code == 302
    assert "Deactivated" in page_text(client.get("/staff/users"))
    post_form(client, f"/staff/users/{checker.id}/active", {"state": "on"})
    login(app.test_client(), checker)
    assert [e.action for e in audit_entries(target_type="staff_user")] == [
        "deactivate",
        "end_sessions",
        "reactivate",
    ]


def test_administrator_resets_a_password(app, client, admin, team):
    checker = team["checker"]
    response = post_form(
        client, f"/staff/users/{checker.id}/password", {"password": "a brand new password"}
    )
    assert response.status_code == 302
    sign_in_through_form(app.test_client(), checker, "a brand new password")
    [entry] = audit_entries("reset_password")
    assert entry.target_id == checker.id and entry.changes == {}


@pytest.mark.parametrize(
    ("password", "message"),
    [
        ("short", "at least 10 characters"),
        ("1234567890", "not a common password"),
        ("", "Please enter a password."),
    ],
)
def test_password_reset_refuses_bad_passwords(client, admin, team, password, message):
    checker = team["checker"]
    old_hash = checker.password_hash
    response = post_form(client, f"/staff/users/{checker.id}/password", {"password": password})
    assert response.status_code == 200
    assert message in page_text(response)
    db.session.refresh(checker)
    assert checker.password_hash == old_hash


@pytest.mark.parametrize("state", ["yes", "", "ON"])
def test_switches_refuse_unknown_states(client, admin, team, state):
    url = f"/staff/users/{team['checker'].id}/active"
    assert post_form(client, url, {"state": state}).status_code == 400


def test_administrator_creates_an_account(client, admin):
    response = post_form(
        client,
        "/staff/users/new",
        {
            "username": "new.admin",
            "display_name": "新管理员",
            "password": "long enough password",
            "is_admin": "y",
        },
    )
    user = db.session.scalar(select(StaffUser).where(StaffUser.username == "new.admin"))
    assert response.headers["Location"] == f"/staff/users/{user.id}"
    assert user.is_admin and user.memberships == []
    duplicate = post_form(
        client,
        "/staff/users/new",
        {"username": "NEW.ADMIN", "display_name": "x", "password": "long enough password"},
    )
    assert duplicate.status_code == 200
    assert "already taken" in page_text(duplicate)


# Audit trail


def _entry(make, organisation, action="update", **changes):
    entry = AuditEntry(
        actor_label="Li",
        action=action,
        target_type="event",
        target_id=7,
        target_label="三天义诊",
        organisation_id=organisation.id if organisation else None,
        changes=changes,
    )
    db.session.add(entry)
    db.session.commit()
    return entry


def test_administrator_reads_the_whole_trail_newest_first_with_changes(client, admin, team):
    _entry(None, team["centre"], title={"before": "旧标题", "after": "新标题"})
    _entry(None, team["other"], action="publish", status={"before": "draft", "after": "published"})
    _entry(None, None, action="create")
    text = page_text(client.get("/staff/audit"))
    assert text.index("Created") < text.index("Published") < text.index("Changed")
    assert "旧标题" in text and "新标题" in text and "三天义诊" in text and "(#7)" in text
    assert "区生态环境局" in text
    filtered = page_text(client.get(f"/staff/audit?organisation={team['other'].id}"))
    assert "<td>Draft</td><td>Published</td>" in filtered and "旧标题" not in filtered
    by_action = page_text(client.get("/staff/audit?action=update"))
    assert "旧标题" in by_action and "<td>Draft</td>" not in by_action


STATUS_WORDS = [
    # A status as recorded, and as the trail shows it in English and in Chinese.
    (EventStatus.DRAFT, "Draft", "草稿"),
    (EventStatus.PUBLISHED, "Published", "已发布"),
    (SessionStatus.SCHEDULED, "Scheduled", "正常举办"),
    (SessionStatus.CANCELLED, "Cancelled", "已取消"),
    (RegistrationStatus.CONFIRMED, "Confirmed", "报名成功"),
    (RegistrationStatus.WAITLISTED, "On the waitlist", "候补中"),
]


@pytest.mark.parametrize(("status", "english_words", "chinese_words"), STATUS_WORDS)
def test_audit_trail_names_statuses_in_words(
    client, admin, team, status, english_words, chinese_words
):
    _entry(None, team["centre"], status={"before": status.value, "after": "cancelled"})
    text = page_text(client.get("/staff/audit"))
    assert f"<td>Status</td><td>{english_words}</td><td>Cancelled</td>" in text
    client.set_cookie("lang", "zh")
    text = page_text(client.get("/staff/audit"))
    assert f"<td>状态</td><td>{chinese_words}</td><td>已取消</td>" in text


def test_every_status_value_has_words_and_unknown_values_stay_as_they_are(client, admin, team):
    known = [*EventStatus, *SessionStatus, *RegistrationStatus]
    for status in known:
        _entry(None, team["centre"], status={"before": None, "after": status.value})
    _entry(None, team["centre"], status={"before": "postponed", "after": "on hold"})
    text = page_text(client.get("/staff/audit"))
    for status in known:
        assert f"<td>{status.value}</td>" not in text
    assert "<td>postponed</td><td>on hold</td>" in text


def test_manager_reads_only_their_organisations_trail(client, login_as, english, team):
    _entry(None, team["centre"], title={"before": "旧标题", "after": "新标题"})
    _entry(None, team["other"], title={"before": "别家", "after": "别家的新标题"})
    _entry(None, None, name={"before": "a", "after": "系统设置"})
    login_as(team["manager"])
    text = page_text(client.get("/staff/audit"))
    assert "新标题" in text and "别家的新标题" not in text and "系统设置" not in text
    assert client.get(f"/staff/audit?organisation={team['other'].id}").status_code == 403


def test_audit_trail_shows_local_time(client, admin, team):
    entry = _entry(None, team["centre"])
    entry.at = datetime(2026, 3, 1, 23, 30, tzinfo=UTC)
    db.session.commit()
    assert "2026-03-02 07:30:00" in page_text(client.get("/staff/audit"))


def test_audit_trail_pages_and_its_query_count_stays_flat(client, admin, team, count_queries):
    _entry(None, team["centre"])
    client.get("/staff/audit")
    with count_queries() as few:
        client.get("/staff/audit")
    for number in range(59):
        _entry(None, team["centre"] if number % 2 else team["other"], n={"before": 1, "after": 2})
    with count_queries() as many:
        first = page_text(client.get("/staff/audit"))
    assert len(many) == len(few)
    assert first.count("三天义诊") == 50 and 'rel="next"' in first
    following = re.search(r'<a rel="next" href="([^"]+)"', first).group(1)
    second = page_text(client.get(following))
    assert second.count("三天义诊") == 10 and 'rel="next"' not in second


@pytest.mark.parametrize(
    "query",
    ["page=abc", "page=0", "page=99999999999999999999", "organisation=x", "action=" + "x" * 300],
)
def test_audit_trail_survives_odd_query_strings(client, admin, team, query):
    _entry(None, team["centre"])
    assert client.get(f"/staff/audit?{query}").status_code == 200


def test_changes_made_through_the_pages_appear_in_the_trail(client, admin):
    post_form(client, "/staff/places/townships/new", {"name": "望京街道", "kind": "street"})
    text = page_text(client.get("/staff/audit"))
    assert "Admin Wang" in text and "Street or township" in text and "望京街道" in text
