"""Staff dashboard, places and categories, organisations and members, accounts, audit trail."""

from __future__ import annotations

import html
from datetime import UTC, datetime, time, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from werkzeug.security import check_password_hash

from outreach.accounts.models import AuditEntry, Membership, Organisation, Role, StaffUser
from outreach.database import db
from outreach.events.models import Category, EventStatus, SessionStatus
from outreach.localtime import local_today
from outreach.places.models import Community, Township, TownshipKind, Venue
from outreach.registrations.models import RegistrationStatus
from tests.web import login, post_form, sign_in_through_form


def page_text(response) -> str:
    """The page as a reader sees it (entities such as &#39; decoded)."""
    return html.unescape(response.get_data(as_text=True))


def count(model) -> int:
    return db.session.scalar(select(func.count()).select_from(model))


def entries(action: str | None = None, target_type: str | None = None) -> list[AuditEntry]:
    statement = select(AuditEntry).order_by(AuditEntry.id)
    if action:
        statement = statement.where(AuditEntry.action == action)
    if target_type:
        statement = statement.where(AuditEntry.target_type == target_type)
    return list(db.session.scalars(statement))


@pytest.fixture
def english(client):
    """Pages in English, so tests read the message ids."""
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def admin(make, login_as, english):
    """A signed-in site administrator."""
    user = make.staff("root", is_admin=True, display_name="Admin Wang")
    login_as(user)
    return user


# Dashboard


@pytest.fixture
def board(make):
    """Organisation A (with a published campaign, a draft and a far-off session) and B."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    other = make.organisation("区生态环境局", slug="other")
    community = make.community(name="炫特社区")
    venue = make.venue(community, "炫特社区服务站")
    screening = make.event("三天义诊", organisation=centre)
    tomorrow = local_today() + timedelta(days=1)
    make.event_session(screening, venue, day=tomorrow, start=time(9, 0))
    make.event_session(
        screening, venue, day=tomorrow + timedelta(days=1), status=SessionStatus.CANCELLED
    )
    make.event_session(screening, venue, day=local_today() + timedelta(days=20))
    draft = make.event("草稿活动", organisation=centre, status=EventStatus.DRAFT)
    theirs = make.event("别家的活动", organisation=other)
    make.event_session(theirs, day=tomorrow)
    return {"centre": centre, "other": other, "screening": screening, "draft": draft}


def test_dashboard_shows_my_organisations_fortnight_drafts_and_recent_changes(
    client, make, login_as, english, board
):
    login_as(make.staff(organisation=board["centre"], role="organiser"))
    response = client.get("/staff/")
    text = page_text(response)
    assert response.status_code == 200
    upcoming = text.split('id="upcoming"')[1].split('id="drafts"')[0]
    assert upcoming.count("三天义诊") == 2  # the session 20 days away is not in the fortnight
    assert "09:00–11:00" in upcoming
    assert "炫特社区服务站" in upcoming and "炫特社区" in upcoming
    assert "Session cancelled" in upcoming and "Published" in upcoming
    drafts = text.split('id="drafts"')[1].split('id="recent"')[0]
    assert "草稿活动" in drafts and "三天义诊" not in drafts
    recent = text.split('id="recent"')[1]
    assert "草稿活动" in recent and "三天义诊" in recent
    assert "别家的活动" not in text
    event_id = board["screening"].id
    assert f'href="/staff/events/{event_id}/edit"' in text
    assert f'href="/staff/events/{event_id}/sessions"' in text
    assert f'href="/events/{event_id}"' in text
    assert f'href="/events/{board["draft"].id}"' not in text  # drafts have no public page


def test_checker_sees_the_sessions_without_editing_links(client, make, login_as, english, board):
    login_as(make.staff(organisation=board["centre"], role="checker"))
    text = page_text(client.get("/staff/"))
    assert "三天义诊" in text
    assert "/staff/events/" not in text


def test_administrator_dashboard_covers_every_organisation(client, admin, board):
    text = page_text(client.get("/staff/"))
    assert "三天义诊" in text and "别家的活动" in text


def test_signed_in_account_without_a_role_is_refused_the_dashboard(client, make, login_as):
    login_as(make.staff())
    assert client.get("/staff/").status_code == 403


def test_dashboard_query_count_does_not_grow_with_its_rows(client, make, login_as, count_queries):
    centre = make.organisation()
    login_as(make.staff(organisation=centre, role="manager"))
    make.event_session(make.event(organisation=centre))
    make.event(organisation=centre, status=EventStatus.DRAFT)
    client.get("/staff/")
    with count_queries() as few:
        assert client.get("/staff/").status_code == 200
    for number in range(6):
        event = make.event(organisation=centre)
        make.event_session(event, day=local_today() + timedelta(days=number % 10 + 1))
        make.event_session(event, make.venue(township=make.township()))
        make.event(organisation=centre, status=EventStatus.DRAFT)
    with count_queries() as many:
        assert client.get("/staff/").status_code == 200
    assert len(many) == len(few)


# Places


def test_administrator_builds_the_place_tree_with_pinyin_slugs(client, admin):
    response = post_form(
        client,
        "/staff/places/townships/new",
        {"name": "六里屯街道", "name_en": "Liulitun Street", "kind": "street"},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/staff/places"
    township = db.session.scalar(select(Township))
    assert (township.slug, township.name_en, township.kind) == (
        "liu-li-tun-jie-dao",
        "Liulitun Street",
        TownshipKind.STREET,
    )
    post_form(
        client,
        "/staff/places/communities/new",
        {"name": "炫特社区", "name_en": "", "township_id": township.id},
    )
    community = db.session.scalar(select(Community))
    assert (community.slug, community.name_en, community.township_id) == (
        "xuan-te-she-qu",
        None,
        township.id,
    )
    response = post_form(
        client,
        "/staff/places/venues/new",
        {
            "name": "炫特社区服务站",
            "address": "六里屯街道炫特家园1号",
            "latitude": "39.9312",
            "longitude": "116.4716",
            "township_id": township.id,
            "community_id": community.id,
        },
    )
    assert response.status_code == 302
    venue = db.session.scalar(select(Venue))
    assert venue.slug == "xuan-te-she-qu-fu-wu-zhan"
    assert venue.latitude == Decimal("39.9312") and venue.community_id == community.id
    tree = page_text(client.get("/staff/places"))
    assert "六里屯街道" in tree and "炫特社区" in tree and "炫特社区服务站" in tree
    created = entries("create")
    assert [e.target_type for e in created] == ["township", "community", "venue"]
    assert created[2].changes["community"] == {"before": None, "after": "炫特社区"}
    assert created[2].changes["latitude"] == {"before": None, "after": "39.931200"}
    assert created[0].actor_id == admin.id and created[0].organisation_id is None


def test_venue_may_belong_only_to_a_township(client, admin, make):
    township = make.township()
    response = post_form(
        client,
        "/staff/places/venues/new",
        {"name": "朝阳区实验小学", "township_id": township.id, "community_id": "0"},
    )
    assert response.status_code == 302
    venue = db.session.scalar(select(Venue))
    assert venue.community_id is None and venue.latitude is None
    assert "朝阳区实验小学" in page_text(client.get("/staff/places"))


def test_renaming_a_place_keeps_its_slug_and_audits_before_and_after(client, admin, make):
    township = make.township("六里屯街道", slug="liu-li-tun-jie-dao")
    form = page_text(client.get(f"/staff/places/townships/{township.id}/edit"))
    assert 'value="六里屯街道"' in form
    response = post_form(
        client,
        f"/staff/places/townships/{township.id}/edit",
        {"name": "六里屯乡", "name_en": "Liulitun", "kind": "township"},
    )
    assert response.status_code == 302
    db.session.refresh(township)
    assert (township.name, township.slug, township.kind) == (
        "六里屯乡",
        "liu-li-tun-jie-dao",
        TownshipKind.TOWNSHIP,
    )
    [entry] = entries("update")
    assert entry.changes == {
        "name": {"before": "六里屯街道", "after": "六里屯乡"},
        "name_en": {"before": None, "after": "Liulitun"},
        "kind": {"before": "street", "after": "township"},
    }


def test_saving_a_place_unchanged_writes_no_audit_entry(client, admin, make):
    venue = make.venue(latitude=Decimal("39.9"), longitude=Decimal("116.4"))
    response = post_form(
        client,
        f"/staff/places/venues/{venue.id}/edit",
        {
            "name": venue.name,
            "address": venue.address,
            "latitude": "39.900000",
            "longitude": "116.4",
            "township_id": venue.township_id,
            "community_id": venue.community_id,
        },
    )
    assert response.status_code == 302
    assert entries() == []


def test_moving_a_community_to_another_township_moves_its_venues(client, admin, make):
    community = make.community()
    venue = make.venue(community)
    elsewhere = make.township()
    post_form(
        client,
        f"/staff/places/communities/{community.id}/edit",
        {"name": community.name, "township_id": elsewhere.id},
    )
    db.session.refresh(venue)
    assert venue.township_id == elsewhere.id
    [entry] = entries("update")
    assert entry.changes["township"]["after"] == elsewhere.name


def test_links_from_the_tree_preselect_the_township_and_community(client, admin, make):
    community = make.community()
    url = (
        f"/staff/places/venues/new?township_id={community.township_id}&community_id={community.id}"
    )
    text = page_text(client.get(url))
    assert f'<option selected value="{community.township_id}">' in text
    assert f'<option selected value="{community.id}">' in text


@pytest.fixture
def two_townships(make):
    """Two townships, a community in each."""
    here = make.township("六里屯街道")
    there = make.township("望京街道")
    return {
        "here": here,
        "there": there,
        "community": make.community(here, "炫特社区"),
        "foreign": make.community(there, "大西洋新城社区"),
    }


VENUE_CASES = [
    ({"name": ""}, "Please enter the Chinese name."),
    ({"name": "   "}, "Please enter the Chinese name."),
    ({"latitude": "200", "longitude": "116.4"}, "Latitude is a number from -90 to 90"),
    ({"latitude": "39.9", "longitude": "-181"}, "Longitude is a number from -180 to 180"),
    ({"latitude": "NaN", "longitude": "116.4"}, "Latitude is a number from -90 to 90"),
    ({"latitude": "Infinity", "longitude": "116.4"}, "Latitude is a number from -90 to 90"),
    ({"latitude": "north", "longitude": "116.4"}, "Not a valid decimal value"),
    ({"latitude": "39.9"}, "Enter both latitude and longitude, or neither."),
    ({"community_id": "foreign"}, "大西洋新城社区 is not in 六里屯街道"),
    ({"township_id": "0"}, "Please choose a street or township."),
    ({"township_id": "abc"}, "Please choose a street or township."),
    ({"township_id": "99999"}, "Please choose a street or township."),
    ({"community_id": "99999"}, "Please choose one of the listed communities"),
    ({"community_id": "abc"}, "Please choose one of the listed communities"),
    ({"name": "场" * 161}, "160"),
]


@pytest.mark.parametrize(("changes", "message"), VENUE_CASES)
def test_venue_form_refuses_bad_input_and_keeps_what_was_typed(
    client, admin, two_townships, changes, message
):
    data = {
        "name": "炫特社区服务站",
        "address": "炫特家园1号",
        "latitude": "",
        "longitude": "",
        "township_id": two_townships["here"].id,
        "community_id": two_townships["community"].id,
    }
    data |= changes
    if data["community_id"] == "foreign":
        data["community_id"] = two_townships["foreign"].id
    response = post_form(client, "/staff/places/venues/new", data)
    text = page_text(response)
    assert response.status_code == 200
    assert message in text
    assert 'class="field has-error"' in text
    assert "炫特家园1号" in text  # what was typed is still there
    assert count(Venue) == 0
    assert entries() == []


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        ("/staff/places/townships/new", {"name": "", "kind": "street"}, "Chinese name"),
        (
            "/staff/places/townships/new",
            {"name": "六里屯街道", "kind": "city"},
            "Please choose street or township.",
        ),
        (
            "/staff/places/townships/new",
            {"name": "六里屯街道"},
            "Please choose street or township.",
        ),
        ("/staff/places/communities/new", {"name": "炫特社区"}, "street or township"),
        ("/staff/places/communities/new", {"name": "", "township_id": "T"}, "Chinese name"),
    ],
)
def test_township_and_community_forms_refuse_bad_input(client, admin, make, url, data, message):
    township = make.township()
    data = {k: (township.id if v == "T" else v) for k, v in data.items()}
    response = post_form(client, url, data)
    assert response.status_code == 200
    assert message in page_text(response)
    assert count(Community) == 0 and count(Township) == 1


def test_same_chinese_name_gets_a_numbered_slug(client, admin, make):
    make.township("六里屯街道", slug="liu-li-tun-jie-dao")
    post_form(client, "/staff/places/townships/new", {"name": "六里屯街道", "kind": "street"})
    slugs = set(db.session.scalars(select(Township.slug)))
    assert slugs == {"liu-li-tun-jie-dao", "liu-li-tun-jie-dao-2"}


@pytest.mark.parametrize(
    "url",
    [
        "/staff/places/venues/999999/edit",
        "/staff/places/venues/abc/edit",
        "/staff/places/parks/new",
        "/staff/places/townships/-1/edit",
        "/staff/categories/999999/edit",
        "/staff/organisations/nowhere",
        "/staff/organisations/nowhere/edit",
        "/staff/users/999999",
        "/staff/users/abc",
        "/staff/users/99999999999999999999",
        "/staff/categories/2147483648/edit",
        "/staff/places/communities/99999999999999999999/edit",
        "/staff/audit?organisation=99999999999999999999",
        "/staff/audit?organisation=999",
    ],
)
def test_unknown_things_are_404(client, admin, url):
    assert client.get(url).status_code == 404


# Categories


def test_administrator_creates_and_renames_a_category(client, admin):
    response = post_form(
        client,
        "/staff/categories/new",
        {"name": "健康义诊", "name_en": "Health", "slug": "health", "colour": "#C62828"},
    )
    assert response.status_code == 302
    category = db.session.scalar(select(Category))
    assert (category.slug, category.colour) == ("health", "#c62828")
    post_form(
        client,
        f"/staff/categories/{category.id}/edit",
        {
            "name": "健康义诊",
            "name_en": "Health checks",
            "slug": "health-checks",
            "colour": "#c62828",
        },
    )
    db.session.refresh(category)
    assert (category.name_en, category.slug) == ("Health checks", "health-checks")
    [created, updated] = entries()
    assert created.action == "create" and created.changes["slug"]["after"] == "health"
    assert updated.changes == {
        "name_en": {"before": "Health", "after": "Health checks"},
        "slug": {"before": "health", "after": "health-checks"},
    }
    listing = page_text(client.get("/staff/categories"))
    assert "健康义诊" in listing and "health-checks" in listing


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"name": ""}, "Please enter the Chinese name."),
        ({"colour": "red"}, "A colour is written #rrggbb"),
        ({"colour": "#12345"}, "A colour is written #rrggbb"),
        ({"colour": "#1234567"}, "A colour is written #rrggbb"),
        ({"colour": "#abcdef\n"}, "A colour is written #rrggbb"),
        ({"colour": ""}, "Please choose a colour."),
        ({"slug": ""}, "Please enter a web address name."),
        ({"slug": "Health Check"}, "Use only lowercase letters"),
        ({"slug": "health_check"}, "Use only lowercase letters"),
        ({"slug": "-health"}, "Use only lowercase letters"),
        ({"slug": "health--check"}, "Use only lowercase letters"),
        ({"slug": "健康"}, "Use only lowercase letters"),
        ({"slug": "health\n"}, "Use only lowercase letters"),
        ({"slug": "a" * 81}, "at most 80 characters"),
        ({"slug": "ecology"}, "The web address name “ecology” is already used by another"),
    ],
)
def test_category_form_refuses_bad_input(client, admin, make, changes, message):
    make.category("生态环保", slug="ecology")
    data = {"name": "健康义诊", "name_en": "", "slug": "health", "colour": "#2e7d32"} | changes
    response = post_form(client, "/staff/categories/new", data)
    assert response.status_code == 200
    assert message in page_text(response)
    assert count(Category) == 1


def test_a_category_keeps_its_own_slug_when_saved_again(client, admin, make):
    category = make.category("健康义诊", slug="health")
    response = post_form(
        client,
        f"/staff/categories/{category.id}/edit",
        {"name": "健康义诊", "slug": "health", "colour": "#000000"},
    )
    assert response.status_code == 302


# Organisations and members


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
    [created, updated] = entries()
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


@pytest.fixture
def team(make):
    """Organisation A with a manager and a checker, organisation B with an organiser."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    other = make.organisation("区生态环境局", slug="other")
    return {
        "centre": centre,
        "other": other,
        "manager": make.staff("li.manager", organisation=centre, role="manager"),
        "checker": make.staff("zhao.checker", organisation=centre, role="checker"),
        "outsider": make.staff("chen.other", organisation=other, role="organiser"),
    }


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


def test_manager_adds_an_existing_account_as_a_member(client, login_as, english, team):
    login_as(team["manager"])
    response = post_form(
        client,
        "/staff/organisations/centre/members",
        {"existing-username": "CHEN.OTHER", "existing-role": "checker"},
    )
    assert response.status_code == 302
    db.session.refresh(team["outsider"])
    roles = {m.organisation_id: m.role for m in team["outsider"].memberships}
    assert roles == {team["other"].id: Role.ORGANISER, team["centre"].id: Role.CHECKER}
    [entry] = entries("membership")
    assert entry.organisation_id == team["centre"].id
    assert entry.changes == {"role": {"before": None, "after": "checker"}}
    assert entry.actor_id == team["manager"].id
    trail = page_text(client.get("/staff/audit"))
    assert "Role changed" in trail and "<td>Checker</td>" in trail


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


def _new_member(username="sun", display_name="孙", password="x" * 12) -> dict[str, str]:
    return {"new-username": username, "new-display_name": display_name, "new-password": password}


@pytest.mark.parametrize(
    ("url", "data", "message"),
    [
        (
            "members/new",
            _new_member(username="ZHAO.checker"),
            "The username “ZHAO.checker” is already taken.",
        ),
        (
            "members/new",
            _new_member(password="short pw"),
            "The password needs at least 10 characters.",
        ),
        ("members/new", _new_member(username=""), "Please enter a username."),
        ("members/new", _new_member(display_name=""), "Please enter the person"),
        ("members/new", _new_member(password=""), "Please enter a password."),
        ("members/new", _new_member() | {"new-role": "boss"}, "Please choose a role"),
        (
            "members",
            {"existing-username": "nobody"},
            "There is no account with the username “nobody”.",
        ),
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
    changes = [e.changes["role"] for e in entries("membership")]
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
    assert entries("membership") == []


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
    assert [e.changes for e in entries("update", "staff_user")] == [
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
    assert entries() == []


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
    assert [e.action for e in entries(target_type="staff_user")] == ["deactivate", "reactivate"]


def test_administrator_resets_a_password(app, client, admin, team):
    checker = team["checker"]
    response = post_form(
        client, f"/staff/users/{checker.id}/password", {"password": "a brand new password"}
    )
    assert response.status_code == 302
    sign_in_through_form(app.test_client(), checker, "a brand new password")
    [entry] = entries("reset_password")
    assert entry.target_id == checker.id and entry.changes == {}


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "at least 10 characters"), ("", "Please enter a password.")],
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
    assert "60 entries" in first and "Page 1 of 2" in first
    second = page_text(client.get("/staff/audit?page=2"))
    assert second.count("三天义诊") == 10


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
