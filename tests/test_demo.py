"""The Chaoyang District demo: what `flask seed-demo` loads, and that it loads it only once."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest
from sqlalchemy import func, select

from outreach import demo
from outreach.accounts.models import Organisation, OrganisationKind
from outreach.colours import contrast_ratio
from outreach.database import db, utcnow
from outreach.events.categories import TAG_TEXT, check_colour
from outreach.events.models import Category, Event, EventSession, EventStatus, SessionStatus
from outreach.events.services import SessionFilter, upcoming_event_page, upcoming_sessions
from outreach.localtime import local_zone
from outreach.places.models import Community, Township, TownshipKind, Venue
from outreach.registrations.models import Slot

MODELS = (Township, Community, Venue, Organisation, Category, Event, EventSession)
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SCREENING_COMMUNITIES = {"炫特社区", "晨光社区", "碧水社区"}


def row_counts() -> dict[str, int]:
    """Rows per demo table, read in a transaction of its own."""
    counts = {
        model.__tablename__: db.session.scalar(select(func.count()).select_from(model))
        for model in MODELS
    }
    db.session.rollback()
    return counts


def invoke(runner, *args: str) -> str:
    """Run `flask seed-demo` with the given options; return its output."""
    result = runner.invoke(args=["seed-demo", *args])
    assert result.exit_code == 0, result.output
    return result.output


@pytest.fixture
def seeded(runner):
    """A database with the demo loaded through the command line."""
    invoke(runner)


def by_name(model, name: str):
    return db.session.scalar(select(model).where(model.name == name))


def test_seed_demo_loads_the_six_townships_with_their_kinds(seeded):
    kinds = {t.name: t.kind for t in db.session.scalars(select(Township))}
    assert kinds == {
        "望京街道": TownshipKind.STREET,
        "六里屯街道": TownshipKind.STREET,
        "三里屯街道": TownshipKind.STREET,
        "小红门乡": TownshipKind.TOWNSHIP,
        "十八里店乡": TownshipKind.TOWNSHIP,
        "南磨房乡": TownshipKind.TOWNSHIP,
    }
    assert by_name(Township, "小红门乡").name_en == "Xiaohongmen Township"


def test_screening_communities_lie_in_liulitun_and_daxiyang_in_wangjing(seeded):
    liulitun = by_name(Township, "六里屯街道")
    assert SCREENING_COMMUNITIES.issubset(c.name for c in liulitun.communities)
    assert by_name(Community, "大西洋新城社区").township.name == "望京街道"


def test_every_declared_place_and_organisation_gets_a_row_of_its_own(seeded):
    # Two names with the same pinyin would silently share one row: the counts would fall short.
    counts = row_counts()
    assert counts["township"] == len(demo.TOWNSHIPS)
    assert counts["community"] == sum(len(t.communities) for t in demo.TOWNSHIPS)
    assert counts["venue"] == len(demo.ALL_VENUES)
    assert counts["organisation"] == len(demo.ORGANISATIONS)
    assert counts["category"] == len(demo.CATEGORIES)
    assert counts["event"] == len(demo.EVENTS)


def test_every_community_has_a_service_station_and_a_committee(seeded):
    for community in db.session.scalars(select(Community)):
        station = by_name(Venue, community.name + "服务站")
        assert station.community == community
        assert station.address and station.latitude and station.longitude
        committee = by_name(Organisation, community.name + "居委会")
        assert committee.kind == OrganisationKind.COMMUNITY_COMMITTEE


def test_schools_and_taikoo_li_are_township_level_venues(seeded):
    expected = {"芳草国际学校": None, "北京市东方德才学校": None, "三里屯太古里": "三里屯街道"}
    for name, township in expected.items():
        venue = by_name(Venue, name)
        assert venue.community is None
        if township:
            assert venue.township.name == township


def test_screening_campaign_has_one_future_morning_in_each_liulitun_community(seeded):
    organisation = by_name(Organisation, "六里屯社区卫生服务中心")
    assert organisation.kind == OrganisationKind.HEALTH_CENTRE
    event = db.session.scalar(
        select(Event).where(Event.organisation == organisation, Event.title.contains("专家义诊"))
    )
    assert len(event.sessions) == 3
    assert {s.venue.community.name for s in event.sessions} == SCREENING_COMMUNITIES
    local_days = {s.starts_at.astimezone(local_zone()).date() for s in event.sessions}
    assert len(local_days) == 3
    assert all(s.starts_at > utcnow() for s in event.sessions)
    assert all(20 <= s.capacity <= 40 for s in event.sessions)
    for specialty in ("脑卒中", "骨伤与骨关节", "中医科", "全科"):
        assert specialty in event.description


def test_ecology_day_is_one_campaign_across_four_townships(seeded):
    event = db.session.scalar(select(Event).where(Event.title.contains("全国生态日·绿色")))
    assert event.organisation.name == "区发展改革委"
    townships = {s.venue.township.name for s in event.sessions}
    assert townships == {"望京街道", "小红门乡", "十八里店乡", "南磨房乡"}
    assert "大西洋新城社区" in {s.venue.community.name for s in event.sessions}


def test_green_life_day_runs_all_day_from_local_midnight_to_midnight(seeded):
    taikoo_li = by_name(Venue, "三里屯太古里")
    sessions = db.session.scalars(select(EventSession).where(EventSession.venue == taikoo_li))
    for event_session in sessions:
        assert event_session.all_day
        starts = event_session.starts_at.astimezone(local_zone())
        assert starts.time() == time(0, 0)
        assert event_session.ends_at - event_session.starts_at == timedelta(days=1)


def test_every_community_has_an_upcoming_public_session(seeded):
    for community in db.session.scalars(select(Community)).all():
        listed = upcoming_sessions(SessionFilter(community=community), page=1, per_page=100)
        scheduled = [s for s in listed.items if s.status == SessionStatus.SCHEDULED]
        assert scheduled, community.name


def test_the_draft_event_stays_out_of_public_listings(seeded):
    drafts = db.session.scalars(select(Event).where(Event.status == EventStatus.DRAFT)).all()
    assert len(drafts) == 1
    listed = upcoming_event_page(SessionFilter(), None, per_page=100)
    assert len(listed.items) == len(demo.EVENTS) - 1
    assert drafts[0].id not in {item.event.id for item in listed.items}


def test_a_cancelled_session_says_why(seeded):
    cancelled = db.session.scalars(
        select(EventSession).where(EventSession.status == SessionStatus.CANCELLED)
    ).all()
    assert len(cancelled) == 1
    assert cancelled[0].cancellation_reason


def test_capacities_range_from_small_to_unlimited(seeded):
    capacities = set(db.session.scalars(select(EventSession.capacity)))
    assert None in capacities
    assert min(c for c in capacities if c is not None) <= 20
    assert max(c for c in capacities if c is not None) >= 40


def test_sessions_start_and_end_between_seven_and_nine_local_unless_all_day(seeded):
    zone = local_zone()
    for event_session in db.session.scalars(select(EventSession)):
        assert event_session.starts_at.utcoffset() == timedelta(0)
        if event_session.all_day:
            continue
        starts = event_session.starts_at.astimezone(zone)
        ends = event_session.ends_at.astimezone(zone)
        assert time(7, 0) <= starts.time() and ends.time() <= time(21, 0)
        assert starts.date() == ends.date() and starts < ends


def test_slugs_are_ascii_and_url_safe(seeded):
    for model in (Township, Community, Venue, Organisation, Category):
        for slug in db.session.scalars(select(model.slug)):
            assert SLUG.match(slug) and len(slug) <= 80, slug


def test_every_category_colour_passes_the_colour_pickers_contrast_rule(seeded):
    # The colour is the background of the tag's white text on every listing (WCAG 1.4.3).
    colours = {
        slug: colour for slug, colour in db.session.execute(select(Category.slug, Category.colour))
    }
    assert len(colours) == len(demo.CATEGORIES)
    for slug, colour in colours.items():
        check_colour(colour)  # raises below 4.5:1
        assert contrast_ratio(colour, TAG_TEXT) >= 4.5, slug


def test_key_places_organisations_and_categories_have_stable_slugs(seeded):
    expected = {
        Township: ["wang-jing-jie-dao", "liu-li-tun-jie-dao", "xiao-hong-men-xiang"],
        Community: ["da-xi-yang-xin-cheng-she-qu", "xuan-te-she-qu", "chen-guang-she-qu"],
        Venue: ["san-li-tun-tai-gu-li", "fang-cao-guo-ji-xue-xiao"],
        Organisation: ["qu-fa-zhan-gai-ge-wei", "liu-li-tun-she-qu-wei-sheng-fu-wu-zhong-xin"],
        Category: ["ecology", "health-screening", "education-exchange", "culture-sports"],
    }
    for model, slugs in expected.items():
        found = set(db.session.scalars(select(model.slug).where(model.slug.in_(slugs))))
        assert found == set(slugs), model.__name__


def test_running_seed_demo_twice_adds_nothing(runner):
    first = invoke(runner)
    assert first.startswith("Created 6 townships")
    counts = row_counts()
    assert "nothing to add" in invoke(runner)
    assert row_counts() == counts
    assert not any(demo.seed().created.values())


def test_reset_rebuilds_the_demo_and_drops_other_rows(runner, make):
    invoke(runner)
    counts = row_counts()
    make.township(name="临时街道", slug="temporary")
    assert "Created 6 townships" in invoke(runner, "--reset")
    assert row_counts() == counts
    assert by_name(Township, "临时街道") is None


def test_if_empty_loads_into_an_empty_database_only(runner):
    assert "Created" in invoke(runner, "--if-empty")
    counts = row_counts()
    assert "already has data" in invoke(runner, "--if-empty")
    assert row_counts() == counts


def test_screening_sessions_have_specialty_slots_in_half_hour_windows(runner):
    runner.invoke(args=["seed-demo"])
    event = db.session.scalar(select(Event).where(Event.title == "医师节专家义诊进社区"))
    assert event.one_registration_per_event
    for event_session in event.sessions:
        slots = db.session.scalars(
            select(Slot).where(Slot.session_id == event_session.id).order_by(Slot.position)
        ).all()
        assert {s.label for s in slots} == {"中医科", "骨伤与骨关节", "脑卒中", "全科"}
        assert len(slots) == 4 * 6
        assert all((s.ends_at - s.starts_at).total_seconds() == 1800 for s in slots)
        assert slots[0].starts_at == event_session.starts_at
