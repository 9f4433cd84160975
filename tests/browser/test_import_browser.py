"""On a phone, an organiser uploads a calendar whose time zone repeats every second: the
page answers at once, imports the event, and says the zone was not recognised."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest

from tests.factories import SHANGHAI

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

DAY = (datetime.now(SHANGHAI) + timedelta(days=20)).strftime("%Y%m%d")
SECONDLY = "\r\n".join(
    [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Test//Import//EN",
        "BEGIN:VTIMEZONE",
        "TZID:Evil/Zone",
        "BEGIN:STANDARD",
        "DTSTART:16010101T000000",
        "RRULE:FREQ=SECONDLY",
        "TZOFFSETFROM:+0800",
        "TZOFFSETTO:+0800",
        "END:STANDARD",
        "END:VTIMEZONE",
        "BEGIN:VEVENT",
        "UID:zoned@example.org",
        "SUMMARY:社区讲座",
        f"DTSTART;TZID=Evil/Zone:{DAY}T090000",
        f"DTEND;TZID=Evil/Zone:{DAY}T100000",
        "END:VEVENT",
        "END:VCALENDAR",
        "",
    ]
).encode()


def test_a_secondly_time_zone_upload_answers_at_once_on_a_phone(live_server, phone, make):
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    venue = make.venue(make.community(make.township("六里屯街道"), "炫特社区"), "服务站")
    make.category("健康义诊", slug="health")
    make.staff("li.na", organisation=centre, role="organiser")

    phone.goto(live_server + "/staff/login")
    phone.get_by_label("用户名").fill("li.na")
    phone.get_by_label("密码").fill(make.PASSWORD)
    phone.get_by_role("button", name="登录").click()
    phone.wait_for_url("**/staff/")

    phone.goto(live_server + "/staff/import")
    phone.locator("input[type=file]").set_input_files(
        {"name": "calendar.ics", "mimeType": "text/calendar", "buffer": SECONDLY}
    )
    phone.locator("select[name=venue]").select_option(str(venue.id))
    phone.locator("select[name=category]").select_option("health")
    began = time.monotonic()
    phone.locator("form.form button[type=submit]").click()
    phone.get_by_text("时区“Evil/Zone”无法识别").wait_for()
    assert time.monotonic() - began < 5
    width = phone.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
