"""Subscribe boxes on the public pages and the resident's personal feed on the manage page."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest

from outreach.feeds import subscribe
from outreach.registrations.qr import qr_svg
from tests.web import post_form

QR_TITLE = "QR code of the calendar subscription"
INSTRUCTIONS_EN = (
    "iPhone, iPad and Mac (Apple Calendar)",
    "File › New Calendar Subscription",
    "Add to Google Calendar",
    "Other calendars › + › From URL",
    "Google Calendar takes several hours, sometimes a day, to show changes",
    "Subscribe from web",
    "ICSx⁵ (or DAVx⁵)",
)


def text_of(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def subscribable_event(make):
    """A township with a community and venue, an organisation, a category and an event."""
    township = make.township("六里屯街道", slug="liu-li-tun")
    community = make.community(township, "炫特社区", slug="xuan-te")
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    health = make.category("健康义诊", slug="health", name_en="Health screening")
    event = make.event("三天义诊", organisation=centre, category=health)
    event_session = make.event_session(event, make.venue(community), capacity=20)
    return {"event": event, "session": event_session}


PAGES = [
    ("/townships/liu-li-tun", "/feeds/townships/liu-li-tun.ics", "Add 六里屯街道 to your calendar"),
    ("/communities/xuan-te", "/feeds/communities/xuan-te.ics", "Add 炫特社区 to your calendar"),
    (
        "/organisations/centre",
        "/feeds/organisations/centre.ics",
        "Add 六里屯社区卫生服务中心 to your calendar",
    ),
    ("/categories/health", "/feeds/categories/health.ics", "Add Health screening to your calendar"),
    (
        "/events/{event}",
        "/feeds/organisations/centre.ics?category=health",
        "Add all “Health screening” sessions of 六里屯社区卫生服务中心 to your calendar",
    ),
]


def _links(text: str) -> dict[str, str]:
    """The subscribe box's webcal button, copyable address and Google link."""
    box = text[text.index('<section class="subscribe"') :]
    return {
        "webcal": unescape(re.search(r'class="subscribe-button" href="([^"]+)"', box).group(1)),
        "url": unescape(re.search(r'type="url" value="([^"]+)" readonly', box).group(1)),
        "google": unescape(re.search(r'href="(https://calendar\.google\.com[^"]+)"', box).group(1)),
    }


@pytest.mark.parametrize(("page", "feed", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_each_page_offers_its_feed_in_english(client, subscribable_event, page, feed, heading):
    response = client.get(page.format(event=subscribable_event["event"].id) + "?lang=en")
    text = text_of(response)
    assert response.status_code == 200
    feed_en = feed + ("&" if "?" in feed else "?") + "lang=en"
    links = _links(text)
    assert links["url"] == f"http://localhost{feed_en}"
    assert links["webcal"] == f"webcal://localhost{feed_en}"
    assert links["google"] == (
        "https://calendar.google.com/calendar/r?cid="
        + quote(f"webcal://localhost{feed_en}", safe="")
    )
    assert unescape(heading) in unescape(text)
    assert str(qr_svg(links["webcal"], scale=4, title=QR_TITLE)) in text
    for instruction in INSTRUCTIONS_EN:
        assert instruction in text
    assert '<a href="#subscribe">Subscribe in my calendar</a>' in text or page.startswith("/events")


@pytest.mark.parametrize(("page", "feed", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_chinese_pages_subscribe_to_the_chinese_feed(
    client, subscribable_event, page, feed, heading
):
    text = text_of(client.get(page.format(event=subscribable_event["event"].id)))
    links = _links(text)
    assert links["url"] == f"http://localhost{feed}"  # Chinese is the feeds' default
    assert links["webcal"] == f"webcal://localhost{feed}"
    assert "<svg" in text and "ICSx⁵" in text


@pytest.mark.parametrize(("page", "feed", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_the_subscribe_links_answer_with_a_calendar(
    client, subscribable_event, page, feed, heading
):
    links = _links(
        text_of(client.get(page.format(event=subscribable_event["event"].id) + "?lang=en"))
    )
    response = client.get(links["url"])
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/calendar")
    assert subscribable_event["session"].uid in text_of(response)


def test_subscribe_instructions_in_chinese(client, subscribable_event):
    text = text_of(client.get("/communities/xuan-te"))
    for instruction in ("订阅到我的日历", "苹果日历", "Google 日历", "Outlook", "ICSx⁵"):
        assert instruction in text


def test_copy_button_is_shown_only_by_script_and_the_address_is_read_only(
    client, subscribable_event
):
    text = text_of(client.get("/communities/xuan-te?lang=en"))
    assert re.search(
        r'<button type="button" data-copy="subscribe-url"[^>]* hidden>Copy</button>', text
    )
    assert 'id="subscribe-url" type="url"' in text and "readonly" in text
    # The site's own script shows and runs the button; the page holds no inline script.
    assert '<script src="/static/js/site.js" defer>' in text and "<script>" not in text
    assert "navigator.clipboard" in client.get("/static/js/site.js").get_data(as_text=True)


def test_subscribe_helpers_build_webcal_and_google_links():
    assert subscribe.webcal("https://a.example/feeds/x.ics?lang=en") == (
        "webcal://a.example/feeds/x.ics?lang=en"
    )
    assert subscribe.webcal("http://a.example:8000/f.ics") == "webcal://a.example:8000/f.ics"
    assert subscribe.google_link("https://a.example/f.ics?category=a&lang=en") == (
        "https://calendar.google.com/calendar/r?cid="
        "webcal%3A%2F%2Fa.example%2Ff.ics%3Fcategory%3Da%26lang%3Den"
    )


# The personal feed on the manage page


def test_manage_page_offers_the_personal_feed(client, subscribable_event, make):
    registration = make.registration(subscribable_event["session"])
    text = text_of(client.get(f"/r/{registration.manage_token}?lang=en"))
    links = _links(text)
    feed = f"localhost/feeds/me/{registration.feed_token}.ics"
    assert links["url"] == f"http://{feed}"
    assert links["webcal"] == f"webcal://{feed}"
    assert links["google"].endswith(quote(f"webcal://{feed}", safe=""))
    assert "All my registrations in my calendar" in text
    assert f'action="/r/{registration.manage_token}/feed/reset"' in text
    assert re.search(r'name="csrf_token" value="[^"]+"', text)
    assert client.get(links["url"]).status_code == 200


def test_personal_feed_follows_the_language_of_the_registration(client, subscribable_event, make):
    registration = make.registration(subscribable_event["session"], language="en")
    text = text_of(client.get(f"/r/{registration.manage_token}"))
    assert f"/feeds/me/{registration.feed_token}.ics?lang=en" in text


def test_resetting_the_link_from_the_manage_page_revokes_the_old_feed(
    client, subscribable_event, make
):
    registration = make.registration(subscribable_event["session"])
    old = f"/feeds/me/{registration.feed_token}.ics"
    manage = f"/r/{registration.manage_token}"
    client.get(manage)  # the page a resident has open
    response = post_form(client, f"{manage}/feed/reset")
    assert response.status_code == 302 and response.headers["Location"].endswith(manage)
    assert client.get(old).status_code == 404
    text = text_of(client.get(manage + "?lang=en"))
    new = _links(text)["url"]
    assert new != f"http://localhost{old}"
    assert client.get(new).status_code == 200


def test_reset_without_the_form_token_is_refused(client, subscribable_event, make):
    registration = make.registration(subscribable_event["session"])
    response = client.post(f"/r/{registration.manage_token}/feed/reset")
    assert response.status_code == 400
    assert client.get(f"/feeds/me/{registration.feed_token}.ics").status_code == 200
