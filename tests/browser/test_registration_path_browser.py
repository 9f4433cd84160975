"""On a phone: the outcome at the top of the screen, errors summarised and focused, slots too
small for the party out of reach, and Back then submit again leading to the booking."""

from __future__ import annotations

import re

import pytest

from outreach.database import db
from outreach.registrations.models import Registration, RegistrationStatus
from tests.browser.residents_path import slot_choice

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

SCREEN_HEIGHT = 844  # the `phone` fixture's viewport


@pytest.fixture
def screening(make):
    """Tomorrow's screening: 中医科 and 全科 in two half-hour windows of 6 places each; a
    family of four already holds 中医科 09:00, which has 2 places left."""
    event = make.event("专家义诊进社区", max_party_size=4)
    venue = make.venue(make.community(name="炫特社区", slug="xuante"))
    event_session = make.event_session(event, venue, capacity=40)
    slots = make.half_hours(event_session)
    make.registration(event_session, 4, slot_id=slots["中医科", 0].id, phone="13900001111")
    return event_session, slots


def open_form(phone, live_server, event_session):
    """The session's card on the event page, its registration form opened."""
    phone.goto(f"{live_server}/events/{event_session.event_id}")
    card = phone.locator(f"#session-{event_session.id}")
    if card.locator("details.register").get_attribute("open") is None:
        card.locator("summary").click()
    return card.locator("form")


def fill(form, slot, *, party="3", mobile="138 0013 8000"):
    """Fill in the form; `slot` is (department, window start), e.g. ("全科", "09:00")."""
    form.get_by_label("姓名", exact=True).fill("王秀英")
    form.get_by_label("手机号码", exact=True).fill(mobile)
    form.get_by_label("人数（含您本人）", exact=True).fill(party)
    slot_choice(form, *slot).check()
    form.get_by_label("我已阅读并同意上述隐私说明。").check()


def in_first_screen(locator) -> bool:
    box = locator.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= SCREEN_HEIGHT


def test_a_family_of_three_sees_the_outcome_at_the_top_then_back_leads_to_it(
    live_server, phone, screening
):
    event_session, slots = screening
    form = open_form(phone, live_server, event_session)
    # The venue's community comes chosen.
    assert form.get_by_label("所在社区（选填）").input_value() == "xuante"
    fill(form, ("全科", "09:00"))
    with phone.expect_navigation(url=re.compile(r"/r/[\w-]+\?new=1#outcome")):
        form.get_by_role("button", name="报名", exact=True).click()
    title = phone.locator("#outcome .outcome-title")
    assert title.inner_text() == "报名成功"
    assert in_first_screen(title) and title.is_visible()
    assert phone.locator("#outcome").get_by_text("截图").is_visible()
    assert phone.locator(".code-text").count() == 1
    [mine] = db.session.scalars(
        db.select(Registration).where(Registration.phone == "+8613800138000")
    ).all()
    assert mine.status == RegistrationStatus.CONFIRMED and mine.party_size == 3

    # Back to the form, and the same registration sent again: led to the booking made.
    phone.go_back()
    card = phone.locator(f"#session-{event_session.id}")
    if card.locator("details.register").get_attribute("open") is None:
        card.locator("summary").click()
    form = card.locator("form")
    fill(form, ("全科", "09:00"))
    with phone.expect_navigation(url=re.compile(r"/r/[\w-]+\?again=1#outcome")):
        form.get_by_role("button", name="报名", exact=True).click()
    assert phone.get_by_text("您已经报过名了", exact=True).is_visible()
    assert in_first_screen(phone.locator("#outcome .outcome-title"))
    assert phone.url.split("?")[0].endswith(mine.manage_token)
    db.session.expire_all()
    count = db.session.scalar(
        db.select(db.func.count(Registration.id)).where(Registration.phone == "+8613800138000")
    )
    assert count == 1

    # And the event page says so above the form, with a way to the booking.
    phone.goto(f"{live_server}/events/{event_session.event_id}")
    note = phone.locator(f"#session-{event_session.id} .already")
    assert note.get_by_text("您已报名", exact=True).is_visible()
    with phone.expect_navigation(url=re.compile(r"/r/[\w-]+#outcome")):
        note.get_by_role("link", name="查看我的报名").click()


def test_a_failed_submit_focuses_the_error_summary_in_view(live_server, phone, screening):
    event_session, slots = screening
    form = open_form(phone, live_server, event_session)
    fill(form, ("全科", "09:30"), party="2", mobile="138 0013 800")
    form.get_by_label("我已阅读并同意上述隐私说明。").uncheck()
    with phone.expect_navigation():
        form.get_by_role("button", name="报名", exact=True).click()
    summary = phone.locator(f"#s{event_session.id}-error-summary")
    assert phone.evaluate("document.activeElement.id") == f"s{event_session.id}-error-summary"
    assert in_first_screen(summary.locator(".error-summary-title"))
    assert summary.get_by_role("link").all_inner_texts() == [
        "手机号应为11位数字、以1开头，请检查是否少填或多填。",
        "请勾选“我已阅读并同意上述隐私说明”。",
    ]
    # Nothing typed is lost.
    form = phone.locator(f"#session-{event_session.id} form")
    assert form.get_by_label("姓名", exact=True).input_value() == "王秀英"
    assert form.get_by_label("手机号码", exact=True).input_value() == "138 0013 800"
    assert form.get_by_label("人数（含您本人）", exact=True).input_value() == "2"
    chosen = slot_choice(form, "全科", "09:30")
    assert chosen.is_checked() and chosen.get_attribute("value") == str(slots["全科", 1].id)
    # A link of the summary takes the resident to the field.
    summary.get_by_role("link", name="请勾选“我已阅读并同意上述隐私说明”。").click()
    assert phone.evaluate("document.activeElement.id") == f"s{event_session.id}-consent"


def test_a_family_of_four_cannot_pick_a_slot_with_two_places_left(live_server, phone, screening):
    event_session, slots = screening
    form = open_form(phone, live_server, event_session)
    tight = slot_choice(form, "中医科", "09:00")
    label = tight.locator("xpath=ancestor::label[1]")
    assert " ".join(label.inner_text().split()) == "09:00–09:30（剩2个）"
    assert tight.get_attribute("value") == str(slots["中医科", 0].id)
    assert tight.is_enabled()
    tight.check()
    form.get_by_label("人数（含您本人）", exact=True).fill("4")
    assert tight.is_disabled()
    assert not tight.is_checked()  # the choice too small for four is undone
    assert form.get_by_role("radio", checked=True).count() == 0
    roomy = slot_choice(form, "中医科", "09:30")
    assert roomy.is_enabled()
    with pytest.raises(Exception, match="not enabled|disabled"):
        tight.check(timeout=1000)
    label.click(force=True)  # nor does tapping its words choose it
    assert not tight.is_checked()
    # Two fit again.
    form.get_by_label("人数（含您本人）", exact=True).fill("2")
    assert tight.is_enabled()


def test_back_after_a_corrected_error_reaches_the_event_page_without_posting_again(
    live_server, phone, screening
):
    event_session, slots = screening
    event_url = f"{live_server}/events/{event_session.event_id}"
    form = open_form(phone, live_server, event_session)
    fill(form, ("全科", "09:30"), party="2", mobile="138 0013 800")
    with phone.expect_navigation():
        form.get_by_role("button", name="报名", exact=True).click()
    # The page with the errors stands at the event's address, not at the form's POST target.
    assert phone.url == f"{event_url}#session-{event_session.id}"
    form = phone.locator(f"#session-{event_session.id} form")
    form.get_by_label("手机号码", exact=True).fill("138 0013 8000")
    with phone.expect_navigation(url=re.compile(r"/r/[\w-]+\?new=1#outcome")):
        form.get_by_role("button", name="报名", exact=True).click()
    requests = []
    phone.on("request", lambda request: requests.append((request.method, request.url)))
    phone.go_back()
    assert phone.url == f"{event_url}#session-{event_session.id}"
    assert phone.locator("h1").inner_text() == "专家义诊进社区"
    assert [method for method, _url in requests if method != "GET"] == []


# Each slot choice on the page: its box, whether its words fit inside it, its border and weight.
_CHOICES = """form => Array.from(form.querySelectorAll("label.slot-choice")).map(label => {
  const box = label.getBoundingClientRect();
  const style = getComputedStyle(label);
  return {
    text: label.innerText.replace(/\\s+/g, " ").trim(), height: box.height, right: box.right,
    fits: label.scrollWidth <= label.clientWidth, border: style.borderTopWidth,
    weight: style.fontWeight, checked: label.querySelector("input").checked,
  };
})"""


@pytest.mark.parametrize(
    ("width", "elder", "least"), [(390, False, 44), (320, False, 44), (320, True, 60)]
)
def test_every_slot_choice_shows_whole_as_a_big_target_on_a_phone(
    live_server, browser, screening, width, elder, least
):
    event_session, _slots = screening
    context = browser.new_context(viewport={"width": width, "height": 844}, locale="zh-CN")
    if elder:
        context.add_cookies([{"name": "elder", "value": "1", "url": live_server}])
    page = context.new_page()
    try:
        form = open_form(page, live_server, event_session)
        legend = form.locator("fieldset.slot-choices > legend")
        assert legend.inner_text() == "时段"
        assert form.get_by_role("group", name="中医科", exact=True).is_visible()
        # Tapping a choice's words (not its dot) chooses it.
        form.locator("label.slot-choice", has_text="09:30–10:00（剩6个）").first.click(
            position={"x": 120, "y": 10}
        )
        assert slot_choice(form, "中医科", "09:30").is_checked()
        choices = form.evaluate(_CHOICES)
        assert [c["text"] for c in choices] == [
            "09:00–09:30（剩2个）",
            "09:30–10:00（剩6个）",
            "09:00–09:30（剩6个）",
            "09:30–10:00（剩6个）",
        ]
        assert all(c["fits"] and c["right"] <= width for c in choices), choices
        assert min(c["height"] for c in choices) >= least, choices
        # The chosen one: its dot, and a thicker border and bold words, not colour alone.
        [chosen] = [c for c in choices if c["checked"]]
        others = [c for c in choices if not c["checked"]]
        assert chosen["border"] == "3px" and int(chosen["weight"]) >= 700
        assert {c["border"] for c in others} == {"1px"} and {c["weight"] for c in others} == {"400"}
        assert page.evaluate("document.documentElement.scrollWidth") <= width
    finally:
        context.close()
