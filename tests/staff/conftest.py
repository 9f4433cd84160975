"""Fixtures of the staff page tests: English pages, a signed-in administrator, places, and
organisations with events and staff."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.staff.support import TOMORROW


@pytest.fixture
def english(client):
    """The interface in English for this client (messages are asserted in English)."""
    client.set_cookie("lang", "en")
    return client


@pytest.fixture
def place(make):
    """Three communities in two townships, a venue in each, and a township-only venue."""
    liulitun = make.township("六里屯街道", slug="liu-li-tun")
    wangjing = make.township("望京街道", slug="wang-jing")
    xuante = make.community(liulitun, "炫特社区", slug="xuan-te")
    chenguang = make.community(liulitun, "晨光社区", slug="chen-guang")
    daxiyang = make.community(wangjing, "大西洋新城社区", slug="da-xi-yang")
    return {
        "xuante": make.venue(xuante, "炫特社区服务站"),
        "chenguang": make.venue(chenguang, "晨光社区服务站"),
        "daxiyang": make.venue(daxiyang, "大西洋新城社区服务站"),
        "school": make.venue(None, "望京实验学校", township=wangjing),
    }


@pytest.fixture
def org(make):
    """Two organisations, a category, an event of the first with two sessions, and staff."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    other = make.organisation("望京街道办事处", slug="other")
    category = make.category("健康义诊", slug="health", name_en="Free health screening")
    event = make.event("专家义诊", organisation=centre, category=category)
    return {
        "centre": centre,
        "other": other,
        "category": category,
        "event": event,
        "session": make.event_session(event, capacity=20),
        "second": make.event_session(event, day=TOMORROW + timedelta(days=1)),
        "organiser": make.staff("organiser", organisation=centre, role="organiser"),
        "manager": make.staff("manager", organisation=centre, role="manager"),
        "checker": make.staff("checker", organisation=centre, role="checker"),
        "stranger": make.staff("stranger", organisation=other, role="manager"),
        "admin": make.staff("admin", is_admin=True),
    }


@pytest.fixture
def admin(make, login_as, english):
    """A signed-in site administrator."""
    user = make.staff("root", is_admin=True, display_name="Admin Wang")
    login_as(user)
    return user


@pytest.fixture
def team(make):
    """Organisation A with a manager and a checker, organisation B with an organiser."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    other = make.organisation("区生态环境局", slug="other")
    return {
        "centre": centre,
        "other": other,
        "manager": make.staff("li.manager", organisation=centre, role="manager"),
        "checker": make.staff("zhao.checker", organisation=centre, role="checker"),
        "outsider": make.staff("chen.other", organisation=other, role="organiser"),
    }


@pytest.fixture
def weekly_clinic(make, login_as):
    """An organiser of a health centre, signed in, with a published event and two venues."""
    centre = make.organisation("六里屯社区卫生服务中心", slug="centre")
    organiser = make.staff("organiser", organisation=centre, role="organiser")
    event = make.event("每周义诊", organisation=centre)
    township = make.township("六里屯街道")
    first = make.venue(make.community(township, "炫特社区"), "炫特社区服务站")
    second = make.venue(make.community(township, "晨光社区"), "晨光社区服务站")
    login_as(organiser)
    return {"event": event, "venue": first, "other_venue": second, "organiser": organiser}
