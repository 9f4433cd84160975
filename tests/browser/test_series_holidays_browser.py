"""An organiser on a 390 px phone previews a weekly Wednesday series over National Day 2026:
the preview says which date the holiday took out and why, fits the screen, and axe-core finds
nothing on it."""

from __future__ import annotations

import pytest

from outreach.database import db
from outreach.events import holidays
from tests.browser.axe import axe_or_skip, describe, violations
from tests.browser.signin import sign_in

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


def test_series_preview_names_the_skipped_holiday_on_a_phone(live_server, phone, make):
    axe_or_skip()
    centre = make.organisation("六里屯社区卫生服务中心")
    organiser = make.staff("organiser", organisation=centre, role="organiser")
    event = make.event("每周义诊", organisation=centre)
    venue = make.venue(make.community(make.township("六里屯街道"), "炫特社区"), "炫特社区服务站")
    holidays.seed_from_library({2026})
    db.session.commit()

    sign_in(phone, live_server, organiser)
    phone.goto(f"{live_server}/staff/events/{event.id}/series")
    assert phone.locator("#skip_holidays").is_checked()  # on by default for a new series
    phone.locator("input[name=first_day]").fill("2026-09-16")
    for box in phone.locator("input[name=weekdays]").all():
        box.set_checked(box.get_attribute("value") == "2")
    phone.locator("select[name=venue_id]").select_option(str(venue.id))
    phone.locator("input[name=count]").fill("4")
    with phone.expect_navigation():
        phone.get_by_role("button", name="预览").click()

    changes = phone.locator(".calendar-changes")
    assert changes.get_by_text("10月7日 星期三 国庆节，已跳过").is_visible()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    found = violations(phone)
    assert not found, describe(found)
