"""Elderly mode (长辈模式) and high contrast: switched by ?elder= and ?contrast= or the header's
links on every public page, kept in cookies; the read-aloud button; the web app manifest and
the icons a phone puts on its home screen."""

from __future__ import annotations

import json
import re
import struct

import pytest

from tests import web
from tests.public_pages import PAGES, build_world


def html_classes(response) -> set[str]:
    """The classes of the page's <html> element."""
    tag = re.search(r"<html[^>]*>", response.get_data(as_text=True)).group(0)
    found = re.search(r'class="([^"]*)"', tag)
    return set(found.group(1).split()) if found else set()


SWITCH = re.compile(r'<a class="mode-switch[^"]*" href="([^"]*)">([^<]+)</a>')


def switch_links(response) -> dict[str, str]:
    """The header's display links: text → href."""
    text = response.get_data(as_text=True)
    return {label: href.replace("&amp;", "&") for href, label in SWITCH.findall(text)}


def cookie_header(response, name: str) -> str | None:
    """The Set-Cookie header that sets or clears `name`, if any."""
    for header in response.headers.getlist("Set-Cookie"):
        if header.startswith(name + "="):
            return header
    return None


def test_pages_start_in_the_ordinary_mode_with_a_labelled_switch(client):
    response = client.get("/")
    assert html_classes(response) == set()
    assert switch_links(response) == {"长辈模式": "/?elder=1", "高对比度": "/?contrast=high"}
    english = client.get("/?lang=en")
    assert switch_links(english) == {
        "Large text mode": "/?lang=en&elder=1",
        "High contrast": "/?lang=en&contrast=high",
    }


def test_elder_parameter_switches_on_and_is_remembered_in_a_cookie(client):
    response = client.get("/?elder=1")
    assert html_classes(response) == {"elder"}
    cookie = cookie_header(response, "elder")
    assert cookie.startswith("elder=1;") and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert "Max-Age=31536000" in cookie
    later = client.get("/")
    assert html_classes(later) == {"elder"}
    assert cookie_header(later, "elder") is None  # already remembered
    assert switch_links(later)["退出长辈模式"] == "/?elder=0"


def test_elder_zero_switches_off_and_forgets(client):
    client.get("/?elder=1")
    response = client.get("/?elder=0")
    assert html_classes(response) == set()
    assert "Max-Age=0" in cookie_header(response, "elder")  # the cookie is cleared
    assert html_classes(client.get("/")) == set()
    assert "长辈模式" in switch_links(client.get("/"))


def test_high_contrast_is_a_switch_of_its_own(client):
    client.get("/?elder=1")
    response = client.get("/?contrast=high")
    assert html_classes(response) == {"elder", "contrast"}
    assert cookie_header(response, "contrast").startswith("contrast=high;")
    assert switch_links(response) == {
        "退出长辈模式": "/?contrast=high&elder=0",
        "标准对比度": "/?contrast=normal",
    }
    assert html_classes(client.get("/?elder=0")) == {"contrast"}
    assert html_classes(client.get("/?contrast=normal")) == set()
    assert html_classes(client.get("/")) == set()


@pytest.mark.parametrize("value", ["yes", "2", "", "on", "<script>"])
def test_other_values_change_nothing(client, value):
    response = client.get("/", query_string={"elder": value, "contrast": value})
    assert response.status_code == 200
    assert html_classes(response) == set()
    assert cookie_header(response, "elder") is None
    assert cookie_header(response, "contrast") is None


def test_a_cookie_with_another_value_is_ignored(client):
    client.set_cookie("elder", "banana")
    assert html_classes(client.get("/")) == set()


def test_the_switch_keeps_the_page_and_its_other_parameters(client, make):
    world = build_world(make)
    category = world.event.category.slug
    links = switch_links(client.get(f"/?category={category}&page=1"))
    assert links["长辈模式"] == f"/?category={category}&page=1&elder=1"
    event_links = switch_links(client.get(f"/events/{world.event.id}"))
    assert event_links["长辈模式"] == f"/events/{world.event.id}?elder=1"


def test_a_form_shown_again_with_errors_keeps_the_switch_on_its_page(client, make):
    world = build_world(make)
    event_path = f"/events/{world.event.id}"
    response = client.post(
        f"/sessions/{world.event_session.id}/register",
        data=web.registration_form(world.event_session, client, phone="123"),
        headers={"Referer": "http://localhost" + event_path},
    )
    assert response.status_code in (200, 422)
    assert switch_links(response)["长辈模式"] == f"{event_path}?elder=1"


@pytest.mark.parametrize("name", PAGES)
@pytest.mark.parametrize("language", ["zh", "en"])
def test_every_public_page_has_the_switch_and_follows_the_cookie(client, make, name, language):
    page = build_world(make).pages[name]
    client.set_cookie("lang", language)
    ordinary = client.get(page.path)
    assert ordinary.status_code == (404 if name == "not found" else 200)
    label = "长辈模式" if language == "zh" else "Large text mode"
    assert label in switch_links(ordinary)
    client.set_cookie("elder", "1")
    client.set_cookie("contrast", "high")
    assert html_classes(client.get(page.path)) == {"elder", "contrast"}


def test_feeds_and_the_api_set_no_display_cookie(client, make):
    world = build_world(make)
    for path in ("/feeds/all.ics?elder=1", f"/api/v1/events/{world.event.id}?elder=1"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert cookie_header(response, "elder") is None, path


def test_staff_pages_keep_the_ordinary_layout_and_show_no_switch(client, make):
    client.set_cookie("elder", "1")
    client.set_cookie("contrast", "high")
    login_page = client.get("/staff/login")
    assert html_classes(login_page) == set()
    assert switch_links(login_page) == {}
    web.login(client, make.staff(is_admin=True))
    dashboard = client.get("/staff/")
    assert dashboard.status_code == 200
    assert html_classes(dashboard) == set() and switch_links(dashboard) == {}
    # The cookie is still there for the public pages.
    assert html_classes(client.get("/")) == {"elder", "contrast"}


@pytest.mark.parametrize("name", ["event", "confirmation", "manage", "waitlisted manage"])
def test_event_and_registration_pages_offer_reading_aloud(client, make, name):
    page = build_world(make).pages[name]
    text = client.get(page.path).get_data(as_text=True)
    button = re.search(r"<button[^>]*data-read-aloud=[^>]*>([^<]*)</button>", text)
    assert button, "no read-aloud button"
    assert button.group(1) == "朗读"
    assert 'data-read-aloud="main"' in button.group(0)
    assert " hidden" in button.group(0)  # shown by speak.js where the browser can speak
    assert 'data-stop-label="停止朗读"' in button.group(0)
    assert "js/speak.js" in text
    english = client.get(page.path + ("&" if "?" in page.path else "?") + "lang=en")
    assert ">Read aloud</button>" in english.get_data(as_text=True)


def test_listings_have_no_read_aloud_button(client, make):
    world = build_world(make)
    assert "data-read-aloud" not in client.get(world.pages["home"].path).get_data(as_text=True)


# The web app manifest and the icons


def png_size(data: bytes) -> tuple[int, int]:
    """A PNG's width and height, from its header."""
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


def test_pages_link_the_icons_and_the_manifest_in_their_language(client):
    text = web.unversioned(client.get("/").get_data(as_text=True))
    assert '<link rel="manifest" href="/manifest.webmanifest?lang=zh">' in text
    assert '<link rel="icon" href="/static/icons/icon.svg" type="image/svg+xml">' in text
    assert '<link rel="icon" href="/static/icons/favicon.ico" sizes="32x32">' in text
    assert '<link rel="apple-touch-icon" href="/static/icons/apple-touch-icon.png">' in text
    assert '<meta name="theme-color" content="#1e5b2f">' in text
    english = client.get("/?lang=en").get_data(as_text=True)
    assert '<link rel="manifest" href="/manifest.webmanifest?lang=en">' in english


@pytest.mark.parametrize(
    ("language", "name", "short_name", "lang", "start_url"),
    [
        ("zh", "社区活动", "社区活动", "zh-CN", "/?lang=zh"),
        ("en", "Community Outreach", "Outreach", "en", "/?lang=en"),
    ],
)
def test_the_manifest_is_translated(client, language, name, short_name, lang, start_url):
    response = client.get(f"/manifest.webmanifest?lang={language}")
    assert response.status_code == 200
    assert response.mimetype == "application/manifest+json"
    assert "max-age=" in response.headers["Cache-Control"]
    manifest = json.loads(response.get_data(as_text=True))
    assert (manifest["name"], manifest["short_name"], manifest["lang"]) == (name, short_name, lang)
    assert len(manifest["short_name"]) <= 12  # what a home screen shows under the icon
    assert manifest["start_url"] == start_url
    assert manifest["scope"] == "/"
    assert manifest["display"] == "standalone"
    assert manifest["theme_color"] == "#1e5b2f"
    assert manifest["background_color"] == "#ffffff"
    assert manifest["description"]


def test_a_community_page_offers_a_home_screen_icon_that_opens_it(client, make):
    """Added to the home screen from a community's page, the icon opens that page."""
    make.community(name="炫特社区", slug="xuante", name_en="Xuante")
    text = client.get("/communities/xuante").get_data(as_text=True)
    link = '<link rel="manifest" href="/manifest.webmanifest?lang=zh&amp;community=xuante">'
    assert link in text
    manifest = json.loads(client.get("/manifest.webmanifest?lang=zh&community=xuante").text)
    assert manifest["start_url"] == manifest["id"] == "/communities/xuante?lang=zh"
    assert (manifest["short_name"], manifest["name"]) == ("炫特社区", "炫特社区：近期活动")
    english = json.loads(client.get("/manifest.webmanifest?lang=en&community=xuante").text)
    assert (english["short_name"], english["name"]) == ("Xuante", "Xuante: what's on")
    # An unknown community gives the site's own manifest, never an error.
    for odd in ("gone", "x" * 500, "%E7%82%AB"):
        answer = client.get(f"/manifest.webmanifest?lang=zh&community={odd}")
        assert answer.status_code == 200 and json.loads(answer.text)["start_url"] == "/?lang=zh"


def test_the_manifest_follows_the_browser_language_without_a_parameter(client):
    response = client.get("/manifest.webmanifest", headers={"Accept-Language": "en-GB"})
    assert json.loads(response.get_data(as_text=True))["name"] == "Community Outreach"
    assert "Accept-Language" in response.headers["Vary"]


def test_every_icon_the_manifest_names_is_served_at_its_size(client):
    manifest = json.loads(client.get("/manifest.webmanifest").get_data(as_text=True))
    sizes = {}
    for icon in manifest["icons"]:
        response = client.get(icon["src"])
        assert response.status_code == 200, icon["src"]
        assert response.mimetype == icon["type"], icon["src"]
        if icon["type"] == "image/png":
            width, height = png_size(response.get_data())
            assert icon["sizes"] == f"{width}x{height}"
            sizes.setdefault(icon["purpose"], set()).add(width)
        else:
            assert response.get_data(as_text=True).startswith("<svg")
        response.close()
    assert sizes == {"any": {192, 512}, "maskable": {512}}


def test_the_apple_touch_icon_is_180_pixels(client):
    response = client.get("/static/icons/apple-touch-icon.png")
    assert png_size(response.get_data()) == (180, 180)
    response.close()


@pytest.mark.parametrize("path", ["/favicon.ico", "/static/icons/favicon.ico"])
def test_the_favicon_is_an_ico_of_small_pngs(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype in ("image/vnd.microsoft.icon", "image/x-icon")
    data = response.get_data()
    response.close()
    reserved, kind, count = struct.unpack("<HHH", data[:6])
    assert (reserved, kind) == (0, 1)
    found = set()
    for index in range(count):
        width, _h, _c, _r, _p, _b, length, offset = struct.unpack(
            "<BBBBHHII", data[6 + 16 * index : 22 + 16 * index]
        )
        assert png_size(data[offset : offset + length]) == (width, width)
        found.add(width)
    assert found == {16, 32, 48}


def test_calendar_files_and_json_set_no_cookie_whatever_they_are_asked(client, make):
    """A resident's own .ics, a feed or the API given ?lang=, ?elder= or ?contrast= answers
    without a cookie: calendar apps keep none, and a file is no page to remember."""
    registration = make.registration(make.event_session())
    query = "?lang=en&elder=1&contrast=high"
    for path in (
        f"/r/{registration.manage_token}.ics",
        f"/feeds/me/{registration.feed_token}.ics",
        "/feeds/all.ics",
        "/api/v1/events",
    ):
        response = client.get(path + query)
        assert response.status_code == 200, path
        assert response.headers.getlist("Set-Cookie") == [], path
    # A page still remembers the choices.
    cookies = client.get("/" + query).headers.getlist("Set-Cookie")
    assert {cookie.split("=")[0] for cookie in cookies} >= {"lang", "elder", "contrast"}
