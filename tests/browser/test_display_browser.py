"""Elderly mode measured on a phone: text and tap-target sizes, line and paragraph spacing on
every public page in both modes; reflow at 320 CSS px and at 200 % text; the read-aloud
button with a recording stand-in for the browser's speech synthesis; staff pages at 200 % zoom.

The pages come from tests/public_pages.py: add a new public page there and every check here
visits it.
"""

from __future__ import annotations

import pytest

from tests.browser.signin import sign_in
from tests.public_pages import build_world

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

# What the national rules for older people's websites ask (互联网网站适老化通用设计规范), in
# CSS px: the smallest text and the smallest button or control, in each mode.
MODES = {
    "ordinary": {"text": 18, "target": 44},
    "elder": {"text": 22, "target": 60},
}
LINE_HEIGHT = 1.3  # line height at least 1.3 times the text size
# Paragraph spacing at least 1.3 times the line spacing: from the last line of a paragraph
# to the first line of the next, at least 1.3 line heights.
PARAGRAPH_PITCH = 1.3

# Everything a finger presses: buttons, inputs, selects, links drawn as buttons, the summary
# that unfolds a box, the header's switches, category tags, chips and pager links.
TARGETS = (
    "button, input:not([type=hidden]), select, textarea, a.button, .button, summary, "
    ".language a, a.tag, .chips a, .pager a, a.subscribe-button"
)

MEASURE = """
([targets]) => {
  const seen = (element) => {
    const box = element.getBoundingClientRect();
    const style = getComputedStyle(element);
    return box.width > 1 && box.height > 1 && style.visibility !== "hidden";
  };
  const describe = (element) => {
    const classes = String(element.className || "").trim().split(/\\s+/).filter(Boolean);
    const text = element.innerText || element.value || element.getAttribute("aria-label") || "";
    return [element.tagName.toLowerCase(), ...classes].join(".") + " «" +
      text.trim().slice(0, 30) + "»";
  };
  const texts = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    const unseen = parent.closest("script, style, option, .skip, .visually-hidden");
    if (!node.nodeValue.trim() || unseen) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (!range.getClientRects().length || !seen(parent)) continue;
    const style = getComputedStyle(parent);
    const size = parseFloat(style.fontSize);
    const line = style.lineHeight === "normal" ? NaN : parseFloat(style.lineHeight);
    texts.push({what: describe(parent), size, ratio: line / size});
  }
  const boxes = [];
  document.querySelectorAll(targets).forEach((element) => {
    if (!seen(element)) return;
    const box = element.getBoundingClientRect();
    boxes.push({what: describe(element), width: box.width, height: box.height});
  });
  const gaps = [];
  document.querySelectorAll("p").forEach((paragraph) => {
    const next = paragraph.nextElementSibling;
    if (!next || next.tagName !== "P" || !seen(paragraph) || !seen(next)) return;
    const line = parseFloat(getComputedStyle(paragraph).lineHeight);
    const gap = next.getBoundingClientRect().top - paragraph.getBoundingClientRect().bottom;
    gaps.push({what: describe(paragraph), pitch: (gap + line) / line});
  });
  return {texts, boxes, gaps};
}
"""

REFLOW = """
() => {
  const root = document.documentElement;
  const wide = [];
  const limit = root.clientWidth;
  const over = (element) => {
    const box = element.getBoundingClientRect();
    return box.width > 0 && box.right > limit + 0.5 && !element.closest(".skip, .visually-hidden");
  };
  // The innermost elements that stick out: those none of whose children do.
  document.querySelectorAll("body *").forEach((element) => {
    if (over(element) && !Array.prototype.some.call(element.children, over)) {
      const box = element.getBoundingClientRect();
      wide.push(element.tagName.toLowerCase() + "." + String(element.className) + " «" +
        (element.textContent || "").trim().slice(0, 20) + "» " + Math.round(box.width) + "px");
    }
  });
  return {scroll: root.scrollWidth, client: root.clientWidth, wide: wide.slice(0, 5)};
}
"""

DOUBLE_TEXT = """
() => {
  const root = document.documentElement;
  root.style.fontSize = 2 * parseFloat(getComputedStyle(root).fontSize) + "px";
  return parseFloat(getComputedStyle(root).fontSize);
}
"""

OPEN_FORMS = "() => document.querySelectorAll('details.register').forEach(d => d.open = true)"


@pytest.fixture
def world(make):
    return build_world(make)


def context_for(browser, live_server, *, width, height=844, mode="ordinary", locale="zh-CN"):
    """A browser context of that size, in that mode (by the cookie the switch sets)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, device_scale_factor=2, locale=locale
    )
    if mode == "elder":
        context.add_cookies([{"name": "elder", "value": "1", "url": live_server}])
    return context


def visit(page, live_server, public_page):
    response = page.goto(live_server + public_page.path)
    assert response.status == (404 if public_page.name == "not found" else 200)
    if public_page.open_forms:
        page.evaluate(OPEN_FORMS)
        assert page.locator("details.register[open] form").first.is_visible()
    if public_page.send_empty_form:
        with page.expect_navigation():
            page.locator("details.register form button[type=submit]").first.click()
        assert page.locator(".field.has-error").first.is_visible()


@pytest.mark.parametrize("mode", MODES)
def test_text_targets_and_spacing_meet_the_sizes_on_every_public_page(
    browser, live_server, world, mode
):
    limits = MODES[mode]
    context = context_for(browser, live_server, width=390, mode=mode)
    page = context.new_page()
    problems, smallest = [], {"text": 1e9, "target_w": 1e9, "target_h": 1e9, "ratio": 1e9}
    smallest["pitch"] = 1e9
    try:
        for public_page in world.pages.values():
            visit(page, live_server, public_page)
            expected = "elder" if mode == "elder" else None
            assert (page.locator("html").get_attribute("class") or None) == expected
            found = page.evaluate(MEASURE, [TARGETS])
            assert found["texts"] and found["gaps"] is not None
            for text in found["texts"]:
                smallest["text"] = min(smallest["text"], text["size"])
                smallest["ratio"] = min(smallest["ratio"], text["ratio"])
                if text["size"] < limits["text"]:
                    problems.append(f"{public_page.name}: text {text['size']}px {text['what']}")
                if not text["ratio"] >= LINE_HEIGHT - 1e-6:  # 1.3 itself, give or take rounding
                    problems.append(f"{public_page.name}: line {text['ratio']:.2f} {text['what']}")
            for box in found["boxes"]:
                smallest["target_w"] = min(smallest["target_w"], box["width"])
                smallest["target_h"] = min(smallest["target_h"], box["height"])
                if min(box["width"], box["height"]) < limits["target"]:
                    problems.append(
                        f"{public_page.name}: target {box['width']:.1f}x{box['height']:.1f} "
                        f"{box['what']}"
                    )
            for gap in found["gaps"]:
                smallest["pitch"] = min(smallest["pitch"], gap["pitch"])
                if gap["pitch"] < PARAGRAPH_PITCH:
                    problems.append(f"{public_page.name}: paragraphs {gap['pitch']:.2f} {gap}")
    finally:
        context.close()
    print(f"\n{mode}: smallest {smallest}")
    assert not problems, "\n".join(problems)
    assert smallest["text"] >= limits["text"] and smallest["target_h"] >= limits["target"]


@pytest.mark.parametrize("language", ["zh", "en"])
@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize(("width", "double_text"), [(320, False), (390, True)])
def test_every_public_page_reflows_without_sideways_scrolling(
    browser, live_server, world, mode, width, double_text, language
):
    context = context_for(browser, live_server, width=width, height=640, mode=mode)
    context.add_cookies([{"name": "lang", "value": language, "url": live_server}])
    page = context.new_page()
    overflowing = []
    try:
        for public_page in world.pages.values():
            visit(page, live_server, public_page)
            if double_text:
                root = page.evaluate(DOUBLE_TEXT)
                assert root == 2 * (22 if mode == "elder" else 18)
            found = page.evaluate(REFLOW)
            if found["scroll"] > found["client"] or found["wide"]:
                overflowing.append(f"{public_page.name}: {found}")
            if public_page.name == "confirmation":
                code = page.locator(".code-text").bounding_box()
                qr = page.locator("#code .qr svg").bounding_box()
                assert code["x"] + code["width"] <= width and qr["x"] + qr["width"] <= width
                assert 0 < qr["width"] <= width - 2 * 16
                # Label and value stack where the column is narrow.
                label = page.locator(".facts dt").first.bounding_box()
                value = page.locator(".facts dd").first.bounding_box()
                if width == 320 or double_text:
                    assert value["y"] >= label["y"] + label["height"] - 0.5
    finally:
        context.close()
    assert not overflowing, "\n".join(overflowing)


CONTRAST = """
() => {
  const channel = (value) => {
    value /= 255;
    return value <= 0.03928 ? value / 12.92 : ((value + 0.055) / 1.055) ** 2.4;
  };
  const rgba = (colour) => colour.match(/[\\d.]+/g).map(Number);
  const luminance = ([r, g, b]) => 0.2126 * channel(r) + 0.7152 * channel(g) + 0.0722 * channel(b);
  const background = (element) => {
    for (let at = element; at; at = at.parentElement) {
      const colour = rgba(getComputedStyle(at).backgroundColor);
      if (colour.length < 4 || colour[3] > 0) return colour;
    }
    return [255, 255, 255];
  };
  const found = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const parent = node.parentElement;
    if (!node.nodeValue.trim() || parent.closest("script, style, option, .skip")) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    if (!range.getClientRects().length) continue;
    const style = getComputedStyle(parent);
    const [light, dark] = [luminance(rgba(style.color)), luminance(background(parent))]
      .sort((a, b) => b - a);
    found.push({what: node.nodeValue.trim().slice(0, 20), ratio: (light + 0.05) / (dark + 0.05),
                opacity: Number(style.opacity)});
  }
  return found;
}
"""


@pytest.mark.parametrize("mode", MODES)
def test_high_contrast_puts_every_text_at_seven_to_one(browser, live_server, world, mode):
    context = context_for(browser, live_server, width=390, mode=mode)
    context.add_cookies([{"name": "contrast", "value": "high", "url": live_server}])
    page = context.new_page()
    weakest, problems = 21.0, []
    try:
        for public_page in world.pages.values():
            visit(page, live_server, public_page)
            assert "contrast" in page.locator("html").get_attribute("class").split()
            for text in page.evaluate(CONTRAST):
                weakest = min(weakest, text["ratio"])
                if text["ratio"] < 7 or text["opacity"] < 1:
                    problems.append(f"{public_page.name}: {text}")
    finally:
        context.close()
    print(f"\n{mode} high contrast: weakest text contrast {weakest:.1f}:1")
    assert not problems, "\n".join(problems)


def test_the_switch_turns_elder_mode_on_and_off_from_the_header(browser, live_server, world):
    context = context_for(browser, live_server, width=390)
    page = context.new_page()
    try:
        page.goto(live_server + world.pages["event"].path)
        body_size = "e => parseFloat(getComputedStyle(e).fontSize)"
        assert page.locator(".summary").evaluate(body_size) == 18 * 1.1
        page.get_by_role("link", name="长辈模式").click()
        page.wait_for_url("**elder=1")
        assert page.locator("html").get_attribute("class") == "elder"
        assert page.locator(".summary").evaluate(body_size) == pytest.approx(22 * 1.1)
        # Remembered on the next page, without the parameter.
        page.get_by_role("link", name="活动", exact=True).first.click()
        assert page.locator("html").get_attribute("class") == "elder"
        page.get_by_role("link", name="高对比度").click()
        assert page.locator("html").get_attribute("class") == "elder contrast"
        header = page.locator("header.site").evaluate("e => getComputedStyle(e).backgroundColor")
        assert header == "rgb(0, 0, 0)"
        page.get_by_role("link", name="退出长辈模式").click()
        assert page.locator("html").get_attribute("class") == "contrast"
    finally:
        context.close()


SPEECH_STUB = """
window.__spoken = [];
window.__cancelled = 0;
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: {
  speaking: false,
  cancel() { window.__cancelled += 1; },
  speak(utterance) {
    window.__spoken.push({text: utterance.text, lang: utterance.lang, rate: utterance.rate});
  },
  getVoices() { return []; },
}});
window.SpeechSynthesisUtterance = function (text) { this.text = text; };
"""

NO_SPEECH = """
Object.defineProperty(window, "speechSynthesis", {configurable: true, value: undefined});
"""


def spoken_after_pressing(page, label):
    page.get_by_role("button", name=label).click()
    return page.evaluate("window.__spoken")


def test_read_aloud_reads_the_event_in_the_pages_language(browser, live_server, world):
    context = context_for(browser, live_server, width=390)
    context.add_init_script(SPEECH_STUB)
    page = context.new_page()
    try:
        page.goto(live_server + world.pages["event"].path)
        button = page.get_by_role("button", name="朗读")
        assert button.is_visible()
        box = button.bounding_box()
        assert box["height"] >= 44 and box["width"] >= 44
        spoken = spoken_after_pressing(page, "朗读")
        text = " ".join(part["text"] for part in spoken)
        assert {part["lang"] for part in spoken} == {"zh-CN"}
        assert spoken[0]["text"] == world.event.title
        assert spoken[0]["rate"] == 0.9
        for expected in ("三甲医院专家免费义诊", "请携带身份证", "炫特嘉园社区党群服务中心"):
            assert expected in text
        # Controls, the folded form and the subscribe box are not read.
        for unread in ("停止朗读", "我已阅读并同意上述隐私说明", "订阅到我的日历", "复制"):
            assert unread not in text, unread
        # While it reads, the same button stops it.
        assert button.inner_text() == "停止朗读"
        page.get_by_role("button", name="停止朗读").click()
        assert page.get_by_role("button", name="朗读").is_visible()
        assert page.evaluate("window.__cancelled") == 2

        page.goto(live_server + world.pages["event"].path + "?lang=en")
        spoken = spoken_after_pressing(page, "Read aloud")
        # The event has no English title: the Chinese one is marked, and read, as Chinese.
        assert (spoken[0]["text"], spoken[0]["lang"]) == (world.event.title, "zh-CN")
        english = " ".join(part["text"] for part in spoken if part["lang"] == "en")
        assert "2 sessions" in english and "Who it is for" in english
    finally:
        context.close()


def test_read_aloud_reads_the_registration_and_spells_the_code(browser, live_server, world):
    context = context_for(browser, live_server, width=390)
    context.add_init_script(SPEECH_STUB)
    page = context.new_page()
    try:
        page.goto(live_server + world.pages["confirmation"].path)
        spoken = spoken_after_pressing(page, "朗读")
        text = " ".join(part["text"] for part in spoken)
        code = world.registration.code
        assert " ".join(code) in text
        for expected in (world.event.title, "中医科", "3", "张阿姨", "报名成功"):
            assert expected in text, expected
        for unread in (
            "停止朗读",
            "添加到我的日历",
            "订阅到我的日历",
            "修改人数（只能减少）",
        ):
            assert unread not in text, unread
        assert {part["lang"] for part in spoken} == {"zh-CN"}
    finally:
        context.close()


def test_read_aloud_stays_hidden_without_speech_synthesis(browser, live_server, world):
    context = context_for(browser, live_server, width=390)
    context.add_init_script(NO_SPEECH)
    page = context.new_page()
    try:
        for name in ("event", "manage"):
            page.goto(live_server + world.pages[name].path)
            page.wait_for_load_state("load")
            button = page.locator("button[data-read-aloud]")
            assert button.count() == 1
            assert button.is_hidden()
    finally:
        context.close()


def test_staff_pages_do_not_break_at_200_percent_zoom(browser, live_server, world, make):
    """200 % zoom in a 1280 px window lays pages out 640 CSS px wide at 2 device pixels each."""
    organiser = make.staff(organisation=world.event.organisation, role="manager")
    admin = make.staff(is_admin=True)
    context = browser.new_context(
        viewport={"width": 640, "height": 450}, device_scale_factor=2, locale="zh-CN"
    )
    page = context.new_page()
    event_id, session_id = world.event.id, world.event_session.id
    overflowing = []
    try:
        for user, paths in (
            (
                organiser,
                [
                    "/staff/",
                    "/staff/events",
                    f"/staff/events/{event_id}/edit",
                    f"/staff/events/{event_id}/sessions",
                    f"/staff/sessions/{session_id}/roster",
                ],
            ),
            (admin, ["/staff/places", "/staff/users", "/staff/stats"]),
        ):
            page.context.clear_cookies()
            sign_in(page, live_server, user)
            for path in paths:
                response = page.goto(live_server + path)
                assert response.status == 200, path
                found = page.evaluate(
                    "() => [document.documentElement.scrollWidth, "
                    "document.documentElement.clientWidth]"
                )
                if found[0] > found[1]:
                    overflowing.append(f"{path}: {found}")
    finally:
        context.close()
    assert not overflowing, "\n".join(overflowing)
