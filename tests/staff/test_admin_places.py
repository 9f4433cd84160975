"""Administering places (townships, communities, venues) and categories."""

from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from outreach.database import db
from outreach.events.models import Category
from outreach.places.models import Community, Township, TownshipKind, Venue
from tests.staff.support import audit_entries, count, page_text
from tests.web import post_form

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
    created = audit_entries("create")
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
    [entry] = audit_entries("update")
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
    assert audit_entries() == []


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
    [entry] = audit_entries("update")
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
    assert audit_entries() == []


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
    [created, updated] = audit_entries()
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


def test_a_colour_too_light_behind_the_tags_white_text_is_refused(client, admin, make):
    # The form says what it asks for, next to the colour picker.
    form = page_text(client.get("/staff/categories/new"))
    assert 'id="colour-hint"' in form and "at least 4.5:1 contrast with white" in form
    assert 'aria-describedby="colour-hint"' in form
    # The orange the demo once had: white text on it is 3.08:1, WCAG asks 4.5:1.
    data = {"name": "文体活动", "slug": "culture-sports", "colour": "#EF6C00"}
    response = post_form(client, "/staff/categories/new", data)
    assert response.status_code == 200
    text = page_text(response)
    assert "contrast is 3.08:1 and at least 4.5:1 is needed" in text
    # The message stands beside the colour field and suggests the same orange, darker.
    assert 'id="colour-errors"' in text and "#c25700" in text
    assert count(Category) == 0

    # A colour just past the line (#00838f is 4.52:1) is taken, and so is the suggestion.
    for slug, colour in (("waste", "#00838f"), ("culture-sports", "#c25700")):
        response = post_form(
            client, "/staff/categories/new", data | {"slug": slug, "colour": colour}
        )
        assert response.status_code == 302, page_text(response)
    assert count(Category) == 2


def test_a_category_cannot_be_changed_to_a_light_colour(client, admin, make):
    category = make.category("生态环保", slug="ecology", colour="#2e7d32")
    client.set_cookie("lang", "zh")
    response = post_form(
        client,
        f"/staff/categories/{category.id}/edit",
        {"name": "生态环保", "slug": "ecology", "colour": "#8bc34a"},
    )
    assert response.status_code == 200
    assert "对比度只有 2.09:1" in page_text(response)
    db.session.refresh(category)
    assert category.colour == "#2e7d32"


def test_a_category_keeps_its_own_slug_when_saved_again(client, admin, make):
    category = make.category("健康义诊", slug="health")
    response = post_form(
        client,
        f"/staff/categories/{category.id}/edit",
        {"name": "健康义诊", "slug": "health", "colour": "#000000"},
    )
    assert response.status_code == 302
