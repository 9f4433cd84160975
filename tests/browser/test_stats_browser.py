"""A manager opens the statistics in Chromium: the charts are drawn and the CSV downloads."""

from __future__ import annotations

import csv
import io
from datetime import time, timedelta

import pytest

from outreach.database import db
from outreach.localtime import local_today
from outreach.registrations import services as registrations
from tests import factories

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


@pytest.fixture
def desk(browser):
    """A desktop-sized page in Chinese, as staff use at the office."""
    context = browser.new_context(
        viewport={"width": 1280, "height": 900}, locale="zh-CN", accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


PARTIES = ([2, 3, 1], [4, 2], [1, 1, 2, 2])


@pytest.fixture
def screening(make):
    """Last week's three-day screening, a community a day, with registrations and check-ins."""
    liulitun = make.township("六里屯街道", slug="liu-li-tun")
    names = {"xuan-te": "炫特社区", "chen-guang": "晨光社区", "bi-shui": "碧水社区"}
    venues = [
        make.venue(make.community(liulitun, name, slug=slug), name + "服务站")
        for slug, name in names.items()
    ]
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    manager = make.staff("wang.li", organisation=centre, role="manager")
    event = make.event("医师节专家义诊进社区", organisation=centre)
    first = local_today() - timedelta(days=7)
    for number, (venue, parties) in enumerate(zip(venues, PARTIES, strict=True)):
        event_session = make.event_session(
            event, venue, day=first + timedelta(days=number), start=time(8, 30), capacity=20
        )
        before = event_session.starts_at - timedelta(days=1)
        for index, party in enumerate(parties):
            request = registrations.RegistrationRequest(
                name="张阿姨", phone=factories.phone(), party_size=party, consent=True
            )
            made = registrations.register(event_session.id, request, now=before)
            if index % 2 == 0:  # the first, third… came
                arrived = event_session.starts_at + timedelta(minutes=5)
                registrations.check_in(made, actor=manager, now=arrived)
    db.session.commit()
    return event


def sign_in(page, live_server: str) -> None:
    page.goto(live_server + "/staff/login")
    page.get_by_label("用户名").fill("wang.li")
    page.get_by_label("密码").fill(factories.PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/staff/")


def test_manager_sees_the_campaign_charts_and_downloads_its_csv(live_server, desk, screening):
    sign_in(desk, live_server)
    desk.get_by_role("link", name="统计", exact=True).click()
    desk.wait_for_url("**/staff/stats")
    charts = desk.locator("svg.chart")
    assert charts.count() == 2
    for index in range(2):
        box = charts.nth(index).bounding_box()
        assert box["width"] > 300 and box["height"] > 100
    assert desk.get_by_role("img", name="每月人数").is_visible()
    assert desk.get_by_role("img", name="各社区人数").is_visible()

    desk.get_by_role("link", name="医师节专家义诊进社区").click()
    desk.wait_for_url(f"**/staff/stats/events/{screening.id}")
    # The first and third registration of each day came: 2 + 1, 4, 1 + 2 people.
    assert desk.get_by_text("3天，3个社区，服务居民10人。").is_visible()
    communities = desk.get_by_role("img", name="各社区人数")
    assert communities.is_visible()
    bars = communities.locator("rect.bar")
    assert bars.count() == 6  # three communities, two series
    widths = [bars.nth(i).bounding_box()["width"] for i in range(6)]
    assert all(width > 0 for width in widths)
    for name in ("炫特社区", "晨光社区", "碧水社区"):
        assert communities.get_by_text(name, exact=True).is_visible()
    assert desk.get_by_role("img", name="每天人数").locator("rect.bar").count() == 6

    table = desk.locator("#table-communities")
    with desk.expect_download() as download_info:
        table.get_by_role("link", name="下载CSV文件").click()
    download = download_info.value
    assert download.suggested_filename == f"campaign-{screening.id}-communities.csv"
    with open(download.path(), "rb") as handle:
        body = handle.read()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row[0] for row in rows] == ["社区", "碧水社区", "晨光社区", "炫特社区", "合计"]
    total = dict(zip(rows[0], rows[-1], strict=True))
    assert total["报名成功人数"] == "18" and total["签到人数"] == "10"
