"""Issue 11's walk, end to end on a phone, as one resident: from the home page she chooses her
community, finds the screening, sees that a family of four cannot take the half-hour with two
places left, registers her family of three for another, reads 报名成功 at the top of the
screen, saves her own calendar entry, switches on 长辈模式, then presses Back and sends the
form again and is led to the booking she already has."""

from __future__ import annotations

import re
from datetime import time, timedelta
from pathlib import Path

import pytest
from icalendar import Calendar

from outreach.database import db
from outreach.localtime import local_today
from outreach.registrations.models import Registration, RegistrationStatus
from tests.browser.residents_path import choose_community, slot_choice
from tests.browser.test_display_browser import MEASURE, TARGETS
from tests.factories import local

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

SCREEN = {"width": 390, "height": 844}


@pytest.fixture
def screening(make):
    """In four days: the health centre's screening at 炫特社区服务站, 中医科 and 全科 in
    half-hour windows of 6 places; a family of four already holds 中医科 09:00. Other
    communities' sessions come first on the home page."""
    liulitun = make.township("六里屯街道", slug="liulitun")
    xuante = make.community(liulitun, "炫特社区", slug="xuante")
    chenguang = make.community(liulitun, "晨光社区", slug="chenguang")
    day = local_today() + timedelta(days=4)
    for number in range(8):
        make.event_session(
            make.event(f"晨光社区活动{number}"),
            make.venue(chenguang, f"晨光社区服务站{number}"),
            day=local_today() + timedelta(days=1 + number // 3),
            start=time(9 + number % 3),
        )
    event = make.event("专家义诊进社区", summary="脑卒中、骨科、中医、全科", max_party_size=4)
    event_session = make.event_session(
        event, make.venue(xuante, "炫特社区服务站"), day=day, start=time(9), hours=2, capacity=40
    )
    slots = make.half_hours(event_session)
    make.registration(event_session, 4, slot_id=slots["中医科", 0].id, phone="13900001111")
    return event_session, slots, day


def session_form(page, event_session):
    card = page.locator(f"#session-{event_session.id}")
    return card.locator("form").filter(has=page.get_by_label("姓名", exact=True))


def test_a_resident_registers_her_family_alone_on_a_phone(live_server, browser, screening):
    event_session, slots, day = screening
    context = browser.new_context(viewport=SCREEN, device_scale_factor=2, locale="zh-CN")
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # The home page: choose the community once.
        page.goto(live_server + "/")
        choose_community(page, "liulitun", "炫特社区")
        own = page.locator(".own-community")
        assert own.get_by_role("heading", name="您的社区：炫特社区").is_visible()

        # Her community's card leads straight to the session, its form open.
        with page.expect_navigation():
            own.locator(f'a[href$="#session-{event_session.id}"]').first.click()
        form = session_form(page, event_session)
        assert form.get_by_label("姓名", exact=True).is_visible()
        assert form.get_by_label("所在社区（选填）").input_value() == "xuante"

        # A family of four cannot take 中医科 09:00, which has two places left.
        tight = slot_choice(form, "中医科", "09:00")
        assert tight.get_attribute("value") == str(slots["中医科", 0].id)
        form.get_by_label("人数（含您本人）", exact=True).fill("4")
        assert tight.is_disabled()
        with pytest.raises(Exception, match="not enabled|disabled"):
            tight.check(timeout=1000)
        assert not tight.is_checked()
        assert "（剩2个）" in tight.locator("xpath=ancestor::label[1]").inner_text()

        # Three of them register for 全科 09:30.
        form.get_by_label("姓名", exact=True).fill("王秀英")
        form.get_by_label("手机号码", exact=True).fill("138 0013 8000")
        form.get_by_label("人数（含您本人）", exact=True).fill("3")
        chosen = slots["全科", 1]
        slot_choice(form, "全科", "09:30").check()
        assert slot_choice(form, "全科", "09:30").get_attribute("value") == str(chosen.id)
        form.get_by_label("我已阅读并同意上述隐私说明。").check()
        with page.expect_navigation(url=re.compile(r"/r/[\w-]+\?new=1#outcome")):
            form.get_by_role("button", name="报名", exact=True).click()

        title = page.locator("#outcome .outcome-title")
        assert title.inner_text() == "报名成功"
        box = title.bounding_box()
        assert box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SCREEN["height"]
        [mine] = db.session.scalars(
            db.select(Registration).where(Registration.phone == "+8613800138000")
        ).all()
        assert (mine.status, mine.party_size, mine.slot_id) == (
            RegistrationStatus.CONFIRMED,
            3,
            chosen.id,
        )

        # Her own calendar entry: the half-hour of her slot, the code and the manage link.
        with page.expect_download() as download:
            page.get_by_role("link", name="添加到我的日历", exact=True).click()
        assert download.value.suggested_filename == f"registration-{mine.code}.ics"
        [entry] = Calendar.from_ical(Path(download.value.path()).read_bytes()).walk("VEVENT")
        assert entry.decoded("DTSTART") == local(day, time(9, 30))
        assert entry.decoded("DTEND") == local(day, time(10, 0))
        description = str(entry["DESCRIPTION"])
        assert mine.code in description and f"/r/{mine.manage_token}" in description

        # 长辈模式 from the header: every control 60 px or more, text 22 px or more.
        with page.expect_navigation():
            page.get_by_role("link", name="长辈模式", exact=True).click()
        assert page.locator("html").get_attribute("class") == "elder"
        found = page.evaluate(MEASURE, [TARGETS])
        assert found["boxes"] and found["texts"]
        small = [b for b in found["boxes"] if min(b["width"], b["height"]) < 60]
        assert not small, small
        assert min(text["size"] for text in found["texts"]) >= 22
        # The mode stays on for the next page (a cookie), as the language does.
        page.goto(f"{live_server}/events/{event_session.event_id}")
        assert page.locator("html").get_attribute("class") == "elder"
        controls = page.evaluate(MEASURE, [TARGETS])["boxes"]
        assert controls and min(min(b["width"], b["height"]) for b in controls) >= 60

        # Back to the form she sent, and send it again: she is led to her booking.
        for _step in range(3):  # the event page again, the manage pages, the form she sent
            page.go_back()
        assert page.url.startswith(f"{live_server}/events/{event_session.event_id}")
        form = session_form(page, event_session)
        if not form.get_by_label("姓名", exact=True).is_visible():
            page.locator(f"#session-{event_session.id} summary").first.click()
        form.get_by_label("姓名", exact=True).fill("王秀英")
        form.get_by_label("手机号码", exact=True).fill("138 0013 8000")
        form.get_by_label("人数（含您本人）", exact=True).fill("3")
        slot_choice(form, "全科", "09:30").check()
        form.get_by_label("我已阅读并同意上述隐私说明。").check()
        with page.expect_navigation(url=re.compile(rf"/r/{mine.manage_token}\?again=1#outcome")):
            form.get_by_role("button", name="报名", exact=True).click()
        assert page.get_by_text("您已经报过名了", exact=True).is_visible()
        db.session.expire_all()
        count = db.session.scalar(
            db.select(db.func.count(Registration.id)).where(Registration.phone == "+8613800138000")
        )
        assert count == 1
    finally:
        context.close()
