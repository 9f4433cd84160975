"""On a phone: a resident copies an event's share text for a WeChat group and opens its
share image; axe-core finds nothing on the page."""

from __future__ import annotations

from datetime import time

import pytest
from playwright.sync_api import expect

from tests.browser.axe import axe_or_skip, describe, violations
from tests.feeds.support import FAR

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


def test_resident_copies_the_share_text_and_sees_the_image(live_server, phone, make):
    axe_or_skip()
    township = make.township("六里屯街道", slug="liulitun")
    community = make.community(township, "晨光社区", slug="chenguang")
    event = make.event("健康义诊", summary="测血压、血糖")
    make.event_session(event, make.venue(community, "晨光社区服务站"), day=FAR, start=time(9))
    phone.context.grant_permissions(["clipboard-read", "clipboard-write"])
    phone.goto(f"{live_server}/events/{event.id}")
    phone.get_by_role("link", name="分享到微信群", exact=True).click()
    text = phone.get_by_label("可以粘贴到微信群或短信里的文字").input_value()
    assert text.startswith("【健康义诊】") and f"/events/{event.id}" in text
    phone.get_by_role("button", name="复制文字", exact=True).click()
    # The copy is asynchronous (the clipboard's promise): wait for the label to change.
    expect(phone.get_by_role("button", name="已复制", exact=True)).to_be_visible()
    assert phone.evaluate("navigator.clipboard.readText()") == text
    expect(phone.locator(".share-image img")).to_have_js_property("naturalWidth", 1080)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    found = violations(phone)
    assert not found, describe(found, "the share page")
