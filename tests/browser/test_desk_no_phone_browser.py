"""At the desk on a phone: registering an elderly resident who has no mobile phone, and an
organiser adding places to a full session so the waitlist moves up, in Chinese."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from outreach.database import db
from outreach.events.models import EventSession
from outreach.registrations.models import Registration, RegistrationStatus
from tests.browser.axe import axe_or_skip, violations
from tests.browser.signin import sign_in

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]


@pytest.fixture
def full_session(make):
    """A session of 4 places, all taken, with one resident on the waitlist; its organiser."""
    centre = make.organisation(slug="centre")
    event_session = make.event_session(make.event(organisation=centre), capacity=4)
    make.registration(event_session, 4, name="王秀英", phone="13800138000")
    waiting = make.registration(event_session, 1, name="吴奶奶", phone="13911112222")
    assert waiting.status == RegistrationStatus.WAITLISTED
    organiser = make.staff("organiser", organisation=centre, role="organiser")
    db.session.commit()
    return event_session, waiting, organiser


def test_a_walk_in_without_a_phone_and_places_added_on_a_phone(live_server, phone, full_session):
    axe_or_skip()
    event_session, waiting, organiser = full_session
    page = phone
    sign_in(page, live_server, organiser)
    page.goto(f"{live_server}/staff/sessions/{event_session.id}/roster")

    # More places first: the waitlisted resident moves up at once.
    page.get_by_text("增加名额", exact=True).first.click()
    places = page.get_by_label("增加名额数")
    places.fill("2")
    assert violations(page) == []
    with page.expect_navigation():
        page.get_by_role("button", name="增加名额").click()
    flashes = " ".join(page.get_by_role("status").all_inner_texts())
    assert "已增加2个名额" in flashes and "1个候补报名已转为正式报名" in flashes
    db.session.expire_all()
    assert db.session.get(EventSession, event_session.id).capacity == 6
    assert db.session.get(Registration, waiting.id).status == RegistrationStatus.CONFIRMED

    # Then a resident with no mobile phone: the note is asked for first.
    page.get_by_text("现场为居民报名").click()
    walk_in = page.locator("#walk-in")
    walk_in.get_by_label("姓名").fill("孙奶奶")
    walk_in.get_by_label("没有手机").check()
    walk_in.get_by_label("居民已同意隐私说明").check()
    with page.expect_navigation():
        walk_in.get_by_role("button", name="报名", exact=True).click()
    walk_in = page.locator("#walk-in")
    note = walk_in.get_by_label("其他联系方式")
    assert note.get_attribute("aria-invalid") == "true"
    assert "请填写其他联系方式" in walk_in.inner_text()
    assert violations(page) == []
    assert walk_in.evaluate("e => e.scrollWidth <= e.clientWidth")  # no sideways scrolling
    note.fill("女儿李红代报，家中座机 6512 3456")
    walk_in.get_by_label("居民已同意隐私说明").check()
    with page.expect_navigation():
        walk_in.get_by_role("button", name="报名", exact=True).click()
    db.session.expire_all()
    made = db.session.scalar(select(Registration).where(Registration.name == "孙奶奶"))
    assert made.phone is None and made.status == RegistrationStatus.CONFIRMED
    assert made.code in " ".join(page.get_by_role("status").all_inner_texts())
    row = page.locator(f"#registration-{made.id}")
    assert "没有手机" in row.inner_text()
    assert "家中座机 ****3456" in row.inner_text()  # an organiser sees numbers masked
    assert violations(page) == []
