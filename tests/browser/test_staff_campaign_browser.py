"""An organiser builds a three-day campaign in three communities and residents find it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.database import db
from outreach.events.models import Event, EventStatus
from outreach.localtime import local_today

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

TITLE = "医师节专家义诊进社区"


@pytest.fixture
def desk(browser):
    """A desktop-sized page, as staff use at the office."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


@pytest.fixture
def district(make):
    """Three communities with a venue each, a category, an organisation and its organiser."""
    liulitun = make.township("六里屯街道", slug="liu-li-tun-jie-dao")
    wangjing = make.township("望京街道", slug="wang-jing-jie-dao")
    communities = [
        make.community(liulitun, "炫特社区", slug="xuan-te-she-qu"),
        make.community(liulitun, "晨光社区", slug="chen-guang-she-qu"),
        make.community(wangjing, "大西洋新城社区", slug="da-xi-yang-xin-cheng-she-qu"),
    ]
    venues = [make.venue(community, community.name + "服务站") for community in communities]
    category = make.category("健康义诊", slug="health", name_en="Free health screening")
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    organiser = make.staff("li.na", organisation=centre, role="organiser")
    return {
        "communities": communities,
        "venues": venues,
        "category": category,
        "centre": centre,
        "organiser": organiser,
    }


def test_organiser_builds_a_campaign_and_residents_find_each_session(
    live_server, desk, district, make
):
    first_day = local_today() + timedelta(days=1)
    days = [first_day + timedelta(days=n) for n in range(3)]

    desk.goto(live_server + "/staff/login?lang=en")
    desk.get_by_label("Username").fill("li.na")
    desk.get_by_label("Password").fill(make.PASSWORD)
    desk.get_by_role("button", name="Sign in").click()
    desk.wait_for_url("**/staff/")

    desk.get_by_role("link", name="Events", exact=True).click()
    desk.get_by_role("link", name="New event").click()
    desk.get_by_label("Title", exact=True).fill(TITLE)
    desk.get_by_label("Summary", exact=True).fill("脑卒中、骨伤、中医、全科专家现场义诊")
    desk.get_by_label("Description", exact=True).fill(
        "请携带医保卡。\n\n详情见 https://example.org/"
    )
    desk.get_by_label("Category").select_option(str(district["category"].id))
    desk.get_by_label("Organisation").select_option(str(district["centre"].id))
    desk.get_by_role("button", name="Create event").click()
    desk.wait_for_url("**/sessions")
    assert desk.get_by_text("The event has been created. Now add its sessions.").is_visible()

    # One community per day: three rows of the sessions editor.
    for number, (day, venue) in enumerate(zip(days, district["venues"], strict=True), start=1):
        desk.get_by_label(f"Row {number} Date").fill(day.isoformat())
        desk.get_by_label(f"Row {number} Starts").fill("09:00")
        desk.get_by_label(f"Row {number} Ends").fill("11:30")
        desk.get_by_label(f"Row {number} Venue").select_option(str(venue.id))
        desk.get_by_label(f"Row {number} Capacity").fill("30")
    desk.get_by_role("button", name="Add these sessions").click()
    desk.wait_for_load_state()
    assert desk.get_by_text("3 sessions added.").is_visible()
    assert desk.locator("table.sessions tbody tr").count() == 3

    desk.get_by_role("link", name="Edit event").click()
    desk.get_by_label("Status").select_option("published")
    desk.get_by_role("button", name="Save").click()
    desk.wait_for_load_state()
    assert desk.get_by_text("Saved.").is_visible()

    event = db.session.scalar(db.select(Event).where(Event.title == TITLE))
    assert event.status == EventStatus.PUBLISHED
    assert event.organisation_id == district["centre"].id

    # Residents: each community's page lists its own day of the campaign.
    for community, venue in zip(district["communities"], district["venues"], strict=True):
        desk.goto(f"{live_server}/communities/{community.slug}")
        card = desk.locator("li.card", has_text=TITLE)
        assert card.count() == 1
        assert venue.name in card.inner_text()
        assert "09:00–11:30" in card.inner_text()

    desk.goto(f"{live_server}/events/{event.id}")
    assert desk.get_by_role("heading", level=1).inner_text() == TITLE
    assert desk.locator("li.card").count() == 3
    for venue in district["venues"]:
        assert desk.get_by_text(venue.name).is_visible()
    assert desk.get_by_role("link", name="https://example.org/").is_visible()
