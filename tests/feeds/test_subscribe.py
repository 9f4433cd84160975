"""Subscribe boxes on the public pages and the resident's personal feed on the manage page,
and the https pages their QR codes open (never a bare webcal:// link: WeChat cannot open it)."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import quote

import pytest

from outreach.feeds import subscribe
from outreach.qr import qr_svg
from tests.web import post_form, untimed, unversioned

QR_TITLE = "QR code of the page to add this calendar"
# In the order the box gives them: what works in mainland China first, Outlook and Google last.
INSTRUCTIONS_EN = (
    "A session you registered for",
    "Text messages",
    "iPhone and iPad",
    "Other calendars that take a web address",
    "File › New Calendar Subscription",
    "Subscribe from web",
    "Google Calendar cannot be reached from mainland China.",
    "Add to Google Calendar",
    "Other calendars › + › From URL",
    "Google Calendar takes several hours, sometimes a day, to show changes",
)
# The explainer page of each page's feed: what its QR code opens.
EXPLAINERS = {
    "/townships/liu-li-tun": "/subscribe/township/liu-li-tun",
    "/communities/xuan-te": "/subscribe/community/xuan-te",
    "/organisations/centre": "/subscribe/organisation/centre",
    "/categories/health": "/subscribe/category/health",
    "/events/{event}": "/subscribe/organisation/centre?category=health",
}


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
    explainer = EXPLAINERS[page] + ("&" if "?" in EXPLAINERS[page] else "?") + "lang=en"
    assert str(qr_svg(f"http://localhost{explainer}", scale=4, title=QR_TITLE)) in text
    assert str(qr_svg(links["webcal"], scale=4, title=QR_TITLE)) not in text
    box = unescape(text[text.index('<section class="subscribe"') :])
    places = [box.index(instruction) for instruction in INSTRUCTIONS_EN]
    assert places == sorted(places)
    assert "ICSx" not in box  # not in Chinese app stores
    # Outlook and Google come folded, after the ways that work in mainland China.
    assert box.index("<details>") > box.index("Other calendars that take a web address")
    assert '<a href="#subscribe">Subscribe in my calendar</a>' in text or page.startswith("/events")


@pytest.mark.parametrize(("page", "feed", "heading"), PAGES, ids=[p[0] for p in PAGES])
def test_chinese_pages_subscribe_to_the_chinese_feed(
    client, subscribable_event, page, feed, heading
):
    text = text_of(client.get(page.format(event=subscribable_event["event"].id)))
    links = _links(text)
    assert links["url"] == f"http://localhost{feed}"  # Chinese is the feeds' default
    assert links["webcal"] == f"webcal://localhost{feed}"
    assert "<svg" in text and "ICSx⁵" not in text
    explainer = "http://localhost" + EXPLAINERS[page]
    assert str(qr_svg(explainer, scale=4, title="添加此日历的页面二维码")) in text


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
    for instruction in ("已报名的场次", "短信", "iPhone 和 iPad", "订阅到我的日历", "Outlook"):
        assert instruction in text
    assert "在中国大陆无法使用 Google 日历。" in text


def test_copy_button_is_shown_only_by_script_and_the_address_is_read_only(
    client, subscribable_event
):
    text = text_of(client.get("/communities/xuan-te?lang=en"))
    assert re.search(
        r'<button type="button" data-copy="subscribe-url"[^>]* hidden>Copy</button>', text
    )
    assert 'id="subscribe-url" type="url"' in text and "readonly" in text
    # The site's own script shows and runs the button; the page holds no inline script.
    assert '<script src="/static/js/site.js" defer>' in unversioned(text) and "<script>" not in text
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
    # Its own entry is the page's button and its message was told of already: the box
    # offers only the subscriptions.
    ways = re.findall(r"<h3>([^<]+)</h3>", text[text.index('id="my-calendar"') :])
    assert ways == ["iPhone and iPad", "Other calendars that take a web address"]
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


# The pages subscribe QR codes open


@pytest.mark.parametrize("page", list(EXPLAINERS), ids=list(EXPLAINERS))
def test_each_explainer_page_offers_the_feed_of_its_page(client, subscribable_event, page):
    explainer = EXPLAINERS[page]
    for lang, heading in (("en", "How to add this calendar"), ("zh", "怎样添加这个日历")):
        joiner = "&" if "?" in explainer else "?"
        response = client.get(f"{explainer}{joiner}lang={lang}")
        assert response.status_code == 200
        text = text_of(response)
        assert heading in text
        box_page = page.format(event=subscribable_event["event"].id) + f"?lang={lang}"
        own = _links(text_of(client.get(box_page)))
        links = _links(text)
        assert links == own  # the same feed, in the same language, as the page's own box
        assert links["webcal"].startswith("webcal://")
        # The page is what the code opens: it shows no code of its own.
        assert "<svg" not in text[text.index('<section class="subscribe"') :]


def test_explainer_pages_are_in_the_readers_language(client, subscribable_event):
    english = text_of(client.get("/subscribe/community/xuan-te?lang=en"))
    assert "Add “炫特社区 · Community events” to your calendar" in unescape(english)
    assert "Text messages" in english and "短信" not in english
    chinese = text_of(client.get("/subscribe/community/xuan-te?lang=zh"))
    assert "把“炫特社区 · 社区活动”加入日历" in unescape(chinese)
    assert "已报名的场次" in chinese and "Text messages" not in chinese


@pytest.mark.parametrize(
    "address",
    [
        "/subscribe/community/nowhere",
        "/subscribe/street/xuan-te",
        "/subscribe/organisation/centre?category=nothing",
        "/subscribe/me/not-a-token",
        "/subscribe/me/" + "A" * 32,
    ],
)
def test_unknown_explainer_pages_are_404(client, subscribable_event, address):
    assert client.get(address).status_code == 404


def test_an_explainer_page_with_contradicting_filters_is_refused(client, subscribable_event):
    assert client.get("/subscribe/community/xuan-te?community=other").status_code == 400


def test_manage_page_code_opens_the_private_page_of_the_personal_feed(
    client, subscribable_event, make
):
    registration = make.registration(subscribable_event["session"], language="en")
    text = text_of(client.get(f"/r/{registration.manage_token}?lang=en"))
    page = f"http://localhost/subscribe/me/{registration.feed_token}?lang=en"
    assert str(qr_svg(page, scale=4, title=QR_TITLE)) in text
    response = client.get(page)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "private, no-store"
    assert response.headers["X-Robots-Tag"] == "noindex"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert '<meta name="robots" content="noindex">' in text_of(response)
    links = _links(text_of(response))
    # The feed keeps the language the resident registered in.
    assert links["url"] == f"http://localhost/feeds/me/{registration.feed_token}.ics?lang=en"
    assert client.get(links["url"]).status_code == 200


def test_a_new_calendar_address_retires_the_old_explainer_page(client, subscribable_event, make):
    registration = make.registration(subscribable_event["session"])
    old = f"/subscribe/me/{registration.feed_token}"
    client.get(f"/r/{registration.manage_token}")
    post_form(client, f"/r/{registration.manage_token}/feed/reset")
    assert client.get(old).status_code == 404


def test_links_and_codes_use_the_configured_address_not_the_request_host(
    app, client, subscribable_event
):
    app.config["BASE_URL"] = "https://events.example.cn/"
    text = text_of(client.get("/communities/xuan-te", headers={"Host": "evil.example"}))
    links = _links(text)
    assert links["url"] == "https://events.example.cn/feeds/communities/xuan-te.ics"
    assert links["webcal"] == "webcal://events.example.cn/feeds/communities/xuan-te.ics"
    page = "https://events.example.cn/subscribe/community/xuan-te"
    assert str(qr_svg(page, scale=4, title="添加此日历的页面二维码")) in text
    assert "evil.example" not in text[text.index('<section class="subscribe"') :]


def test_subscribe_pages_and_feeds_carry_no_forged_host(app, client, make, subscribable_event):
    app.config["BASE_URL"] = "https://events.example.cn"
    event = subscribable_event["event"]
    registration = make.registration(subscribable_event["session"])
    addresses = [
        "/subscribe/community/xuan-te",
        "/subscribe/organisation/centre?category=health&lang=en",
        f"/events/{event.id}/calendar",
        f"/subscribe/me/{registration.feed_token}",
        "/feeds/all.ics",
        "/feeds/communities/xuan-te.ics?lang=en",
        f"/feeds/events/{event.id}.ics",
        f"/feeds/me/{registration.feed_token}.ics",
        f"/sessions/{subscribable_event['session'].id}.ics",
        f"/r/{registration.manage_token}.ics",
    ]
    for address in addresses:
        response = client.get(address, headers={"Host": "evil.example"})
        assert response.status_code == 200, address
        text = text_of(response)
        assert "events.example.cn" in text, address
        assert "evil.example" not in text, address


def test_a_pages_subscribe_qr_code_is_drawn_once_and_kept(client, subscribable_event, monkeypatch):
    """The same public address makes the same code: drawing it (most of an event page's time)
    happens once per address, not on every request."""
    import segno

    drawn = []
    make = segno.make
    monkeypatch.setattr(segno, "make", lambda *a, **k: drawn.append(a[0]) or make(*a, **k))
    url = f"/events/{subscribable_event['event'].id}"
    pages = [client.get(url).get_data(as_text=True) for _ in range(3)]
    assert "<svg" in pages[0] and untimed(pages[0]) == untimed(pages[2])
    assert len(drawn) <= 1  # the first request may find it kept from an earlier one


def test_a_personal_feeds_qr_code_is_never_kept(client, subscribable_event, make, monkeypatch):
    """A resident's own feed address is a secret: its code is drawn for each page, and no
    worker keeps it."""
    import segno

    registration = make.registration(subscribable_event["session"])
    drawn = []
    original = segno.make
    monkeypatch.setattr(segno, "make", lambda *a, **k: drawn.append(a[0]) or original(*a, **k))
    for _ in range(2):
        client.get(f"/r/{registration.manage_token}")
        client.get(f"/subscribe/me/{registration.feed_token}")
    personal = [content for content in drawn if registration.feed_token in content]
    assert len(personal) == 4
