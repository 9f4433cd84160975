"""axe-core (WCAG 2.1 A and AA) finds nothing on any page: public pages in both languages (and
every display mode), the registration form open and with errors, the resident's own page
confirmed and waitlisted, every staff page (also at 200% zoom); controls show where the
keyboard is, and the consent checkbox is large enough to see and tap.

The demo data supplies the real categories (and their colours), places and events; a small
event with one seat adds a confirmed (checked-in), a waitlisted and a cancelled registration
and a finished session, so the roster, the statistics and the outbox have rows. Each test
checks a group of pages in one browser context and reports every violation of the group at
once (rule, impact, selectors and axe's summary), so one run lists all there is to fix.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from outreach import demo
from outreach.colours import contrast_ratio
from outreach.database import db
from outreach.events.models import Category, Event
from outreach.localtime import local_today
from outreach.registrations import services as registration_services
from tests.browser.axe import axe_or_skip, count, describe, violations
from tests.browser.signin import sign_in

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

LOCALES = {"zh": "zh-CN", "en": "en-GB"}
# Display modes of the public pages, each the query that switches it on (remembered in a
# cookie, like the language): 长辈模式 is `?elder=1`, high contrast `?contrast=high`.
MODES = {
    "normal": {},
    "elder": {"elder": "1"},
    "contrast": {"contrast": "high"},
    "elder-contrast": {"elder": "1", "contrast": "high"},
}


@pytest.fixture
def scene(make):
    """The demo, plus a one-seat session with a confirmed (checked-in), a waitlisted and a
    cancelled registration; returns the ids and slugs the pages need."""
    axe_or_skip()
    demo.seed()
    db.session.commit()
    screening = db.session.scalar(select(Event).where(Event.title == "医师节专家义诊进社区"))
    with_slots = next(s for s in screening.sessions if s.slots)
    # The demo's orange category: the tag most likely to fail contrast.
    sport = db.session.scalar(select(Category).where(Category.slug == "culture-sports"))
    venue = with_slots.venue
    small = make.event(
        "太极拳体验课", category=sport, organisation=screening.organisation, summary="一个名额"
    )
    one_seat = make.event_session(small, venue, day=local_today() + timedelta(days=2), capacity=1)
    # A session that has finished: the event page still lists it, marked so.
    make.event_session(small, venue, day=local_today() - timedelta(days=3), capacity=10)
    admin = make.staff("root", is_admin=True)
    confirmed = make.registration(one_seat, email="wang@example.org")
    waitlisted = make.registration(one_seat, name="李大爷")
    cancelled = make.registration(one_seat, name="赵奶奶")
    registration_services.cancel(cancelled)
    registration_services.check_in(confirmed, actor=admin)
    db.session.commit()
    community = venue.community
    return {
        "event": screening.id,
        "session": with_slots.id,
        "small": small.id,
        "one_seat": one_seat.id,
        "confirmed": confirmed.manage_token,
        "waitlisted": waitlisted.manage_token,
        "cancelled": cancelled.manage_token,
        "community": community.slug,
        "community_id": community.id,
        "township": community.township.slug,
        "township_id": community.township.id,
        "venue_id": venue.id,
        "organisation": screening.organisation.slug,
        "category": sport.slug,
        "category_id": sport.id,
        "admin": admin.id,
    }


def new_page(browser, language: str, width: int = 390, height: int = 844):
    """A page in a fresh context that asks for `language` (phone-sized unless told)."""
    context = browser.new_context(
        viewport={"width": width, "height": height}, locale=LOCALES[language]
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    return page


def check(page, url: str, found: dict[str, list], expect_status: int = 200) -> None:
    """Load `url`, wait for its scripts, and keep what axe finds under the page's address."""
    response = page.goto(url)
    assert response.status == expect_status, (url, response.status)
    page.wait_for_load_state("load")
    record(page, found)


def record(page, found: dict[str, list], note: str = "") -> None:
    """Keep what axe finds on the page with every disclosure (filters, the registration form,
    the calendar help) open, since axe skips what is hidden."""
    page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    where = page.url.split("/", 3)[-1]
    result = violations(page)
    if result:
        found["/" + where + note] = result


def report(found: dict[str, list]) -> str:
    """All violations of a group of pages, page by page, with the totals."""
    rules = sum(len(result) for result in found.values())
    nodes = sum(count(result) for result in found.values())
    body = "\n".join(describe(result, where=f"{url}: ") for url, result in found.items())
    return f"{rules} violations ({nodes} elements) on {len(found)} pages\n{body}"


def with_mode(url: str, mode: str) -> str:
    """`url` with the query that switches on the display mode."""
    query = "&".join(f"{key}={value}" for key, value in MODES[mode].items())
    if not query:
        return url
    return url + ("&" if "?" in url else "?") + query


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("language", LOCALES)
def test_public_pages_have_no_accessibility_violations(live_server, browser, scene, language, mode):
    page = new_page(browser, language)
    found: dict[str, list] = {}
    try:
        urls = [
            "/",
            "/?page=2",
            "/?from=2099-01-01",  # nothing matches
            f"/townships/{scene['township']}",
            f"/communities/{scene['community']}",
            f"/organisations/{scene['organisation']}",
            f"/categories/{scene['category']}",
            f"/events/{scene['small']}",
            f"/events/{scene['event']}/calendar",
            f"/r/{scene['confirmed']}?new=1",
            f"/r/{scene['waitlisted']}",
            f"/r/{scene['confirmed']}/cancel",
            f"/r/{scene['waitlisted']}/cancel",
            f"/r/{scene['cancelled']}",
            f"/events/{scene['event']}/poster",
            f"/communities/{scene['community']}/poster",
        ]
        for url in urls:
            check(page, live_server + with_mode(url, mode), found)
        check(page, live_server + with_mode("/no-such-page", mode), found, expect_status=404)

        # The event page with the registration forms open (`check` opens them), then one
        # sent empty.
        check(page, live_server + with_mode(f"/events/{scene['event']}", mode), found)
        page.locator(f"#session-{scene['session']} form button[type=submit]").click()
        page.wait_for_load_state("load")
        assert page.locator(f"#session-{scene['session']} .errors").count() >= 1
        record(page, found)

        # Registering for real: the outcome page, then the event page that knows the booking.
        prefix = f"s{scene['session']}-"
        form = page.locator(f"#session-{scene['session']} form")
        form.locator(f"[name='{prefix}name']").fill("王秀英")
        form.locator(f"[name='{prefix}phone']").fill("13800138000")
        form.locator(f"input[type=radio][name='{prefix}slot']:not([disabled])").first.check()
        form.locator(f"[name='{prefix}consent']").check()
        form.locator("button[type=submit]").click()
        page.wait_for_url("**/r/**")
        record(page, found)
        check(page, live_server + with_mode(f"/events/{scene['event']}", mode), found)
        assert page.locator(f"#session-{scene['session']} .already").count() == 1
    finally:
        page.context.close()
    assert not found, report(found)


# Staff work on desktops; at 200% zoom a 1280×900 window shows 640×450 CSS pixels, where wide
# tables scroll.
DESKTOP = {"width": 1280, "height": 900}
ZOOMED = {"width": 640, "height": 450}


def test_staff_pages_have_no_accessibility_violations(live_server, browser, scene):
    page = new_page(browser, "zh", **DESKTOP)
    found: dict[str, list] = {}
    event, session = scene["event"], scene["session"]
    try:
        check(page, live_server + "/staff/login", found)
        page.get_by_label("用户名").fill("root")
        page.get_by_label("密码").fill("wrong")
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state("load")
        record(page, found)  # the sign-in form with its error
        sign_in(page, live_server, "root")
        organisation = scene["organisation"]
        # A change saved: the list with its flashed message, and an entry in the audit trail.
        page.goto(f"{live_server}/staff/categories/{scene['category_id']}/edit")
        page.get_by_role("button", name="保存").click()
        page.wait_for_url("**/staff/categories")
        record(page, found, note=" after saving")
        # Pages of tables and lists, checked at 200% zoom as well, where tables scroll.
        tables = [
            "/staff/",
            "/staff/events",
            f"/staff/events/{event}/sessions",
            f"/staff/events/{event}/sessions/{session}/slots",
            f"/staff/events/{event}/messages",
            f"/staff/sessions/{scene['one_seat']}/roster",
            f"/staff/sessions/{session}/roster",
            "/staff/categories",
            "/staff/places",
            "/staff/organisations",
            f"/staff/organisations/{organisation}",
            "/staff/users",
            f"/staff/users/{scene['admin']}",
            "/staff/audit",
            "/staff/outbox",
            "/staff/stats",
            f"/staff/stats/events/{scene['small']}",
            f"/staff/stats/events/{event}",
        ]
        forms = [
            "/staff/events/new",
            f"/staff/events/{event}/edit",
            f"/staff/events/{event}/sessions/{session}/edit",
            f"/staff/events/{event}/sessions/{session}/cancel",
            f"/staff/events/{event}/series",
            f"/staff/events/{event}/clone",
            f"/staff/events/{event}/cancel",
            f"/staff/events/{event}/delete",
            f"/staff/sessions/{scene['one_seat']}/roster",
            "/staff/import",
            "/staff/categories/new",
            f"/staff/categories/{scene['category_id']}/edit",
            "/staff/places/townships/new",
            f"/staff/places/townships/{scene['township_id']}/edit",
            f"/staff/places/communities/{scene['community_id']}/edit",
            f"/staff/places/venues/{scene['venue_id']}/edit",
            "/staff/organisations/new",
            f"/staff/organisations/{organisation}/edit",
            "/staff/users/new",
        ]
        for url in tables:
            check(page, live_server + url, found)
            page.set_viewport_size(ZOOMED)
            record(page, found, note=" at 200% zoom")
            page.set_viewport_size(DESKTOP)
        for url in forms:
            check(page, live_server + url, found)
        # The check-in desk's answers, in each of their colours (static/checkin.js).
        page.goto(f"{live_server}/staff/sessions/{scene['one_seat']}/roster")
        for tone in ("ok", "warn", "error"):
            page.evaluate(
                "(tone) => { document.getElementById('desk-card').className = 'desk-card ' + tone;"
                " document.getElementById('desk-undo').hidden = false;"
                " document.querySelector('#desk-card .desk-title').textContent = '已签到'; }",
                tone,
            )
            record(page, found, note=f" showing a {tone} answer")
        # A form sent empty shows its errors beside the fields.
        page.goto(live_server + "/staff/events/new")
        page.get_by_role("button", name="创建活动").click()
        page.wait_for_load_state("load")
        record(page, found)
    finally:
        page.context.close()
    assert not found, report(found)


# Where the keyboard is, as the page draws it: the focused element's outline, the colour
# behind the outline (the nearest ancestor with a background), and its size.
FOCUSED = """() => {
  const element = document.activeElement;
  const style = getComputedStyle(element);
  let behind = "rgb(255, 255, 255)";
  for (let parent = element.parentElement; parent; parent = parent.parentElement) {
    const colour = getComputedStyle(parent).backgroundColor;
    if (colour !== "transparent" && !colour.startsWith("rgba(0, 0, 0, 0")) {
      behind = colour;
      break;
    }
  }
  const box = element.getBoundingClientRect();
  return {
    what: element.tagName.toLowerCase() + " " + (element.name || element.textContent.trim()),
    name: element.name || "",
    type: element.type || "",
    style: style.outlineStyle,
    width: parseFloat(style.outlineWidth),
    colour: style.outlineColor,
    behind: behind,
    box: [box.width, box.height],
  };
}"""


def hex_colour(css: str) -> str:
    """#rrggbb of a computed `rgb(…)` or `rgba(…)` colour (its alpha ignored)."""
    red, green, blue = (int(float(part)) for part in css[css.index("(") + 1 : -1].split(",")[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


def tab_through(page, stops: int) -> list[dict]:
    """Press Tab `stops` times from where focus is (the top of a page just loaded); what was
    focused at each stop."""
    seen = []
    for _ in range(stops):
        page.keyboard.press("Tab")
        seen.append(page.evaluate(FOCUSED))
    return seen


def assert_focus_visible(focused: dict) -> None:
    """A solid outline at least 2 px wide, 3:1 against what lies behind it."""
    assert focused["style"] not in ("none", "hidden") and focused["width"] >= 2, focused
    ratio = contrast_ratio(hex_colour(focused["colour"]), hex_colour(focused["behind"]))
    assert ratio >= 3, (focused, ratio)


def test_keyboard_focus_is_visible_and_the_consent_box_is_large(live_server, browser, scene):
    page = new_page(browser, "zh")
    try:
        # A resident tabs through the event page down to a registration form's consent box.
        page.goto(f"{live_server}/events/{scene['event']}")
        page.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; })")
        seen = tab_through(page, 4)  # the skip link, the header's links, the crumbs
        assert seen[0]["what"].startswith("a ")
        for focused in seen:
            assert_focus_visible(focused)
        consent = page.locator(f"#session-{scene['session']} input[type=checkbox]")
        consent.focus()
        page.keyboard.press("Shift+Tab")
        page.keyboard.press("Tab")  # back onto it by keyboard, so :focus-visible applies
        focused = page.evaluate(FOCUSED)
        assert focused["type"] == "checkbox" and focused["name"].endswith("consent"), focused
        assert_focus_visible(focused)
        width, height = focused["box"]
        assert width >= 24 and height >= 24, focused["box"]
        page.keyboard.press("Space")
        assert consent.is_checked()
    finally:
        page.context.close()

    # Staff: the navigation, then the event form's fields, including its text areas.
    page = new_page(browser, "zh", **DESKTOP)
    try:
        sign_in(page, live_server, "root")
        page.goto(live_server + "/staff/events/new")
        seen = tab_through(page, 25)
        kinds = {focused["what"].split()[0] for focused in seen}
        assert {"a", "input", "textarea", "select"} <= kinds, kinds
        for focused in seen:
            assert_focus_visible(focused)
    finally:
        page.context.close()
