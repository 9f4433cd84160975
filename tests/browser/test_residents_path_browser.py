"""The residents' path on a phone: from the home page, choose one's community once, then
find a session and register, counting taps and screens of scrolling (residents_path.py)."""

from __future__ import annotations

import re
from datetime import time, timedelta

import pytest

from outreach.database import db
from outreach.localtime import local_today
from outreach.registrations.models import Registration, RegistrationStatus
from tests.browser.residents_path import choose_community, register_from_home

# A live server answers from its own threads and connections: rows must be committed.
pytestmark = [pytest.mark.browser, pytest.mark.commits]

# What the README promises once a community is chosen.
MAX_TAPS = 5
MAX_SCREENS = 2


@pytest.fixture
def district(make):
    """A district's fortnight: twenty sessions in other communities come before the one the
    resident wants, a screening in their own community in four days' time."""
    liulitun = make.township("六里屯街道", slug="liulitun")
    wangjing = make.township("望京街道", slug="wangjing")
    xuante = make.community(liulitun, "炫特社区", slug="xuante")
    others = [
        make.community(liulitun, "晨光社区", slug="chenguang"),
        make.community(liulitun, "碧水庄园社区", slug="bishui"),
        make.community(wangjing, "大西洋新城社区", slug="daxiyang"),
        make.community(wangjing, "望京西园社区", slug="xiyuan"),
    ]
    health = make.category("健康义诊", slug="health")
    screening = make.event(
        "专家义诊进社区", category=health, summary="脑卒中、骨伤、中医、全科", max_party_size=4
    )
    today = local_today()
    for number in range(20):
        community = others[number % len(others)]
        venue = make.venue(community, f"{community.name}服务站{number}")
        event = screening if number % 5 == 0 else make.event(f"社区活动{number}")
        make.event_session(
            event, venue, day=today + timedelta(days=1 + number // 6), start=time(9 + number % 6)
        )
    return make.event_session(
        screening, make.venue(xuante, "炫特社区服务站"), day=today + timedelta(days=4), capacity=20
    )


def walk_the_path(live_server, phone, district):
    """Choose the community from the home page, then register; the two meters."""
    phone.goto(live_server + "/")
    choosing = choose_community(phone, "liulitun", "炫特社区")
    assert phone.url == live_server + "/"
    assert phone.get_by_role("heading", name="您的社区：炫特社区").is_visible()

    path = register_from_home(phone, district.id, "王秀英", "138 0013 8000")
    assert re.search(r"/r/[\w-]+", phone.url)
    registration = db.session.scalar(db.select(Registration))
    assert registration.session_id == district.id
    assert registration.status == RegistrationStatus.CONFIRMED
    assert phone.get_by_text(registration.code).first.is_visible()
    print(f"\nchoosing the community: {choosing.summary()}")
    print(f"home → registered, community chosen: {path.summary()}")
    return choosing, path


def test_a_resident_chooses_their_community_then_registers_in_five_taps_and_two_screens(
    live_server, phone, district
):
    choosing, path = walk_the_path(live_server, phone, district)
    assert choosing.taps <= 4, choosing.summary()  # street (2), Continue without scripts, community
    assert path.screens <= MAX_SCREENS, path.summary()
    assert path.taps <= MAX_TAPS, path.summary()

    # The next visit leads with the community at once: the cookie holds it.
    phone.goto(live_server + "/")
    own = phone.locator(".own-community")
    assert own.locator(f'a[href$="#session-{district.id}"]').is_visible()
    assert own.get_by_text("剩余19个名额").is_visible()


def test_without_a_community_the_session_is_further_away(live_server, phone, district):
    """The same path without choosing first, for comparison (printed, not judged)."""
    phone.goto(live_server + "/")
    path = register_from_home(phone, district.id, "李建国", "139 0013 9000")
    assert re.search(r"/r/[\w-]+", phone.url)
    print(f"\nhome → registered, no community chosen: {path.summary()}")
    assert path.screens > MAX_SCREENS  # the fixture is a district where choosing matters


def test_choosing_works_without_scripts(live_server, browser, district):
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, locale="zh-CN", java_script_enabled=False
    )
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        page.goto(live_server + "/")
        choosing = choose_community(page, "liulitun", "炫特社区")
        print(f"\nchoosing the community without scripts: {choosing.summary()}")
        assert choosing.steps == ["street", "continue", "community"]
        assert page.get_by_role("heading", name="您的社区：炫特社区").is_visible()
    finally:
        context.close()
