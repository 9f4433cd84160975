"""A checker at the desk on a phone: five codes typed in a row, each answer read without
scrolling; two of a family of three, one of them taken back; a code of tomorrow's session
that needs a second tap. In Chinese, as the desk works, and axe-core clean."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from outreach.database import db, utcnow
from outreach.registrations.models import Registration
from tests.browser.axe import axe_or_skip, describe, violations
from tests.browser.signin import sign_in

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

PHONE = {"width": 390, "height": 844}
TABLET = {"width": 820, "height": 1180}
# Screenshots for a person to look at, when asked for.
SHOTS = os.environ.get("OUTREACH_SCREENSHOTS")

# The card's box and whether the page scrolls sideways, as the checker's screen shows them.
IN_VIEW = """() => {
  const box = document.getElementById("desk-card").getBoundingClientRect();
  return {top: box.top, bottom: box.bottom, height: innerHeight,
          sideways: document.documentElement.scrollWidth > innerWidth,
          focus: document.activeElement.name || ""};
}"""


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"))


def start_now(event_session) -> None:
    """Move a session (booked while it was ahead) to begin now: today is its day."""
    length = event_session.ends_at - event_session.starts_at
    event_session.starts_at = utcnow().replace(microsecond=0)
    event_session.ends_at = event_session.starts_at + length


@pytest.fixture
def desk_day(make):
    """Today's session with five residents and a family of three; a session tomorrow with
    one resident; the organisation's checker."""
    centre = make.organisation(slug="centre")
    event = make.event(organisation=centre)
    today = make.event_session(event, capacity=20)
    slot = make.half_hours(today, labels=("测血压",), windows=1, capacity=20)["测血压", 0]
    names = ["王秀英", "李建国", "张桂兰", "刘德华", "陈玉梅"]
    residents = [make.registration(today, 1, name=n, slot_id=slot.id) for n in names]
    family = make.registration(today, 3, name="赵大爷", slot_id=slot.id)
    tomorrow = make.event_session(event, capacity=5)
    early = make.registration(tomorrow, 1, name="孙阿姨")
    start_now(today)
    checker = make.staff("checker", organisation=centre, role="checker")
    db.session.commit()
    return today, residents, family, tomorrow, early, checker


def arrived(registration) -> int:
    db.session.expire_all()
    return db.session.get(Registration, registration.id).arrived


def type_code(page, code: str, people: str = "") -> None:
    page.get_by_label("报名码", exact=True).fill(code)
    page.get_by_label("本次到场人数").fill(people)
    page.get_by_label("报名码", exact=True).press("Enter")


def test_five_codes_in_a_row_each_answer_in_view_then_a_family_in_parts_and_tomorrow(
    live_server, browser, desk_day
):
    axe_or_skip()
    today, residents, family, tomorrow, early, checker = desk_day
    context = browser.new_context(viewport=PHONE, device_scale_factor=2, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, checker)
    desk = f"{live_server}/staff/sessions/{today.id}/roster"
    page.goto(desk)
    card = page.locator("#desk-card")
    assert page.evaluate(IN_VIEW)["focus"] == "code"  # ready for the first code
    found = violations(page)
    assert not found, describe(found)

    for number, resident in enumerate(residents, start=1):
        type_code(page, resident.code.lower())
        page.wait_for_function(
            "(n) => document.querySelectorAll('#desk-card.ok').length"
            " && document.querySelector('#desk-card .desk-message').textContent.includes(n)",
            arg=resident.name[0] + "***",
        )
        if number == 1:
            shot(page, "desk-phone-first-code")
        view = page.evaluate(IN_VIEW)
        assert view["top"] >= 0 and view["bottom"] <= view["height"], (number, view)
        assert not view["sideways"] and view["focus"] == "code"
        assert page.get_by_label("报名码", exact=True).input_value() == ""
        assert "签到成功" in card.inner_text() and "测血压 09:00–09:30" in card.inner_text()
        assert page.url == desk  # answered in place: the page never reloaded
    assert all(arrived(r) == 1 for r in residents)
    found = violations(page)
    assert not found, describe(found)

    # Two of the family of three now; one of them was a mistake and is taken back.
    type_code(page, family.code, "2")
    page.wait_for_function(
        "() => document.querySelector('#desk-card .desk-facts').textContent.includes('2/3人')"
    )
    assert "已签到2人（共3人）" in card.inner_text()
    assert arrived(family) == 2
    shot(page, "desk-phone-two-of-three")
    undo = page.locator("#desk-undo")
    assert undo.is_visible()
    undo.get_by_label("撤销人数").fill("1")
    undo.get_by_role("button", name="撤销签到").click()
    page.wait_for_function(
        "() => document.querySelector('#desk-card .desk-title').textContent.includes('已撤销签到')"
    )
    assert "1/3人" in card.inner_text() and arrived(family) == 1
    view = page.evaluate(IN_VIEW)
    assert view["bottom"] <= view["height"] and not view["sideways"]
    found = violations(page)
    assert not found, describe(found)

    # A code of tomorrow's session: a warning, and only a second tap checks in.
    page.goto(f"{live_server}/staff/sessions/{tomorrow.id}/roster")
    type_code(page, early.code)
    page.wait_for_selector("#desk-card.warn")
    assert "不是今天" in card.inner_text() and arrived(early) == 0
    shot(page, "desk-phone-wrong-day")
    found = violations(page)
    assert not found, describe(found)
    page.get_by_role("button", name="仍然签到").click()
    page.wait_for_selector("#desk-card.ok")
    assert arrived(early) == 1 and page.locator("#desk-confirm").is_hidden()

    # A tablet turned upright: the code and the card side by side, no sideways scroll.
    page.set_viewport_size(TABLET)
    page.goto(desk)
    type_code(page, residents[0].code)
    page.wait_for_selector("#desk-card.warn")  # already checked in
    view = page.evaluate(IN_VIEW)
    assert not view["sideways"] and view["bottom"] <= view["height"]
    shot(page, "desk-tablet-already")
    context.close()


def test_without_javascript_the_desk_answers_on_the_page_it_comes_back_to(
    live_server, browser, desk_day
):
    today, residents, _family, _tomorrow, _early, checker = desk_day
    context = browser.new_context(viewport=PHONE, locale="zh-CN", java_script_enabled=False)
    page = context.new_page()
    page.set_default_timeout(10_000)
    sign_in(page, live_server, checker)
    page.goto(f"{live_server}/staff/sessions/{today.id}/roster")
    page.get_by_label("报名码", exact=True).fill(residents[0].code)
    with page.expect_navigation():
        page.locator("#check-in button[type=submit]").click()
    view = page.evaluate(IN_VIEW)
    assert "签到成功" in page.locator("#desk-card").inner_text()
    assert view["bottom"] <= view["height"] and not view["sideways"]
    assert arrived(residents[0]) == 1
    context.close()
