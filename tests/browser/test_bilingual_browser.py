"""A resident reads an event in English on a phone: its English title, and the Chinese texts
it has no English for marked as Chinese."""

from __future__ import annotations

import re

import pytest

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


@pytest.fixture
def events(make):
    township = make.township("六里屯街道", name_en="Liulitun Street")
    venue = make.venue(
        make.community(township, "炫特社区", name_en="Xuante Community"),
        "炫特社区服务站",
        name_en="Xuante Service Station",
        address="炫特家园1号",
        address_en="1 Xuante Jiayuan",
    )
    category = make.category("健康义诊", name_en="Health screening")
    screening = make.event(
        "专家义诊进社区",
        title_en="Specialists' free check-ups",
        summary="脑卒中、骨伤、中医、全科",
        category=category,
    )
    event_session = make.event_session(screening, venue, capacity=20)
    make.slot(event_session, "中医科", label_en="Chinese medicine")
    make.event_session(make.event("晨光广场舞", category=category), venue)
    return screening


def test_english_reader_sees_english_titles_and_marked_chinese(live_server, phone, events):
    phone.goto(live_server + "/?lang=en")
    assert phone.get_by_role("link", name="Specialists' free check-ups").is_visible()
    dance = phone.locator("li.card h3 [lang='zh-CN']")
    assert dance.inner_text() == "晨光广场舞"

    phone.get_by_role("link", name="Specialists' free check-ups").click()
    phone.wait_for_url(f"**/events/{events.id}#session-*")
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.get_by_role("heading", level=1).inner_text() == "Specialists' free check-ups"
    assert phone.title().startswith("Specialists' free check-ups ·")
    # The summary has no English: shown in Chinese, and the browser knows it is Chinese.
    summary = phone.locator("p.summary [lang='zh-CN']")
    assert summary.inner_text() == "脑卒中、骨伤、中医、全科"
    assert summary.evaluate("node => node.closest('[lang]').lang") == "zh-CN"
    assert phone.get_by_text("1 Xuante Jiayuan").is_visible()
    # The card's link named the session: its form is open already.
    assert phone.locator("details.register[open]").count() == 1
    choices = phone.locator("label.slot-choice").all_inner_texts()
    assert any(choice.strip().startswith("Chinese medicine") for choice in choices), choices
    assert phone.get_by_role("radio", name=re.compile("^Chinese medicine")).count() >= 1
    # Nothing runs sideways on the phone.
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
