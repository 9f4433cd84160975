"""On a phone: a resident saves their own registration to the calendar from the manage page,
and a subscribe QR code's page explains the choices that work in mainland China."""

from __future__ import annotations

from datetime import time
from pathlib import Path

import pytest
from icalendar import Calendar

from tests.factories import local
from tests.feeds.support import FAR

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


@pytest.fixture
def booked(make):
    """A family of three in the 09:30 half-hour of a morning screening."""
    township = make.township("六里屯街道", slug="liulitun")
    community = make.community(township, "炫特社区", slug="xuante")
    event = make.event("专家义诊进社区", summary="请带医保卡。", description="抽血前请空腹。")
    event_session = make.event_session(
        event, make.venue(community, "炫特社区服务站"), day=FAR, start=time(8), hours=4
    )
    slot = make.slot(
        event_session,
        "中医科",
        starts_at=local(FAR, time(9, 30)),
        ends_at=local(FAR, time(10, 0)),
    )
    return make.registration(event_session, 3, slot_id=slot.id)


def test_resident_downloads_their_own_calendar_entry_from_the_manage_page(
    live_server, phone, booked
):
    phone.goto(f"{live_server}/r/{booked.manage_token}")
    button = phone.get_by_role("link", name="添加到我的日历", exact=True)
    assert button.get_attribute("href") == f"/r/{booked.manage_token}.ics"
    with phone.expect_download() as download_info:
        button.click()
    download = download_info.value
    assert download.suggested_filename == f"registration-{booked.code}.ics"
    [entry] = Calendar.from_ical(Path(download.path()).read_bytes()).walk("VEVENT")
    assert entry.decoded("DTSTART") == local(FAR, time(9, 30))
    assert entry.decoded("DTEND") == local(FAR, time(10, 0))
    assert "中医科" in str(entry["SUMMARY"])
    description = str(entry["DESCRIPTION"])
    assert f"报名码：{booked.code}" in description
    assert f"/r/{booked.manage_token}" in description
    assert str(entry["UID"]) == booked.event_session.uid


def test_the_page_a_subscribe_code_opens_fits_a_phone_and_leads_with_china(
    live_server, phone, booked
):
    phone.goto(f"{live_server}/subscribe/community/xuante")
    assert phone.get_by_role("heading", level=1).inner_text() == "把“炫特社区 · 社区活动”加入日历"
    ways = phone.locator(".subscribe-ways h3").all_inner_texts()
    assert ways == ["已报名的场次", "短信", "iPhone 和 iPad", "能按网址订阅的其他日历"]
    subscribe = phone.get_by_role("link", name="订阅到我的日历", exact=True)
    feed = live_server.removeprefix("http://") + "/feeds/communities/xuante.ics"
    assert subscribe.get_attribute("href") == f"webcal://{feed}"
    assert subscribe.is_visible()
    address = phone.get_by_label("日历地址（复制到日历应用中）")
    assert address.input_value() == f"{live_server}/feeds/communities/xuante.ics"
    # The site's script shows the copy button; Outlook and Google stay folded.
    assert phone.get_by_role("button", name="复制", exact=True).is_visible()
    assert not phone.get_by_text("在中国大陆无法使用 Google 日历。").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
