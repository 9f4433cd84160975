"""Posters printed by Chromium: one A4 page, nothing cut off, two QR codes that scan.

Chinese text needs CJK fonts (Debian's fonts-noto-cjk, which .ci/run installs).
"""

from __future__ import annotations

import base64
import io
import os
from datetime import time, timedelta

import pytest
import zxingcpp
from pypdf import PdfReader
from sqlalchemy import select

from outreach import demo
from outreach.database import db
from outreach.events.models import Event
from outreach.localtime import local_today

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

SCREENING = "医师节专家义诊进社区"
# The schedule's type size at each density, in CSS pixels (static/css/poster.css).
SIZES = {"spacious": 17, "roomy": 15, "normal": 13, "compact": 11.5}

# Draws each QR code's SVG, as the browser renders it, onto a white canvas and returns its
# grey levels (base64), so that zxing-cpp can read it like a phone's camera would.
RASTERISE = """async (svg) => {
  const size = 400;
  const copy = svg.cloneNode(true);
  copy.setAttribute("width", size);
  copy.setAttribute("height", size);
  const image = new Image();
  image.src = "data:image/svg+xml;charset=utf-8," +
    encodeURIComponent(new XMLSerializer().serializeToString(copy));
  await image.decode();
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = size;
  const context = canvas.getContext("2d");
  context.fillStyle = "#fff";
  context.fillRect(0, 0, size, size);
  context.drawImage(image, 0, 0, size, size);
  const rgba = context.getImageData(0, 0, size, size).data;
  let grey = "";
  for (let i = 0; i < rgba.length; i += 4) { grey += String.fromCharCode(rgba[i + 1]); }
  return btoa(grey);
}"""


def pdf_pages(page) -> int:
    """How many A4 pages Chromium prints the page on."""
    return len(PdfReader(io.BytesIO(page.pdf(format="A4", print_background=True))).pages)


def scanned(page) -> list[str]:
    """What each QR code on the page says."""
    found = []
    for svg in page.locator(".code svg").element_handles():
        grey = base64.b64decode(page.evaluate(RASTERISE, svg))
        image = memoryview(grey).cast("B", (400, 400))
        codes = zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
        assert len(codes) == 1
        found.append(codes[0].text)
    return found


def assert_fits(page) -> None:
    """Nothing is cut off: the schedule and the sheet hold all they contain, at the type size
    the server chose (the page's script had no need to shrink it)."""
    overflow = page.evaluate(
        """() => [".sheet", ".schedule"].map((s) => {
             const e = document.querySelector(s); return e.scrollHeight - e.clientHeight; })"""
    )
    assert max(overflow) <= 1, overflow
    density = page.evaluate("document.querySelector('.schedule').classList[1]")
    table = page.locator(".schedule table")
    if table.count():
        size = float(table.evaluate("t => getComputedStyle(t).fontSize").removesuffix("px"))
        assert size == pytest.approx(SIZES[density] * 4 / 3, abs=0.01), density
    codes = page.locator(".codes").bounding_box()
    sheet = page.locator(".sheet").bounding_box()
    assert codes["y"] + codes["height"] <= sheet["y"] + sheet["height"]


def screenshot(page, name: str) -> None:
    """Keep a picture of the poster for people to look at (OUTREACH_POSTER_SHOTS=folder)."""
    folder = os.environ.get("OUTREACH_POSTER_SHOTS")
    if folder:
        page.locator(".sheet").screenshot(path=os.path.join(folder, f"{name}.png"))


@pytest.fixture
def screening(app):
    """The demo, with its three-day screening in three communities."""
    demo.seed()
    db.session.commit()
    return db.session.scalar(select(Event).where(Event.title == SCREENING))


@pytest.mark.parametrize("lang", ["", "?lang=en"])
def test_the_screening_poster_prints_on_one_page_with_two_codes_that_scan(
    live_server, sheet, screening, lang
):
    sheet.goto(f"{live_server}/events/{screening.id}/poster{lang}")
    screenshot(sheet, f"screening{lang.replace('?lang=', '-')}")
    assert sheet.get_by_role("heading", level=1).inner_text() == SCREENING
    assert sheet.locator(".schedule tbody tr:not(.area)").count() == 3
    # The band takes the category's colour (site.js, from the sheet's data-accent).
    red, green, blue = (int(screening.category.colour[i : i + 2], 16) for i in (1, 3, 5))
    band = sheet.locator(".band").evaluate("e => getComputedStyle(e).backgroundColor")
    assert band == f"rgb({red}, {green}, {blue})"
    assert pdf_pages(sheet) == 1
    assert_fits(sheet)
    assert scanned(sheet) == [
        f"{live_server}/events/{screening.id}{lang}",
        f"{live_server}/events/{screening.id}/calendar{lang}",
    ]

    # Both codes lead somewhere that works: the event page, and the page that subscribes.
    register, calendar = scanned(sheet)
    sheet.emulate_media(media="screen")
    sheet.goto(calendar)
    button = sheet.locator("a.subscribe-button")
    assert button.get_attribute("href").startswith(
        f"webcal://127.0.0.1:{live_server.rsplit(':', 1)[1]}/feeds/events/{screening.id}.ics"
    )
    sheet.goto(register)
    assert sheet.get_by_role("heading", level=1).inner_text() == SCREENING


@pytest.fixture
def big_campaign(make):
    """Ecology Day booths in forty communities with long names, three weeks running."""
    townships = [
        make.township(f"测试{n}街道", name_en=f"Long Name Subdistrict Number {n}") for n in range(4)
    ]
    event = make.event(
        "全国生态日·绿色生活进社区宣传活动暨垃圾分类知识有奖问答",
        summary="区发展改革委把生态文明宣传摊位摆到各街乡的社区门口，" * 4,
        audience="社区居民，亲子家庭",
        description="无需报名，欢迎带上孩子一起来。\n\n" * 6,
    )
    first = local_today() + timedelta(days=1)
    for n in range(40):
        community = make.community(
            townships[n % 4],
            f"望京西园第{n}社区居民委员会",
            name_en=f"Wangjing Xiyuan Number {n} Residents Community",
        )
        venue = make.venue(
            community,
            f"望京西园第{n}社区居民委员会党群服务中心",
            name_en=f"Wangjing Xiyuan Number {n} Residents Community Party Service Centre",
        )
        for week in range(3):
            day = first + timedelta(days=n % 7, weeks=week)
            make.event_session(event, venue, day=day, start=time(9 + n % 2 * 5, 30))
    return event


@pytest.mark.parametrize("lang", ["", "?lang=en"])
def test_a_big_campaign_still_prints_on_one_page(live_server, sheet, big_campaign, lang):
    sheet.goto(f"{live_server}/events/{big_campaign.id}/poster{lang}")
    screenshot(sheet, f"big-campaign{lang.replace('?lang=', '-')}")
    assert pdf_pages(sheet) == 1
    assert_fits(sheet)
    assert sheet.locator(".notes").is_visible()
    assert len(scanned(sheet)) == 2


def test_a_weekly_series_and_a_busy_community_print_on_one_page(live_server, sheet, make):
    township = make.township("六里屯街道")
    community = make.community(township, "炫特社区", slug="xuante")
    hall = make.venue(community, "炫特社区服务站")
    first = local_today() + timedelta(days=1)
    weekly = make.event("每周健康义诊日")
    for week in range(52):
        make.event_session(weekly, hall, day=first + timedelta(weeks=week), start=time(8, 30))
    for n in range(30):
        event = make.event(f"社区活动第{n}期：健康生活方式与慢性病管理讲座")
        make.event_session(event, hall, day=first + timedelta(days=n % 27), start=time(14, 0))

    sheet.goto(f"{live_server}/events/{weekly.id}/poster")
    screenshot(sheet, "weekly")
    assert pdf_pages(sheet) == 1
    assert_fits(sheet)
    assert sheet.get_by_text("还有40场").is_visible()

    for weeks in ("4", "8"):
        sheet.goto(f"{live_server}/communities/xuante/poster?weeks={weeks}")
        screenshot(sheet, f"community-{weeks}-weeks")
        assert pdf_pages(sheet) == 1
        assert_fits(sheet)
        assert scanned(sheet) == [
            f"{live_server}/communities/xuante",
            f"{live_server}/subscribe/community/xuante",
        ]


def test_a_poster_opened_on_a_phone_shows_the_whole_sheet(live_server, phone, screening):
    """From the event page's link on a phone: the sheet scaled to the screen, nothing cut off
    at the side; printing still lays it out at full size (the tests above)."""
    phone.goto(f"{live_server}/events/{screening.id}/poster")
    sheet = phone.locator(".sheet").bounding_box()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    assert sheet["x"] >= 0 and sheet["x"] + sheet["width"] <= 390
    assert sheet["width"] > 300  # scaled to the width, not shrunk to nothing
