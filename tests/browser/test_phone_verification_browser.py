"""On a phone, with an SMS gateway set up: "发送验证码" beside the number texts a code and
shows the same form again, every value kept and the code field focused; a wrong code is said
in the error summary; the right one registers. The page stays axe-clean and 390 px wide."""

from __future__ import annotations

import re

import pytest

from outreach.database import db
from outreach.registrations.models import Registration
from tests.browser.axe import axe_or_skip, describe, violations

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


def texted_code(gateway) -> str:
    return re.search(r"(?<!\d)(\d{6})(?!\d)", gateway.requests[-1]["json"]["text"]).group(1)


def no_sideways_scrolling(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= 390


def test_a_resident_gets_a_code_and_registers_with_it(live_server, phone, make, gateway):
    axe_or_skip()
    event = make.event("社区义诊", max_party_size=4)
    event_session = make.event_session(event, capacity=10)
    phone.goto(f"{live_server}/events/{event.id}")
    card = phone.locator(f"#session-{event_session.id}")
    card.locator("summary").click()
    form = card.locator("form")
    form.get_by_label("姓名", exact=True).fill("王秀英")
    form.get_by_label("手机号码", exact=True).fill("138 0013 8000")
    form.get_by_label("人数（含您本人）", exact=True).fill("2")
    form.get_by_label("我已阅读并同意上述隐私说明。").check()
    send = form.get_by_role("button", name="发送验证码", exact=True)
    assert send.bounding_box()["height"] >= 44
    with phone.expect_navigation():
        send.click()

    # The same form, open, every value kept, the code field focused, and where it went.
    assert [r["json"]["phone"] for r in gateway.requests] == ["+8613800138000"]
    form = phone.locator(f"#session-{event_session.id} form")
    assert form.get_by_text("验证码已发送至138****8000，10分钟内有效").is_visible()
    assert form.get_by_label("姓名", exact=True).input_value() == "王秀英"
    assert form.get_by_label("人数（含您本人）", exact=True).input_value() == "2"
    assert form.get_by_label("我已阅读并同意上述隐私说明。").is_checked()
    code_field = form.get_by_label("验证码", exact=True)
    focused = f"document.activeElement.name === {code_field.get_attribute('name')!r}"
    phone.wait_for_function(focused)
    assert code_field.get_attribute("autocomplete") == "one-time-code"
    assert no_sideways_scrolling(phone)
    found = violations(phone)
    assert not found, describe(found)

    # A wrong code: said in the summary, focused; nothing registered, nothing lost.
    code = texted_code(gateway)
    code_field.fill(f"{(int(code) + 1) % 1_000_000:06d}")
    with phone.expect_navigation():
        form.get_by_role("button", name="报名", exact=True).click()
    summary = phone.locator(f"#s{event_session.id}-error-summary")
    assert phone.evaluate("document.activeElement.id") == f"s{event_session.id}-error-summary"
    assert summary.get_by_role("link").all_inner_texts() == ["验证码不正确，还可以再试4次。"]
    assert db.session.scalar(db.select(db.func.count(Registration.id))) == 0
    assert no_sideways_scrolling(phone)
    found = violations(phone)
    assert not found, describe(found)

    # The right one, sent with Enter from the code field: registered.
    form = phone.locator(f"#session-{event_session.id} form")
    assert form.get_by_label("姓名", exact=True).input_value() == "王秀英"
    code_field = form.get_by_label("验证码", exact=True)
    code_field.fill(code)
    with phone.expect_navigation(url=re.compile(r"/r/[\w-]+\?new=1#outcome")):
        code_field.press("Enter")
    assert phone.locator("#outcome .outcome-title").inner_text() == "报名成功"
    db.session.expire_all()
    [made] = db.session.scalars(db.select(Registration)).all()
    assert made.phone == "+8613800138000" and made.party_size == 2
    assert len(gateway.requests) == 1  # the code only: the confirmation waits for `deliver`
