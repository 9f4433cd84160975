"""A resident registers a family for a screening slot from a phone, then cancels."""

from __future__ import annotations

import re

import pytest

from outreach.database import db
from outreach.registrations.models import Registration, RegistrationStatus
from outreach.registrations.services import CODE_ALPHABET, CODE_LENGTH
from tests.browser.residents_path import slot_choice

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

SPECIALTIES = ("中医科", "骨伤与骨关节", "脑卒中", "全科")


@pytest.fixture
def screening(make):
    """A free screening tomorrow: 20 seats in four specialty slots of five."""
    event = make.event("专家义诊进社区", summary="脑卒中、骨伤、中医、全科", max_party_size=4)
    event_session = make.event_session(event, make.venue(name="炫特社区服务站"), capacity=20)
    slots = {label: make.slot(event_session, label, capacity=5) for label in SPECIALTIES}
    return event_session, slots


def status_of(registration: Registration) -> RegistrationStatus:
    """The registration's status as the database holds it now."""
    db.session.expire_all()
    return db.session.get(Registration, registration.id).status


def test_resident_registers_a_family_sees_the_confirmation_and_cancels(
    live_server, phone, screening, make
):
    event_session, slots = screening
    phone.goto(f"{live_server}/events/{event_session.event_id}")
    card = phone.locator(f"#session-{event_session.id}")
    card.locator("summary").click()
    form = card.locator("form")

    # A mistyped number first: the error sits next to the field and nothing typed is lost.
    form.get_by_label("姓名", exact=True).fill("王秀英")
    form.get_by_label("手机号码", exact=True).fill("138 0013 800")
    form.get_by_label("人数（含您本人）", exact=True).fill("3")
    slot_choice(form, None, "中医科").check()
    form.get_by_label("我已阅读并同意上述隐私说明。").check()
    with phone.expect_navigation():
        form.get_by_role("button", name="报名", exact=True).click()
    mobile = form.get_by_label("手机号码", exact=True)
    errors = form.locator(f"#{mobile.get_attribute('id')}-errors")
    assert errors.inner_text() == "手机号应为11位数字、以1开头，请检查是否少填或多填。"
    assert mobile.get_attribute("aria-describedby") == errors.get_attribute("id")
    assert form.get_by_label("姓名", exact=True).input_value() == "王秀英"
    assert form.get_by_label("人数（含您本人）", exact=True).input_value() == "3"
    assert slot_choice(form, None, "中医科").is_checked()
    assert slot_choice(form, None, "中医科").get_attribute("value") == str(slots["中医科"].id)
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 0

    mobile.fill("138 0013 8000")
    form.get_by_label("我已阅读并同意上述隐私说明。").check()
    with phone.expect_navigation(url=re.compile(r"/r/[\w-]+\?new=1")):
        form.get_by_role("button", name="报名", exact=True).click()
    assert phone.get_by_text("报名成功", exact=True).is_visible()
    code = phone.locator(".code-text").inner_text()
    assert re.fullmatch(f"[{CODE_ALPHABET}]{{{CODE_LENGTH}}}", code)
    assert phone.locator("#code .qr svg").is_visible()
    ics = phone.get_by_role("link", name="添加到我的日历").get_attribute("href")
    assert ics.endswith(".ics")
    calendar = phone.request.get(live_server + ics)
    assert calendar.ok
    assert calendar.headers["content-type"].startswith("text/calendar")
    assert "BEGIN:VCALENDAR" in calendar.text()
    # Nothing overflows sideways on a phone, the QR code included.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390

    resident = db.session.scalar(db.select(Registration).where(Registration.code == code))
    assert (resident.phone, resident.party_size, resident.slot_id) == (
        "+8613800138000",
        3,
        slots["中医科"].id,
    )
    assert resident.status == RegistrationStatus.CONFIRMED

    # Later the 中医科 slot fills up and two families wait: four people, then three.
    make.registration(event_session, 2, slot_id=slots["中医科"].id)
    too_big = make.registration(event_session, 4, slot_id=slots["中医科"].id)
    fits = make.registration(event_session, 3, slot_id=slots["中医科"].id)
    assert status_of(too_big) == status_of(fits) == RegistrationStatus.WAITLISTED

    # Cancelling asks on a page of its own, never in a browser dialog; "no" keeps the place.
    asked = []
    phone.on("dialog", lambda dialog: asked.append(dialog.message) or dialog.dismiss())
    manage = phone.url.split("?")[0]
    with phone.expect_navigation():
        phone.get_by_role("link", name="取消报名").click()
    assert phone.get_by_role("heading", name="要取消这次报名吗？").is_visible()
    facts = phone.locator(".facts")
    assert facts.get_by_text("3人", exact=True).is_visible()
    assert facts.get_by_text("中医科").is_visible()
    yes = phone.get_by_role("button", name="是，取消报名")
    keep = phone.get_by_role("link", name="不取消，保留报名")
    for choice in (yes, keep):  # big, whole width, both on the first screen
        box = choice.bounding_box()
        assert box["height"] >= 48 and box["width"] >= 300 and box["y"] + box["height"] <= 844
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    with phone.expect_navigation():
        keep.click()
    assert phone.url.split("?")[0].split("#")[0] == manage.split("#")[0]
    assert status_of(resident) == RegistrationStatus.CONFIRMED
    with phone.expect_navigation():
        phone.get_by_role("link", name="取消报名").click()
    with phone.expect_navigation():
        phone.get_by_role("button", name="是，取消报名").click()
    assert asked == []
    assert phone.get_by_text("您的报名已取消。").is_visible()
    assert phone.locator("#outcome .outcome-title").inner_text() == "已取消"
    assert phone.locator(".code-text").count() == 0

    # The three seats freed go to the first family that fits; the family of four keeps its
    # place in line.
    assert status_of(resident) == RegistrationStatus.CANCELLED
    assert status_of(too_big) == RegistrationStatus.WAITLISTED
    assert status_of(fits) == RegistrationStatus.CONFIRMED
    phone.goto(f"{live_server}/r/{fits.manage_token}")
    assert phone.get_by_text("有名额空出，您已由候补转为正式报名。").is_visible()
