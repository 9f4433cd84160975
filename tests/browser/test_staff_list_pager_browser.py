"""A staff list in keyset pages on a 390 px phone: the venues of a city, searched and paged
with Next, Previous and First page, in Chinese and English; nothing scrolls sideways and
axe-core finds nothing."""

from __future__ import annotations

import pytest

from outreach.database import db
from tests.browser.axe import axe_or_skip, describe, violations
from tests.browser.signin import sign_in

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

WIDTH = 390
LABELS = {
    "zh-CN": {"next": "下一页", "prev": "上一页", "first": "第一页", "search": "查找"},
    "en-GB": {"next": "Next", "prev": "Previous", "first": "First page", "search": "Search"},
}


@pytest.fixture
def venues(app, make):
    """120 venues (three pages of 50) of one township, and an administrator."""
    axe_or_skip()
    township = make.township("望京街道")
    community = make.community(township, "大西洋新城社区")
    for number in range(120):
        make.venue(community, f"望京第{number:03d}号服务站", name_en=f"Wangjing hall {number:03d}")
    make.staff("root", is_admin=True)
    db.session.commit()


def _names(page) -> list[str]:
    return page.locator(".place-list > li strong").all_inner_texts()


@pytest.mark.parametrize("locale", ["zh-CN", "en-GB"])
def test_venue_pages_turn_forwards_and_back_on_a_phone(live_server, browser, venues, locale):
    labels = LABELS[locale]
    context = browser.new_context(viewport={"width": WIDTH, "height": 844}, locale=locale)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        sign_in(page, live_server, "root")
        page.goto(live_server + "/staff/places?kind=venues")
        first = _names(page)
        assert len(first) == 50 and "000" in first[0]
        page.get_by_role("link", name=labels["next"], exact=True).click()
        second = _names(page)
        assert len(second) == 50 and "050" in second[0]
        assert page.evaluate("document.documentElement.scrollWidth") <= WIDTH
        found = violations(page)
        assert not found, describe(found, "the second page")
        page.get_by_role("link", name=labels["next"], exact=True).click()
        assert len(_names(page)) == 20
        assert page.get_by_role("link", name=labels["next"], exact=True).count() == 0
        page.get_by_role("link", name=labels["prev"], exact=True).click()
        assert _names(page) == second
        page.get_by_role("link", name=labels["first"], exact=True).click()
        assert _names(page) == first
        assert page.get_by_role("link", name=labels["prev"], exact=True).count() == 0
        # A search keeps its words across pages.
        page.get_by_role("searchbox").fill("hall 1")
        page.get_by_role("button", name=labels["search"], exact=True).click()
        assert len(_names(page)) == 20  # 100–119
        assert page.get_by_role("link", name=labels["next"], exact=True).count() == 0
        found = violations(page)
        assert not found, describe(found, "the search")
    finally:
        context.close()
