"""The staff editor's pages on a 390 px phone: none scrolls sideways (a wide table scrolls in
its own captioned box or stacks its rows), and axe-core finds nothing on them.

The roster and desk page are checked with the desk's own tests. The demo supplies a campaign
with slots and a repeating series, so the lists have real rows; a draft adds a Publish button.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach import demo
from outreach.database import db
from outreach.events.models import Event, EventSeries, EventStatus
from tests.browser.axe import axe_or_skip, describe, violations
from tests.browser.signin import sign_in

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

WIDTH = 390


@pytest.fixture
def editor_scene(make):
    """The demo, a draft, and a signed-in-able administrator; the ids the pages need."""
    axe_or_skip()
    demo.seed()
    db.session.commit()
    screening = db.session.scalar(select(Event).where(Event.title == "医师节专家义诊进社区"))
    with_slots = next(s for s in screening.sessions if s.slots)
    series = db.session.scalar(select(EventSeries))
    make.event(
        "草稿：社区健康讲座（待发布）",
        organisation=screening.organisation,
        status=EventStatus.DRAFT,
    )
    make.staff("root", is_admin=True)
    db.session.commit()
    return {
        "event": screening.id,
        "session": with_slots.id,
        "series_event": series.event_id if series else screening.id,
    }


def staff_urls(scene: dict) -> list[str]:
    event, session = scene["event"], scene["session"]
    return [
        "/staff/",
        "/staff/events",
        f"/staff/events/{event}/sessions",
        f"/staff/events/{event}/edit",
        f"/staff/events/{event}/sessions/{session}/slots",
        f"/staff/events/{scene['series_event']}/series",
        "/staff/places",
        "/staff/holidays",
        "/staff/organisations",
        "/staff/users",
        "/staff/audit",
    ]


@pytest.mark.parametrize("locale", ["zh-CN", "en-GB"])
def test_staff_pages_fit_a_phone_and_pass_axe(live_server, browser, editor_scene, locale):
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, live_server, "root")
        wide: dict[str, int] = {}
        found: dict[str, list] = {}
        for url in staff_urls(editor_scene):
            response = page.goto(live_server + url)
            assert response.status == 200, (url, response.status)
            page.wait_for_load_state("load")
            width = page.evaluate("document.documentElement.scrollWidth")
            if width > WIDTH:
                wide[url] = width
            result = violations(page)
            if result:
                found[url] = result
        assert not wide, f"pages wider than {WIDTH} px: {wide}"
        assert not found, "\n".join(describe(r, where=f"{u}: ") for u, r in found.items())
    finally:
        context.close()


def test_a_draft_is_published_from_the_events_list_on_a_phone(live_server, browser, editor_scene):
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, locale="en-GB")
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, live_server, "root")
        page.goto(live_server + "/staff/events")
        row = page.locator("tr", has_text="草稿：社区健康讲座")
        with page.expect_navigation():
            row.get_by_role("button", name="Publish").click()
        assert "has been published" in page.locator("main").inner_text()
        assert (
            page.locator("tr", has_text="草稿：社区健康讲座")
            .get_by_role("button", name="Publish")
            .count()
            == 0
        )
    finally:
        context.close()
