"""A resident browses on a phone: home page, English, a community filter, an event."""

from __future__ import annotations

from datetime import timedelta

import pytest

from outreach.localtime import local_today

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


@pytest.fixture
def neighbourhood(make):
    liulitun = make.township("六里屯街道", slug="liu-li-tun-jie-dao", name_en="Liulitun")
    xuante = make.community(liulitun, "炫特社区", slug="xuan-te-she-qu", name_en="Xuante")
    chenguang = make.community(liulitun, "晨光社区", slug="chen-guang-she-qu")
    health = make.category(
        "健康义诊", slug="health", name_en="Free health screening", colour="#c2185b"
    )
    screening = make.event("专家义诊进社区", category=health, summary="脑卒中、骨伤、中医、全科")
    tomorrow = local_today() + timedelta(days=1)
    make.event_session(screening, make.venue(xuante, "炫特社区服务站"), day=tomorrow, capacity=20)
    make.event_session(screening, make.venue(chenguang, "晨光社区服务站"), day=tomorrow)
    other = make.event("晨光广场舞", category=make.category("文体活动", slug="sport"))
    make.event_session(other, make.venue(chenguang, "晨光社区广场"), day=tomorrow)
    return screening


def test_resident_switches_to_english_filters_by_community_and_opens_an_event(
    live_server, phone, neighbourhood
):
    phone.goto(live_server + "/")
    assert phone.locator("html").get_attribute("lang") == "zh-CN"
    assert phone.get_by_role("heading", level=1).inner_text() == "社区近期活动"
    assert phone.get_by_text("晨光广场舞").is_visible()

    phone.get_by_role("link", name="English").click()
    phone.wait_for_url("**/?lang=en")
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.get_by_role("heading", level=1).inner_text() == "What's on in our communities"

    phone.get_by_text("Filter", exact=True).click()
    phone.get_by_label("Community").select_option("xuan-te-she-qu")
    phone.get_by_role("button", name="Show").click()
    phone.wait_for_url("**community=xuan-te-she-qu**")
    assert phone.locator("li.card").count() == 1
    assert phone.get_by_text("晨光广场舞").count() == 0
    # The language choice survives navigation without ?lang= in the URL.
    assert phone.locator("html").get_attribute("lang") == "en"

    phone.get_by_role("link", name="专家义诊进社区").click()
    phone.wait_for_url(f"**/events/{neighbourhood.id}#session-*")
    assert phone.get_by_role("heading", level=1).inner_text() == "专家义诊进社区"
    assert phone.locator("li.card").count() == 2
    assert phone.get_by_text("20 places").is_visible()
    assert phone.get_by_text("No limit on places").is_visible()
    # The category's colour marks the event (site.js reads it from data-accent), and the
    # subscribe box's copy button appears, since the script runs.
    accent = phone.locator("article.event .tag").evaluate(
        "e => getComputedStyle(e).backgroundColor"
    )
    assert accent == "rgb(194, 24, 91)"
    assert phone.locator("button[data-copy]").is_visible()
    # Nothing overflows sideways on a phone, even with the long Chinese names.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
